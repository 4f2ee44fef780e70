//! The texts of one row, shared by the report messages and the `status` layout: dates as
//! chat shows them, a line's quantity and end, a record's shortage or utilization.

use slbot_inventory::date::civil;
use slbot_inventory::{DateValue, LineRow, RecordRow};

use crate::markdown::name;

/// `2026/12/20`.
pub fn chat_date(seconds: i64) -> String {
    let (y, m, d) = civil(seconds);
    format!("{y:04}/{m:02}/{d:02}")
}

pub fn end_date_text(date: DateValue<'_>) -> String {
    match date {
        DateValue::At(seconds) => chat_date(seconds),
        DateValue::Unparsed(raw) => name(raw),
        DateValue::Absent => "no end date".to_string(),
    }
}

/// The part of a line row after the licence name: `Qty: 100, expires on 2026/12/20`.
pub fn line_details(row: &LineRow<'_>, verb: &str) -> String {
    format!(
        "Qty: {}, {verb} {}",
        row.quantity,
        end_date_text(row.end_date)
    )
}

/// The part of a shortage row after the licence name: `Qty: 10, in use: 12, short: 2`.
pub fn shortage_details(row: &RecordRow<'_>) -> String {
    format!(
        "Qty: {}, in use: {}, short: {}",
        row.quantity, row.in_use, row.shortage
    )
}

/// The part of a usage row after the licence name: `87.5% used (175 of 200)`.
pub fn usage_details(row: &RecordRow<'_>) -> String {
    let percent = row
        .utilization
        .map(|u| format!("{}%", percent(u)))
        .unwrap_or_else(|| "–".to_string());
    format!("{percent} used ({} of {})", row.in_use, row.quantity)
}

/// A percentage with at most one decimal, without a trailing `.0`: `87.5`, `100`, `33.3`;
/// a share too small to show is `<0.1` rather than a misleading `0`.
pub fn percent(value: f64) -> String {
    if value > 0.0 && value < 0.05 {
        return "<0.1".to_string();
    }
    let text = format!("{value:.1}");
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_show_one_decimal_at_most_and_never_round_a_share_down_to_zero() {
        for (value, shown) in [
            (87.5, "87.5"),
            (100.0, "100"),
            (100.0 / 3.0, "33.3"),
            (0.0, "0"),
            (0.04, "<0.1"),
            (0.05, "0.1"),
            (150.0, "150"),
            (99.96, "100"),
        ] {
            assert_eq!(percent(value), shown, "{value}");
        }
    }

    #[test]
    fn chat_dates_are_year_month_day_with_slashes() {
        // 2026-12-20T00:00:00Z and one second before it.
        assert_eq!(chat_date(1_797_724_800), "2026/12/20");
        assert_eq!(chat_date(1_797_724_799), "2026/12/19");
    }
}
