//! Tolerant date parsing (reports.md §1 "Dates") into seconds since the Unix epoch, UTC.
//!
//! Accepted forms, after trimming surrounding whitespace:
//! - `YYYY-MM-DD`: midnight UTC that day;
//! - RFC 3339 with `Z` or an offset (`2019-01-18T01:07:36Z`, `…+02:00`, `…+0200`, `…+02`),
//!   fractional seconds allowed (truncated to the second);
//! - the same timestamp without a zone (`2019-01-18T01:07:36`, or with a space instead of `T`,
//!   seconds optional): taken as UTC;
//! - legacy `MM/DD/YY HH:MM` (month and day may have one digit): UTC, year 2000 + YY.
//!
//! Anything else is `None`, which the model keeps as "unknown expiry" with the raw text.
//! Hand-written rather than chrono's format parsers: it runs for every line of every load.

/// Days from 1970-01-01 to the proleptic Gregorian date `y-m-d` (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let d = i64::from(d);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The calendar date `(year, month, day)` in UTC of an instant.
pub fn civil(seconds: i64) -> (i64, u32, u32) {
    civil_from_days(seconds.div_euclid(86_400))
}

/// `YYYY-MM-DD` of an instant, in UTC.
pub fn ymd(seconds: i64) -> String {
    let (y, m, d) = civil(seconds);
    format!("{y:04}-{m:02}-{d:02}")
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A tiny cursor over ASCII bytes.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// Exactly `n` digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        self.i += n;
        Some(v)
    }

    /// One or two digits.
    fn digits_1_2(&mut self) -> Option<u32> {
        let two = self.b.get(self.i + 1).is_some_and(u8::is_ascii_digit);
        self.digits(if two { 2 } else { 1 })
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

fn instant(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s))
}

/// Parses one of the accepted forms; `None` when the text is none of them.
pub fn parse(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let mut c = Cursor { b, i: 0 };
    if b.get(2) == Some(&b'/') || b.get(1) == Some(&b'/') {
        return parse_legacy(&mut c);
    }
    let y = i64::from(c.digits(4)?);
    if !c.eat(b'-') {
        return None;
    }
    let mo = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let d = c.digits(2)?;
    if c.done() {
        return instant(y, mo, d, 0, 0, 0);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let h = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let mi = c.digits(2)?;
    let mut s = 0;
    if c.eat(b':') {
        s = c.digits(2)?;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.i;
            while c.peek().is_some_and(|x| x.is_ascii_digit()) {
                c.i += 1;
            }
            if c.i == start {
                return None;
            }
        }
    }
    let local = instant(y, mo, d, h, mi, s)?;
    let offset = match c.peek() {
        None => 0,
        Some(b'Z' | b'z') => {
            c.i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            c.i += 1;
            let oh = c.digits(2)?;
            let om = if c.eat(b':') {
                c.digits(2)?
            } else if c.done() {
                0
            } else {
                c.digits(2)?
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh * 3600 + om * 60);
            if sign == b'-' {
                -off
            } else {
                off
            }
        }
        Some(_) => return None,
    };
    if !c.done() {
        return None;
    }
    Some(local - offset)
}

/// `MM/DD/YY HH:MM`, UTC, year 2000 + YY.
fn parse_legacy(c: &mut Cursor<'_>) -> Option<i64> {
    let mo = c.digits_1_2()?;
    if !c.eat(b'/') {
        return None;
    }
    let d = c.digits_1_2()?;
    if !c.eat(b'/') {
        return None;
    }
    let y = 2000 + i64::from(c.digits(2)?);
    if !c.eat(b' ') {
        return None;
    }
    while c.eat(b' ') {}
    let h = c.digits_1_2()?;
    if !c.eat(b':') {
        return None;
    }
    let mi = c.digits(2)?;
    if !c.done() {
        return None;
    }
    instant(y, mo, d, h, mi, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference instants computed independently with `date -u -d … +%s`.
    const MAY_20_2019: i64 = 1_558_310_400; // 2019-05-20T00:00:00Z
    const JAN_18_2019_010736: i64 = 1_547_773_656; // 2019-01-18T01:07:36Z

    #[test]
    fn a_date_only_value_is_midnight_utc_of_that_day() {
        assert_eq!(parse("2019-05-20"), Some(MAY_20_2019));
    }

    #[test]
    fn an_rfc3339_timestamp_with_z_is_read_as_utc() {
        assert_eq!(parse("2019-01-18T01:07:36Z"), Some(JAN_18_2019_010736));
    }

    #[test]
    fn an_offset_is_subtracted_to_reach_utc() {
        assert_eq!(parse("2019-01-18T03:07:36+02:00"), Some(JAN_18_2019_010736));
        assert_eq!(parse("2019-01-17T23:07:36-02:00"), Some(JAN_18_2019_010736));
        assert_eq!(parse("2019-01-18T03:07:36+0200"), Some(JAN_18_2019_010736));
    }

    #[test]
    fn fractional_seconds_are_accepted_and_truncated() {
        assert_eq!(parse("2019-01-18T01:07:36.999Z"), Some(JAN_18_2019_010736));
        assert_eq!(
            parse("2019-01-18T01:07:36.5+00:00"),
            Some(JAN_18_2019_010736)
        );
    }

    #[test]
    fn a_timestamp_without_a_zone_is_taken_as_utc() {
        assert_eq!(parse("2019-01-18T01:07:36"), Some(JAN_18_2019_010736));
        assert_eq!(parse("2019-01-18 01:07:36"), Some(JAN_18_2019_010736));
    }

    #[test]
    fn the_legacy_us_form_is_utc_in_the_21st_century() {
        // 01/18/19 01:07 = 2019-01-18T01:07:00Z
        assert_eq!(parse("01/18/19 01:07"), Some(JAN_18_2019_010736 - 36));
        assert_eq!(parse("1/18/19 1:07"), Some(JAN_18_2019_010736 - 36));
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(parse("  2019-05-20 "), Some(MAY_20_2019));
    }

    #[test]
    fn impossible_or_foreign_dates_are_not_read() {
        for bad in [
            "",
            "soon",
            "2019-02-30",
            "2019-13-01",
            "20-05-2019",
            "31.12.2024",
            "2019-05-20T25:00:00Z",
            "2019-05-20Tjunk",
            "2019-05-20T01:07:36Zextra",
            "13/01/19 10:00",
            "01/18/2019 01:07",
        ] {
            assert_eq!(parse(bad), None, "{bad:?} must be unknown");
        }
    }

    #[test]
    fn leap_days_exist_only_in_leap_years() {
        assert!(parse("2024-02-29").is_some());
        assert!(parse("2000-02-29").is_some());
        assert_eq!(parse("2100-02-29"), None);
    }

    #[test]
    fn calendar_dates_round_trip_through_day_numbers() {
        assert_eq!(ymd(MAY_20_2019), "2019-05-20");
        assert_eq!(ymd(MAY_20_2019 + 86_399), "2019-05-20");
        assert_eq!(ymd(MAY_20_2019 - 1), "2019-05-19");
        assert_eq!(ymd(0), "1970-01-01");
        assert_eq!(ymd(-1), "1969-12-31");
        assert_eq!(ymd(951_782_400), "2000-02-29");
    }
}
