//! `chart mix`: each account's architecture share (reports.md §2 `mix`).
//!
//! The numbers are the `mix` report's rows, unchanged: `inUse` summed once per record per
//! architecture, `percent` of the account's total, accounts with nothing in use left out.

use chrono::{DateTime, Utc};
use slbot_inventory::{Filters, Inventory, MixAccount, ReportBody, ReportKind};

use crate::{ChartError, Scope};

/// One architecture's share of one account.
#[derive(Debug, Clone, PartialEq)]
pub struct MixSegment {
    /// Architecture name (`Uncategorized` for licenses not in the catalogue).
    pub architecture: String,
    /// Sum of `inUse` of this architecture's records.
    pub in_use: i64,
    /// `100 × in_use / total`, unrounded.
    pub percent: f64,
}

/// One account's bar: its segments in report order (by `inUse` descending, then name).
#[derive(Debug, Clone, PartialEq)]
pub struct MixAccountBar {
    /// Smart account name as CSSM gave it (renderers trim it).
    pub name: String,
    /// Smart account domain.
    pub domain: String,
    /// Sum of `inUse` over the account's records.
    pub total_in_use: i64,
    /// The architectures of this account.
    pub segments: Vec<MixSegment>,
}

/// The data of `chart mix`.
#[derive(Debug, Clone, PartialEq)]
pub struct MixChart {
    /// As-of date, filters, missing accounts.
    pub scope: Scope,
    /// Accounts in CSSM order; accounts with nothing in use are left out.
    pub accounts: Vec<MixAccountBar>,
    /// Every architecture that appears, by total `inUse` over all accounts descending, then
    /// name: the legend order, and the order colours are handed out in.
    pub architectures: Vec<String>,
}

impl MixChart {
    /// Whether nothing is in use (the chart then says so instead of drawing bars).
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

/// The numbers of `chart mix` for `now` and `filters`. The only error is a filter value that
/// names no account or VA.
pub fn mix_chart_data(
    inventory: &Inventory,
    now: DateTime<Utc>,
    filters: &Filters,
) -> Result<MixChart, ChartError> {
    let report = inventory.report(ReportKind::Mix, now, filters)?;
    let rows: &[MixAccount<'_>] = match &report.body {
        ReportBody::Mix(rows) => rows,
        _ => &[],
    };
    let accounts: Vec<MixAccountBar> = rows.iter().map(account_bar).collect();
    let architectures = legend_order(accounts.iter().flat_map(|a| a.segments.iter()));
    Ok(MixChart {
        scope: Scope::new(inventory, now, filters),
        accounts,
        architectures,
    })
}

pub(crate) fn account_bar(row: &MixAccount<'_>) -> MixAccountBar {
    MixAccountBar {
        name: row.name.to_string(),
        domain: row.domain.to_string(),
        total_in_use: row.total_in_use,
        segments: row
            .architectures
            .iter()
            .map(|a| MixSegment {
                architecture: a.name.to_string(),
                in_use: a.in_use,
                percent: a.percent,
            })
            .collect(),
    }
}

/// Architectures by summed `inUse` descending, then name.
fn legend_order<'a>(segments: impl Iterator<Item = &'a MixSegment>) -> Vec<String> {
    combine(segments)
        .into_iter()
        .map(|s| s.architecture)
        .collect()
}

