//! The schedule of a run and the HTTP client it uses.

use std::time::Duration;

use anyhow::Context;

use crate::error::LoadgenError;

/// Hard upper bound on one run's requests, so a typo cannot allocate without limit.
const MAX_REQUESTS: f64 = 50_000_000.0;

/// A fixed-rate schedule: `warmup` at `rate_per_sec` (answers discarded), then `duration`
/// at the same rate (answers measured). Request `i` (counting warm-up ones) is due at
/// `t0 + i / rate_per_sec`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    rate_per_sec: f64,
    duration: Duration,
    warmup: Duration,
}

impl Plan {
    pub fn new(
        rate_per_sec: f64,
        duration: Duration,
        warmup: Duration,
    ) -> Result<Self, LoadgenError> {
        if !(rate_per_sec.is_finite() && rate_per_sec > 0.0) {
            return Err(LoadgenError::InvalidPlan(
                "--rate must be a positive number of requests per second".to_string(),
            ));
        }
        if duration.is_zero() {
            return Err(LoadgenError::InvalidPlan(
                "--duration-secs must be positive".to_string(),
            ));
        }
        let total = (duration + warmup).as_secs_f64() * rate_per_sec;
        if total > MAX_REQUESTS {
            return Err(LoadgenError::InvalidPlan(format!(
                "{total:.0} requests in one run is more than the limit of {MAX_REQUESTS:.0}"
            )));
        }
        Ok(Self {
            rate_per_sec,
            duration,
            warmup,
        })
    }

    pub fn rate_per_sec(&self) -> f64 {
        self.rate_per_sec
    }

    pub fn duration(&self) -> Duration {
        self.duration
    }

    pub fn warmup(&self) -> Duration {
        self.warmup
    }

    /// How many requests the warm-up sends (their answers are not measured).
    pub fn warmup_requests(&self) -> u64 {
        count(self.warmup, self.rate_per_sec)
    }

    /// How many requests are measured.
    pub fn measured_requests(&self) -> u64 {
        count(self.duration, self.rate_per_sec)
    }

    /// When request `i` is due, from the start of the run.
    pub fn offset(&self, i: u64) -> Duration {
        Duration::from_secs_f64(i as f64 / self.rate_per_sec)
    }
}

/// Requests in `window` at `rate` (rounded, so 0.5 s at 500/s is exactly 250).
fn count(window: Duration, rate: f64) -> u64 {
    // Bounded by MAX_REQUESTS in `Plan::new`, so the cast cannot saturate.
    (window.as_secs_f64() * rate).round() as u64
}

/// The client every request of a run goes through: keep-alive connections (the pool grows
/// to the number in flight), no redirects, `timeout` per request.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, LoadgenError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")
        .map_err(LoadgenError::Unexpected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_a_second_at_500_per_second_is_250_requests_two_milliseconds_apart() {
        let plan = Plan::new(
            500.0,
            Duration::from_millis(500),
            Duration::from_millis(100),
        )
        .unwrap();
        assert_eq!(plan.measured_requests(), 250);
        assert_eq!(plan.warmup_requests(), 50);
        assert_eq!(plan.offset(0), Duration::ZERO);
        assert_eq!(plan.offset(1), Duration::from_millis(2));
        assert_eq!(plan.offset(250), Duration::from_millis(500));
    }

    #[test]
    fn a_zero_negative_or_endless_rate_is_refused() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(
                    Plan::new(rate, Duration::from_secs(1), Duration::ZERO),
                    Err(LoadgenError::InvalidPlan(_))
                ),
                "{rate}"
            );
        }
        assert!(Plan::new(1.0, Duration::ZERO, Duration::ZERO).is_err());
        assert!(Plan::new(1e9, Duration::from_secs(3600), Duration::ZERO).is_err());
    }
}
