//! Chat grammar (reports.md §5) and the Webex-markdown answers of reports.md §4.
//!
//! Owns: parsing a chat message into a command, and turning a command plus an inventory into
//! the messages the bot posts (markdown, with CSV/XLSX attachments as bytes). Must not: do I/O,
//! read the clock, or know about HTTP, Webex or tokens.
