//! The answers that read the kept history: `changes`, `trend LICENSE`, and the run-out
//! forecast section of `status`. Pure like the rest of the crate: the caller hands in the
//! decoded points (the bot from its store, `slbot ask` from snapshot files).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use slbot_inventory::date::ymd;
use slbot_inventory::history::{
    ChangeTotals, ChangesReport, Forecast, HistoryError, Point, RecordDelta, RunOutRow,
    ShortageDelta, TrendReport, Window, MIN_POINTS, MIN_SPAN_DAYS,
};
use slbot_inventory::{Filters, Inventory, PriceList};

use crate::answer::{
    answer_priced, Answer, Attachment, Message, CSV_CONTENT_TYPE, PNG_CONTENT_TYPE,
};
use crate::command::Command;
use crate::markdown::{name, MAX_MARKDOWN_BYTES};
use crate::sentences::{self, count};

/// Items shown per list of `changes` before the rest goes to the attached CSV.
pub const CHANGES_ROWS: usize = 10;
/// Series points `trend` lists in the message (the newest); all are in the CSV and chart.
pub const TREND_ROWS: usize = 12;
/// Run-out rows in `status`, and how far ahead they look (days).
pub const STATUS_RUN_OUTS: usize = 5;
pub const STATUS_RUN_OUT_DAYS: i64 = 180;

/// The answer to `command` with the kept history (`None`: none could be read, which the
/// answer says) and the person's unit prices (for `renewals`). `changes` and `trend` read only the history; `status` gains its run-out
/// section; every other command is [`answer`].
pub fn answer_with_history(
    command: &Command,
    inventory: &Inventory,
    history: Option<&[Point]>,
    prices: Option<&PriceList>,
    now: DateTime<Utc>,
) -> Answer {
    let now_s = now.timestamp();
    match (command, history) {
        (Command::Changes { .. } | Command::Trend { .. }, None) => {
            Answer::text(sentences::HISTORY_UNAVAILABLE)
        }
        (Command::Changes { window, filters }, Some(points)) => {
            changes_answer(ChangesReport::of(points, *window, now_s, filters), *window)
        }
        (Command::Trend { license, filters }, Some(points)) => {
            trend_answer(TrendReport::of(points, license, filters), filters, now)
        }
        (command, history) => {
            let mut answer = answer_priced(command, inventory, now, prices);
            if let (Command::Report { filters, .. }, true) = (command, command.reads_history()) {
                let section = run_out_section(history, filters, now_s);
                if let Some(first) = answer.messages.first_mut() {
                    if first.markdown.len() + section.len() + 2 <= MAX_MARKDOWN_BYTES {
                        first.markdown.push_str("\n\n");
                        first.markdown.push_str(&section);
                    } else {
                        answer.messages.insert(1, Message::text(section));
                    }
                }
            }
            answer
        }
    }
}

/// The sentence of a history report that has no answer (`what` names the report, e.g.
/// `` `changes` ``).
pub fn history_error(e: &HistoryError, what: &str) -> String {
    match e {
        HistoryError::NotEnough { kept: 0, .. } => format!(
            "I have no history of your licenses yet. I keep one snapshot per complete fetch, \
             so {what} has something to compare from your next `refresh` on."
        ),
        HistoryError::NotEnough { first, .. } => format!(
            "I have one snapshot of your licenses so far ({}). {what} needs two: ask again after \
             the next fetch (`refresh` fetches now).",
            first.map(ymd).unwrap_or_default()
        ),
        HistoryError::Filter(unknown) => unknown.sentence(),
        HistoryError::UnknownLicense {
            name: n,
            suggestions,
        } => {
            let mut s = format!(
                "No license `{}` in the history I keep.",
                n.replace('`', "'")
            );
            if !suggestions.is_empty() {
                let names: Vec<String> = suggestions.iter().map(|x| format!("`{x}`")).collect();
                let _ = write!(s, " Closest: {}.", names.join(", "));
            }
            s
        }
    }
}