/// Segments of several accounts summed per architecture, with the percentage of the grand
/// total; by `inUse` descending, then name (the mix report's order, over all accounts).
pub(crate) fn combine<'a>(segments: impl Iterator<Item = &'a MixSegment>) -> Vec<MixSegment> {
    let mut sums: Vec<(String, i64)> = Vec::new();
    for s in segments {
        match sums.iter_mut().find(|(name, _)| *name == s.architecture) {
            Some(e) => e.1 = e.1.saturating_add(s.in_use),
            None => sums.push((s.architecture.clone(), s.in_use)),
        }
    }
    sums.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total = crate::scope::saturating_sum(sums.iter().map(|s| s.1));
    sums.into_iter()
        .map(|(architecture, in_use)| MixSegment {
            architecture,
            in_use,
            percent: if total > 0 {
                100.0 * in_use as f64 / total as f64
            } else {
                0.0
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use slbot_inventory::FilterKey;

    fn shares(bar: &MixAccountBar) -> Vec<(&str, i64)> {
        bar.segments
            .iter()
            .map(|s| (s.architecture.as_str(), s.in_use))
            .collect()
    }

    #[test]
    fn each_account_gets_its_architectures_by_in_use_with_hand_computed_percentages() {
        let chart = mix_chart_data(&fixture(), now(), &Filters::none()).unwrap();
        // Idle has nothing in use, so it has no bar.
        let names: Vec<&str> = chart.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["Acme", "Globex"]);
        let acme = &chart.accounts[0];
        // Alpha 80 (Security), Beta 60, Mystery 20 (Uncategorized), Gamma 5: 165 in use.
        assert_eq!(acme.total_in_use, 165);
        assert_eq!(
            shares(acme),
            [
                ("Security", 80),
                ("Enterprise Networking", 60),
                ("Uncategorized", 20),
                ("Data Center", 5)
            ]
        );
        let expected = [80.0 / 165.0, 60.0 / 165.0, 20.0 / 165.0, 5.0 / 165.0];
        for (s, e) in acme.segments.iter().zip(expected) {
            assert!(close(s.percent, 100.0 * e), "{s:?}");
        }
        let globex = &chart.accounts[1];
        assert_eq!(globex.total_in_use, 54);
        assert_eq!(
            shares(globex),
            [("Enterprise Networking", 50), ("Data Center", 4)]
        );
        assert!(close(globex.segments[0].percent, 5000.0 / 54.0));
    }

    #[test]
    fn the_numbers_are_the_mix_reports_numbers() {
        let inv = fixture();
        let chart = mix_chart_data(&inv, now(), &Filters::none()).unwrap();
        let report = inv
            .report(ReportKind::Mix, now(), &Filters::none())
            .unwrap();
        let ReportBody::Mix(rows) = report.body else {
            panic!("not a mix report")
        };
        assert_eq!(chart.accounts.len(), rows.len());
        for (bar, row) in chart.accounts.iter().zip(&rows) {
            assert_eq!(
                (bar.name.as_str(), bar.total_in_use),
                (row.name, row.total_in_use)
            );
            let from_report: Vec<(&str, i64, f64)> = row
                .architectures
                .iter()
                .map(|a| (a.name, a.in_use, a.percent))
                .collect();
            let drawn: Vec<(&str, i64, f64)> = bar
                .segments
                .iter()
                .map(|s| (s.architecture.as_str(), s.in_use, s.percent))
                .collect();
            assert_eq!(drawn, from_report);
        }
    }

    #[test]
    fn the_legend_orders_architectures_by_in_use_over_all_accounts() {
        let chart = mix_chart_data(&fixture(), now(), &Filters::none()).unwrap();
        // Enterprise Networking 60 + 50 = 110, Security 80, Uncategorized 20, Data Center 9.
        assert_eq!(
            chart.architectures,
            [
                "Enterprise Networking",
                "Security",
                "Uncategorized",
                "Data Center"
            ]
        );
    }

    #[test]
    fn filters_apply_as_in_the_reports() {
        let filters = Filters {
            accounts: vec![],
            vas: vec!["lab".into()],
        };
        let chart = mix_chart_data(&fixture(), now(), &filters).unwrap();
        // Only Acme has a Lab VA: Mystery 20 and Gamma 5.
        assert_eq!(chart.accounts.len(), 1);
        assert_eq!(
            shares(&chart.accounts[0]),
            [("Uncategorized", 20), ("Data Center", 5)]
        );
        assert!(close(chart.accounts[0].segments[0].percent, 80.0));
        assert_eq!(chart.scope.filters, filters);
    }

    #[test]
    fn an_unknown_filter_value_is_an_error_naming_the_closest_names() {
        let filters = Filters {
            accounts: vec!["Acne".into()],
            vas: vec![],
        };
        match mix_chart_data(&fixture(), now(), &filters) {
            Err(ChartError::UnknownFilter(e)) => {
                assert_eq!(e.key, FilterKey::Account);
                assert_eq!(e.suggestions.first().map(String::as_str), Some("Acme"));
            }
            other => panic!("expected an unknown filter, got {other:?}"),
        }
    }

    #[test]
    fn nothing_in_use_gives_an_empty_chart_not_an_error() {
        let chart = mix_chart_data(&empty(), now(), &Filters::none()).unwrap();
        assert!(chart.is_empty());
        assert!(chart.architectures.is_empty());
    }

    #[test]
    fn a_partial_snapshot_is_carried_into_the_scope() {
        let chart = mix_chart_data(&partial_fixture(), now(), &Filters::none()).unwrap();
        assert_eq!(chart.scope.missing_accounts, ["Globex"]);
    }
}
