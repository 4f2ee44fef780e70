//! `trend LICENSE`'s chart: owned and in use of one licence over the kept snapshots, and the
//! run-out forecast as a dashed line from the last point to the owned quantity.

use chrono::{DateTime, Utc};
use slbot_inventory::history::{Forecast, TrendPoint, TrendReport, MIN_POINTS, MIN_SPAN_DAYS};
use slbot_inventory::Filters;

/// What the trend chart draws.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendChart {
    /// The licence name as the newest snapshot spells it.
    pub license: String,
    /// The series, oldest first.
    pub points: Vec<TrendPoint>,
    /// From the last point to the run-out date, at the owned quantity: `(from, to, owned)`.
    pub projection: Option<(TrendPoint, i64)>,
    /// The forecast in one sentence (method and confidence, or why there is none).
    pub forecast_note: String,
    /// The filters, as a footnote (empty without filters).
    pub filter_note: String,
    /// When the chart was made (seconds).
    pub now: i64,
}

/// The chart of `report` at `now` over `filters`.
pub fn trend_chart_data(
    report: &TrendReport<'_>,
    now: DateTime<Utc>,
    filters: &Filters,
) -> TrendChart {
    let projection = match (&report.forecast, report.series.last()) {
        (Forecast::RunsOut(r), Some(last)) => Some((*last, r.date)),
        _ => None,
    };
    let forecast_note = match &report.forecast {
        Forecast::RunsOut(r) => format!(
            "Runs out around {}: least squares over {} snapshots, {:+.1} a day, R² {:.2} ({} confidence)",
            slbot_inventory::date::ymd(r.date),
            r.points,
            r.per_day,
            r.r2,
            r.confidence.name()
        ),
        Forecast::NotEnoughHistory { .. } => format!(
            "Not enough history for a forecast (needs {MIN_POINTS} snapshots over {MIN_SPAN_DAYS} days)"
        ),
        Forecast::AtCapacity { .. } => "All owned licenses are in use".to_string(),
        Forecast::NotGrowing { .. } => "In use is not growing: no run-out in sight".to_string(),
    };
    let mut parts = Vec::new();
    if !filters.accounts.is_empty() {
        parts.push(format!("account: {}", filters.accounts.join(", ")));
    }
    if !filters.vas.is_empty() {
        parts.push(format!("va: {}", filters.vas.join(", ")));
    }
    TrendChart {
        license: report.license.trim().to_string(),
        points: report.series.clone(),
        projection,
        forecast_note,
        filter_note: if parts.is_empty() {
            String::new()
        } else {
            format!("Only {}", parts.join("; "))
        },
        now: now.timestamp(),
    }
}

/// A file name for the PNG: `license-trend-<name>-YYYY-MM-DD.png`, the name in lowercase ASCII
/// letters, digits and dashes.
pub fn trend_file_name(license: &str, now: DateTime<Utc>) -> String {
    let mut slug = String::new();
    for c in license.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "license" } else { slug };
    format!("license-trend-{slug}-{}.png", now.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{trend_png, RenderOptions};
    use slbot_inventory::history::{Confidence, RunOut};

    const DAY: i64 = 86_400;
    /// 2026-11-01T00:00:00Z.
    const NOV_1: i64 = 1_793_491_200;

    fn report(points: &[(i64, i64, i64)], forecast: Forecast) -> TrendReport<'static> {
        TrendReport {
            license: "AnyConnect Apex ",
            series: points
                .iter()
                .map(|&(d, quantity, in_use)| TrendPoint {
                    at: NOV_1 + d * DAY,
                    quantity,
                    in_use,
                })
                .collect(),
            forecast,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(NOV_1 + 15 * DAY, 0).unwrap()
    }

    fn runs_out() -> Forecast {
        // 10, 20, 30 of 100 over days 0, 7, 14: 100 is reached on day 63 (2027-01-03).
        Forecast::RunsOut(RunOut {
            date: NOV_1 + 63 * DAY,
            per_day: 10.0 / 7.0,
            r2: 1.0,
            confidence: Confidence::High,
            points: 3,
            from: NOV_1,
            to: NOV_1 + 14 * DAY,
            owned: 100,
            in_use: 30,
        })
    }

    #[test]
    fn the_projection_runs_from_the_last_point_to_the_run_out_date_and_the_note_states_the_method()
    {
        let r = report(&[(0, 100, 10), (7, 100, 20), (14, 100, 30)], runs_out());
        let filters = Filters {
            accounts: vec![],
            vas: vec!["DEFAULT".into()],
        };
        let c = trend_chart_data(&r, now(), &filters);
        assert_eq!(c.license, "AnyConnect Apex");
        assert_eq!(
            c.projection,
            Some((
                TrendPoint {
                    at: NOV_1 + 14 * DAY,
                    quantity: 100,
                    in_use: 30
                },
                NOV_1 + 63 * DAY
            ))
        );
        assert_eq!(
            c.forecast_note,
            "Runs out around 2027-01-03: least squares over 3 snapshots, +1.4 a day, R² 1.00 \
             (high confidence)"
        );
        assert_eq!(c.filter_note, "Only va: DEFAULT");
    }

    #[test]
    fn each_forecast_outcome_has_its_footnote() {
        let cases = [
            (
                Forecast::NotEnoughHistory {
                    points: 1,
                    span_days: 0,
                },
                "Not enough history for a forecast (needs 3 snapshots over 14 days)",
            ),
            (
                Forecast::AtCapacity {
                    in_use: 5,
                    owned: 5,
                },
                "All owned licenses are in use",
            ),
            (
                Forecast::NotGrowing {
                    per_day: -1.0,
                    r2: 0.5,
                },
                "In use is not growing: no run-out in sight",
            ),
        ];
        for (forecast, note) in cases {
            let c = trend_chart_data(&report(&[(0, 5, 5)], forecast), now(), &Filters::none());
            assert_eq!(c.forecast_note, note);
            assert_eq!(c.projection, None);
        }
    }

    #[test]
    fn one_point_none_and_a_forecast_all_render_a_png_of_the_default_size() {
        for r in [
            report(&[(0, 100, 10), (7, 100, 20), (14, 100, 30)], runs_out()),
            report(
                &[(0, 5, 5)],
                Forecast::AtCapacity {
                    in_use: 5,
                    owned: 5,
                },
            ),
            report(
                &[],
                Forecast::NotEnoughHistory {
                    points: 0,
                    span_days: 0,
                },
            ),
        ] {
            let png = trend_png(&r, now(), &Filters::none(), RenderOptions::default()).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            // IHDR: width and height, big-endian, at bytes 16..24.
            assert_eq!(&png[16..24], &[0, 0, 3, 0xe8, 0, 0, 2, 0x58]);
        }
    }

    #[test]
    fn file_names_are_lowercase_ascii_with_dashes() {
        assert_eq!(
            trend_file_name(" AnyConnect Apex (1Y) ", now()),
            "license-trend-anyconnect-apex-1y-2026-11-16.png"
        );
        assert_eq!(
            trend_file_name("ÉÉ", now()),
            "license-trend-license-2026-11-16.png"
        );
    }
}
