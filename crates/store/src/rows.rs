//! Row helpers: timestamps are stored as seconds since the epoch (`BIGINT`), the same in both
//! engines.

use chrono::{DateTime, Utc};

/// A time as stored.
pub fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// A stored time (a value out of range, which only a damaged row holds, reads as the epoch:
/// long past, so an expiry built on it has passed).
pub fn time(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_survives_the_round_trip_to_whole_seconds() {
        let t = DateTime::<Utc>::from_timestamp(1_764_331_200, 0).unwrap();
        assert_eq!(time(secs(t)), t);
        assert_eq!(time(i64::MAX), DateTime::<Utc>::UNIX_EPOCH);
    }
}
