//! `chart expirations [N days|months]`: the quantity of entitlement lines expiring per UTC
//! calendar month, stacked by architecture, with the last 90 days' expirations apart.
//!
//! Rules (also in docs/charts/README.md):
//! - A line is counted by its own `quantity` (as in the `expiring`/`expired` reports), under
//!   its record's architecture. Perpetual lines and unknown expiries are never counted.
//! - `Horizon::Days(D)` selects exactly the lines of `expiring D`: `now < endDate < now + D×24 h`,
//!   so the chart's total equals that report's `quantity`.
//! - `Horizon::Months(N)` (default 12) shows N whole calendar months: the current month (from
//!   `now`) and the N − 1 next, i.e. `now < endDate < first day of month N after this one`.
//! - "Last 90 days" is `now − 90×24 h ≤ endDate < now`: the most recent rows of `expired`.

use std::fmt;

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use slbot_inventory::{Days, Filters, Inventory, ReportBody, ReportKind};

use crate::{ChartError, Scope};

/// How far back the "expired recently" bar looks.
pub const RECENT_DAYS: i64 = 90;

/// How far ahead the chart looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Horizon {
    /// Whole calendar months, the current one first (1..=120).
    Months(u32),
    /// Exactly the window of `expiring D` (1..=3650 days).
    Days(Days),
}

impl Default for Horizon {
    fn default() -> Self {
        Horizon::DEFAULT
    }
}

/// A horizon out of range: the sentence says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("I can chart 1 to 120 months or 1 to 3650 days ahead, for example `chart expirations 6 months`.")]
pub struct HorizonOutOfRange;

impl Horizon {
    /// `chart expirations` without a number: the next 12 months.
    pub const DEFAULT: Horizon = Horizon::Months(12);
    /// The longest horizon in months (ten years, like [`Days::MAX`]).
    pub const MAX_MONTHS: u32 = 120;

    /// `N months`, `1..=120`.
    pub fn months(n: u32) -> Result<Self, HorizonOutOfRange> {
        if (1..=Self::MAX_MONTHS).contains(&n) {
            Ok(Horizon::Months(n))
        } else {
            Err(HorizonOutOfRange)
        }
    }

    /// `N days`, `1..=3650` (the range of `expire N`).
    pub fn days(n: u32) -> Result<Self, HorizonOutOfRange> {
        Days::new(n)
            .map(Horizon::Days)
            .map_err(|_| HorizonOutOfRange)
    }
}

impl fmt::Display for Horizon {
    /// `next 12 months`, `next 1 day`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match self {
            Horizon::Months(n) => (*n, "month"),
            Horizon::Days(d) => (d.get(), "day"),
        };
        write!(f, "next {n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// One bar: quantities per architecture in a time window.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// `Nov 2026` for a month, `Last 90 days` for the recent bar.
    pub label: String,
    /// Start of the window (inclusive for the recent bar; exclusive `now` for the first month).
    pub start: DateTime<Utc>,
    /// End of the window (exclusive).
    pub end: DateTime<Utc>,
    /// Number of entitlement lines in the window.
    pub count: usize,
    /// Quantity per architecture, aligned with [`ExpirationsChart::architectures`].
    pub quantities: Vec<i64>,
}

impl Bucket {
    /// Total quantity of the bar.
    pub fn total(&self) -> i64 {
        crate::scope::saturating_sum(self.quantities.iter().copied())
    }
}

/// The data of `chart expirations`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpirationsChart {
    /// As-of date, filters, missing accounts.
    pub scope: Scope,
    /// The horizon asked for.
    pub horizon: Horizon,
    /// Architectures with any quantity in the chart, by total quantity (months and recent)
    /// descending, then name: stack order, legend order, colour order.
    pub architectures: Vec<String>,
    /// One bar per calendar month, oldest first; months with nothing expiring are kept (0).
    pub months: Vec<Bucket>,
    /// Expired in the last 90 days, drawn apart from the months.
    pub recent: Bucket,
}

impl ExpirationsChart {
    /// Entitlement lines expiring within the horizon.
    pub fn expiring_count(&self) -> usize {
        self.months.iter().map(|m| m.count).sum()
    }

    /// Quantity expiring within the horizon.
    pub fn expiring_quantity(&self) -> i64 {
        crate::scope::saturating_sum(self.months.iter().map(Bucket::total))
    }

    /// Whether nothing expires within the horizon and nothing expired in the last 90 days.
    pub fn is_empty(&self) -> bool {
        self.expiring_count() == 0 && self.recent.count == 0
    }
}

