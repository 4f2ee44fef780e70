//! `trend LICENSE`: in-use and owned over the kept points, and the run-out forecast.
//!
//! Rules (pinned by the tests below):
//! - The licence is matched by its trimmed name, case-insensitively, in the selected accounts
//!   and VAs; its records are summed per point. A point without it is left out of the series.
//! - A point found again by later fetches (kept once, `seenUntil` later than `takenAt`) gives
//!   two series points, at both times, with the same figures: a flat stretch is data too.
//! - The forecast fits in-use against time by ordinary least squares. It needs at least
//!   [`MIN_POINTS`] series points spanning at least [`MIN_SPAN_DAYS`] days ("not enough
//!   history" otherwise). When in-use already reaches the latest owned quantity there is
//!   nothing to forecast; when the fitted slope is not positive, in-use is not growing.
//!   Otherwise the run-out date is where the fitted line reaches the latest owned quantity,
//!   never before the last point. Confidence follows R²: high from 0.9, medium from 0.6,
//!   low below.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::changes::rfc3339;
use super::{HistoryError, Key, Point, Selection};
use crate::date::ymd;
use crate::report::Filters;
use crate::select::{fold, suggestions};

/// The fewest series points a forecast is made from.
pub const MIN_POINTS: usize = 3;
/// The shortest span (days, first to last point) a forecast is made over.
pub const MIN_SPAN_DAYS: i64 = 14;

const DAY: f64 = 86_400.0;

/// One point of the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendPoint {
    /// Seconds since the epoch.
    pub at: i64,
    /// Owned (summed `quantity`).
    pub quantity: i64,
    /// Summed `inUse`.
    pub in_use: i64,
}

/// How well the fitted line explains the points (from R²).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    fn of(r2: f64) -> Self {
        if r2 >= 0.9 {
            Confidence::High
        } else if r2 >= 0.6 {
            Confidence::Medium
        } else {
            Confidence::Low
        }
    }

    /// `high`, `medium`, `low`.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// A forecast run-out: when the fitted in-use line reaches the owned quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunOut {
    /// Seconds since the epoch.
    pub date: i64,
    /// Fitted growth of in-use, licences per day.
    pub per_day: f64,
    /// Coefficient of determination of the fit.
    pub r2: f64,
    pub confidence: Confidence,
    /// Series points used, and the time they span.
    pub points: usize,
    pub from: i64,
    pub to: i64,
    /// The latest owned and in-use figures.
    pub owned: i64,
    pub in_use: i64,
}

impl RunOut {
    /// How the method reads in an answer: `least squares over 5 snapshots from 2026-10-01 to
    /// 2026-11-30, +1.5 a day, R² 0.97 (high confidence)`.
    pub fn method(&self) -> String {
        format!(
            "least squares over {} snapshots from {} to {}, {:+.1} a day, R² {:.2} ({} confidence)",
            self.points,
            ymd(self.from),
            ymd(self.to),
            self.per_day,
            self.r2,
            self.confidence.name()
        )
    }
}

/// The run-out forecast of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Forecast {
    /// Fewer than [`MIN_POINTS`] points, or a span under [`MIN_SPAN_DAYS`] days.
    NotEnoughHistory {
        points: usize,
        span_days: i64,
    },
    /// In use already reaches what is owned.
    AtCapacity {
        in_use: i64,
        owned: i64,
    },
    /// The fitted slope is zero or negative.
    NotGrowing {
        per_day: f64,
        r2: f64,
    },
    RunsOut(RunOut),
}

