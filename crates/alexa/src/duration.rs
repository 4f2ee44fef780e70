//! The AMAZON.DURATION slot (alexa.md §1): an ISO 8601 duration `PnYnMnWnDTnHnMnS` as the
//! number of days it spans from a given date.
//!
//! Years and months are calendar months (chrono's month arithmetic, clamped to the month's end),
//! weeks are 7 days, and the time part counts as the whole days it rounds up to. `PT30D` (not
//! ISO, but heard from speech) is read leniently as 30 days.

use chrono::{Months, NaiveDate};

/// Why a duration slot could not be read; Display is a sentence a user can be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The slot was empty (or only `P`/`PT`).
    #[error("No period was given.")]
    Empty,
    /// Alexa heard something but could not make it a duration (`?`).
    #[error("I did not catch the period.")]
    Unknown,
    /// Not of the form `PnYnMnWnDTnHnMnS`.
    #[error("That is not a period I can read; try something like 30 days or 3 months.")]
    NotIso,
    /// A minus sign.
    #[error("A period cannot be negative.")]
    Negative,
    /// A decimal fraction (`P1.5D`).
    #[error("Please give the period in whole numbers, such as 30 days.")]
    Fraction,
    /// More days than can be counted (or than the calendar has).
    #[error("That period is too long.")]
    TooLong,
}

/// The number of days from `today` that the ISO 8601 duration `value` spans (`P3M` from
/// 2026-11-30 is 90); lenient about case and `PT30D`, see the module doc.
pub fn days_from(value: &str, today: NaiveDate) -> Result<u32, DurationError> {
    let parts = parse(value)?;
    let months = parts
        .years
        .checked_mul(12)
        .and_then(|m| m.checked_add(parts.months))
        .and_then(|m| u32::try_from(m).ok())
        .ok_or(DurationError::TooLong)?;
    let calendar_days = parts
        .weeks
        .checked_mul(7)
        .and_then(|d| d.checked_add(parts.days))
        .ok_or(DurationError::TooLong)?;
    let end = today
        .checked_add_months(Months::new(months))
        .and_then(|d| d.checked_add_days(chrono::Days::new(calendar_days)))
        .ok_or(DurationError::TooLong)?;
    let date_days = u64::try_from((end - today).num_days()).map_err(|_| DurationError::TooLong)?;
    // The time part: whole days, rounded up (PT36H is 2 days, PT10M is 1).
    let seconds = parts
        .hours
        .checked_mul(3600)
        .and_then(|s| parts.minutes.checked_mul(60).and_then(|m| s.checked_add(m)))
        .and_then(|s| s.checked_add(parts.seconds))
        .ok_or(DurationError::TooLong)?;
    let time_days = seconds.div_ceil(86_400);
    date_days
        .checked_add(time_days)
        .and_then(|d| d.checked_add(parts.time_days))
        .and_then(|d| u32::try_from(d).ok())
        .ok_or(DurationError::TooLong)
}

/// The numbers of a duration, each unit at most once.
#[derive(Debug, Default)]
struct Parts {
    years: u64,
    months: u64,
    weeks: u64,
    days: u64,
    /// `PT30D`: days after the `T`, accepted leniently.
    time_days: u64,
    hours: u64,
    minutes: u64,
    seconds: u64,
}

fn parse(value: &str) -> Result<Parts, DurationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DurationError::Empty);
    }
    if value == "?" {
        return Err(DurationError::Unknown);
    }
    if value.contains('-') {
        return Err(DurationError::Negative);
    }
    if value.contains(['.', ',']) {
        return Err(DurationError::Fraction);
    }
    let upper = value.to_ascii_uppercase();
    let rest = upper.strip_prefix('P').ok_or(DurationError::NotIso)?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let mut parts = Parts::default();
    let mut any = false;
    // Units in the order ISO 8601 requires; each may appear once.
    for (number, unit) in components(date)? {
        any = true;
        let slot = match unit {
            'Y' => &mut parts.years,
            'M' => &mut parts.months,
            'W' => &mut parts.weeks,
            'D' => &mut parts.days,
            _ => return Err(DurationError::NotIso),
        };
        *slot = number;
    }
    check_order(date, "YMWD")?;
    if let Some(time) = time {
        for (number, unit) in components(time)? {
            any = true;
            let slot = match unit {
                'D' => &mut parts.time_days,
                'H' => &mut parts.hours,
                'M' => &mut parts.minutes,
                'S' => &mut parts.seconds,
                _ => return Err(DurationError::NotIso),
            };
            *slot = number;
        }
        check_order(time, "DHMS")?;
    }
    if !any {
        return Err(DurationError::Empty);
    }
    Ok(parts)
}

/// `30D4H` → [(30, 'D'), (4, 'H')]; every unit must have digits before it.
fn components(text: &str) -> Result<Vec<(u64, char)>, DurationError> {
    let mut out = Vec::new();
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(digit) = c.to_digit(10) {
            let n = number
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(digit)))
                .ok_or(DurationError::TooLong)?;
            number = Some(n);
        } else if c.is_ascii_alphabetic() {
            out.push((number.take().ok_or(DurationError::NotIso)?, c));
        } else {
            return Err(DurationError::NotIso);
        }
    }
    if number.is_some() {
        // Digits without a unit ("P30").
        return Err(DurationError::NotIso);
    }
    Ok(out)
}

