//! The one declaration of every report: [`ReportKind`], written once by [`reports!`] with each
//! report's CLI/JSON name and its default parameter.
//!
//! Adding a report (CONTRIBUTING.md "Adding a report"): one new file in this crate with its
//! rows and `compute` (like `rebalance.rs`), one line in the `reports!` call below, and one
//! [`ReportBody`](crate::ReportBody) variant. Every match on these enums is exhaustive, so the
//! compiler then lists each place that must say how the new report is computed and rendered
//! (JSON, table, CSV columns, chat markdown); names, `ALL`, `from_name` and suggestions follow
//! from this declaration.

use crate::renewals::Calendar;
use crate::report::Days;

/// Declares [`ReportKind`]: one line per report, `Variant(Param = default)? => "name"`.
macro_rules! reports {
    ($(
        $(#[$doc:meta])*
        $variant:ident $(($param:ty = $default:expr))? => $name:literal;
    )*) => {
        /// Which report to compute. Names are the CLI names (`slbot report <name>`), which are
        /// also the JSON `report` field and the chat command's canonical name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ReportKind {
            $( $(#[$doc])* $variant $(($param))?, )*
        }

        impl ReportKind {
            /// Every report, in the order of reports.md §2 (parameters at their defaults).
            pub const ALL: &'static [ReportKind] = &[ $( ReportKind::$variant $(($default))?, )* ];

            /// The CLI name, which is also the JSON `report` field.
            pub const fn name(self) -> &'static str {
                match self {
                    $( ReportKind::$variant { .. } => $name, )*
                }
            }
        }
    };
}

reports! {
    /// Smart accounts, in CSSM order.
    Accounts => "accounts";
    /// Per account, its virtual-account names (first-seen order).
    VirtualAccounts => "virtual-accounts";
    /// Entitlement lines with `endDate < now`.
    Expired => "expired";
    /// Entitlement lines with `now < endDate < now + days`.
    Expiring(Days = Days::DEFAULT) => "expiring";
    /// Licence records with `inUse > quantity`.
    Shortages => "shortages";
    /// Licence records with `quantity > 0` and `inUse > 0`.
    Usage => "usage";
    /// Per account, `inUse` summed per architecture.
    Mix => "mix";
    /// Top 5 of expired, expiring (180 days), shortages, usage, plus the whole mix.
    Status => "status";
    /// One row per entitlement line (a record without lines is one row).
    Export => "export";
    /// Per shortage, transfers from other VAs of the same smart account with licences to spare.
    Rebalance => "rebalance";
    /// Smart accounts ranked by a stated score: expired in use, short, expiring in 30 days.
    AtRisk => "at-risk";
    /// Entitlement lines by calendar quarter of their end date, with totals per quarter.
    Renewals(Calendar = Calendar::DEFAULT) => "renewals";
}

impl ReportKind {
    /// Every CLI name, in the order of reports.md §2.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::ALL.iter().map(|k| k.name())
    }

    /// The report named `name` (exact CLI name); `expiring` takes `days`.
    pub fn from_name(name: &str, days: Days) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|k| k.name() == name)
            .map(|k| k.with_days(days))
    }

    /// This report with `days` as its look-ahead when it has one (`expiring`).
    pub fn with_days(self, days: Days) -> Self {
        match self {
            ReportKind::Expiring(_) => ReportKind::Expiring(days),
            ReportKind::Accounts
            | ReportKind::VirtualAccounts
            | ReportKind::Expired
            | ReportKind::Shortages
            | ReportKind::Usage
            | ReportKind::Mix
            | ReportKind::Status
            | ReportKind::Export
            | ReportKind::Rebalance
            | ReportKind::AtRisk
            | ReportKind::Renewals(_) => self,
        }
    }

    /// This report with `calendar` as its quarters and zone when it has them (`renewals`).
    pub fn with_calendar(self, calendar: Calendar) -> Self {
        match self {
            ReportKind::Renewals(_) => ReportKind::Renewals(calendar),
            ReportKind::Accounts
            | ReportKind::VirtualAccounts
            | ReportKind::Expired
            | ReportKind::Expiring(_)
            | ReportKind::Shortages
            | ReportKind::Usage
            | ReportKind::Mix
            | ReportKind::Status
            | ReportKind::Export
            | ReportKind::Rebalance
            | ReportKind::AtRisk => self,
        }
    }

    /// Whether CSV and XLSX exist for this report (line and record reports, `export`
    /// and `rebalance`): exactly the reports whose CSV columns are declared in `render`.
    pub fn has_file_formats(self) -> bool {
        crate::render::columns_of(self).is_some()
    }

    /// The reports with CSV/XLSX forms as a phrase: `expired, expiring, … and rebalance`.
    pub fn file_format_names() -> String {
        let names: Vec<&str> = Self::ALL
            .iter()
            .filter(|k| k.has_file_formats())
            .map(|k| k.name())
            .collect();
        match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// The report name closest to a mistyped one (Damerau–Levenshtein ≤ 3), if any.
    pub fn closest_name(name: &str) -> Option<&'static str> {
        let name = name.trim().to_lowercase();
        Self::names()
            .map(|n| (strsim::damerau_levenshtein(&name, n), n))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, n)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_has_one_distinct_name_in_the_order_of_the_contract() {
        let names: Vec<&str> = ReportKind::names().collect();
        assert_eq!(
            names,
            [
                "accounts",
                "virtual-accounts",
                "expired",
                "expiring",
                "shortages",
                "usage",
                "mix",
                "status",
                "export",
                "rebalance",
                "at-risk",
                "renewals"
            ]
        );
        for kind in ReportKind::ALL {
            assert_eq!(
                ReportKind::from_name(kind.name(), Days::DEFAULT),
                Some(*kind)
            );
        }
        assert_eq!(ReportKind::from_name("chart-mix", Days::DEFAULT), None);
    }

    #[test]
    fn from_name_gives_expiring_its_days_and_ignores_them_elsewhere() {
        let days = Days::new(90).unwrap_or(Days::DEFAULT);
        assert_eq!(
            ReportKind::from_name("expiring", days),
            Some(ReportKind::Expiring(days))
        );
        assert_eq!(
            ReportKind::from_name("usage", days),
            Some(ReportKind::Usage)
        );
    }

    #[test]
    fn only_line_record_export_rebalance_at_risk_and_renewals_reports_have_file_forms() {
        let with_files: Vec<&str> = ReportKind::ALL
            .iter()
            .filter(|k| k.has_file_formats())
            .map(|k| k.name())
            .collect();
        assert_eq!(
            with_files,
            [
                "expired",
                "expiring",
                "shortages",
                "usage",
                "export",
                "rebalance",
                "at-risk",
                "renewals"
            ]
        );
    }
}
