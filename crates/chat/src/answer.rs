//! A command plus an inventory → the messages the bot posts ([`Answer`]). Pure: no I/O, no
//! clock (`now` is an argument).

use chrono::{DateTime, Utc};
use slbot_inventory::{date::ymd, Inventory, PriceList, Report, ReportBody, ReportKind};

use slbot_charts::{render_png, ChartError, RenderOptions};

use crate::cards::Card;
use crate::command::{expand, Command, ExportFormat};
use crate::headline;
use crate::help::help_markdown;
use crate::report_markdown::report_markdown;
use crate::sentences;

/// Content type of CSV attachments.
pub const CSV_CONTENT_TYPE: &str = "text/csv";
/// Content type of chart attachments.
pub const PNG_CONTENT_TYPE: &str = "image/png";
/// Content type of XLSX attachments.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Everything the bot posts for one command, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub messages: Vec<Message>,
}

/// One Webex message: markdown (at most 7,439 bytes) and at most one file or one card.
///
/// With a card, `markdown` is the card's fallback (what clients without cards show) and
/// `attachment` is `None`: Webex takes one attachment per message, and cards cannot be
/// edited, only deleted and posted again.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub markdown: String,
    pub attachment: Option<Attachment>,
    pub card: Option<Card>,
}

impl Message {
    /// A message of markdown only.
    pub fn text(markdown: impl Into<String>) -> Self {
        Message {
            markdown: markdown.into(),
            attachment: None,
            card: None,
        }
    }

    /// A message with a file.
    pub fn file(markdown: impl Into<String>, attachment: Attachment) -> Self {
        Message {
            markdown: markdown.into(),
            attachment: Some(attachment),
            card: None,
        }
    }

    /// A message carrying `card`, with the card's fallback as its markdown.
    pub fn card(card: Card) -> Self {
        Message {
            markdown: card.fallback_markdown.clone(),
            attachment: None,
            card: Some(card),
        }
    }
}

/// A file to upload with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Answer {
    /// An answer of one markdown message.
    pub fn text(markdown: impl Into<String>) -> Self {
        Answer {
            messages: vec![Message::text(markdown)],
        }
    }

    /// An answer of one message carrying `card` (its markdown is the card's fallback).
    pub fn card(card: Card) -> Self {
        Answer {
            messages: vec![Message::card(card)],
        }
    }
}

/// What the bot posts for `command` over `inventory` at `now`.
///
/// Report commands give the report message (shortened by the size rule, then a second message
/// with the full report as CSV), `export` a one-line summary with the CSV/XLSX file, an unknown
/// `va:`/`account:` value the sentence naming the closest valid names, `help` the help text and
/// `refresh` the "Refreshed" sentence for this (freshly fetched) inventory. `sign out` and
/// `confirm` need the backend, which only the bot talks to: here they give the sentence that
/// says so.
pub fn answer(command: &Command, inventory: &Inventory, now: DateTime<Utc>) -> Answer {
    answer_priced(command, inventory, now, None)
}

/// [`answer`] with the user's unit prices, which give `renewals` its amounts (other reports
/// have none). `None` is the same as [`answer`].
pub fn answer_priced(
    command: &Command,
    inventory: &Inventory,
    now: DateTime<Utc>,
    prices: Option<&PriceList>,
) -> Answer {
    let (kind, filters) = match command {
        Command::Help | Command::SignOut | Command::Confirm { .. } => return without_data(command),
        Command::NotifyOn(_)
        | Command::NotifyOff
        | Command::NotifyStatus
        | Command::NotifyWindow { .. }
        | Command::NotifyTest => return without_data(command),
        Command::Chart { .. } => {
            return answer_chart(command, inventory, now)
                .unwrap_or_else(|| Answer::text(sentences::CHART_FAILED))
        }
        Command::Filter => return Answer::text(sentences::FILTER_WITHOUT_CARD),
        // Answered with the history (`crate::history::answer_with_history`); here there is none.
        Command::Changes { .. } | Command::Trend { .. } => {
            return Answer::text(sentences::HISTORY_UNAVAILABLE)
        }
        Command::Refresh => {
            return Answer::text(sentences::refreshed(
                inventory.account_count(),
                inventory.record_count(),
            ))
        }
        Command::Report { report, filters } => (*report, filters),
        Command::Export { filters, .. } => (ReportKind::Export, filters),
    };
    let report = match inventory.report(kind, now, filters) {
        Ok(report) => match prices {
            Some(prices) => report.with_prices(prices),
            None => report,
        },
        Err(unknown) => return Answer::text(unknown.sentence()),
    };
    let chat = report_markdown(&report, inventory.account_count());
    match command {
        Command::Export { format, .. } => return export_answer(&report, chat.markdown, *format),
        Command::Report {
            report: ReportKind::Export,
            ..
        } => return export_answer(&report, chat.markdown, ExportFormat::Csv),
        _ => {}
    }
    let mut messages = vec![Message::text(chat.markdown)];
    if chat.rows_left_out > 0 {
        messages.push(match full_list(&report) {
            Ok(attachment) => Message::file(sentences::FULL_LIST, attachment),
            Err(_) => Message::text(sentences::FILE_FAILED),
        });
    }
    Answer { messages }
}