/// `N more` lines of a list cut at [`CHANGES_ROWS`].
fn cut<T>(out: &mut String, title: &str, items: &[T], line: impl Fn(&T) -> String) -> bool {
    if items.is_empty() {
        return false;
    }
    let _ = write!(out, "\n\n**{title}** ({})", items.len());
    for item in items.iter().take(CHANGES_ROWS) {
        let _ = write!(out, "\n- {}", line(item));
    }
    if items.len() > CHANGES_ROWS {
        let _ = write!(
            out,
            "\n- …and {} more (in the CSV file)",
            items.len() - CHANGES_ROWS
        );
    }
    items.len() > CHANGES_ROWS
}

fn place(account: &str, va: &str, license: &str) -> String {
    format!("{} / {}: **{}**", name(account), name(va), name(license))
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// The totals of `changes` in one sentence: `1 license added, 1 removed, 2 changed; owned
/// +8, in use +4; 2 new expirations (14 licenses); 1 new shortage, 0 resolved.`
pub fn totals_line(t: &ChangeTotals) -> String {
    format!(
        "{} added, {} removed, {} changed; owned {}, in use {}; {} ({} licenses); {}, {} resolved.",
        count(t.added, "license", "licenses"),
        t.removed,
        t.changed,
        signed(t.quantity_delta),
        signed(t.in_use_delta),
        count(t.new_expirations, "new expiration", "new expirations"),
        t.expired_quantity,
        count(t.new_shortages, "new shortage", "new shortages"),
        t.resolved_shortages,
    )
}

/// The `changes` message (totals first, then each list), with the CSV when a list is cut.
pub fn changes_answer(result: Result<ChangesReport<'_>, HistoryError>, window: Window) -> Answer {
    let report = match result {
        Ok(r) => r,
        Err(e) => return Answer::text(history_error(&e, "`changes`")),
    };
    let t = &report.totals;
    let mut out = format!(
        "**Changes over {}** (snapshots of {} and {})",
        window.phrase(),
        ymd(report.from),
        ymd(report.to)
    );
    if report.history_starts_later {
        let _ = write!(
            out,
            "\nMy history of your licenses starts on {}, so these are the changes since then.",
            ymd(report.from)
        );
    }
    if t.is_empty() {
        out.push_str("\nNothing changed.");
        return Answer::text(out);
    }
    out.push('\n');
    out.push_str(&totals_line(t));
    let delta = |d: &RecordDelta| {
        let mut parts = Vec::new();
        if d.quantity_before != d.quantity_after {
            parts.push(format!(
                "owned {} → {}",
                d.quantity_before, d.quantity_after
            ));
        }
        if d.in_use_before != d.in_use_after {
            parts.push(format!("in use {} → {}", d.in_use_before, d.in_use_after));
        }
        format!(
            "{}: {}",
            place(d.account, d.virtual_account, d.license),
            parts.join(", ")
        )
    };
    let figures = |q: i64, u: i64| format!("{q} owned, {u} in use");
    let shortage = |s: &ShortageDelta, now: bool| {
        let n = if now {
            s.shortage_after
        } else {
            s.shortage_before
        };
        format!(
            "{}: {} {n}",
            place(s.account, s.virtual_account, s.license),
            if now { "short" } else { "was short" }
        )
    };
    let mut cut_any = false;
    cut_any |= cut(&mut out, "Added", &report.added, |d| {
        format!(
            "{}: {}",
            place(d.account, d.virtual_account, d.license),
            figures(d.quantity_after, d.in_use_after)
        )
    });
    cut_any |= cut(&mut out, "Removed", &report.removed, |d| {
        format!(
            "{}: was {}",
            place(d.account, d.virtual_account, d.license),
            figures(d.quantity_before, d.in_use_before)
        )
    });
    cut_any |= cut(&mut out, "Changed", &report.changed, delta);
    cut_any |= cut(&mut out, "Expired", &report.new_expirations, |l| {
        format!(
            "{}: {} on {}",
            place(l.account, l.virtual_account, l.license),
            l.quantity,
            ymd(l.end_date)
        )
    });
    cut_any |= cut(&mut out, "New shortages", &report.new_shortages, |s| {
        shortage(s, true)
    });
    cut_any |= cut(
        &mut out,
        "Resolved shortages",
        &report.resolved_shortages,
        |s| shortage(s, false),
    );
    let mut messages = Vec::new();
    if out.len() > MAX_MARKDOWN_BYTES {
        // Absurdly long names: the totals stay, the lists go to the file.
        let end = out.find("\n\n").unwrap_or(out.len());
        out.truncate(end);
        out.push_str("\n\nThe lists are in the CSV file.");
        cut_any = true;
    }
    messages.push(Message::text(out));
    if cut_any {
        messages.push(Message::file(
            sentences::FULL_LIST,
            Attachment {
                filename: format!("changes-{}.csv", ymd(report.to)),
                content_type: CSV_CONTENT_TYPE.to_string(),
                bytes: report.to_csv(),
            },
        ));
    }
    Answer { messages }
}

/// The forecast in words.
pub fn forecast_sentence(forecast: &Forecast) -> String {
    match forecast {
        Forecast::RunsOut(r) => format!(
            "Runs out around **{}**: {} of {} in use ({}).",
            ymd(r.date),
            r.in_use,
            r.owned,
            r.method()
        ),
        Forecast::NotEnoughHistory { points, span_days } => format!(
            "Not enough history for a forecast: {} over {} days; I need {MIN_POINTS} over \
             {MIN_SPAN_DAYS} days.",
            count(*points, "snapshot", "snapshots"),
            span_days
        ),
        Forecast::AtCapacity { in_use, owned } => {
            format!("All owned licenses are in use ({in_use} of {owned}): no run-out to forecast.")
        }
        Forecast::NotGrowing { per_day, .. } => {
            format!("In use is not growing ({per_day:+.1} a day): no run-out in sight.")
        }
    }
}

/// The `trend` message (forecast, then the newest points), the chart, and the CSV.
pub fn trend_answer(
    result: Result<TrendReport<'_>, HistoryError>,
    filters: &Filters,
    now: DateTime<Utc>,
) -> Answer {
    let report = match result {
        Ok(r) => r,
        Err(e) => return Answer::text(history_error(&e, "`trend`")),
    };
    let last = report.series.last().map_or(0, |p| p.at);
    let messages = vec![
        Message::text(trend_text(&report)),
        trend_chart(&report, filters, now),
        Message::file(
            sentences::FULL_LIST,
            Attachment {
                filename: format!("trend-{}.csv", ymd(last)),
                content_type: CSV_CONTENT_TYPE.to_string(),
                bytes: report.to_csv(),
            },
        ),
    ];
    Answer { messages }
}

/// The text of `trend`: the forecast, then the newest [`TREND_ROWS`] points.
pub fn trend_text(report: &TrendReport<'_>) -> String {
    let (first, last) = (
        report.series.first().map_or(0, |p| p.at),
        report.series.last().map_or(0, |p| p.at),
    );
    let mut out = format!(
        "**Trend of {}** ({} from {} to {})\n{}",
        name(report.license),
        count(report.series.len(), "point", "points"),
        ymd(first),
        ymd(last),
        forecast_sentence(&report.forecast)
    );
    let shown = report.series.len().saturating_sub(TREND_ROWS);
    if shown > 0 {
        let _ = write!(
            out,
            "\n\nThe newest {TREND_ROWS} (all are in the CSV file):"
        );
    } else {
        out.push('\n');
    }
    for p in &report.series[shown..] {
        let _ = write!(
            out,
            "\n- {}: {} in use of {}",
            ymd(p.at),
            p.in_use,
            p.quantity
        );
    }
    out
}

/// The `status` section: licences forecast to run out within [`STATUS_RUN_OUT_DAYS`].
pub fn run_out_section(history: Option<&[Point]>, filters: &Filters, now: i64) -> String {
    let Some(points) = history else {
        return "**Run-out forecast**: my history of your licenses cannot be read right now."
            .to_string();
    };
    let rows: Vec<RunOutRow<'_>> =
        match TrendReport::run_outs(points, filters, now, STATUS_RUN_OUT_DAYS) {
            Ok(rows) => rows,
            Err(e) => return format!("**Run-out forecast**: {}", history_error(&e, "it")),
        };
    let span = {
        let mut times: Vec<i64> = points
            .iter()
            .flat_map(|p| [p.taken_at, p.seen_until])
            .collect();
        times.sort_unstable();
        times.dedup();
        (
            times.len(),
            times.last().copied().unwrap_or(0) - times.first().copied().unwrap_or(0),
        )
    };
    if span.0 < MIN_POINTS || span.1 / 86_400 < MIN_SPAN_DAYS {
        return format!(
            "**Run-out forecast**: not enough history yet ({} over {} days; I need \
             {MIN_POINTS} over {MIN_SPAN_DAYS} days, one per complete fetch).",
            count(span.0, "snapshot", "snapshots"),
            span.1 / 86_400
        );
    }
    if rows.is_empty() {
        return format!(
            "**Run-out forecast**: no license runs out within {STATUS_RUN_OUT_DAYS} days at \
             its current growth."
        );
    }
    let mut out = format!(
        "**Run-out forecast**: {} within {STATUS_RUN_OUT_DAYS} days (least squares over each \
         license's snapshots; `trend LICENSE` shows one)",
        count(rows.len(), "license runs out", "licenses run out")
    );
    for r in rows.iter().take(STATUS_RUN_OUTS) {
        let _ = write!(
            out,
            "\n- {}: around {}, {} of {} in use, {:+.1} a day, R² {:.2} ({})",
            place(r.account, r.virtual_account, r.license),
            ymd(r.run_out.date),
            r.run_out.in_use,
            r.run_out.owned,
            r.run_out.per_day,
            r.run_out.r2,
            r.run_out.confidence.name()
        );
    }
    if rows.len() > STATUS_RUN_OUTS {
        let _ = write!(out, "\n- …and {} more", rows.len() - STATUS_RUN_OUTS);
    }
    out
}

/// The chart message of `trend` (the PNG), or the sentence that it could not be drawn.
fn trend_chart(report: &TrendReport<'_>, filters: &Filters, now: DateTime<Utc>) -> Message {
    match slbot_charts::trend_png(report, now, filters, slbot_charts::RenderOptions::default()) {
        Ok(png) => Message::file(
            format!("**Trend of {}**", name(report.license)),
            Attachment {
                filename: slbot_charts::trend_file_name(report.license, now),
                content_type: PNG_CONTENT_TYPE.to_string(),
                bytes: png,
            },
        ),
        Err(_) => Message::text(sentences::CHART_FAILED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slbot_inventory::Catalog;

    const DAY: i64 = 86_400;
    /// 2026-11-01T00:00:00Z.
    const NOV_1: i64 = 1_793_491_200;

    /// A point of account Acme (acme.com) with `(va, licence, quantity, inUse, line end)`.
    fn point(day: i64, records: &[(&str, &str, i64, i64, Option<&str>)]) -> Point {
        let records: Vec<serde_json::Value> = records
            .iter()
            .map(|(va, license, q, u, end)| {
                let lines: Vec<serde_json::Value> = end
                    .iter()
                    .map(|e| serde_json::json!({"quantity": q, "endDate": e}))
                    .collect();
                serde_json::json!({"license": license, "virtualAccount": va, "quantity": q,
                                   "inUse": u, "licenseDetails": lines})
            })
            .collect();
        let json = serde_json::json!({
            "accounts": [{"accountName": "Acme", "accountDomain": "acme.com"}],
            "licenses": {"acme.com": records},
        });
        let bytes = serde_json::to_vec(&json).unwrap();
        Inventory::from_json_slice(&bytes, &Catalog::shipped())
            .unwrap()
            .history_point(NOV_1 + day * DAY)
    }

    fn inventory() -> Inventory {
        let json = br#"{"accounts": [{"accountName": "Acme", "accountDomain": "acme.com"}],
            "licenses": {"acme.com": []}}"#;
        Inventory::from_json_slice(json, &Catalog::shipped()).unwrap()
    }

    fn at(day: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(NOV_1 + day * DAY, 0).unwrap()
    }

    fn ask(command: &Command, history: Option<&[Point]>, day: i64) -> Answer {
        answer_with_history(command, &inventory(), history, None, at(day))
    }

    #[test]
    fn changes_say_the_totals_first_then_each_list_with_what_moved() {
        // Nov 1: Apex 10/8 (DEFAULT, line ending Nov 10), Plus 5/5 (DEFAULT).
        // Nov 15: Apex 20/12 (its line now 20), Plus gone, DNA 3/4 (Lab, new and short by 1).
        let points = [
            point(
                0,
                &[
                    ("DEFAULT", "Apex", 10, 8, Some("2026-11-10")),
                    ("DEFAULT", "Plus", 5, 5, None),
                ],
            ),
            point(
                14,
                &[
                    ("DEFAULT", "Apex", 20, 12, Some("2026-11-10")),
                    ("Lab", "DNA", 3, 4, None),
                ],
            ),
        ];
        let command = Command::Changes {
            window: Window::Days(14),
            filters: Filters::none(),
        };
        let answer = ask(&command, Some(&points), 15);
        assert_eq!(answer.messages.len(), 1);
        // Owned (20 + 3) − (10 + 5) = +8; in use (12 + 4) − (8 + 5) = +3; the Nov 10 line
        // counts once, with the newest quantity (20).
        assert_eq!(
            answer.messages[0].markdown,
            "**Changes over the last 14 days** (snapshots of 2026-11-01 and 2026-11-15)\n\
             1 license added, 1 removed, 1 changed; owned +8, in use +3; 1 new expiration (20 licenses); \
             1 new shortage, 0 resolved.\n\n\
             **Added** (1)\n- Acme / Lab: **DNA**: 3 owned, 4 in use\n\n\
             **Removed** (1)\n- Acme / DEFAULT: **Plus**: was 5 owned, 5 in use\n\n\
             **Changed** (1)\n- Acme / DEFAULT: **Apex**: owned 10 → 20, in use 8 → 12\n\n\
             **Expired** (1)\n- Acme / DEFAULT: **Apex**: 20 on 2026-11-10\n\n\
             **New shortages** (1)\n- Acme / Lab: **DNA**: short 1"
        );
    }

    #[test]
    fn changes_with_one_snapshot_or_no_store_say_what_to_do() {
        let one = [point(0, &[("DEFAULT", "Apex", 10, 8, None)])];
        let command = Command::Changes {
            window: Window::Days(7),
            filters: Filters::none(),
        };
        let answer = ask(&command, Some(&one), 1);
        assert_eq!(
            answer.messages[0].markdown,
            "I have one snapshot of your licenses so far (2026-11-01). `changes` needs two: ask \
             again after the next fetch (`refresh` fetches now)."
        );
        let answer = ask(&command, None, 1);
        assert_eq!(answer.messages[0].markdown, sentences::HISTORY_UNAVAILABLE);
        let same = [
            point(0, &[("DEFAULT", "Apex", 10, 8, None)]),
            point(7, &[("DEFAULT", "Apex", 10, 8, None)]),
        ];
        let answer = ask(&command, Some(&same), 8);
        assert!(
            answer.messages[0].markdown.ends_with("\nNothing changed."),
            "{}",
            answer.messages[0].markdown
        );
    }

    #[test]
    fn trend_states_the_forecast_lists_the_points_and_attaches_the_chart_and_csv() {
        // In use 10, 20, 30 of 100 on Nov 1, 8, 15: runs out on day 63, 2027-01-03.
        let points = [
            point(0, &[("DEFAULT", "Apex", 100, 10, None)]),
            point(7, &[("DEFAULT", "Apex", 100, 20, None)]),
            point(14, &[("DEFAULT", "Apex", 100, 30, None)]),
        ];
        let command = Command::Trend {
            license: "apex".into(),
            filters: Filters::none(),
        };
        let answer = ask(&command, Some(&points), 15);
        assert_eq!(
            answer.messages[0].markdown,
            "**Trend of Apex** (3 points from 2026-11-01 to 2026-11-15)\n\
             Runs out around **2027-01-03**: 30 of 100 in use (least squares over 3 snapshots \
             from 2026-11-01 to 2026-11-15, +1.4 a day, R² 1.00 (high confidence)).\n\n\
             - 2026-11-01: 10 in use of 100\n- 2026-11-08: 20 in use of 100\n- 2026-11-15: 30 in use of 100"
        );
        let files: Vec<&str> = answer
            .messages
            .iter()
            .filter_map(|m| m.attachment.as_ref().map(|a| a.content_type.as_str()))
            .collect();
        assert_eq!(files, [PNG_CONTENT_TYPE, CSV_CONTENT_TYPE]);
        let csv = &answer.messages[2].attachment.as_ref().unwrap().bytes;
        assert_eq!(
            String::from_utf8_lossy(csv),
            "date,quantity,inUse\n2026-11-01T00:00:00Z,100,10\n2026-11-08T00:00:00Z,100,20\n2026-11-15T00:00:00Z,100,30\n"
        );
        let unknown = Command::Trend {
            license: "Apx".into(),
            filters: Filters::none(),
        };
        let answer = ask(&unknown, Some(&points), 15);
        assert_eq!(
            answer.messages[0].markdown,
            "No license `Apx` in the history I keep. Closest: `Apex`."
        );
    }

    #[test]
    fn status_gains_the_run_out_section_or_says_the_history_is_too_short() {
        let status = Command::Report {
            report: slbot_inventory::ReportKind::Status,
            filters: Filters::none(),
        };
        let short = [point(0, &[("DEFAULT", "Apex", 100, 10, None)])];
        let answer = ask(&status, Some(&short), 1);
        assert!(
            answer.messages[0].markdown.ends_with(
                "**Run-out forecast**: not enough history yet (1 snapshot over 0 days; I need 3 \
                 over 14 days, one per complete fetch)."
            ),
            "{}",
            answer.messages[0].markdown
        );
        let points = [
            point(
                0,
                &[
                    ("DEFAULT", "Apex", 100, 10, None),
                    ("DEFAULT", "Plus", 10, 1, None),
                ],
            ),
            point(
                7,
                &[
                    ("DEFAULT", "Apex", 100, 20, None),
                    ("DEFAULT", "Plus", 10, 1, None),
                ],
            ),
            point(
                14,
                &[
                    ("DEFAULT", "Apex", 100, 30, None),
                    ("DEFAULT", "Plus", 10, 1, None),
                ],
            ),
        ];
        let answer = ask(&status, Some(&points), 15);
        assert!(
            answer.messages[0].markdown.ends_with(
                "**Run-out forecast**: 1 license runs out within 180 days (least squares over \
                 each license's snapshots; `trend LICENSE` shows one)\n- Acme / DEFAULT: \
                 **Apex**: around 2027-01-03, 30 of 100 in use, +1.4 a day, R² 1.00 (high)"
            ),
            "{}",
            answer.messages[0].markdown
        );
    }
}
