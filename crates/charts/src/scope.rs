//! What every chart carries besides its numbers: the instant it describes, the filters that
//! were applied and the accounts that could not be read. Renderers turn it into the "as of"
//! part of the title and the footnotes, so a chart never looks more complete than it is.

use chrono::{DateTime, Utc};
use slbot_inventory::{Filters, Inventory};

/// The context of one chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// The instant the chart describes (the reports' `now`).
    pub now: DateTime<Utc>,
    /// The filters applied (reports.md §2), exactly as given.
    pub filters: Filters,
    /// Trimmed names of the smart accounts that could not be read (a partial snapshot).
    pub missing_accounts: Vec<String>,
}

impl Scope {
    pub(crate) fn new(inventory: &Inventory, now: DateTime<Utc>, filters: &Filters) -> Self {
        Scope {
            now,
            filters: filters.clone(),
            missing_accounts: inventory
                .missing_accounts()
                .iter()
                .map(|m| m.name.trim().to_string())
                .collect(),
        }
    }

    /// The UTC calendar date of `now`, `YYYY-MM-DD`: the "as of" of every title.
    pub fn as_of(&self) -> String {
        self.now.format("%Y-%m-%d").to_string()
    }

    /// Footnotes a reader needs to interpret the chart: the filters, and a partial snapshot.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let mut parts = Vec::new();
        if !self.filters.accounts.is_empty() {
            parts.push(format!("account {}", list(&self.filters.accounts)));
        }
        if !self.filters.vas.is_empty() {
            parts.push(format!("virtual account {}", list(&self.filters.vas)));
        }
        if !parts.is_empty() {
            notes.push(format!("Filtered to {}.", parts.join(" and ")));
        }
        match self.missing_accounts.len() {
            0 => {}
            1 => notes.push(format!(
                "Partial: 1 smart account could not be read ({}).",
                self.missing_accounts[0]
            )),
            n => notes.push(format!(
                "Partial: {n} smart accounts could not be read ({}).",
                list(&self.missing_accounts)
            )),
        }
        notes
    }
}

/// `a`, `a or b`, `a, b or c` (at most 3 names, then "and K more").
fn list(values: &[String]) -> String {
    let shown: Vec<&str> = values.iter().take(3).map(|v| v.trim()).collect();
    let mut s = match shown.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    };
    if values.len() > 3 {
        s.push_str(&format!(" (and {} more)", values.len() - 3));
    }
    s
}

/// Sums CSSM quantities without overflow: a quantity the inventory saturated at `i64::MAX`
/// must not turn a chart into a panic (debug) or a wrapped, wrong number (release).
pub(crate) fn saturating_sum(values: impl IntoIterator<Item = i64>) -> i64 {
    values.into_iter().fold(0i64, i64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn scope(accounts: &[&str], vas: &[&str], missing: &[&str]) -> Scope {
        Scope {
            now: Utc.with_ymd_and_hms(2026, 11, 28, 17, 30, 0).unwrap(),
            filters: Filters {
                accounts: accounts.iter().map(|s| s.to_string()).collect(),
                vas: vas.iter().map(|s| s.to_string()).collect(),
            },
            missing_accounts: missing.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_as_of_date_is_the_utc_calendar_date_of_now() {
        assert_eq!(scope(&[], &[], &[]).as_of(), "2026-11-28");
    }

    #[test]
    fn an_unfiltered_complete_chart_has_no_notes() {
        assert!(scope(&[], &[], &[]).notes().is_empty());
    }

    #[test]
    fn notes_name_the_filters_and_the_accounts_that_could_not_be_read() {
        let notes = scope(&["Acme", " Beta "], &["DEFAULT"], &["Gamma"]).notes();
        assert_eq!(
            notes,
            vec![
                "Filtered to account Acme or Beta and virtual account DEFAULT.".to_string(),
                "Partial: 1 smart account could not be read (Gamma).".to_string(),
            ]
        );
    }

    #[test]
    fn a_long_filter_list_is_shortened() {
        let notes = scope(&["a", "b", "c", "d", "e"], &[], &["x", "y"]).notes();
        assert_eq!(notes[0], "Filtered to account a, b or c (and 2 more).");
        assert_eq!(
            notes[1],
            "Partial: 2 smart accounts could not be read (x or y)."
        );
    }
}