/// The numbers of `chart expirations` for `now`, `filters` and `horizon`. The only error is a
/// filter value that names no account or VA.
pub fn expirations_chart_data(
    inventory: &Inventory,
    now: DateTime<Utc>,
    filters: &Filters,
    horizon: Horizon,
) -> Result<ExpirationsChart, ChartError> {
    // `export` is the one report that carries each line with its record's architecture;
    // the selection below is the `expiring`/`expired` rule applied to its lines.
    let report = inventory.report(ReportKind::Export, now, filters)?;
    let rows = match &report.body {
        ReportBody::Export(rows) => Some(rows),
        _ => None,
    };
    let now_s = now.timestamp();
    let first_month = month_start(now.year(), now.month());
    let (end, month_count) = window(now, horizon);
    let end_s = end.timestamp();
    let recent_start_s = now_s - RECENT_DAYS * 86_400;

    // (architecture, bucket: None = recent, Some(i) = month i, quantity)
    let mut hits: Vec<(&str, Option<usize>, i64)> = Vec::new();
    for row in rows.into_iter().flatten() {
        let Some(end_date) = row.line.and_then(|l| l.end_date.seconds()) else {
            continue;
        };
        let quantity = row.line.map_or(0, |l| l.quantity);
        if now_s < end_date && end_date < end_s {
            let Some(t) = Utc.timestamp_opt(end_date, 0).single() else {
                continue;
            };
            let index = months_between(first_month, t);
            hits.push((row.architecture, Some(index), quantity));
        } else if recent_start_s <= end_date && end_date < now_s {
            hits.push((row.architecture, None, quantity));
        }
    }

    let architectures = stack_order(&hits);
    let arch_index = |name: &str| architectures.iter().position(|a| a == name);
    let mut months: Vec<Bucket> = (0..month_count)
        .map(|i| {
            let start = add_months(first_month, i as u32);
            let next = add_months(first_month, i as u32 + 1);
            Bucket {
                label: start.format("%b %Y").to_string(),
                start: start.max(now),
                end: next.min(end),
                count: 0,
                quantities: vec![0; architectures.len()],
            }
        })
        .collect();
    let mut recent = Bucket {
        label: format!("Last {RECENT_DAYS} days"),
        start: now - chrono::Duration::days(RECENT_DAYS),
        end: now,
        count: 0,
        quantities: vec![0; architectures.len()],
    };
    for (arch, bucket, quantity) in hits {
        let target = match bucket {
            None => &mut recent,
            Some(i) => match months.get_mut(i) {
                Some(m) => m,
                None => continue, // cannot happen: the window ends within the last month
            },
        };
        target.count += 1;
        if let Some(a) = arch_index(arch) {
            target.quantities[a] = target.quantities[a].saturating_add(quantity);
        }
    }
    Ok(ExpirationsChart {
        scope: Scope::new(inventory, now, filters),
        horizon,
        architectures,
        months,
        recent,
    })
}

