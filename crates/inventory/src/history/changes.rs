//! `changes [7d|30d|Nd|since YYYY-MM-DD]`: what changed between the inventory at the start of
//! a window and the latest one.
//!
//! Rules (pinned by the tests below):
//! - The window starts `N` days before `now` (`7d` by default), or at 00:00 UTC of the date
//!   given with `since`.
//! - The base is the newest kept point taken at or before the window start: the inventory as
//!   it was then. When every point is younger than the window, the base is the oldest point
//!   and the answer says the history starts later (`historyStartsLater`). The other side is
//!   the newest point. With fewer than two points there is nothing to compare.
//! - A record (by account domain, VA, licence) in the latest point only is *added*, in the
//!   base only *removed*, in both with another quantity or in-use count *changed*.
//! - A *new expiration* is a line, of the base or of the latest point, whose end date lies
//!   after the base was taken and at or before `now`; lines of a record ending at the same
//!   instant are one expiration, with the latest point's quantity where both points have it.
//!   Most recent first.
//! - A *new shortage* is short (`inUse > quantity`) in the latest point and not in the base
//!   (or absent there); a *resolved* one is short in the base and not in the latest point (or
//!   gone). Largest first.
//! - Totals come first: counts of each list, and the owned and in-use deltas over the
//!   selected records.
//! - Lists other than expirations and shortages are in account, VA, licence order.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{Figures, HistoryError, Key, Point, Selection};
use crate::date::ymd;
use crate::report::Filters;

const DAY: i64 = 86_400;

/// The start of a `changes` window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `N` days (1..=3650).
    Days(u32),
    /// Since 00:00 UTC of this date (seconds since the epoch).
    Since(i64),
}

/// A window that cannot be read; the sentence says what to type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("I can show changes over the last 1 to 3650 days or since a date: `changes 7d`, `changes 30d`, `changes since 2026-11-01`.")]
pub struct WindowError;

impl Default for Window {
    /// `changes` alone: the last 7 days.
    fn default() -> Self {
        Window::Days(7)
    }
}

impl Window {
    /// `7d`, `30d` (any `Nd` of 1..=3650), or a `YYYY-MM-DD` date (the word `since` is the
    /// caller's).
    pub fn parse_days(text: &str) -> Result<Window, WindowError> {
        let t = text.trim().to_ascii_lowercase();
        let digits = t
            .strip_suffix("days")
            .or_else(|| t.strip_suffix("day"))
            .or_else(|| t.strip_suffix('d'))
            .unwrap_or(&t)
            .trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WindowError);
        }
        match digits.parse::<u32>() {
            Ok(n) if (1..=3650).contains(&n) => Ok(Window::Days(n)),
            _ => Err(WindowError),
        }
    }

    /// `since YYYY-MM-DD`.
    pub fn parse_since(date: &str) -> Result<Window, WindowError> {
        chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Window::Since(t.and_utc().timestamp()))
            .ok_or(WindowError)
    }

    /// The instant the window starts, for `now`.
    pub fn start(self, now: i64) -> i64 {
        match self {
            Window::Days(n) => now.saturating_sub(i64::from(n) * DAY),
            Window::Since(t) => t,
        }
    }

    /// How the window reads in an answer: `the last 7 days`, `2026-11-01`.
    pub fn phrase(self) -> String {
        match self {
            Window::Days(1) => "the last day".into(),
            Window::Days(n) => format!("the last {n} days"),
            Window::Since(t) => ymd(t),
        }
    }

    /// Which kept points to compare, given their times (any order): `(base, latest, whether
    /// the history starts after the window start)` as indices into `times`.
    pub fn pick(self, times: &[i64], now: i64) -> Result<(usize, usize, bool), HistoryError> {
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by_key(|&i| (times[i], i));
        let (Some(&oldest), Some(&latest)) = (order.first(), order.last()) else {
            return Err(HistoryError::NotEnough {
                kept: 0,
                first: None,
            });
        };
        if order.len() < 2 {
            return Err(HistoryError::NotEnough {
                kept: 1,
                first: Some(times[oldest]),
            });
        }
        let start = self.start(now);
        match order.iter().rev().find(|&&i| times[i] <= start) {
            Some(&base) => Ok((base, latest, false)),
            None => Ok((oldest, latest, true)),
        }
    }
}

/// A record on both sides (either side 0 when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordDelta<'a> {
    pub account: &'a str,
    pub domain: &'a str,
    pub virtual_account: &'a str,
    pub license: &'a str,
    pub quantity_before: i64,
    pub quantity_after: i64,
    pub in_use_before: i64,
    pub in_use_after: i64,
}

