//! `status chart`: one summary image of the `status` report (reports.md §2): the counts of
//! expired, expiring (180 days), shortages and licenses in use, the expirations of the next
//! 180 days by month, and the architecture mix over all selected accounts.

use chrono::{DateTime, Utc};
use slbot_inventory::{Days, Filters, Inventory, ReportBody, ReportKind};

use crate::expirations::{expirations_chart_data, ExpirationsChart, Horizon};
use crate::mix::{account_bar, combine, MixSegment};
use crate::{ChartError, Scope};

/// A count of entitlement lines and the sum of their quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusTotals {
    /// Number of entitlement lines.
    pub count: usize,
    /// Sum of their quantities.
    pub quantity: i64,
}

/// The data of `status chart`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChart {
    /// As-of date, filters, missing accounts.
    pub scope: Scope,
    /// All expired lines (`status.expired`).
    pub expired: StatusTotals,
    /// Lines expiring within 180 days (`status.expiring`).
    pub expiring: StatusTotals,
    /// Licenses with a shortage (`status.shortages.count`).
    pub shortages: usize,
    /// Licenses in use (`status.usage.count`).
    pub in_use: usize,
    /// The mix of every selected account together: `inUse` per architecture, percent of the
    /// grand total, by `inUse` descending then name.
    pub mix: Vec<MixSegment>,
    /// The next 180 days by month, with the last 90 days apart.
    pub expirations: ExpirationsChart,
}

/// The numbers of `status chart` for `now` and `filters`. The only error is a filter value
/// that names no account or VA.
pub fn status_chart_data(
    inventory: &Inventory,
    now: DateTime<Utc>,
    filters: &Filters,
) -> Result<StatusChart, ChartError> {
    let report = inventory.report(ReportKind::Status, now, filters)?;
    let ReportBody::Status(status) = &report.body else {
        return Err(ChartError::Unexpected(anyhow::anyhow!(
            "the status report returned a {} body",
            report.kind().name()
        )));
    };
    let bars: Vec<_> = status.mix.iter().map(account_bar).collect();
    Ok(StatusChart {
        scope: Scope::new(inventory, now, filters),
        expired: StatusTotals {
            count: status.expired.count,
            quantity: status.expired.quantity,
        },
        expiring: StatusTotals {
            count: status.expiring.count,
            quantity: status.expiring.quantity,
        },
        shortages: status.shortages.count,
        in_use: status.usage.count,
        mix: combine(bars.iter().flat_map(|b| b.segments.iter())),
        expirations: expirations_chart_data(inventory, now, filters, Horizon::Days(Days::STATUS))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    #[test]
    fn the_counts_are_the_status_reports_counts_as_computed_by_hand() {
        let c = status_chart_data(&fixture(), now(), &Filters::none()).unwrap();
        // Expired: Beta 50 (−20 d), Mystery 20 (−100 d), Alpha 30 (−5 d).
        assert_eq!(
            c.expired,
            StatusTotals {
                count: 3,
                quantity: 100
            }
        );
        // Within 180 days: 60 (+10), 40 (+45), 7 (+3), 200 (+33); Gamma (+200) is later.
        assert_eq!(
            c.expiring,
            StatusTotals {
                count: 4,
                quantity: 307
            }
        );
        // Acme Beta (60 > 50) and Globex Gamma (4 > 0).
        assert_eq!(c.shortages, 2);
        assert_eq!(c.in_use, 5);
    }

    #[test]
    fn the_expirations_panel_is_the_180_day_window_of_the_status_report() {
        let c = status_chart_data(&fixture(), now(), &Filters::none()).unwrap();
        assert_eq!(c.expirations.horizon, Horizon::Days(Days::STATUS));
        assert_eq!(c.expirations.expiring_quantity(), c.expiring.quantity);
        assert_eq!(c.expirations.expiring_count(), c.expiring.count);
        // 2026-11-28 + 180 d = 2027-05-27: November to May, 7 months.
        assert_eq!(c.expirations.months.len(), 7);
    }

    #[test]
    fn the_mix_sums_every_account_by_architecture() {
        let c = status_chart_data(&fixture(), now(), &Filters::none()).unwrap();
        // Enterprise Networking 60 + 50, Security 80, Uncategorized 20, Data Center 5 + 4.
        let got: Vec<(&str, i64)> = c
            .mix
            .iter()
            .map(|s| (s.architecture.as_str(), s.in_use))
            .collect();
        assert_eq!(
            got,
            [
                ("Enterprise Networking", 110),
                ("Security", 80),
                ("Uncategorized", 20),
                ("Data Center", 9)
            ]
        );
        assert!(close(c.mix[0].percent, 100.0 * 110.0 / 219.0));
        let sum: f64 = c.mix.iter().map(|s| s.percent).sum();
        assert!(close(sum, 100.0));
    }

    #[test]
    fn an_empty_inventory_gives_zeros_not_an_error() {
        let c = status_chart_data(&empty(), now(), &Filters::none()).unwrap();
        assert_eq!(
            c.expired.count + c.expiring.count + c.shortages + c.in_use,
            0
        );
        assert!(c.mix.is_empty());
    }
}