/// The exclusive end of the window and the number of month bars.
fn window(now: DateTime<Utc>, horizon: Horizon) -> (DateTime<Utc>, usize) {
    let first = month_start(now.year(), now.month());
    match horizon {
        Horizon::Months(n) => (add_months(first, n), n as usize),
        Horizon::Days(d) => {
            let end = now + chrono::Duration::seconds(d.seconds());
            // The last instant inside the window is end − 1 s.
            let last = end - chrono::Duration::seconds(1);
            (end, months_between(first, last) + 1)
        }
    }
}

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn add_months(t: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    t.checked_add_months(Months::new(n))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whole calendar months from the month of `first` to the month of `t`.
fn months_between(first: DateTime<Utc>, t: DateTime<Utc>) -> usize {
    let n = (t.year() - first.year()) * 12 + t.month() as i32 - first.month() as i32;
    n.max(0) as usize
}

/// Architectures by total quantity descending, then name. An architecture whose lines all
/// have quantity 0 is left out (it would be a legend entry with nothing drawn); its lines are
/// still counted.
fn stack_order(hits: &[(&str, Option<usize>, i64)]) -> Vec<String> {
    let mut sums: Vec<(&str, i64, bool)> = Vec::new();
    for &(arch, _, q) in hits {
        match sums.iter_mut().find(|(a, _, _)| *a == arch) {
            Some(e) => {
                e.1 = e.1.saturating_add(q);
                e.2 |= q != 0;
            }
            None => sums.push((arch, q, q != 0)),
        }
    }
    sums.retain(|s| s.2);
    sums.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    sums.into_iter().map(|(a, _, _)| a.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use serde_json::json;
    use slbot_inventory::{LineRow, LinesSection};

    fn chart(horizon: Horizon) -> ExpirationsChart {
        expirations_chart_data(&fixture(), now(), &Filters::none(), horizon).unwrap()
    }

    fn lines(inv: &Inventory, kind: ReportKind) -> Vec<(i64, i64)> {
        let report = inv.report(kind, now(), &Filters::none()).unwrap();
        let section: &LinesSection<'_> = match &report.body {
            ReportBody::Expired(s) | ReportBody::Expiring(_, s) => s,
            _ => panic!("not a lines report"),
        };
        section
            .items
            .iter()
            .map(|l: &LineRow<'_>| (l.end_date.seconds().unwrap(), l.quantity))
            .collect()
    }

    /// A naive month index: walk month starts until one is after `t`.
    fn naive_month(t: i64) -> usize {
        let mut i = 0;
        loop {
            let next = month_start(2026, 11)
                .checked_add_months(Months::new(i + 1))
                .unwrap();
            if t < next.timestamp() {
                return i as usize;
            }
            i += 1;
        }
    }

    #[test]
    fn twelve_months_start_with_the_current_one() {
        let c = chart(Horizon::DEFAULT);
        let labels: Vec<&str> = c.months.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Nov 2026", "Dec 2026", "Jan 2027", "Feb 2027", "Mar 2027", "Apr 2027", "May 2027",
                "Jun 2027", "Jul 2027", "Aug 2027", "Sep 2027", "Oct 2027"
            ]
        );
        assert_eq!(c.months[0].start, now());
        assert_eq!(
            c.months[11].end,
            Utc.with_ymd_and_hms(2027, 11, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn quantities_are_stacked_by_architecture_per_month_as_computed_by_hand() {
        let c = chart(Horizon::DEFAULT);
        // Totals: Enterprise Networking 200 + 50 recent, Security 100 + 30 recent,
        // Data Center 10, Uncategorized 7.
        assert_eq!(
            c.architectures,
            [
                "Enterprise Networking",
                "Security",
                "Data Center",
                "Uncategorized"
            ]
        );
        // Dec 2026: Beta 200 (12-31), Alpha 60 (12-08), Mystery 7 (12-01).
        assert_eq!(c.months[1].quantities, [200, 60, 0, 7]);
        assert_eq!(c.months[1].count, 3);
        // Jan 2027: Alpha 40. Jun 2027: Gamma 10. Nothing else within 12 months.
        assert_eq!(c.months[2].quantities, [0, 40, 0, 0]);
        assert_eq!(c.months[7].quantities, [0, 0, 10, 0]);
        let others: i64 = [0, 3, 4, 5, 6, 8, 9, 10, 11]
            .iter()
            .map(|&i| c.months[i].total())
            .sum();
        assert_eq!(others, 0);
        assert_eq!(c.expiring_quantity(), 317);
        assert_eq!(c.expiring_count(), 5);
    }

    #[test]
    fn the_last_90_days_are_apart_and_older_expirations_are_not_shown() {
        let c = chart(Horizon::DEFAULT);
        // Beta 50 (−20 d) and Alpha 30 (−5 d); Mystery 20 (−100 d) is too old.
        assert_eq!(c.recent.quantities, [50, 30, 0, 0]);
        assert_eq!(c.recent.count, 2);
        assert_eq!(c.recent.label, "Last 90 days");
    }

    #[test]
    fn a_days_horizon_draws_exactly_the_expiring_report() {
        let inv = fixture();
        for d in [1, 3, 4, 10, 33, 34, 45, 46, 90, 200, 201, 365, 3650] {
            let days = Days::new(d).unwrap();
            let c =
                expirations_chart_data(&inv, now(), &Filters::none(), Horizon::Days(days)).unwrap();
            let rows = lines(&inv, ReportKind::Expiring(days));
            assert_eq!(c.expiring_count(), rows.len(), "{d} days");
            // Summed by month with a naive month walk.
            let mut by_month = vec![0i64; c.months.len()];
            for (end, q) in &rows {
                by_month[naive_month(*end)] += q;
            }
            let drawn: Vec<i64> = c.months.iter().map(Bucket::total).collect();
            assert_eq!(drawn, by_month, "{d} days");
        }
    }

    #[test]
    fn a_months_horizon_agrees_with_the_expiring_report_cut_at_the_month_boundary() {
        let inv = fixture();
        for n in [1, 2, 6, 12, 14, 120] {
            let c =
                expirations_chart_data(&inv, now(), &Filters::none(), Horizon::months(n).unwrap())
                    .unwrap();
            let end = month_start(2026, 11)
                .checked_add_months(Months::new(n))
                .unwrap()
                .timestamp();
            let mut by_month = vec![0i64; n as usize];
            for (e, q) in lines(&inv, ReportKind::Expiring(Days::new(3650).unwrap())) {
                if e < end {
                    by_month[naive_month(e)] += q;
                }
            }
            let drawn: Vec<i64> = c.months.iter().map(Bucket::total).collect();
            assert_eq!(drawn, by_month, "{n} months");
        }
    }

    #[test]
    fn the_recent_bar_is_the_expired_report_of_the_last_90_days() {
        let inv = fixture();
        let c = chart(Horizon::DEFAULT);
        let since = now().timestamp() - 90 * DAY;
        let rows: Vec<(i64, i64)> = lines(&inv, ReportKind::Expired)
            .into_iter()
            .filter(|(e, _)| *e >= since)
            .collect();
        assert_eq!(c.recent.count, rows.len());
        assert_eq!(c.recent.total(), rows.iter().map(|r| r.1).sum::<i64>());
    }

    #[test]
    fn a_day_horizon_ending_mid_month_has_a_partial_last_month() {
        let c = chart(Horizon::days(34).unwrap());
        // now + 34 d = 2027-01-01T00:00Z exclusive: November and December only.
        assert_eq!(c.months.len(), 2);
        assert_eq!(
            c.months[1].end,
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(c.expiring_quantity(), 267);
    }

    #[test]
    fn window_edges_follow_the_report_rules() {
        // One line ends exactly at now (neither expired nor expiring), one exactly 90 days ago
        // (recent), one exactly at the end of the 1-month window (out).
        let inv = load(json!({
            "accounts": [account("Acme", "acme.com")],
            "licenses": {"acme.com": [record("Alpha License", "DEFAULT", 10, 1, vec![
                line("TERM", 1, day(0)),
                line("TERM", 2, day(-90)),
                line("TERM", 4, json!("2026-12-01T00:00:00Z")),
                line("TERM", 8, json!("2026-11-30T23:59:59Z")),
            ])]}
        }));
        let c = expirations_chart_data(&inv, now(), &Filters::none(), Horizon::months(1).unwrap())
            .unwrap();
        assert_eq!(c.months.len(), 1);
        assert_eq!(c.expiring_quantity(), 8);
        assert_eq!(c.recent.total(), 2);
    }

    #[test]
    fn a_zero_quantity_line_is_counted_but_gets_no_legend_entry() {
        let inv = load(json!({
            "accounts": [account("Acme", "acme.com")],
            "licenses": {"acme.com": [
                record("Alpha License", "DEFAULT", 10, 1, vec![line("TERM", 0, day(5))]),
                record("Beta License", "DEFAULT", 10, 1, vec![line("TERM", 3, day(6))]),
            ]}
        }));
        let c = expirations_chart_data(&inv, now(), &Filters::none(), Horizon::DEFAULT).unwrap();
        assert_eq!(c.architectures, ["Enterprise Networking"]);
        assert_eq!(c.expiring_count(), 2);
        assert_eq!(c.expiring_quantity(), 3);
    }

    #[test]
    fn filters_apply_as_in_the_reports() {
        let filters = Filters {
            accounts: vec!["globex.com".into()],
            vas: vec![],
        };
        let c = expirations_chart_data(&fixture(), now(), &filters, Horizon::DEFAULT).unwrap();
        assert_eq!(c.architectures, ["Enterprise Networking", "Security"]);
        assert_eq!(c.expiring_quantity(), 200);
        assert_eq!(c.recent.quantities, [0, 30]);
    }

    #[test]
    fn nothing_to_show_gives_an_empty_chart_with_its_months() {
        let c =
            expirations_chart_data(&empty(), now(), &Filters::none(), Horizon::DEFAULT).unwrap();
        assert!(c.is_empty());
        assert_eq!(c.months.len(), 12);
    }

    #[test]
    fn horizons_out_of_range_are_refused_with_the_accepted_range() {
        assert_eq!(Horizon::months(0), Err(HorizonOutOfRange));
        assert_eq!(Horizon::months(121), Err(HorizonOutOfRange));
        assert_eq!(Horizon::days(3651), Err(HorizonOutOfRange));
        assert!(HorizonOutOfRange.to_string().contains("1 to 120 months"));
        assert_eq!(Horizon::months(1).unwrap().to_string(), "next 1 month");
        assert_eq!(Horizon::days(90).unwrap().to_string(), "next 90 days");
    }
}