/// An entitlement line that ended within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiredLine<'a> {
    pub account: &'a str,
    pub domain: &'a str,
    pub virtual_account: &'a str,
    pub license: &'a str,
    pub quantity: i64,
    /// Seconds since the epoch.
    pub end_date: i64,
}

/// A shortage that appeared or was resolved (`before`/`after` are `inUse − quantity`, 0 when
/// not short).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortageDelta<'a> {
    pub account: &'a str,
    pub domain: &'a str,
    pub virtual_account: &'a str,
    pub license: &'a str,
    pub shortage_before: i64,
    pub shortage_after: i64,
}

/// The totals `changes` shows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeTotals {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// Owned (quantity) after − before, over the selected records.
    pub quantity_delta: i64,
    /// In use after − before, over the selected records.
    pub in_use_delta: i64,
    pub new_expirations: usize,
    /// Quantity of the new expirations.
    pub expired_quantity: i64,
    pub new_shortages: usize,
    pub resolved_shortages: usize,
}

impl ChangeTotals {
    /// Whether nothing at all changed.
    pub fn is_empty(&self) -> bool {
        *self == ChangeTotals::default()
    }
}

/// The `changes` report.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangesReport<'a> {
    pub window: Window,
    /// When the base point was taken.
    pub from: i64,
    /// When the latest point was taken (or last seen).
    pub to: i64,
    /// The history starts after the window start: `from` is the oldest point.
    pub history_starts_later: bool,
    pub totals: ChangeTotals,
    pub added: Vec<RecordDelta<'a>>,
    pub removed: Vec<RecordDelta<'a>>,
    pub changed: Vec<RecordDelta<'a>>,
    pub new_expirations: Vec<ExpiredLine<'a>>,
    pub new_shortages: Vec<ShortageDelta<'a>>,
    pub resolved_shortages: Vec<ShortageDelta<'a>>,
}

