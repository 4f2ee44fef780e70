//! Waiting between attempts: the injectable [`Sleeper`], `Retry-After` parsing and 5xx backoff.
//!
//! The client never calls `tokio::time::sleep` directly: it asks its [`Sleeper`], so tests (and
//! simulations) can record the waits and return at once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Something that waits. The production one is [`TokioSleeper`].
pub trait Sleeper: Send + Sync + 'static {
    /// Waits for `duration` (or pretends to).
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Really waits, with `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Records every requested wait and returns at once: for tests and simulations of other crates
/// that drive a [`crate::WebexClient`] against a misbehaving server.
#[derive(Clone, Default)]
pub struct RecordingSleeper {
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl RecordingSleeper {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every wait requested so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        match self.waits.lock() {
            Ok(w) => w.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl fmt::Debug for RecordingSleeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingSleeper")
            .field("waits", &self.waits())
            .finish()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        match self.waits.lock() {
            Ok(mut w) => w.push(duration),
            Err(poisoned) => poisoned.into_inner().push(duration),
        }
        Box::pin(std::future::ready(()))
    }
}

/// How long to wait after a 429/423 (or a 5xx that says so), from the raw `Retry-After` value.
///
/// Webex sends whole seconds, but malformed values have been seen (webex-api.md "Limits"). A
/// missing, non-numeric, negative, non-finite or HTTP-date value gives `default`; a valid value
/// above `cap` gives `cap`, so one odd header cannot park a worker for an hour.
pub fn retry_after_delay(header: Option<&str>, default: Duration, cap: Duration) -> Duration {
    parse_seconds(header).unwrap_or(default).min(cap)
}

/// The valid, non-negative number of seconds in a `Retry-After` value, if any.
pub(crate) fn parse_seconds(header: Option<&str>) -> Option<Duration> {
    let value = header?.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(whole) = value.parse::<u64>() {
        return Some(Duration::from_secs(whole));
    }
    // Fractions ("1.5") are not in the RFC but are harmless; anything else is malformed.
    let seconds = value.parse::<f64>().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    // Too large for a Duration is still a valid "wait very long": the caller caps it.
    Some(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX))
}

/// The wait before attempt `failed_attempts + 1` after 5xx answers: `base · 2^(n-1)`, capped.
pub fn backoff_delay(failed_attempts: u32, base: Duration, cap: Duration) -> Duration {
    let exponent = failed_attempts.saturating_sub(1).min(20);
    base.saturating_mul(1u32 << exponent).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Duration = Duration::from_secs(5);
    const CAP: Duration = Duration::from_secs(60);

    #[test]
    fn whole_seconds_are_honoured() {
        assert_eq!(
            retry_after_delay(Some("2"), DEFAULT, CAP),
            Duration::from_secs(2)
        );
        assert_eq!(retry_after_delay(Some(" 0 "), DEFAULT, CAP), Duration::ZERO);
        assert_eq!(
            retry_after_delay(Some("1.5"), DEFAULT, CAP),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn malformed_missing_and_negative_values_fall_back_to_the_default() {
        for raw in [
            None,
            Some(""),
            Some("abc"),
            Some("-3"),
            Some("-0.5"),
            Some("NaN"),
            Some("inf"),
            Some("Wed, 21 Oct 2015 07:28:00 GMT"),
        ] {
            assert_eq!(retry_after_delay(raw, DEFAULT, CAP), DEFAULT, "{raw:?}");
        }
    }

    #[test]
    fn huge_values_are_capped() {
        assert_eq!(retry_after_delay(Some("3600"), DEFAULT, CAP), CAP);
        assert_eq!(
            retry_after_delay(Some("99999999999999999999999"), DEFAULT, CAP),
            CAP
        );
        assert_eq!(retry_after_delay(Some("1e300"), DEFAULT, CAP), CAP);
    }

    #[test]
    fn a_default_above_the_cap_is_capped_too() {
        assert_eq!(retry_after_delay(None, Duration::from_secs(90), CAP), CAP);
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(3);
        let waits: Vec<Duration> = (1..=5).map(|n| backoff_delay(n, base, cap)).collect();
        assert_eq!(
            waits,
            vec![
                Duration::from_millis(500),
                Duration::from_millis(1000),
                Duration::from_millis(2000),
                Duration::from_millis(3000),
                Duration::from_millis(3000),
            ]
        );
        assert_eq!(backoff_delay(u32::MAX, base, cap), cap);
    }

    #[tokio::test]
    async fn the_recording_sleeper_remembers_waits_in_order() {
        let s = RecordingSleeper::new();
        s.sleep(Duration::from_secs(1)).await;
        s.sleep(Duration::from_secs(2)).await;
        assert_eq!(
            s.waits(),
            vec![Duration::from_secs(1), Duration::from_secs(2)]
        );
    }
}
