//! When a subscription is due: daily or weekly (Monday) at a local `HH:MM` in an IANA time
//! zone, computed with `chrono-tz` so that daylight-saving changes move the UTC instant, never
//! the local time the person asked for.
//!
//! The schedule type is the chat grammar's ([`Schedule`]: what `notify on …` parsed to), so
//! there is one schedule type in the project; this module adds its next run and how it is
//! stored (three text columns: `daily`/`weekly`, `HH:MM`, the zone name).
//!
//! Rules where a local time does not map to exactly one instant:
//! - in a spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00) the digest
//!   runs at the first local minute after the gap that exists (03:00), that day;
//! - in a fall-back overlap (02:30 happens twice) it runs once, at the earlier instant.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

pub use slbot_chat::command::{Frequency, Schedule};

/// A stored schedule that cannot be used (a damaged row); each variant names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not `HH:MM` with 00–23 and 00–59.
    #[error("`{0}` is not a time of day")]
    BadTime(String),
    /// Not an IANA zone name.
    #[error("unknown time zone `{0}`")]
    UnknownTimeZone(String),
    /// Neither `daily` nor `weekly`.
    #[error("unknown frequency `{0}`")]
    UnknownFrequency(String),
}

/// The first run of `schedule` strictly after `after`.
pub fn next_after(schedule: &Schedule, after: DateTime<Utc>) -> DateTime<Utc> {
    let tz = schedule.zone;
    let local_day = after.with_timezone(&tz).date_naive();
    // Start the day before: with a zone ahead of UTC, that day's run can still be after
    // `after`. From there, 9 days always reach the next Monday.
    let mut day = local_day.pred_opt().unwrap_or(local_day);
    for _ in 0..10 {
        if schedule.frequency == Frequency::Daily || day.weekday() == Weekday::Mon {
            let at = instant_on(schedule, day);
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

/// The UTC instant of the schedule's local time on `day` (gap: first minute after it;
/// overlap: the earlier instant).
fn instant_on(schedule: &Schedule, day: NaiveDate) -> DateTime<Utc> {
    let wanted = day.and_time(schedule.at);
    // A gap is at most a few hours (2 h in a few historical zones); step minute by minute.
    for minutes in 0..=(24 * 60) {
        let local = wanted + Duration::minutes(minutes);
        if let Some(at) = schedule.zone.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&wanted)
}

/// The stored words of a schedule: (`daily`|`weekly`, `HH:MM`, zone name).
pub fn to_stored(schedule: &Schedule) -> (&'static str, String, &'static str) {
    (
        schedule.frequency.name(),
        schedule.at.format("%H:%M").to_string(),
        schedule.zone.name(),
    )
}

/// A schedule read back from its stored words, by the chat grammar's rules for times and
/// zones (a zone is matched exactly, then ignoring case).
pub fn from_stored(frequency: &str, at: &str, zone: &str) -> Result<Schedule, ScheduleError> {
    let frequency = match frequency.trim() {
        "daily" => Frequency::Daily,
        "weekly" => Frequency::Weekly,
        other => return Err(ScheduleError::UnknownFrequency(other.to_string())),
    };
    let at = slbot_chat::parse::time_of_day(at.trim())
        .ok_or_else(|| ScheduleError::BadTime(at.trim().to_string()))?;
    let zone: Tz = slbot_chat::parse::time_zone(zone.trim())
        .ok_or_else(|| ScheduleError::UnknownTimeZone(zone.trim().to_string()))?;
    Ok(Schedule {
        frequency,
        at,
        zone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_reads_back_as_it_was_stored() {
        let paris = from_stored("weekly", "07:05", "Europe/Paris").unwrap();
        assert_eq!(
            to_stored(&paris),
            ("weekly", "07:05".to_string(), "Europe/Paris")
        );
        assert_eq!(
            from_stored("daily", "8:00", "utc").map(|s| to_stored(&s)),
            Ok(("daily", "08:00".to_string(), "UTC"))
        );
    }

    #[test]
    fn a_damaged_row_says_which_value_is_wrong() {
        assert_eq!(
            from_stored("daily", "25:00", "UTC"),
            Err(ScheduleError::BadTime("25:00".into()))
        );
        assert_eq!(
            from_stored("daily", "08:00", "Mars/Olympus"),
            Err(ScheduleError::UnknownTimeZone("Mars/Olympus".into()))
        );
        assert_eq!(
            from_stored("hourly", "08:00", "UTC"),
            Err(ScheduleError::UnknownFrequency("hourly".into()))
        );
    }
}
