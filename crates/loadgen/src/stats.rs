//! Latency summaries: nearest-rank percentiles over every measured request, and the JSON
//! report the binary prints.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

/// A quantile in parts per 100 000, so 99.9 % is exact (no floating-point rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantile(u64);

impl Quantile {
    pub const P50: Quantile = Quantile(50_000);
    pub const P90: Quantile = Quantile(90_000);
    pub const P99: Quantile = Quantile(99_000);
    pub const P99_9: Quantile = Quantile(99_900);
    pub const MAX: Quantile = Quantile(100_000);

    /// `per_100k` parts per 100 000, clamped to 1..=100 000.
    pub fn per_100k(per_100k: u64) -> Self {
        Quantile(per_100k.clamp(1, 100_000))
    }
}

/// The nearest-rank quantile of `sorted` (ascending): the smallest sample such that at least
/// that fraction of the samples is ≤ it, i.e. the `ceil(q·n)`-th smallest. `None` when empty.
pub fn percentile(sorted: &[Duration], q: Quantile) -> Option<Duration> {
    let n = sorted.len() as u64;
    if n == 0 {
        return None;
    }
    let rank = (n * q.0).div_ceil(100_000).clamp(1, n);
    usize::try_from(rank - 1)
        .ok()
        .and_then(|i| sorted.get(i).copied())
}

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A complete response (body read) with this status.
    Status(u16),
    /// No complete response within the per-request timeout.
    Timeout,
    /// Connection refused, reset, or another transport failure.
    Transport,
    /// The scenario could not build (sign) the request; nothing was sent.
    Unbuildable,
}

/// One measured request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// From the request's scheduled send time to its outcome.
    pub latency: Duration,
    pub outcome: Outcome,
    /// Whether the scenario counts the outcome as a success.
    pub ok: bool,
}

/// The summary of the measured requests. Latency percentiles cover every measured request,
/// failed ones included (a timeout counts with the time it took to give up).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub count: u64,
    pub ok: u64,
    /// `count - ok`: wrong statuses, timeouts, transport failures, unbuildable requests.
    pub errors: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub timeouts: u64,
    pub transport_errors: u64,
    pub unbuildable: u64,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub p99_9: Duration,
    pub max: Duration,
    /// The largest delay between a measured request's scheduled instant and the moment the
    /// generator actually dispatched it: large values mean the generator, not the server,
    /// fell behind (its lateness is still inside the latencies).
    pub max_send_lag: Duration,
}

impl Report {
    pub fn from_samples(samples: &[Sample], max_send_lag: Duration) -> Self {
        let mut report = Report {
            max_send_lag,
            ..Report::default()
        };
        let mut latencies = Vec::with_capacity(samples.len());
        for s in samples {
            report.count += 1;
            if s.ok {
                report.ok += 1;
            }
            match s.outcome {
                Outcome::Status(code) => *report.statuses.entry(code).or_insert(0) += 1,
                Outcome::Timeout => report.timeouts += 1,
                Outcome::Transport => report.transport_errors += 1,
                Outcome::Unbuildable => report.unbuildable += 1,
            }
            latencies.push(s.latency);
        }
        report.errors = report.count - report.ok;
        latencies.sort_unstable();
        let at = |q| percentile(&latencies, q).unwrap_or_default();
        report.p50 = at(Quantile::P50);
        report.p90 = at(Quantile::P90);
        report.p99 = at(Quantile::P99);
        report.p99_9 = at(Quantile::P99_9);
        report.max = at(Quantile::MAX);
        report
    }

    /// The report as one JSON object (latencies in milliseconds, microsecond precision).
    pub fn to_json(&self) -> Value {
        let statuses: serde_json::Map<String, Value> = self
            .statuses
            .iter()
            .map(|(code, n)| (code.to_string(), json!(n)))
            .collect();
        json!({
            "count": self.count,
            "ok": self.ok,
            "errors": self.errors,
            "statuses": statuses,
            "timeouts": self.timeouts,
            "transport_errors": self.transport_errors,
            "unbuildable": self.unbuildable,
            "p50_ms": ms(self.p50),
            "p90_ms": ms(self.p90),
            "p99_ms": ms(self.p99),
            "p99_9_ms": ms(self.p99_9),
            "max_ms": ms(self.max),
            "max_send_lag_ms": ms(self.max_send_lag),
        })
    }
}

fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: impl IntoIterator<Item = u64>) -> Vec<Duration> {
        values.into_iter().map(Duration::from_millis).collect()
    }

    #[test]
    fn nearest_rank_percentiles_of_one_to_ten_are_the_hand_computed_ranks() {
        // n = 10: p50 → ceil(5) = 5th, p90 → ceil(9) = 9th, p99 → ceil(9.9) = 10th,
        // p99.9 → ceil(9.99) = 10th.
        let sorted = millis(1..=10);
        assert_eq!(
            percentile(&sorted, Quantile::P50),
            Some(Duration::from_millis(5))
        );
        assert_eq!(
            percentile(&sorted, Quantile::P90),
            Some(Duration::from_millis(9))
        );
        assert_eq!(
            percentile(&sorted, Quantile::P99),
            Some(Duration::from_millis(10))
        );
        assert_eq!(
            percentile(&sorted, Quantile::P99_9),
            Some(Duration::from_millis(10))
        );
        assert_eq!(
            percentile(&sorted, Quantile::MAX),
            Some(Duration::from_millis(10))
        );
    }

    #[test]
    fn on_a_thousand_samples_p99_is_the_990th_and_p99_9_the_999th() {
        // Values 1..=1000 ms: the k-th smallest is k ms.
        let sorted = millis(1..=1000);
        assert_eq!(
            percentile(&sorted, Quantile::P99),
            Some(Duration::from_millis(990))
        );
        assert_eq!(
            percentile(&sorted, Quantile::P99_9),
            Some(Duration::from_millis(999))
        );
        assert_eq!(
            percentile(&sorted, Quantile::per_100k(1)),
            Some(Duration::from_millis(1))
        );
        assert_eq!(percentile(&[], Quantile::P50), None);
    }

    #[test]
    fn the_report_counts_failures_as_errors_and_keeps_their_latency() {
        // Ten requests: eight 200s at 1..=8 ms, a 401 at 9 ms, a timeout at 50 ms.
        let mut samples: Vec<Sample> = (1..=8)
            .map(|m| Sample {
                latency: Duration::from_millis(m),
                outcome: Outcome::Status(200),
                ok: true,
            })
            .collect();
        samples.push(Sample {
            latency: Duration::from_millis(9),
            outcome: Outcome::Status(401),
            ok: false,
        });
        samples.push(Sample {
            latency: Duration::from_millis(50),
            outcome: Outcome::Timeout,
            ok: false,
        });
        samples.reverse();
        let report = Report::from_samples(&samples, Duration::from_micros(1500));
        assert_eq!((report.count, report.ok, report.errors), (10, 8, 2));
        assert_eq!(report.statuses, BTreeMap::from([(200, 8), (401, 1)]));
        assert_eq!(report.timeouts, 1);
        assert_eq!(report.p50, Duration::from_millis(5));
        assert_eq!(report.p90, Duration::from_millis(9));
        assert_eq!(report.p99, Duration::from_millis(50));
        let json = report.to_json();
        assert_eq!(json["p50_ms"], 5.0);
        assert_eq!(json["max_ms"], 50.0);
        assert_eq!(json["max_send_lag_ms"], 1.5);
        assert_eq!(json["statuses"]["401"], 1);
    }
}
