//! The `status` message: four sections of at most 5 rows and the architecture mix of at most
//! 10 accounts × 10 architectures, each with "…and K more". Never shortened by the size rule:
//! if very long names would push it past the limit, names are shortened instead.

use slbot_inventory::{
    Days, LineRow, LinesSection, MixAccount, RecordRow, RecordsSection, StatusReport,
};

use crate::headline;
use crate::markdown::{name_within, MAX_MARKDOWN_BYTES, MAX_NAME_CHARS};
use crate::rows::{line_details, percent, shortage_details, usage_details};

/// Rows shown per section.
pub const STATUS_ROWS: usize = 5;
/// Accounts, and architectures per account, shown in the mix section.
pub const STATUS_MIX_ITEMS: usize = 10;

/// Renders `status` after `head` (headline and partial line, each ending in `\n`).
pub(crate) fn status_markdown(status: &StatusReport<'_>, head: &str) -> String {
    // Names are capped ever shorter until the message fits; with 10 characters a name costs
    // at most ~25 bytes, which bounds the whole message well below the limit.
    let mut text = String::new();
    for cap in [MAX_NAME_CHARS, 60, 30, 10] {
        text = render(status, head, cap);
        if text.len() <= MAX_MARKDOWN_BYTES {
            break;
        }
    }
    text
}

fn render(status: &StatusReport<'_>, head: &str, cap: usize) -> String {
    let mut out = head.to_string();
    let name = |raw: &str| name_within(raw, cap);
    let place = |account: &str, va: &str| format!("{} / {}", name(account), name(va));

    lines_section(
        &mut out,
        headline::expired(status.expired.count),
        &status.expired,
        |r: &LineRow<'_>| {
            format!(
                "**{}** ({}), {}",
                name(r.license),
                place(r.account, r.virtual_account),
                line_details(r, "expired on")
            )
        },
    );
    lines_section(
        &mut out,
        headline::expiring(status.expiring.count, Days::STATUS.get()),
        &status.expiring,
        |r: &LineRow<'_>| {
            format!(
                "**{}** ({}), {}",
                name(r.license),
                place(r.account, r.virtual_account),
                line_details(r, "expires on")
            )
        },
    );
    records_section(
        &mut out,
        headline::shortages(status.shortages.count),
        &status.shortages,
        |r: &RecordRow<'_>| {
            format!(
                "**{}** ({}), {}",
                name(r.license),
                place(r.account, r.virtual_account),
                shortage_details(r)
            )
        },
    );
    records_section(
        &mut out,
        headline::usage(status.usage.count),
        &status.usage,
        |r: &RecordRow<'_>| {
            format!(
                "**{}** ({}), {}",
                name(r.license),
                place(r.account, r.virtual_account),
                usage_details(r)
            )
        },
    );
    mix_section(&mut out, &status.mix, &name);
    out.trim_end().to_string()
}

/// A blank line, the section's sentence, its rows and "…and K more." for rows not shown.
fn section(out: &mut String, sentence: String, rows: Vec<String>, count: usize) {
    out.push('\n');
    out.push_str(&sentence);
    out.push('\n');
    for row in &rows {
        out.push_str("* ");
        out.push_str(row);
        out.push('\n');
    }
    let more = count.saturating_sub(rows.len());
    if more > 0 {
        out.push_str(&format!("\n…and {more} more.\n"));
    }
}

fn lines_section(
    out: &mut String,
    sentence: String,
    section_rows: &LinesSection<'_>,
    text: impl Fn(&LineRow<'_>) -> String,
) {
    let rows = section_rows
        .items
        .iter()
        .take(STATUS_ROWS)
        .map(text)
        .collect();
    section(out, sentence, rows, section_rows.count);
}

fn records_section(
    out: &mut String,
    sentence: String,
    section_rows: &RecordsSection<'_>,
    text: impl Fn(&RecordRow<'_>) -> String,
) {
    let rows = section_rows
        .items
        .iter()
        .take(STATUS_ROWS)
        .map(text)
        .collect();
    section(out, sentence, rows, section_rows.count);
}

/// `* **Acme**, 200 in use: Enterprise Networking 60%, Security 40%, …and 3 more`.
fn mix_section(out: &mut String, mix: &[MixAccount<'_>], name: &dyn Fn(&str) -> String) {
    let rows = mix
        .iter()
        .take(STATUS_MIX_ITEMS)
        .map(|account| {
            let mut parts: Vec<String> = account
                .architectures
                .iter()
                .take(STATUS_MIX_ITEMS)
                .map(|a| format!("{} {}%", name(a.name), percent(a.percent)))
                .collect();
            let more = account.architectures.len().saturating_sub(STATUS_MIX_ITEMS);
            if more > 0 {
                parts.push(format!("…and {more} more"));
            }
            format!(
                "**{}**, {} in use: {}",
                name(account.name),
                account.total_in_use,
                parts.join(", ")
            )
        })
        .collect();
    section(out, headline::mix(mix.len()), rows, mix.len());
}
