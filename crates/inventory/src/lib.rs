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
//! - `kind` ([`ReportKind`]): the one declaration of every report, its name and file forms.
//! - [`report`]: the public report types ([`Filters`], rows, [`Report`]).
//! - `rebalance` ([`RebalanceRow`]): one report in one file, the recipe of CONTRIBUTING.md.
//! - `at-risk` ([`AtRiskRow`]): smart accounts ranked by a stated score, by the same recipe.
//! - [`history`]: compact points of kept fetches, and `changes` / `trend` over them.
//! - `renewals` ([`Renewals`]): the renewal calendar by quarter, in a time zone, same recipe.
//! - `prices` ([`PriceList`]): the unit-price CSV that gives `renewals` its amounts.
//! - [`render`]: JSON (§3), terminal table, CSV and XLSX bytes. Chat markdown lives in the
//!   chat crate, built on the types of [`report`].
//!
//! ```
//! use slbot_inventory::{Catalog, Filters, Inventory, ReportKind};
//!
//! let json = br#"{"accounts": [{"accountName": "Acme", "accountDomain": "acme.com"}],
//!   "licenses": {"acme.com": [{"license": "AnyConnect Apex", "virtualAccount": "DEFAULT",
//!                               "quantity": 10, "inUse": 12}]}}"#;
//! let inventory = Inventory::from_json_slice(json, &Catalog::shipped())?;
//! let now = 1_795_824_000; // 2026-11-28T00:00:00Z; `report` takes a DateTime<Utc> instead
//! let report = inventory.report_at(ReportKind::Shortages, now, &Filters::none())?;
//! assert_eq!(report.count(), 1);
//! assert_eq!(report.to_json()["items"][0]["shortage"], 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Rules where reports.md is silent (decided here, pinned by tests)
//!
//! - A record with no `license` name or no `virtualAccount`, or whose shape is not a record
//!   (not an object, a line that is not an object, a text field holding an object), is
//!   unreadable: skipped with a warning naming account, VA and licence as far as known.
//! - A number that is present but not a number (`"lots"`) counts as 0 with a warning; floats
//!   are rounded; `"100"` is 100. `reserved` is kept as a count or a flag, whichever CSSM sent.
//! - Unreadable `endDate`s are summarised in one warning (count and first example); unreadable
//!   `startDate`s in another. Both are exported as their raw text.
//! - An account without `accountDomain` is skipped with a warning; a second entry with the same
//!   domain is ignored with a warning; licences under a domain no account lists still load,
//!   under an account named after the domain, with a warning.
//! - VA names are de-duplicated by their exact bytes (`"Lab"` and `"Lab "` are two VAs).
//! - Valid `va` filter values are the VAs of every account; a VA that exists elsewhere but
//!   not in the accounts selected by `account` simply selects nothing (no error).
//! - On `virtual-accounts`, a `va` filter keeps the accounts containing it and lists only the
//!   matching VA names.
//! - `startDate` ties: parsed dates ascending, then unreadable text, then missing ones last.
//! - `partial` is true exactly when `missingAccounts` is not empty; skipped records are
//!   warnings, not partiality.
//! - Export sorts accounts by name then domain (the tie-break rule), then VA, licence name,
//!   CSSM record order and line order.
//! - Numbers saturate instead of overflowing (absurd values cannot crash a report).
//!
//! Must not: do I/O (files, network), read the clock (`now` is always an argument) or read
//! the environment. Loading never panics on bad data: unreadable records become warnings.

mod at_risk;
pub mod catalog;
mod compute;
pub mod date;
pub mod history;
mod kind;
mod model;
mod prices;
mod raw;
mod rebalance;
pub mod render;
mod renewals;
pub mod report;
mod select;

pub use at_risk::{AtRiskRow, RiskReason, WEIGHTS as AT_RISK_WEIGHTS};
pub use catalog::{Architecture, Catalog, CatalogError, UNCATEGORIZED};
pub use kind::ReportKind;
pub use model::{Inventory, LoadError};
pub use prices::{looks_like_price_file, ParsedPrices, PriceFileError, PriceList, UnitPrice};
pub use rebalance::{RebalanceRow, Transfer};
pub use render::RenderError;
pub use renewals::{
    Amount, Calendar, Quarters, QuartersOutOfRange, RenewalQuarter, RenewalRow, Renewals, NO_PRICE,
    QUARTERS_RANGE_SENTENCE,
};
pub use report::{
    AccountRow, DateValue, Days, DaysOutOfRange, ExportIter, ExportLine, ExportRow, ExportRows,
    FilterKey, Filters, LineRow, LinesSection, MixAccount, MixArchitecture, RecordRow,
    RecordsSection, Report, ReportBody, Reserved, StatusReport, UnknownFilterValue,
    VirtualAccountsRow, DAYS_RANGE_SENTENCE,
};
pub use slbot_cssm::MissingAccount;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
