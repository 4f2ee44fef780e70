//! When a subscription is due: daily or weekly (Monday) at a local `HH:MM` in an IANA time
//! zone, computed with `chrono-tz` so that daylight-saving changes move the UTC instant, never
//! the local time the person asked for.
//!
//! Rules where a local time does not map to exactly one instant:
//! - in a spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00) the digest
//!   runs at the first local minute after the gap that exists (03:00), that day;
//! - in a fall-back overlap (01:30 happens twice) it runs at the earlier of the two instants.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// How often digests come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cadence {
    /// Every day at the local time.
    Daily,
    /// Every Monday at the local time.
    Weekly,
}

impl Cadence {
    /// The stored and displayed word (`daily`, `weekly`).
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Weekly => "weekly",
        }
    }
}

impl FromStr for Cadence {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "daily" => Ok(Cadence::Daily),
            "weekly" => Ok(Cadence::Weekly),
            _ => Err(ScheduleError::UnknownCadence(s.to_string())),
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schedule setting that cannot be used; each variant names what the person typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not `HH:MM` with 00–23 and 00–59 (`25:00`, `8`, `8:5`, `noon`).
    #[error("`{0}` is not a time of day; use HH:MM from 00:00 to 23:59, for example `at 08:00`")]
    BadTime(String),
    /// Not an IANA zone name (`Mars/Olympus`, `CET+1`).
    #[error("I don't know the time zone `{0}`; use an Area/City name such as `Europe/Paris` or `America/New_York`, or `UTC`")]
    UnknownTimeZone(String),
    /// A stored cadence word this version does not know (a damaged row).
    #[error("unknown cadence `{0}`")]
    UnknownCadence(String),
}

/// A local time of day, minute precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    hour: u32,
    minute: u32,
}

impl LocalTime {
    /// 08:00, the default of `notify on`.
    pub const DEFAULT: LocalTime = LocalTime { hour: 8, minute: 0 };

    /// A time of day; `None` outside 00:00–23:59.
    pub fn new(hour: u32, minute: u32) -> Option<Self> {
        (hour <= 23 && minute <= 59).then_some(LocalTime { hour, minute })
    }

    /// Reads `H:MM` or `HH:MM` on a 24-hour clock, by the chat grammar's rule.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        use chrono::Timelike;
        slbot_chat::parse::time_of_day(text.trim())
            .and_then(|t| Self::new(t.hour(), t.minute()))
            .ok_or_else(|| ScheduleError::BadTime(text.trim().to_string()))
    }

    /// Hours, 0–23.
    pub fn hour(self) -> u32 {
        self.hour
    }

    /// Minutes, 0–59.
    pub fn minute(self) -> u32 {
        self.minute
    }

    fn naive(self) -> NaiveTime {
        NaiveTime::from_hms_opt(self.hour, self.minute, 0).unwrap_or(NaiveTime::MIN)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

/// Reads an IANA zone name (`Europe/Paris`, `UTC`) by the chat grammar's rule: exact, then
/// ignoring ASCII case.
pub fn parse_time_zone(text: &str) -> Result<Tz, ScheduleError> {
    let t = text.trim();
    slbot_chat::parse::time_zone(t).ok_or_else(|| ScheduleError::UnknownTimeZone(t.to_string()))
}

/// When digests come: cadence, local time and zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub cadence: Cadence,
    pub at: LocalTime,
    pub tz: Tz,
}

impl Schedule {
    /// The first run strictly after `after`.
    pub fn next_run(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let local_day = after.with_timezone(&self.tz).date_naive();
        // Start the day before: a local date's run can fall before `after`'s local date
        // boundary only by the zone's offset, and one extra day covers it.
        let mut day = local_day.pred_opt().unwrap_or(local_day);
        // At most 9 candidates: the weekly case needs up to 8 days from the day before.
        for _ in 0..10 {
            if self.cadence == Cadence::Daily || day.weekday() == Weekday::Mon {
                let at = self.instant_on(day);
                if at > after {
                    return at;
                }
            }
            day = match day.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        // Only reachable at the end of chrono's calendar; a week later is a safe answer.
        after + Duration::days(7)
    }

    /// The UTC instant of the local time on `day` (gap: first minute after it; overlap: the
    /// earlier instant).
    fn instant_on(&self, day: NaiveDate) -> DateTime<Utc> {
        let wanted = day.and_time(self.at.naive());
        // A gap is at most a few hours (2 h in a few historical zones); step minute by minute.
        for minutes in 0..=(24 * 60) {
            let local = wanted + Duration::minutes(minutes);
            if let Some(at) = self.tz.from_local_datetime(&local).earliest() {
                return at.with_timezone(&Utc);
            }
        }
        Utc.from_utc_datetime(&wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_hh_mm_within_the_day() {
        assert_eq!(LocalTime::parse("08:00").unwrap().to_string(), "08:00");
        assert_eq!(LocalTime::parse(" 8:05 ").unwrap().to_string(), "08:05");
        assert_eq!(LocalTime::parse("23:59").unwrap().to_string(), "23:59");
        for bad in [
            "25:00", "24:00", "12:60", "8", "8:5", "noon", "", "-1:00", "08:000",
        ] {
            assert!(
                matches!(LocalTime::parse(bad), Err(ScheduleError::BadTime(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn zones_are_iana_names_in_any_case() {
        assert_eq!(parse_time_zone("Europe/Paris").unwrap(), Tz::Europe__Paris);
        assert_eq!(parse_time_zone("europe/paris").unwrap(), Tz::Europe__Paris);
        assert_eq!(parse_time_zone("UTC").unwrap(), Tz::UTC);
        let err = parse_time_zone("Mars/Olympus").unwrap_err();
        assert!(err.to_string().contains("`Mars/Olympus`"), "{err}");
    }
}
