//! Chat grammar (reports.md §5) and the Webex-markdown answers of reports.md §4.
//!
//! Owns: parsing a chat message into a command, and turning a command plus an inventory into
//! the messages the bot posts (markdown, with CSV/XLSX attachments as bytes). Must not: do I/O,
//! read the clock, or know about HTTP, Webex or tokens.
//!
//! Layout:
//! - [`command`]: the [`Command`] enum and [`COMMANDS`], the one table of canonical names,
//!   accepted forms and help lines that drives the parser, the suggestions and `help`.
//! - [`parse`](mod@parse): text → [`Command`] or [`ParseError`] (filters, normalisation, suggestions).
//! - [`help`]: the help message, generated from the table.
//! - [`sentences`]: the fixed sentences of §4 (sign-in, errors, busy, refreshed) and the reply
//!   to every [`ParseError`]: the one place where these situations become words.
//! - [`headline`]: the bold headline of every report and the partial line.
//! - [`markdown`]: escaping, the nested account → VA → row list and the 7,439-byte size rule.
//! - `rows` (private): the text of one row (dates, quantities, shortage, utilization), shared by
//!   `report_markdown` and `status`.
//! - [`report_markdown`](mod@report_markdown): one computed report → one message; `status` (private module
//!   `status`) has its own never-shortened layout.
//! - [`cards`]: the Adaptive Cards (help, filter), the verification of their signed submits,
//!   and when to offer the filter card; pure functions returning JSON plus a markdown fallback.
//! - [`history`]: `changes`, `trend` and the run-out section of `status`, from the kept
//!   history points ([`answer_with_history`]).
//! - [`answer`](mod@answer): [`Command`] + [`Inventory`](slbot_inventory::Inventory) + now → [`Answer`],
//!   the messages and files the bot posts.
//!
//! # How the bot drives this crate
//!
//! - A message: [`parse()`] → on error, [`sentences::parse_error_reply`]; otherwise
//!   [`answer_without_inventory`] (help, sign-out, confirm, `notify …`: those the bot carries
//!   out itself, matching on the [`Command`] first) or, with the person's inventory,
//!   [`answer()`]. Chart commands ([`Command::is_chart`]) are answered by [`answer()`] too.
//!   `notify …` commands ([`Command::is_notify`]) carry their typed arguments
//!   ([`Schedule`], [`Days`]) for the bot's notification store.
//! - `filter`: post [`cards::filter_card`] (with [`cards::Card::fallback_markdown`] as the
//!   message's markdown and [`cards::Card::attachment`] as its one attachment); `help` may
//!   likewise be posted as [`cards::help_card`].
//! - A card submit (`GET /attachment/actions/{id}`): [`cards::verify_submit`] with the
//!   submit's `personId`, [`cards::inventory_version`] of the person's current inventory, now
//!   and the card secret → a [`CardRequest`] whose `command` goes through the same path as a
//!   typed one; or a [`CardRefusal`] → [`sentences::card_refusal`], followed by a fresh card
//!   when [`CardRefusal::fresh_card`] says so.
//! - After a report: [`cards::should_offer_filter_card`] with the last time the card was
//!   offered to that person (the bot keeps that time).

pub mod answer;
pub mod cards;
pub mod command;
pub mod headline;
pub mod help;
pub mod history;
pub mod markdown;
pub mod parse;
pub mod report_markdown;
mod rows;
pub mod sentences;
mod status;

pub use answer::{
    answer, answer_chart, answer_priced, answer_without_inventory, Answer, Attachment, Message,
};
pub use cards::{
    filter_card, help_card, inventory_version, should_offer_filter_card, verify_submit, Card,
    CardKind, CardRefusal, CardRequest, CardStamp,
};
pub use command::{
    Command, CommandSpec, Days, ExportFormat, Filters, Frequency, Horizon, Kind, Schedule, Tz,
    COMMANDS, DEFAULT_NOTIFY_WINDOW,
};
pub use help::help_markdown;
pub use history::answer_with_history;
pub use markdown::MAX_MARKDOWN_BYTES;
pub use parse::{parse, time_of_day, time_zone, ParseError};
pub use report_markdown::{report_markdown, ChatReport};

#[cfg(test)]
mod card_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod spec_tests;