/// The answer to a chart command (`chart mix`, `chart expirations`, `chart usage`,
/// `status chart`): one message whose markdown is the chart's title in bold (with the partial
/// line when accounts are missing) and whose file is the PNG. An unknown `va:`/`account:`
/// value gives the sentence naming the closest valid names; a drawing failure
/// [`sentences::CHART_FAILED`]. `None` for commands that are not charts.
pub fn answer_chart(
    command: &Command,
    inventory: &Inventory,
    now: DateTime<Utc>,
) -> Option<Answer> {
    let Command::Chart {
        chart: kind,
        filters,
    } = command
    else {
        return None;
    };
    let data = match kind.data(inventory, now, filters) {
        Ok(data) => data,
        Err(ChartError::UnknownFilter(unknown)) => return Some(Answer::text(unknown.sentence())),
        Err(_) => return Some(Answer::text(sentences::CHART_FAILED)),
    };
    let Ok(png) = render_png(&data, RenderOptions::default()) else {
        return Some(Answer::text(sentences::CHART_FAILED));
    };
    let mut markdown = format!("**{}**", data.title());
    if let Some(line) =
        headline::partial_line_for(inventory.missing_accounts(), inventory.account_count())
    {
        markdown.push('\n');
        markdown.push_str(&line);
    }
    Some(Answer {
        messages: vec![Message::file(
            markdown,
            Attachment {
                filename: kind.file_name(now),
                content_type: PNG_CONTENT_TYPE.to_string(),
                bytes: png,
            },
        )],
    })
}

/// The answer to a command that needs no licences (`help`), or that only the bot can carry
/// out because it needs the backend or its own store (`sign out`, `confirm`, `notify …`: the
/// sentence that says so); `None` for commands that read the inventory.
pub fn answer_without_inventory(command: &Command) -> Option<Answer> {
    (matches!(
        command,
        Command::Help | Command::SignOut | Command::Confirm { .. }
    ) || command.is_notify())
    .then(|| without_data(command))
}

/// `help`, or for `sign out` / `confirm` / `notify …` the sentence that only the bot can do
/// them.
fn without_data(command: &Command) -> Answer {
    match command {
        Command::Help => Answer::text(help_markdown()),
        _ => {
            // The first form without its optional parts: `notify on`, not the whole pattern.
            let spec = command.kind().spec();
            let form = spec
                .forms
                .first()
                .and_then(|f| expand(f.text).into_iter().next())
                .map_or_else(|| spec.name.to_string(), |words| words.join(" "));
            Answer::text(sentences::only_in_chat(&form))
        }
    }
}

fn export_answer(report: &Report<'_>, summary: String, format: ExportFormat) -> Answer {
    let empty = matches!(&report.body, ReportBody::Export(rows) if rows.is_empty());
    if empty {
        return Answer::text(summary);
    }
    let date = ymd(report.now);
    let file = match format {
        ExportFormat::Csv => report.to_csv().map(|bytes| Attachment {
            filename: format!("licenses-{date}.csv"),
            content_type: CSV_CONTENT_TYPE.to_string(),
            bytes,
        }),
        ExportFormat::Xlsx => report.to_xlsx().map(|bytes| Attachment {
            filename: format!("licenses-{date}.xlsx"),
            content_type: XLSX_CONTENT_TYPE.to_string(),
            bytes,
        }),
    };
    match file {
        Ok(attachment) => Answer {
            messages: vec![Message::file(summary, attachment)],
        },
        Err(_) => Answer::text(sentences::FILE_FAILED),
    }
}