impl Forecast {
    /// The forecast of `series` (ascending time).
    pub fn of(series: &[TrendPoint]) -> Forecast {
        let (Some(first), Some(last)) = (series.first(), series.last()) else {
            return Forecast::NotEnoughHistory {
                points: 0,
                span_days: 0,
            };
        };
        let span_days = (last.at - first.at) / 86_400;
        if series.len() < MIN_POINTS || span_days < MIN_SPAN_DAYS {
            return Forecast::NotEnoughHistory {
                points: series.len(),
                span_days,
            };
        }
        if last.in_use >= last.quantity {
            return Forecast::AtCapacity {
                in_use: last.in_use,
                owned: last.quantity,
            };
        }
        // Days since the first point, for numerical comfort.
        let n = series.len() as f64;
        let xs: Vec<f64> = series
            .iter()
            .map(|p| (p.at - first.at) as f64 / DAY)
            .collect();
        let ys: Vec<f64> = series.iter().map(|p| p.in_use as f64).collect();
        let mx = xs.iter().sum::<f64>() / n;
        let my = ys.iter().sum::<f64>() / n;
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let syy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        let intercept = my - slope * mx;
        let ss_res: f64 = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| (y - (intercept + slope * x)).powi(2))
            .sum();
        let r2 = if syy > 0.0 { 1.0 - ss_res / syy } else { 1.0 };
        if slope <= 0.0 {
            return Forecast::NotGrowing { per_day: slope, r2 };
        }
        let x_out = (last.quantity as f64 - intercept) / slope;
        let last_x = (last.at - first.at) as f64 / DAY;
        let x_out = x_out.max(last_x);
        let date = first.at.saturating_add((x_out * DAY).round() as i64);
        Forecast::RunsOut(RunOut {
            date,
            per_day: slope,
            r2,
            confidence: Confidence::of(r2),
            points: series.len(),
            from: first.at,
            to: last.at,
            owned: last.quantity,
            in_use: last.in_use,
        })
    }

    /// The forecast as the `forecast` JSON object.
    pub fn to_json(&self) -> Value {
        match *self {
            Forecast::NotEnoughHistory { points, span_days } => json!({
                "outcome": "notEnoughHistory", "points": points, "spanDays": span_days,
                "needs": {"points": MIN_POINTS, "spanDays": MIN_SPAN_DAYS},
            }),
            Forecast::AtCapacity { in_use, owned } => {
                json!({"outcome": "atCapacity", "inUse": in_use, "owned": owned})
            }
            Forecast::NotGrowing { per_day, r2 } => {
                json!({"outcome": "notGrowing", "perDay": per_day, "r2": r2})
            }
            Forecast::RunsOut(r) => json!({
                "outcome": "runsOut", "date": ymd(r.date), "method": "least squares",
                "perDay": r.per_day, "r2": r.r2, "confidence": r.confidence.name(),
                "points": r.points, "from": ymd(r.from), "to": ymd(r.to),
                "owned": r.owned, "inUse": r.in_use,
            }),
        }
    }
}

/// The `trend` report of one licence.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendReport<'a> {
    /// The licence name as the newest point spells it.
    pub license: &'a str,
    pub series: Vec<TrendPoint>,
    pub forecast: Forecast,
}

/// One licence record forecast to run out (the `status` section).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunOutRow<'a> {
    pub account: &'a str,
    pub domain: &'a str,
    pub virtual_account: &'a str,
    pub license: &'a str,
    pub run_out: RunOut,
}

/// Points in time order (a stable sort of references).
fn in_order(points: &[Point]) -> Vec<&Point> {
    let mut sorted: Vec<&Point> = points.iter().collect();
    sorted.sort_by_key(|p| p.taken_at);
    sorted
}

/// Adds one point's figures, and its `seen_until` twin when later.
fn push(series: &mut Vec<TrendPoint>, p: &Point, quantity: i64, in_use: i64) {
    series.push(TrendPoint {
        at: p.taken_at,
        quantity,
        in_use,
    });
    if p.seen_until > p.taken_at {
        series.push(TrendPoint {
            at: p.seen_until,
            quantity,
            in_use,
        });
    }
}

