//! `chart usage`: the top 15 licenses by utilization (reports.md §2 `usage`), with a 100 %
//! line. The bars are the first 15 rows of the `usage` report, in its order.

use chrono::{DateTime, Utc};
use slbot_inventory::{Filters, Inventory, RecordRow, ReportBody, ReportKind};

use crate::{ChartError, Scope};

/// How many licenses the chart shows.
pub const USAGE_TOP: usize = 15;

/// One license record's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageBar {
    /// Smart account name as CSSM gave it.
    pub account: String,
    /// Smart account domain.
    pub domain: String,
    /// Virtual account name.
    pub virtual_account: String,
    /// License name.
    pub license: String,
    /// Catalogue architecture.
    pub architecture: String,
    /// The record's `quantity` (> 0).
    pub quantity: i64,
    /// The record's `inUse` (> 0).
    pub in_use: i64,
    /// `100 × inUse / quantity`, unrounded (over 100 is a shortage).
    pub utilization: f64,
}

/// The data of `chart usage`.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageChart {
    /// As-of date, filters, missing accounts.
    pub scope: Scope,
    /// How many licenses are in use in total (the `usage` report's `count`).
    pub count: usize,
    /// The top [`USAGE_TOP`], utilization descending (the report's order).
    pub bars: Vec<UsageBar>,
}

impl UsageChart {
    /// Whether no license is in use.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
}

/// The numbers of `chart usage` for `now` and `filters`. The only error is a filter value
/// that names no account or VA.
pub fn usage_chart_data(
    inventory: &Inventory,
    now: DateTime<Utc>,
    filters: &Filters,
) -> Result<UsageChart, ChartError> {
    let report = inventory.report(ReportKind::Usage, now, filters)?;
    let (count, bars) = match &report.body {
        ReportBody::Usage(section) => (
            section.count,
            section
                .items
                .iter()
                .take(USAGE_TOP)
                .map(bar)
                .collect::<Vec<_>>(),
        ),
        _ => (0, Vec::new()),
    };
    Ok(UsageChart {
        scope: Scope::new(inventory, now, filters),
        count,
        bars,
    })
}

pub(crate) fn bar(row: &RecordRow<'_>) -> UsageBar {
    UsageBar {
        account: row.account.to_string(),
        domain: row.domain.to_string(),
        virtual_account: row.virtual_account.to_string(),
        license: row.license.to_string(),
        architecture: row.architecture.to_string(),
        quantity: row.quantity,
        in_use: row.in_use,
        // Usage rows always have quantity > 0, so the report's utilization is present.
        utilization: row.utilization.unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use serde_json::json;

    #[test]
    fn bars_are_the_licenses_in_use_by_utilization_as_computed_by_hand() {
        let c = usage_chart_data(&fixture(), now(), &Filters::none()).unwrap();
        let got: Vec<(&str, &str, f64)> = c
            .bars
            .iter()
            .map(|b| (b.account.as_str(), b.license.as_str(), b.utilization))
            .collect();
        // Beta 60/50, Mystery 20/20, Alpha 80/100, Gamma 5/10, Globex Beta 50/200; Globex
        // Gamma (quantity 0) and records with nothing in use are not bars.
        let expected = [
            ("Acme", "Beta License", 120.0),
            ("Acme", "Mystery", 100.0),
            ("Acme", "Alpha License", 80.0),
            ("Acme", "Gamma License", 50.0),
            ("Globex", "Beta License", 25.0),
        ];
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(expected) {
            assert_eq!((g.0, g.1), (e.0, e.1));
            assert!(close(g.2, e.2), "{g:?}");
        }
        assert_eq!(c.count, 5);
    }

    #[test]
    fn only_the_top_15_of_many_are_drawn_and_they_match_the_usage_report() {
        // 20 records with inUse 1..=20 of quantity 10: utilization 10 %, 20 %, … 200 %.
        let records: Vec<_> = (1..=20)
            .map(|i| record(&format!("L{i:02}"), "DEFAULT", 10, i, vec![]))
            .collect();
        let inv = load(json!({"accounts": [account("Acme", "acme.com")],
                              "licenses": {"acme.com": records}}));
        let c = usage_chart_data(&inv, now(), &Filters::none()).unwrap();
        assert_eq!(c.count, 20);
        assert_eq!(c.bars.len(), USAGE_TOP);
        // Naive expectation: sort by utilization descending, keep 15.
        let mut naive: Vec<(String, f64)> = (1..=20)
            .map(|i| (format!("L{i:02}"), 100.0 * i as f64 / 10.0))
            .collect();
        naive.sort_by(|a, b| b.1.total_cmp(&a.1));
        naive.truncate(15);
        let got: Vec<(String, f64)> = c
            .bars
            .iter()
            .map(|b| (b.license.clone(), b.utilization))
            .collect();
        assert_eq!(got, naive);
        // And the report's own rows.
        let report = inv
            .report(ReportKind::Usage, now(), &Filters::none())
            .unwrap();
        let ReportBody::Usage(section) = report.body else {
            panic!("not usage")
        };
        for (b, r) in c.bars.iter().zip(&section.items) {
            assert_eq!(Some(b.utilization), r.utilization);
            assert_eq!(b.license, r.license);
        }
    }

    #[test]
    fn filters_apply_as_in_the_reports() {
        let filters = Filters {
            accounts: vec!["GLOBEX".into()],
            vas: vec![],
        };
        let c = usage_chart_data(&fixture(), now(), &filters).unwrap();
        assert_eq!(c.bars.len(), 1);
        assert!(close(c.bars[0].utilization, 25.0));
    }

    #[test]
    fn nothing_in_use_is_an_empty_chart() {
        let c = usage_chart_data(&empty(), now(), &Filters::none()).unwrap();
        assert!(c.is_empty());
        assert_eq!(c.count, 0);
    }
}