/// The full report as CSV: the inventory's §3 columns for line and record reports; for
/// `accounts`, `virtual-accounts` and `mix` (which §3 gives no file form) the fields of their
/// JSON items, one row per account, VA or architecture.
fn full_list(report: &Report<'_>) -> Result<Attachment, FileError> {
    let date = ymd(report.now);
    let stem = match report.kind() {
        ReportKind::Expiring(days) => format!("expiring-{days}-days"),
        kind => kind.name().to_string(),
    };
    let bytes = match &report.body {
        ReportBody::Accounts(rows) => csv_bytes(
            &["name", "domain", "status", "type"],
            rows.iter().map(|r| {
                vec![
                    r.name.into(),
                    r.domain.into(),
                    r.status.into(),
                    r.account_type.into(),
                ]
            }),
        )?,
        ReportBody::VirtualAccounts(rows) => csv_bytes(
            &["account", "domain", "virtualAccount"],
            rows.iter().flat_map(|r| {
                r.virtual_accounts
                    .iter()
                    .map(|va| vec![r.name.into(), r.domain.into(), (*va).into()])
            }),
        )?,
        ReportBody::Mix(accounts) => csv_bytes(
            &[
                "account",
                "domain",
                "totalInUse",
                "architecture",
                "inUse",
                "percent",
            ],
            accounts.iter().flat_map(|a| {
                a.architectures.iter().map(|arch| {
                    vec![
                        a.name.into(),
                        a.domain.into(),
                        a.total_in_use.to_string(),
                        arch.name.into(),
                        arch.in_use.to_string(),
                        arch.percent.to_string(),
                    ]
                })
            }),
        )?,
        ReportBody::Expired(_)
        | ReportBody::Expiring(..)
        | ReportBody::Shortages(_)
        | ReportBody::Usage(_)
        | ReportBody::Status(_)
        | ReportBody::Export(_)
        | ReportBody::Rebalance(_)
        | ReportBody::AtRisk(_)
        | ReportBody::Renewals(_) => report.to_csv().map_err(|_| FileError)?,
    };
    Ok(Attachment {
        filename: format!("{stem}-{date}.csv"),
        content_type: CSV_CONTENT_TYPE.to_string(),
        bytes,
    })
}

/// A file could not be written (an internal fault; the user gets [`sentences::FILE_FAILED`]).
#[derive(Debug)]
struct FileError;

fn csv_bytes(
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, FileError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(|_| FileError)?;
    for row in rows {
        writer.write_record(&row).map_err(|_| FileError)?;
    }
    writer.into_inner().map_err(|_| FileError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::{help_card, CardStamp, DEFAULT_CARD_LIFETIME};
    use chrono::TimeZone;
    use secrecy::SecretString;

    #[test]
    fn a_card_answer_is_one_message_whose_markdown_is_the_cards_fallback_and_has_no_file() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).single().unwrap();
        let stamp = CardStamp::new("P", "", now, DEFAULT_CARD_LIFETIME);
        let card = help_card(&stamp, &SecretString::from("k".to_string()));
        let answer = Answer::card(card.clone());
        assert_eq!(answer.messages.len(), 1);
        let message = &answer.messages[0];
        assert_eq!(message.markdown, card.fallback_markdown);
        assert_eq!(message.card.as_ref(), Some(&card));
        assert_eq!(message.attachment, None);
    }

    #[test]
    fn text_and_file_messages_carry_no_card() {
        assert_eq!(Message::text("hi").card, None);
        let file = Attachment {
            filename: "a.csv".into(),
            content_type: CSV_CONTENT_TYPE.into(),
            bytes: b"x\n".to_vec(),
        };
        assert_eq!(Message::file("hi", file).card, None);
    }
}
