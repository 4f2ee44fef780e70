//! A digest as one Webex markdown message within the 7,439-byte limit (reports.md §4).
//!
//! Layout: a bold headline, the partial line when some accounts could not be read, then one
//! bold heading per non-empty category followed by its rows, one list item per row:
//! `* **Licence** (Account / VA), Qty: 10, expired on 2026/11/20`. Rows are added in order
//! while the message and the footer still fit; then the footer
//! `…and K more. Ask me `expired`, `expire N` or `shortages` for the full lists.` says how many
//! rows were left out. Rows left out are still recorded as announced (the footer counted them
//! and the full lists are one command away), so the next digest does not repeat them.

use chrono::{DateTime, Utc};
use slbot_chat::markdown::name;
use slbot_chat::MAX_MARKDOWN_BYTES;

use crate::digest::{Digest, DigestLine, DigestShortage};

/// The headline of every digest.
pub const HEADLINE: &str = "**Your license digest: here is what changed.**";

/// The footer when rows were left out.
pub fn footer(more: usize) -> String {
    format!("…and {more} more. Ask me `expired`, `expire N` or `shortages` for the full lists.")
}

/// The digest as markdown; empty when the digest is empty (then nothing is sent).
pub fn render_digest(digest: &Digest) -> String {
    render_within(digest, MAX_MARKDOWN_BYTES)
}

/// [`render_digest`] with a byte limit (tests use small limits).
pub fn render_within(digest: &Digest, limit: usize) -> String {
    if digest.is_empty() {
        return String::new();
    }
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    if !digest.newly_expired.is_empty() {
        sections.push((
            heading(digest.newly_expired.len(), "Newly expired"),
            digest
                .newly_expired
                .iter()
                .map(|l| line_row(l, "expired on"))
                .collect(),
        ));
    }
    if !digest.entering_window.is_empty() {
        let what = format!("Expiring in the next {}", days(digest.window.get()));
        sections.push((
            heading(digest.entering_window.len(), &what),
            digest
                .entering_window
                .iter()
                .map(|l| line_row(l, "expires on"))
                .collect(),
        ));
    }
    if !digest.shortages.is_empty() {
        sections.push((
            heading(digest.shortages.len(), "New or grown shortages"),
            digest.shortages.iter().map(shortage_row).collect(),
        ));
    }

    let mut out = String::from(HEADLINE);
    out.push('\n');
    if let Some(p) = &digest.partial_line {
        out.push_str(p);
        out.push('\n');
    }
    let total: usize = sections.iter().map(|(_, rows)| rows.len()).sum();
    let mut shown = 0;
    'sections: for (head, rows) in &sections {
        let head = format!("\n{head}\n");
        let mut first = true;
        for row in rows {
            let row = format!("* {row}\n");
            let added = if first { head.len() } else { 0 } + row.len();
            let left_after = total - shown - 1;
            let reserve = if left_after > 0 {
                footer(left_after).len() + 1
            } else {
                0
            };
            if out.len() + added + reserve > limit {
                break 'sections;
            }
            if first {
                out.push_str(&head);
                first = false;
            }
            out.push_str(&row);
            shown += 1;
        }
    }
    if shown < total {
        out.push('\n');
        out.push_str(&footer(total - shown));
    }
    out.trim_end().to_string()
}

fn heading(count: usize, what: &str) -> String {
    let noun = if count == 1 { "license" } else { "licenses" };
    format!("**{what} ({count} {noun}):**")
}

fn days(n: u32) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

fn place(account: &str, va: &str) -> String {
    format!("{} / {}", name(account), name(va))
}

fn line_row(line: &DigestLine, verb: &str) -> String {
    format!(
        "**{}** ({}), Qty: {}, {verb} {}",
        name(&line.license),
        place(&line.account, &line.virtual_account),
        line.quantity,
        date(line.end_date)
    )
}

fn shortage_row(s: &DigestShortage) -> String {
    let was = match s.previous {
        Some(p) => format!(" (was {p})"),
        None => String::new(),
    };
    format!(
        "**{}** ({}), short by {}{was}: {} in use, {} held",
        name(&s.license),
        place(&s.account, &s.virtual_account),
        s.shortage,
        s.in_use,
        s.quantity
    )
}

/// `2026/12/20`, the UTC calendar date, as the reports show it.
fn date(at: DateTime<Utc>) -> String {
    at.format("%Y/%m/%d").to_string()
}
