//! Chat grammar (reports.md §5) and the Webex-markdown answers of reports.md §4.
//!
//! Owns: parsing a chat message into a command, and turning a command plus an inventory into
//! the messages the bot posts (markdown, with CSV/XLSX attachments as bytes). Must not: do I/O,
//! read the clock, or know about HTTP, Webex or tokens.
//!
//! Layout:
//! - [`command`]: the [`Command`] enum and [`COMMANDS`], the one table of canonical names,
//!   accepted forms and help lines that drives the parser, the suggestions and `help`.
//! - [`parse`]: text → [`Command`] or [`ParseError`] (filters, normalisation, suggestions).
//! - [`help`]: the help message, generated from the table.
//! - [`sentences`]: the fixed sentences of §4 (sign-in, errors, busy, refreshed) and the reply
//!   to every [`ParseError`]: the one place where these situations become words.
//! - [`headline`]: the bold headline of every report and the partial line.
//! - [`markdown`]: escaping, the nested account → VA → row list and the 7,439-byte size rule.
//! - [`report_markdown`]: one computed report → one message; `status` (private module
//!   `status`) has its own never-shortened layout.
//! - [`cards`]: the Adaptive Cards (help, filter), the verification of their signed submits,
//!   and when to offer the filter card; pure functions returning JSON plus a markdown fallback.
//! - [`answer`]: [`Command`] + [`Inventory`](slbot_inventory::Inventory) + now → [`Answer`],
//!   the messages and files the bot posts.

pub mod answer;
pub mod cards;
pub mod command;
pub mod headline;
pub mod help;
pub mod markdown;
pub mod parse;
pub mod report_markdown;
pub mod sentences;
mod status;

pub use answer::{answer, answer_without_inventory, Answer, Attachment, Message};
pub use cards::{
    filter_card, help_card, inventory_version, should_offer_filter_card, verify_submit, Card,
    CardKind, CardRefusal, CardRequest, CardStamp,
};
pub use command::{
    ChartHorizon, Command, CommandSpec, Days, ExportFormat, Filters, Frequency, Kind, Months,
    Schedule, Tz, COMMANDS, DEFAULT_NOTIFY_WINDOW,
};
pub use help::help_markdown;
pub use markdown::MAX_MARKDOWN_BYTES;
pub use parse::{parse, time_of_day, time_zone, ParseError};
pub use report_markdown::{report_markdown, ChatReport};

#[cfg(test)]
mod card_tests;
#[cfg(test)]
mod spec_tests;