/// The unit letters of `text` appear in the order of `order`, none twice.
fn check_order(text: &str, order: &str) -> Result<(), DurationError> {
    let mut last = None;
    for unit in text.chars().filter(char::is_ascii_alphabetic) {
        let at = order.find(unit).ok_or(DurationError::NotIso)?;
        if last.is_some_and(|l| at <= l) {
            return Err(DurationError::NotIso);
        }
        last = Some(at);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
    }

    fn days(value: &str, today: NaiveDate) -> Result<u32, DurationError> {
        days_from(value, today)
    }

    const ANY_DAY: (i32, u32, u32) = (2026, 6, 15);

    fn any_day() -> NaiveDate {
        date(ANY_DAY.0, ANY_DAY.1, ANY_DAY.2)
    }

    #[test]
    fn thirty_days_is_thirty_days() {
        assert_eq!(days("P30D", any_day()), Ok(30));
    }

    #[test]
    fn eight_weeks_is_fifty_six_days() {
        assert_eq!(days("P8W", any_day()), Ok(56));
    }

    #[test]
    fn three_months_from_the_end_of_november_end_on_the_last_of_february() {
        // 2026-11-30 → 2027-02-28: Dec 30 (30), Jan 30 (+31 = 61), Feb 28 (+29 = 90).
        assert_eq!(days("P3M", date(2026, 11, 30)), Ok(90));
    }

    #[test]
    fn one_month_from_the_last_of_january_ends_on_the_last_of_february() {
        // 2027-01-31 → 2027-02-28 (2027 is no leap year).
        assert_eq!(days("P1M", date(2027, 1, 31)), Ok(28));
    }

    #[test]
    fn one_year_from_a_leap_day_ends_on_the_last_of_february() {
        // 2028-02-29 → 2029-03-01 would be 366 days; 2029-02-28 is one fewer.
        assert_eq!(days("P1Y", date(2028, 2, 29)), Ok(365));
    }

    #[test]
    fn a_combined_duration_adds_months_then_days() {
        // From 2026-01-15: P1Y2M is 14 months → 2027-03-15. 2026-01-15 → 2027-01-15 is 365
        // days (no 29 February between), → 2027-02-15 +31, → 2027-03-15 +28: 424.
        // Then 3 weeks (21) and 4 days: 424 + 21 + 4 = 449.
        assert_eq!(days("P1Y2M3W4D", date(2026, 1, 15)), Ok(449));
    }

    #[test]
    fn time_parts_round_up_to_whole_days() {
        assert_eq!(days("PT36H", any_day()), Ok(2));
        assert_eq!(days("PT24H", any_day()), Ok(1));
        assert_eq!(days("PT10M", any_day()), Ok(1));
        assert_eq!(days("PT1S", any_day()), Ok(1));
        assert_eq!(days("PT0S", any_day()), Ok(0));
        // 1 day, then 1 hour rounds up to one more.
        assert_eq!(days("P1DT1H", any_day()), Ok(2));
        // 23 h 59 min 60 s is exactly one day.
        assert_eq!(days("PT23H59M60S", any_day()), Ok(1));
    }

    #[test]
    fn days_after_the_t_are_read_leniently_as_days() {
        assert_eq!(days("PT30D", any_day()), Ok(30));
    }

    #[test]
    fn lower_case_and_surrounding_spaces_are_accepted() {
        assert_eq!(days(" p30d ", any_day()), Ok(30));
        assert_eq!(days("pt36h", any_day()), Ok(2));
        assert_eq!(days("p3m", date(2026, 11, 30)), Ok(90));
    }

    #[test]
    fn empty_and_bare_designators_are_refused_as_empty() {
        for value in ["", "   ", "P", "PT", "p"] {
            assert_eq!(
                days(value, any_day()),
                Err(DurationError::Empty),
                "{value:?}"
            );
        }
    }

    #[test]
    fn alexas_unknown_is_refused_as_unknown() {
        assert_eq!(days("?", any_day()), Err(DurationError::Unknown));
    }

    #[test]
    fn things_that_are_not_iso_durations_are_refused() {
        for value in [
            "30", "P30", "30D", "PD", "P3X", "PT3Y", "P3H", "P1D2M", "P1D1D", "P 3D", "PT1M1H",
            "days",
        ] {
            assert_eq!(
                days(value, any_day()),
                Err(DurationError::NotIso),
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_bare_t_after_a_date_part_is_tolerated() {
        assert_eq!(days("P3DT", any_day()), Ok(3));
    }

    #[test]
    fn a_negative_duration_is_refused() {
        assert_eq!(days("P-3D", any_day()), Err(DurationError::Negative));
        assert_eq!(days("-P3D", any_day()), Err(DurationError::Negative));
    }

    #[test]
    fn a_fraction_is_refused() {
        assert_eq!(days("P1.5D", any_day()), Err(DurationError::Fraction));
        assert_eq!(days("P1,5D", any_day()), Err(DurationError::Fraction));
    }

    #[test]
    fn an_overflowing_duration_is_refused_as_too_long() {
        for value in [
            "P99999999999999999999999D",
            "P18446744073709551615D",
            "P5000000000D",
            "P999999999Y",
            "PT18446744073709551615H",
        ] {
            assert_eq!(
                days(value, any_day()),
                Err(DurationError::TooLong),
                "{value:?}"
            );
        }
    }

    #[test]
    fn every_refusal_is_a_sentence() {
        for error in [
            DurationError::Empty,
            DurationError::Unknown,
            DurationError::NotIso,
            DurationError::Negative,
            DurationError::Fraction,
            DurationError::TooLong,
        ] {
            let text = error.to_string();
            assert!(text.ends_with('.'), "{text}");
            assert!(text.starts_with(char::is_uppercase), "{text}");
        }
    }
}
