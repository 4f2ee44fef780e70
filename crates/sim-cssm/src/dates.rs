//! Reading the date forms CSSM uses (reports.md §1), to tell active subscriptions from expired.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// `YYYY-MM-DD` (midnight UTC), RFC 3339 with `Z` or an offset, a timestamp without a zone
/// (UTC), or legacy `MM/DD/YY HH:MM` (UTC). `None` for anything else.
pub(crate) fn parse_cssm_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.to_utc());
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%m/%d/%y %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> String {
        parse_cssm_date(text)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn every_documented_form_reads_as_the_same_utc_instant() {
        assert_eq!(at("2019-05-20"), "2019-05-20 00:00:00");
        assert_eq!(at("2019-01-18T01:07:36Z"), "2019-01-18 01:07:36");
        assert_eq!(at("2019-01-18T03:07:36.250+02:00"), "2019-01-18 01:07:36");
        assert_eq!(at("2019-01-18T01:07:36"), "2019-01-18 01:07:36");
        assert_eq!(at("01/18/19 01:07"), "2019-01-18 01:07:00");
        assert_eq!(at("next Tuesday"), "none");
    }
}
