//! How long to wait between attempts: `Retry-After` parsing and 5xx backoff.
//!
//! The client never calls `tokio::time::sleep` directly: it asks its `slbot_base::Clock`, so
//! tests (and simulations) can record the waits and return at once.

use std::time::Duration;

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
}