impl<'a> TrendReport<'a> {
    /// The trend of `license` over `points` (any order).
    pub fn of(
        points: &'a [Point],
        license: &str,
        filters: &Filters,
    ) -> Result<TrendReport<'a>, HistoryError> {
        let sorted = in_order(points);
        let selection = Selection::of(&sorted, filters)?;
        let wanted = fold(license.trim_matches(|c| c == '"' || c == '\''));
        let mut series = Vec::new();
        let mut shown: Option<&'a str> = None;
        for p in &sorted {
            let mut found = false;
            let (mut quantity, mut in_use) = (0i64, 0i64);
            for (key, (_, f)) in p.figures(&selection) {
                if fold(key.license) == wanted {
                    found = true;
                    shown = Some(key.license);
                    quantity = quantity.saturating_add(f.quantity);
                    in_use = in_use.saturating_add(f.in_use);
                }
            }
            if found {
                push(&mut series, p, quantity, in_use);
            }
        }
        let Some(shown) = shown else {
            let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for p in &sorted {
                for (key, _) in p.figures(&selection) {
                    names.entry(key.license.trim().to_string()).or_default();
                }
            }
            return Err(HistoryError::UnknownLicense {
                name: license.trim().to_string(),
                suggestions: suggestions(license, &names).into_iter().take(5).collect(),
            });
        };
        let forecast = Forecast::of(&series);
        Ok(TrendReport {
            license: shown,
            series,
            forecast,
        })
    }

    /// Every selected licence record whose forecast runs out within `within_days` of `now`,
    /// soonest first (then account, VA, licence): the `status` section.
    pub fn run_outs(
        points: &'a [Point],
        filters: &Filters,
        now: i64,
        within_days: i64,
    ) -> Result<Vec<RunOutRow<'a>>, HistoryError> {
        let sorted = in_order(points);
        let selection = Selection::of(&sorted, filters)?;
        let mut by_key: BTreeMap<Key<'a>, (&'a str, Vec<TrendPoint>)> = BTreeMap::new();
        for p in &sorted {
            for (key, (account, f)) in p.figures(&selection) {
                let entry = by_key.entry(key).or_insert_with(|| (account, Vec::new()));
                push(&mut entry.1, p, f.quantity, f.in_use);
            }
        }
        let until = now.saturating_add(within_days.saturating_mul(86_400));
        let mut rows: Vec<RunOutRow<'a>> = by_key
            .into_iter()
            .filter_map(|(key, (account, series))| match Forecast::of(&series) {
                Forecast::RunsOut(r) if r.date <= until => Some(RunOutRow {
                    account,
                    domain: key.domain,
                    virtual_account: key.va,
                    license: key.license,
                    run_out: r,
                }),
                _ => None,
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.run_out.date, a.account, a.virtual_account, a.license).cmp(&(
                b.run_out.date,
                b.account,
                b.virtual_account,
                b.license,
            ))
        });
        Ok(rows)
    }

    /// The JSON document.
    pub fn to_json(&self) -> Value {
        json!({
            "report": "trend",
            "license": self.license,
            "points": self.series.iter().map(|p| json!({
                "at": rfc3339(p.at), "quantity": p.quantity, "inUse": p.in_use,
            })).collect::<Vec<_>>(),
            "forecast": self.forecast.to_json(),
        })
    }

    /// CSV: `date,quantity,inUse`, one row per series point.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["date", "quantity", "inUse"]);
        for p in &self.series {
            let _ = w.write_record([rfc3339(p.at), p.quantity.to_string(), p.in_use.to_string()]);
        }
        w.into_inner().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_points::{point, DAY};
    use super::*;

    const NOV_1: i64 = 1_793_491_200;

    fn series(points: &[(i64, i64, i64)]) -> Vec<TrendPoint> {
        points
            .iter()
            .map(|&(day, quantity, in_use)| TrendPoint {
                at: NOV_1 + day * DAY,
                quantity,
                in_use,
            })
            .collect()
    }

    #[test]
    fn in_use_growing_on_a_line_runs_out_where_the_line_meets_what_is_owned() {
        // In use 10, 20, 30 on days 0, 7, 14 of 100 owned: slope 10/7 a day, intercept 10,
        // exact fit (R² 1). 10 + (10/7)·x = 100 → x = 63 days → 2027-01-03.
        match Forecast::of(&series(&[(0, 100, 10), (7, 100, 20), (14, 100, 30)])) {
            Forecast::RunsOut(r) => {
                assert_eq!(r.date, NOV_1 + 63 * DAY);
                assert_eq!(ymd(r.date), "2027-01-03");
                assert!((r.per_day - 10.0 / 7.0).abs() < 1e-9);
                assert!((r.r2 - 1.0).abs() < 1e-12);
                assert_eq!(
                    (r.confidence, r.points, r.owned, r.in_use),
                    (Confidence::High, 3, 100, 30)
                );
                assert_eq!(
                    r.method(),
                    "least squares over 3 snapshots from 2026-11-01 to 2026-11-15, +1.4 a day, R² 1.00 (high confidence)"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_noisy_series_states_a_lower_confidence() {
        // Days 0, 7, 14, 21 with in use 10, 30, 20, 40 of 100.
        // x̄ = 10.5, ȳ = 25; Sxx = 110.25 + 12.25 + 12.25 + 110.25 = 245;
        // Sxy = (−10.5)(−15) + (−3.5)(5) + (3.5)(−5) + (10.5)(15) = 157.5 − 17.5 − 17.5 + 157.5 = 280;
        // slope = 280/245 = 8/7; Syy = 225 + 25 + 25 + 225 = 500; R² = Sxy²/(Sxx·Syy)
        // = 78400/122500 = 0.64 → medium. Intercept 25 − (8/7)(10.5) = 13;
        // 13 + (8/7)x = 100 → x = 76.125 days → day 76 + 3 h.
        match Forecast::of(&series(&[
            (0, 100, 10),
            (7, 100, 30),
            (14, 100, 20),
            (21, 100, 40),
        ])) {
            Forecast::RunsOut(r) => {
                assert!((r.r2 - 0.64).abs() < 1e-9, "{}", r.r2);
                assert_eq!(r.confidence, Confidence::Medium);
                assert_eq!(r.date, NOV_1 + 76 * DAY + 3 * 3600);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn too_few_points_or_too_short_a_span_is_not_enough_history() {
        assert_eq!(
            Forecast::of(&series(&[(0, 100, 10), (14, 100, 30)])),
            Forecast::NotEnoughHistory {
                points: 2,
                span_days: 14
            }
        );
        assert_eq!(
            Forecast::of(&series(&[(0, 100, 10), (6, 100, 20), (13, 100, 30)])),
            Forecast::NotEnoughHistory {
                points: 3,
                span_days: 13
            }
        );
        assert_eq!(
            Forecast::of(&[]),
            Forecast::NotEnoughHistory {
                points: 0,
                span_days: 0
            }
        );
    }

    #[test]
    fn flat_or_falling_use_is_not_growing_and_full_use_is_at_capacity() {
        assert!(matches!(
            Forecast::of(&series(&[(0, 100, 30), (7, 100, 20), (14, 100, 10)])),
            Forecast::NotGrowing { per_day, .. } if per_day < 0.0
        ));
        assert!(matches!(
            Forecast::of(&series(&[(0, 100, 30), (7, 100, 30), (14, 100, 30)])),
            Forecast::NotGrowing { per_day, .. } if per_day == 0.0
        ));
        assert_eq!(
            Forecast::of(&series(&[(0, 100, 60), (7, 100, 90), (14, 100, 100)])),
            Forecast::AtCapacity {
                in_use: 100,
                owned: 100
            }
        );
    }

    #[test]
    fn the_trend_sums_a_licence_over_vas_and_a_kept_twin_point_counts_twice() {
        // Apex in DEFAULT and Lab on Nov 1 (10/3 + 5/1 → 15/4), Nov 8 (15/6 → with Lab 5/2
        // → 20/8) seen again until Nov 15, then Nov 22 (20/12).
        let mut b = point(
            NOV_1 + 7 * DAY,
            &[
                (0, "DEFAULT", "Apex", 15, 6, &[]),
                (0, "Lab", "Apex", 5, 2, &[]),
            ],
        );
        b.seen_until = NOV_1 + 14 * DAY;
        let points = vec![
            point(
                NOV_1 + 21 * DAY,
                &[
                    (0, "DEFAULT", "Apex", 15, 10, &[]),
                    (0, "Lab", "Apex", 5, 2, &[]),
                ],
            ),
            point(
                NOV_1,
                &[
                    (0, "DEFAULT", "Apex", 10, 3, &[]),
                    (0, "Lab", "Apex", 5, 1, &[]),
                    (0, "DEFAULT", "Plus", 1, 1, &[]),
                ],
            ),
            b,
        ];
        let t = TrendReport::of(&points, "  apex ", &Filters::none()).unwrap();
        assert_eq!(t.license, "Apex");
        assert_eq!(
            t.series,
            series(&[(0, 15, 4), (7, 20, 8), (14, 20, 8), (21, 20, 12)])
        );
        // x = 0, 7, 14, 21; y = 4, 8, 8, 12: x̄ = 10.5, ȳ = 8; Sxy = 42 + 0 + 0 + 42 = 84;
        // Sxx = 245; slope = 12/35; intercept = 8 − (12/35)(10.5) = 4.4;
        // 4.4 + (12/35)x = 20 → x = 45.5 days → day 45 + 12 h.
        match t.forecast {
            Forecast::RunsOut(r) => assert_eq!(r.date, NOV_1 + 45 * DAY + 12 * 3600),
            other => panic!("{other:?}"),
        }
        let lab = Filters {
            accounts: vec![],
            vas: vec!["Lab".into()],
        };
        let t = TrendReport::of(&points, "Apex", &lab).unwrap();
        assert_eq!(
            t.series,
            series(&[(0, 5, 1), (7, 5, 2), (14, 5, 2), (21, 5, 2)])
        );
        match TrendReport::of(&points, "Apexx", &Filters::none()) {
            Err(HistoryError::UnknownLicense { name, suggestions }) => {
                assert_eq!(name, "Apexx");
                assert_eq!(suggestions.first().map(String::as_str), Some("Apex"));
            }
            other => panic!("{other:?}"),
        }
        let j = TrendReport::of(&points, "Apex", &Filters::none())
            .unwrap()
            .to_json();
        assert_eq!(j["points"][0]["at"], "2026-11-01T00:00:00Z");
        assert_eq!(j["forecast"]["outcome"], "runsOut");
        assert_eq!(j["forecast"]["date"], "2026-12-16");
    }

    #[test]
    fn run_outs_list_only_records_running_out_within_the_horizon_soonest_first() {
        // DEFAULT Apex: 10 → 20 → 30 of 100 over 14 days → day 63 (as above).
        // Lab Apex: 1 → 2 → 3 of 10 → slope 1/7, 1 + x/7 = 10 → day 63 too; tie → VA order.
        // Beta DNA: 1 → 2 → 3 of 100: 1 + x/7 = 100 → day 693, beyond 180 days.
        let rec = |d: i64, l: i64, n: i64| {
            point(
                NOV_1 + d * DAY,
                &[
                    (0, "DEFAULT", "Apex", 100, d / 7 * 10 + 10),
                    (0, "Lab", "Apex", 10, l),
                    (1, "DEFAULT", "DNA", 100, n),
                ]
                .map(|(a, v, li, q, u)| (a, v, li, q, u, &[][..])),
            )
        };
        let points = vec![rec(0, 1, 1), rec(7, 2, 2), rec(14, 3, 3)];
        let rows = TrendReport::run_outs(&points, &Filters::none(), NOV_1 + 14 * DAY, 180).unwrap();
        let got: Vec<(&str, &str, i64)> = rows
            .iter()
            .map(|r| (r.virtual_account, r.license, r.run_out.date))
            .collect();
        assert_eq!(
            got,
            [
                ("DEFAULT", "Apex", NOV_1 + 63 * DAY),
                ("Lab", "Apex", NOV_1 + 63 * DAY)
            ]
        );
    }
}