impl<'a> ChangesReport<'a> {
    /// `changes` over every kept point (any order), picking them by [`Window::pick`].
    pub fn of(
        points: &'a [Point],
        window: Window,
        now: i64,
        filters: &Filters,
    ) -> Result<ChangesReport<'a>, HistoryError> {
        let times: Vec<i64> = points.iter().map(|p| p.taken_at).collect();
        let (base, latest, later) = window.pick(&times, now)?;
        Self::between(&points[base], &points[latest], window, later, now, filters)
    }

    /// `changes` from `base` to `latest` (chosen by [`Window::pick`]).
    pub fn between(
        base: &'a Point,
        latest: &'a Point,
        window: Window,
        history_starts_later: bool,
        now: i64,
        filters: &Filters,
    ) -> Result<ChangesReport<'a>, HistoryError> {
        let selection = Selection::of(&[base, latest], filters)?;
        let before = base.figures(&selection);
        let after = latest.figures(&selection);
        let mut report = ChangesReport {
            window,
            from: base.taken_at,
            to: latest.seen_until.max(latest.taken_at),
            history_starts_later,
            totals: ChangeTotals::default(),
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
            new_expirations: Vec::new(),
            new_shortages: Vec::new(),
            resolved_shortages: Vec::new(),
        };
        let empty = Figures::default();
        let keys: BTreeSet<&Key<'a>> = before.keys().chain(after.keys()).collect();
        let mut ended: BTreeSet<(i64, &str, Key<'a>, i64)> = BTreeSet::new();
        let mut rows: Vec<(&str, Key<'a>, &Figures, &Figures)> = Vec::with_capacity(keys.len());
        for key in keys {
            let (account, b) = before.get(key).map_or(("", &empty), |(a, f)| (*a, f));
            let (account, a) = after.get(key).map_or((account, &empty), |(a2, f)| (*a2, f));
            rows.push((account, *key, b, a));
        }
        // Account name, then the key: the order of every list but expirations and shortages.
        rows.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
        for (account, key, b, a) in rows {
            let in_before = before.contains_key(&key);
            let in_after = after.contains_key(&key);
            let delta = RecordDelta {
                account,
                domain: key.domain,
                virtual_account: key.va,
                license: key.license,
                quantity_before: b.quantity,
                quantity_after: a.quantity,
                in_use_before: b.in_use,
                in_use_after: a.in_use,
            };
            report.totals.quantity_delta = report
                .totals
                .quantity_delta
                .saturating_add(a.quantity.saturating_sub(b.quantity));
            report.totals.in_use_delta = report
                .totals
                .in_use_delta
                .saturating_add(a.in_use.saturating_sub(b.in_use));
            match (in_before, in_after) {
                (false, true) => report.added.push(delta),
                (true, false) => report.removed.push(delta),
                _ if b.quantity != a.quantity || b.in_use != a.in_use => report.changed.push(delta),
                _ => {}
            }
            let shortage = ShortageDelta {
                account,
                domain: key.domain,
                virtual_account: key.va,
                license: key.license,
                shortage_before: b.shortage(),
                shortage_after: a.shortage(),
            };
            match (b.shortage() > 0, a.shortage() > 0) {
                (false, true) => report.new_shortages.push(shortage),
                (true, false) => report.resolved_shortages.push(shortage),
                _ => {}
            }
            // Per side, the quantity ending at each instant; the latest side wins where both
            // have one (the same line, perhaps grown).
            let mut ending: BTreeMap<i64, i64> = BTreeMap::new();
            for (side, lines) in [(0, &b.lines), (1, &a.lines)] {
                let mut this: BTreeMap<i64, i64> = BTreeMap::new();
                for &(quantity, end) in lines.iter() {
                    if let Some(end) = end.filter(|&e| e > base.taken_at && e <= now) {
                        let q = this.entry(end).or_insert(0);
                        *q = q.saturating_add(quantity);
                    }
                }
                for (end, q) in this {
                    if side == 1 || !ending.contains_key(&end) {
                        ending.insert(end, q);
                    }
                }
            }
            for (end, quantity) in ending {
                ended.insert((end, account, key, quantity));
            }
        }
        report.new_expirations = ended
            .into_iter()
            .rev()
            .map(|(end, account, key, quantity)| ExpiredLine {
                account,
                domain: key.domain,
                virtual_account: key.va,
                license: key.license,
                quantity,
                end_date: end,
            })
            .collect();
        // Most recent first; the same end date in account, VA, licence order.
        report.new_expirations.sort_by(|x, y| {
            y.end_date
                .cmp(&x.end_date)
                .then_with(|| order(x).cmp(&order(y)))
        });
        let by_size = |x: &ShortageDelta, y: &ShortageDelta, size: fn(&ShortageDelta) -> i64| {
            size(y)
                .cmp(&size(x))
                .then_with(|| shortage_order(x).cmp(&shortage_order(y)))
        };
        report
            .new_shortages
            .sort_by(|x, y| by_size(x, y, |s| s.shortage_after));
        report
            .resolved_shortages
            .sort_by(|x, y| by_size(x, y, |s| s.shortage_before));
        let t = &mut report.totals;
        t.added = report.added.len();
        t.removed = report.removed.len();
        t.changed = report.changed.len();
        t.new_expirations = report.new_expirations.len();
        t.expired_quantity = report
            .new_expirations
            .iter()
            .fold(0i64, |s, l| s.saturating_add(l.quantity));
        t.new_shortages = report.new_shortages.len();
        t.resolved_shortages = report.resolved_shortages.len();
        Ok(report)
    }

    /// The JSON document, in the style of reports.md §3.
    pub fn to_json(&self) -> Value {
        let delta = |d: &RecordDelta| {
            json!({
                "account": d.account, "domain": d.domain, "virtualAccount": d.virtual_account,
                "license": d.license,
                "quantityBefore": d.quantity_before, "quantityAfter": d.quantity_after,
                "inUseBefore": d.in_use_before, "inUseAfter": d.in_use_after,
            })
        };
        let shortage = |s: &ShortageDelta| {
            json!({
                "account": s.account, "domain": s.domain, "virtualAccount": s.virtual_account,
                "license": s.license,
                "shortageBefore": s.shortage_before, "shortageAfter": s.shortage_after,
            })
        };
        let t = &self.totals;
        json!({
            "report": "changes",
            "from": rfc3339(self.from),
            "to": rfc3339(self.to),
            "historyStartsLater": self.history_starts_later,
            "totals": {
                "added": t.added, "removed": t.removed, "changed": t.changed,
                "quantityDelta": t.quantity_delta, "inUseDelta": t.in_use_delta,
                "newExpirations": t.new_expirations, "expiredQuantity": t.expired_quantity,
                "newShortages": t.new_shortages, "resolvedShortages": t.resolved_shortages,
            },
            "added": self.added.iter().map(delta).collect::<Vec<_>>(),
            "removed": self.removed.iter().map(delta).collect::<Vec<_>>(),
            "changed": self.changed.iter().map(delta).collect::<Vec<_>>(),
            "newExpirations": self.new_expirations.iter().map(|l| json!({
                "account": l.account, "domain": l.domain, "virtualAccount": l.virtual_account,
                "license": l.license, "quantity": l.quantity, "endDate": ymd(l.end_date),
            })).collect::<Vec<_>>(),
            "newShortages": self.new_shortages.iter().map(shortage).collect::<Vec<_>>(),
            "resolvedShortages": self.resolved_shortages.iter().map(shortage).collect::<Vec<_>>(),
        })
    }

    /// CSV: one row per change, `change` saying which list it is in.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut rows: Vec<[String; 9]> = vec![[
            "change",
            "account",
            "domain",
            "virtualAccount",
            "license",
            "before",
            "after",
            "endDate",
            "quantity",
        ]
        .map(String::from)];
        let delta_rows =
            |rows: &mut Vec<[String; 9]>, what: &str, list: &[RecordDelta], inuse: bool| {
                for d in list {
                    let (b, a) = if inuse {
                        (d.in_use_before, d.in_use_after)
                    } else {
                        (d.quantity_before, d.quantity_after)
                    };
                    rows.push([
                        what.into(),
                        d.account.into(),
                        d.domain.into(),
                        d.virtual_account.into(),
                        d.license.into(),
                        b.to_string(),
                        a.to_string(),
                        String::new(),
                        String::new(),
                    ]);
                }
            };
        delta_rows(&mut rows, "added (quantity)", &self.added, false);
        delta_rows(&mut rows, "removed (quantity)", &self.removed, false);
        delta_rows(&mut rows, "quantity", &self.changed, false);
        delta_rows(&mut rows, "in use", &self.changed, true);
        for l in &self.new_expirations {
            rows.push([
                "expired".into(),
                l.account.into(),
                l.domain.into(),
                l.virtual_account.into(),
                l.license.into(),
                String::new(),
                String::new(),
                ymd(l.end_date),
                l.quantity.to_string(),
            ]);
        }
        for (what, list) in [
            ("new shortage", &self.new_shortages),
            ("resolved shortage", &self.resolved_shortages),
        ] {
            for s in list {
                rows.push([
                    what.into(),
                    s.account.into(),
                    s.domain.into(),
                    s.virtual_account.into(),
                    s.license.into(),
                    s.shortage_before.to_string(),
                    s.shortage_after.to_string(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
        for row in rows {
            // Writing into a Vec cannot fail.
            let _ = w.write_record(&row);
        }
        w.into_inner().unwrap_or_default()
    }
}

fn order<'b>(l: &ExpiredLine<'b>) -> (&'b str, &'b str, &'b str) {
    (l.account, l.virtual_account, l.license)
}

fn shortage_order<'b>(s: &ShortageDelta<'b>) -> (&'b str, &'b str, &'b str) {
    (s.account, s.virtual_account, s.license)
}

pub(crate) fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::test_points::{point, DAY};
    use super::*;

    /// 2026-11-01T00:00:00Z.
    const NOV_1: i64 = 1_793_491_200;

    /// Three snapshots a week apart (Nov 1, Nov 8, Nov 15), now = Nov 16.
    ///
    /// | record (account, VA, licence) | Nov 1 (qty/inUse) | Nov 8   | Nov 15  |
    /// |-------------------------------|-------------------|---------|---------|
    /// | Acme DEFAULT Apex             | 10/8              | 10/12   | 20/12   |
    /// | Acme DEFAULT Plus             | 5/5               | gone    | gone    |
    /// | Acme Lab Apex                 | 4/1               | 4/1     | 4/6     |
    /// | Beta DEFAULT DNA              | —                 | 3/0     | 3/0     |
    ///
    /// Lines: Acme DEFAULT Apex has 10 ending 2026-11-10 and (from Nov 15) 10 more ending
    /// 2027-11-10; Acme Lab Apex has 4 ending 2026-11-05.
    fn three() -> Vec<Point> {
        vec![
            point(
                NOV_1,
                &[
                    (0, "DEFAULT", "Apex", 10, 8, &[(10, "2026-11-10")]),
                    (0, "DEFAULT", "Plus", 5, 5, &[]),
                    (0, "Lab", "Apex", 4, 1, &[(4, "2026-11-05")]),
                ],
            ),
            point(
                NOV_1 + 7 * DAY,
                &[
                    (0, "DEFAULT", "Apex", 10, 12, &[(10, "2026-11-10")]),
                    (0, "Lab", "Apex", 4, 1, &[(4, "2026-11-05")]),
                    (1, "DEFAULT", "DNA", 3, 0, &[]),
                ],
            ),
            point(
                NOV_1 + 14 * DAY,
                &[
                    (
                        0,
                        "DEFAULT",
                        "Apex",
                        20,
                        12,
                        &[(10, "2026-11-10"), (10, "2027-11-10")],
                    ),
                    (0, "Lab", "Apex", 4, 6, &[(4, "2026-11-05")]),
                    (1, "DEFAULT", "DNA", 3, 0, &[]),
                ],
            ),
        ]
    }

    const NOW: i64 = NOV_1 + 15 * DAY;

    #[test]
    fn fourteen_days_compare_the_first_snapshot_with_the_last() {
        let points = three();
        // Window start Nov 2: the newest point at or before it is Nov 1.
        let r = ChangesReport::of(&points, Window::Days(14), NOW, &Filters::none()).unwrap();
        assert_eq!(
            (r.from, r.to, r.history_starts_later),
            (NOV_1, NOV_1 + 14 * DAY, false)
        );
        // Added: Beta DNA. Removed: Acme Plus. Changed: Acme DEFAULT Apex (10/8 → 20/12),
        // Acme Lab Apex (4/1 → 4/6).
        fn names<'b>(l: &[RecordDelta<'b>]) -> Vec<(&'b str, &'b str)> {
            l.iter().map(|d| (d.virtual_account, d.license)).collect()
        }
        assert_eq!(names(&r.added), [("DEFAULT", "DNA")]);
        assert_eq!(names(&r.removed), [("DEFAULT", "Plus")]);
        assert_eq!(names(&r.changed), [("DEFAULT", "Apex"), ("Lab", "Apex")]);
        // Owned: (20 + 4 + 3) − (10 + 5 + 4) = 27 − 19 = 8. In use: (12 + 6 + 0) − (8 + 5 + 1) = 4.
        assert_eq!((r.totals.quantity_delta, r.totals.in_use_delta), (8, 4));
        // Ended after Nov 1 and by Nov 16: 10 on Nov 10 (in all three, counted once), then 4
        // on Nov 5. The 2027 line has not ended.
        let ended: Vec<(i64, &str, i64)> = r
            .new_expirations
            .iter()
            .map(|l| (l.quantity, l.virtual_account, l.end_date))
            .collect();
        assert_eq!(
            ended,
            [
                (10, "DEFAULT", NOV_1 + 9 * DAY),
                (4, "Lab", NOV_1 + 4 * DAY)
            ]
        );
        assert_eq!(r.totals.expired_quantity, 14);
        // Shortages: Nov 1 none short (Plus 5/5 is not short). Nov 15: Lab Apex 6 > 4 → new
        // shortage of 2. DEFAULT Apex was short on Nov 8 only: neither new nor resolved here.
        assert_eq!(r.new_shortages.len(), 1);
        assert_eq!(
            (
                r.new_shortages[0].virtual_account,
                r.new_shortages[0].shortage_after
            ),
            ("Lab", 2)
        );
        assert!(r.resolved_shortages.is_empty());
        assert_eq!(
            r.totals,
            ChangeTotals {
                added: 1,
                removed: 1,
                changed: 2,
                quantity_delta: 8,
                in_use_delta: 4,
                new_expirations: 2,
                expired_quantity: 14,
                new_shortages: 1,
                resolved_shortages: 0,
            }
        );
    }

    #[test]
    fn seven_days_start_at_the_middle_snapshot_and_see_a_shortage_resolved() {
        let points = three();
        // Window start Nov 9: base Nov 8 (10/12 short by 2), latest Nov 15 (20/12).
        let r = ChangesReport::of(&points, Window::Days(7), NOW, &Filters::none()).unwrap();
        assert_eq!(r.from, NOV_1 + 7 * DAY);
        assert!(r.added.is_empty() && r.removed.is_empty());
        assert_eq!(r.resolved_shortages.len(), 1);
        assert_eq!(
            (
                r.resolved_shortages[0].license,
                r.resolved_shortages[0].shortage_before,
                r.resolved_shortages[0].shortage_after
            ),
            ("Apex", 2, 0)
        );
        assert_eq!(r.new_shortages.len(), 1, "Lab Apex 4/1 → 4/6");
        // Only the line of Nov 10 ended after Nov 8.
        assert_eq!(r.new_expirations.len(), 1);
        assert_eq!(r.new_expirations[0].end_date, NOV_1 + 9 * DAY);
        // Owned 27 − 17 = 10; in use 18 − 13 = 5.
        assert_eq!((r.totals.quantity_delta, r.totals.in_use_delta), (10, 5));
    }

    #[test]
    fn a_window_older_than_the_history_starts_at_the_oldest_snapshot_and_says_so() {
        let points = three();
        let r = ChangesReport::of(&points, Window::Days(30), NOW, &Filters::none()).unwrap();
        assert_eq!((r.from, r.history_starts_later), (NOV_1, true));
        let since = Window::parse_since("2026-11-08").unwrap();
        // Since Nov 8 00:00: the Nov 8 point was taken exactly then, so it is the base.
        let r = ChangesReport::of(&points, since, NOW, &Filters::none()).unwrap();
        assert_eq!((r.from, r.history_starts_later), (NOV_1 + 7 * DAY, false));
    }

    #[test]
    fn filters_narrow_the_changes_and_an_unknown_va_names_the_closest() {
        let points = three();
        let va = Filters {
            accounts: vec![],
            vas: vec!["lab".into()],
        };
        let r = ChangesReport::of(&points, Window::Days(14), NOW, &va).unwrap();
        assert_eq!(r.changed.len(), 1);
        assert_eq!((r.totals.quantity_delta, r.totals.in_use_delta), (0, 5));
        let beta = Filters {
            accounts: vec!["BETA.IO".into()],
            vas: vec![],
        };
        let r = ChangesReport::of(&points, Window::Days(14), NOW, &beta).unwrap();
        assert_eq!(
            (r.added.len(), r.changed.len(), r.new_expirations.len()),
            (1, 0, 0)
        );
        let typo = Filters {
            accounts: vec![],
            vas: vec!["Labb".into()],
        };
        match ChangesReport::of(&points, Window::Days(14), NOW, &typo) {
            Err(HistoryError::Filter(e)) => {
                assert_eq!(e.suggestions.first().map(String::as_str), Some("Lab"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_snapshot_is_not_enough_and_says_when_the_history_began() {
        let points = &three()[..1];
        assert_eq!(
            ChangesReport::of(points, Window::Days(7), NOW, &Filters::none()),
            Err(HistoryError::NotEnough {
                kept: 1,
                first: Some(NOV_1)
            })
        );
        assert_eq!(
            ChangesReport::of(&[], Window::Days(7), NOW, &Filters::none()),
            Err(HistoryError::NotEnough {
                kept: 0,
                first: None
            })
        );
    }

    #[test]
    fn windows_read_as_days_or_a_date_and_anything_else_is_refused() {
        assert_eq!(Window::parse_days("7d"), Ok(Window::Days(7)));
        assert_eq!(Window::parse_days("30D"), Ok(Window::Days(30)));
        assert_eq!(Window::parse_days("90 days"), Ok(Window::Days(90)));
        assert_eq!(Window::parse_days("12"), Ok(Window::Days(12)));
        for bad in ["0d", "3651d", "-1d", "abc", "", "7w"] {
            assert_eq!(Window::parse_days(bad), Err(WindowError), "{bad}");
        }
        assert_eq!(Window::parse_since("2026-11-01"), Ok(Window::Since(NOV_1)));
        assert_eq!(Window::parse_since("2026-13-01"), Err(WindowError));
        assert_eq!(Window::Days(7).phrase(), "the last 7 days");
        assert_eq!(Window::Since(NOV_1).phrase(), "2026-11-01");
    }

    #[test]
    fn the_json_has_totals_and_every_list() {
        let points = three();
        let r = ChangesReport::of(&points, Window::Days(14), NOW, &Filters::none()).unwrap();
        let j = r.to_json();
        assert_eq!(j["report"], "changes");
        assert_eq!(j["from"], "2026-11-01T00:00:00Z");
        assert_eq!(j["totals"]["quantityDelta"], 8);
        assert_eq!(j["newExpirations"][0]["endDate"], "2026-11-10");
        assert_eq!(j["removed"][0]["quantityBefore"], 5);
        let csv = String::from_utf8(r.to_csv()).unwrap();
        assert!(
            csv.starts_with(
                "change,account,domain,virtualAccount,license,before,after,endDate,quantity\n"
            ),
            "{csv}"
        );
        assert!(
            csv.contains("expired,Acme,acme.com,Lab,Apex,,,2026-11-05,4\n"),
            "{csv}"
        );
    }
}
