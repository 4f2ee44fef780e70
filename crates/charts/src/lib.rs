//! Licence charts (issue 6, part 1): the numbers each chart draws, computed by pure functions
//! of (inventory, now, filters), and a separate step that renders them as a PNG in-process.
//!
//! Layout:
//! - [`scope`]: what every chart carries besides its numbers (as-of date, filters, missing
//!   accounts), used for titles and footnotes.
//! - [`mix`]: each account's architecture share (`chart mix`).
//! - [`expirations`]: quantity expiring per calendar month, stacked by architecture, with the
//!   last 90 days' expirations apart (`chart expirations [N days|months]`).
//! - [`usage`]: the top 15 licenses by utilization (`chart usage`).
//! - [`status`]: the one summary image of `status chart`.
//! - [`trend`]: owned and in use of one licence over the kept history, with the run-out
//!   forecast (`trend LICENSE`; from a `TrendReport`, so [`trend_png`] instead of a kind).
//! - [`render`]: [`ChartData`] → PNG bytes ([`render_png`]), one drawing module per chart, a
//!   shared frame (title, legend, footnotes, "nothing to show"), and our own text layout; plus
//!   [`chart_png`], the one call the CLI and the bot need, and [`ChartData::summary`], the
//!   chart's main numbers in words for the message that carries the image.
//! - `palette` (private): the Okabe–Ito colour-blind-safe palette and architecture colours.
//! - `font` (private): DejaVu Sans, embedded in the binary, parsed and registered once.
//! - [`error`]: [`ChartError`], the one error type of this crate.
//!
//! Every number comes from the reports of `slbot-inventory` (reports.md §2), so a chart and
//! the matching text report never disagree; the data functions are unit-tested against them.
//!
//! Typical use:
//!
//! ```no_run
//! # fn demo(inventory: &slbot_inventory::Inventory) -> Result<(), slbot_charts::ChartError> {
//! use slbot_charts::{chart_png, ChartKind, Horizon, RenderOptions};
//! let now = chrono::Utc::now(); // the caller's clock, never read inside this crate
//! let filters = slbot_inventory::Filters::none();
//! let kind = ChartKind::Expirations(Horizon::DEFAULT);
//! let png: Vec<u8> = chart_png(inventory, kind, now, &filters, RenderOptions::default())?;
//! let file_name = kind.file_name(now); // license-expirations-YYYY-MM-DD.png
//! # let _ = (png, file_name); Ok(()) }
//! ```
//!
//! Must not: do I/O (the caller writes or sends the bytes), read the clock (`now` is an
//! argument) or the environment, or use system fonts (no fontconfig: the font is embedded).

pub mod error;
pub mod expirations;
mod font;
pub mod mix;
mod palette;
pub mod render;
pub mod scope;
pub mod status;
pub mod trend;
pub mod usage;

pub use error::ChartError;
pub use expirations::{
    expirations_chart_data, Bucket, ExpirationsChart, Horizon, HorizonOutOfRange, RECENT_DAYS,
};
pub use mix::{mix_chart_data, MixAccountBar, MixChart, MixSegment};
pub use render::{chart_png, render_png, trend_png, ChartData, ChartKind, RenderOptions};
pub use scope::Scope;
pub use status::{status_chart_data, StatusChart, StatusTotals};
pub use trend::{trend_chart_data, trend_file_name, TrendChart};
pub use usage::{usage_chart_data, UsageBar, UsageChart, USAGE_TOP};

#[cfg(test)]
mod test_support;
