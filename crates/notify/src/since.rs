//! The "since the last digest" section of a digest: `changes` between the kept point of the
//! last digest's time and the newest one (the fetch this digest was computed from), from the
//! history in the bot store.

use chrono::{DateTime, Utc};
use slbot_inventory::history::{ChangesReport, Window};
use slbot_inventory::Filters;

use crate::store::history::{read_points, Wanted};
use crate::store::NotifyStore;

/// How many changed licences the section names before pointing to `changes`.
pub const SINCE_ROWS: usize = 5;

/// The section, or `None` when there is no earlier digest, no kept point from before it, or
/// the history cannot be read (a digest never fails for it).
pub async fn since_last_digest(
    store: &dyn NotifyStore,
    person_id: &str,
    last_digest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<String> {
    let last = last_digest?;
    let window = Window::Since(last.timestamp());
    let wanted = Wanted::Compared(window, now.timestamp());
    let points = read_points(store, person_id, wanted).await.ok()?;
    let [b, l] = points.as_slice() else {
        return None;
    };
    if b.taken_at > last.timestamp() || b.taken_at == l.taken_at {
        // No point from before the last digest, or nothing kept since: nothing to compare.
        return None;
    }
    let report =
        ChangesReport::between(b, l, window, false, now.timestamp(), &Filters::none()).ok()?;
    Some(render(&report, last))
}

/// The section's markdown.
pub fn render(report: &ChangesReport<'_>, last: DateTime<Utc>) -> String {
    use slbot_chat::markdown::name;
    let mut out = format!("**Since the last digest** ({}): ", last.format("%Y-%m-%d"));
    if report.totals.is_empty() {
        out.push_str("nothing changed in your licenses.");
        return out;
    }
    out.push_str(&slbot_chat::history::totals_line(&report.totals));
    let items = report
        .added
        .iter()
        .map(|d| (d, "added"))
        .chain(report.removed.iter().map(|d| (d, "removed")))
        .chain(report.changed.iter().map(|d| (d, "changed")));
    let total = report.added.len() + report.removed.len() + report.changed.len();
    for (d, what) in items.take(SINCE_ROWS) {
        out.push_str(&format!(
            "\n* **{}** ({} / {}): {what}, owned {} → {}, in use {} → {}",
            name(d.license),
            name(d.account),
            name(d.virtual_account),
            d.quantity_before,
            d.quantity_after,
            d.in_use_before,
            d.in_use_after
        ));
    }
    if total > SINCE_ROWS {
        out.push_str(&format!(
            "\n…and {} more: ask me `changes since {}`.",
            total - SINCE_ROWS,
            last.format("%Y-%m-%d")
        ));
    }
    out
}
