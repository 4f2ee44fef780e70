//! The licence inventory: one snapshot read into a compact model, every report of reports.md
//! §2 as a pure function of (inventory, now, filters), and the renderers of §3.
//!
//! Layout:
//! - [`catalog`]: licence name → architecture (shipped copy + user overrides).
//! - [`date`]: the tolerant date forms of §1, parsed once into seconds (UTC).
//! - `raw` (private): tolerant wire shapes of a licence record.
//! - `model` ([`Inventory`]): interned, precomputed tables; loading with warnings.
//! - `select` (private): filters → selected accounts and VAs, with suggestions for typos.
//! - `compute` (private): the reports and their total ordering.
//! - [`report`]: the public report types ([`ReportKind`], [`Filters`], rows, [`Report`]).
//! - [`render`]: JSON (§3), terminal table, CSV and XLSX bytes. Chat markdown lives in the
//!   chat crate, built on the types of [`report`].
//!
//! Must not: do I/O (files, network), read the clock (`now` is always an argument) or read
//! the environment. Loading never panics on bad data: unreadable records become warnings.

pub mod catalog;
mod compute;
pub mod date;
mod model;
mod raw;
pub mod render;
pub mod report;
mod select;

pub use catalog::{Architecture, Catalog, CatalogError, UNCATEGORIZED};
pub use model::{Inventory, LoadError};
pub use render::RenderError;
pub use report::{
    AccountRow, DateValue, Days, DaysOutOfRange, ExportLine, ExportRow, FilterKey, Filters,
    LineRow, LinesSection, MixAccount, MixArchitecture, RecordRow, RecordsSection, Report,
    ReportBody, ReportKind, Reserved, StatusReport, UnknownFilterValue, VirtualAccountsRow,
    DAYS_RANGE_SENTENCE,
};
pub use slbot_cssm::MissingAccount;

#[cfg(test)]
mod tests;
