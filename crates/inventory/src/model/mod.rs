//! The licence model: a snapshot read once into compact, interned tables.
//!
//! Every string (account, VA, licence names, types, statuses, architectures) is stored once in
//! one buffer and referred to by a [`Sym`]. After loading, symbols are renumbered in byte-wise
//! order of their text, so comparing two symbols compares their strings (the ordering rules of
//! reports.md §2 need many string comparisons). Dates are parsed once into seconds; the
//! architecture is looked up once per record.

use std::ops::Range;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use slbot_cssm::{MissingAccount, Snapshot};

use crate::catalog::Catalog;
use crate::report::{DateValue, Filters, Report, ReportKind, Reserved, UnknownFilterValue};
use load::Builder;

mod load;

/// Index of an interned string. `NO_SYM` (greater than every real symbol) means "none".
pub(crate) type Sym = u32;
pub(crate) const NO_SYM: Sym = u32::MAX;

/// A date field as stored: parsed seconds, absent, or the raw text of an unreadable value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoredDate {
    Absent,
    At(i64),
    Unparsed(Sym),
}

impl StoredDate {
    /// Sort key for `startDate` ties: parsed instants first, then unreadable text, absent last.
    pub(crate) fn tie_key(self) -> (u8, i64) {
        match self {
            StoredDate::At(s) => (0, s),
            StoredDate::Unparsed(sym) => (1, i64::from(sym)),
            StoredDate::Absent => (2, 0),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Account {
    pub name: Sym,
    pub domain: Sym,
    pub status: Sym,
    pub account_type: Sym,
    /// Valid VA names: VA call, then roles, then records; first-seen, no duplicates.
    pub vas: Vec<Sym>,
    /// This account's records (contiguous, CSSM order).
    pub records: Range<u32>,
}

#[derive(Debug)]
pub(crate) struct Record {
    pub account: u32,
    pub va: Sym,
    pub license: Sym,
    pub architecture: Sym,
    pub sub_architecture: Sym,
    pub status: Sym,
    pub billing_type: Sym,
    pub is_portable: Option<bool>,
    pub reserved: Reserved,
    pub quantity: i64,
    pub in_use: i64,
    pub available: i64,
    pub pending_quantity: i64,
    /// This record's lines (contiguous, CSSM order).
    pub first_line: u32,
    pub line_count: u32,
}

#[derive(Debug)]
pub(crate) struct Line {
    pub record: u32,
    pub license_type: Sym,
    pub subscription_id: Sym,
    pub status: Sym,
    pub quantity: i64,
    pub start: StoredDate,
    pub end: StoredDate,
}

/// The tie-break order of reports.md §2, computed once per inventory so that sorting a report
/// compares two integers instead of walking the chain (account name, domain, VA, licence,
/// licenseType, subscriptionId, startDate, CSSM order) for every comparison.
#[derive(Debug, Default)]
pub(crate) struct Order {
    /// Record indices in tie-break order (account name, domain, VA, licence, CSSM order):
    /// the order of `export`.
    pub records: Vec<u32>,
    /// Position of each record in `records`.
    pub record_rank: Vec<u32>,
    /// Position of each line in the line tie-break order (its record's identity, then
    /// licenseType, subscriptionId with null last, startDate, CSSM order).
    pub line_rank: Vec<u32>,
}

impl Order {
    /// Symbols are already numbered in byte order of their text, so comparing them compares
    /// the strings.
    pub(crate) fn of(accounts: &[Account], records: &[Record], lines: &[Line]) -> Order {
        // Accounts by (name, domain); domains are unique, so this order is total.
        let mut by_name: Vec<u32> = (0..accounts.len() as u32).collect();
        by_name.sort_unstable_by_key(|&a| {
            let acc = &accounts[a as usize];
            (acc.name, acc.domain)
        });
        let mut account_rank = vec![0u32; accounts.len()];
        for (rank, &a) in by_name.iter().enumerate() {
            account_rank[a as usize] = rank as u32;
        }
        let identity = |r: u32| {
            let rec = &records[r as usize];
            (account_rank[rec.account as usize], rec.va, rec.license)
        };
        let mut order: Vec<u32> = (0..records.len() as u32).collect();
        order.sort_unstable_by_key(|&r| (identity(r), r));
        let mut record_rank = vec![0u32; records.len()];
        for (rank, &r) in order.iter().enumerate() {
            record_rank[r as usize] = rank as u32;
        }
        // Lines: records of one identity are adjacent in `order`; their lines are ranked
        // together by the line fields, then CSSM order.
        let mut line_rank = vec![0u32; lines.len()];
        let mut next = 0u32;
        let mut group: Vec<u32> = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let key = identity(order[i]);
            group.clear();
            let mut j = i;
            while j < order.len() && identity(order[j]) == key {
                let rec = &records[order[j] as usize];
                group.extend(rec.first_line..rec.first_line + rec.line_count);
                j += 1;
            }
            if group.len() > 1 {
                group.sort_unstable_by_key(|&l| {
                    let line = &lines[l as usize];
                    // NO_SYM is greater than every symbol: a null subscriptionId sorts last.
                    (
                        line.license_type,
                        line.subscription_id,
                        line.start.tie_key(),
                        l,
                    )
                });
            }
            for &l in &group {
                line_rank[l as usize] = next;
                next += 1;
            }
            i = j;
        }
        Order {
            records: order,
            record_rank,
            line_rank,
        }
    }

    fn heap_bytes(&self) -> usize {
        (self.records.capacity() + self.record_rank.capacity() + self.line_rank.capacity())
            * std::mem::size_of::<u32>()
    }
}

/// All strings of an inventory in one buffer; `starts[i]..starts[i + 1]` is symbol `i`.
#[derive(Debug, Default)]
struct Strings {
    buf: String,
    starts: Vec<u32>,
}

/// A snapshot can't be read as a whole. Individual bad records never cause this: they are
/// skipped with a warning.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not JSON.
    #[error("the file is not JSON: {reason} at line {line}, column {column}")]
    NotJson {
        line: usize,
        column: usize,
        reason: String,
    },
    /// Valid JSON, but not a snapshot (`{"accounts": [...], "licenses": {...}}`).
    #[error("the file is JSON but not a CSSM snapshot: {reason}")]
    NotSnapshot { reason: String },
}

/// A snapshot file as the loader reads it: the licence records stay where they are in the
/// file's bytes (borrowed raw JSON, parsed one by one by the builder). The fields and their
/// defaults are those of [`Snapshot`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotFile<'a> {
    #[serde(default)]
    format: Option<String>,
    accounts: Vec<Value>,
    #[serde(borrow, default)]
    licenses: BTreeMap<String, Vec<&'a RawValue>>,
    #[serde(default)]
    virtual_accounts: Option<BTreeMap<String, Vec<Value>>>,
    #[serde(default)]
    missing_accounts: Vec<MissingAccount>,
    #[serde(default)]
    warnings: Vec<String>,
}

/// What the builder reads, from a [`Snapshot`] in memory or a [`SnapshotFile`]'s bytes.
pub(crate) struct View<'s> {
    pub accounts: &'s [Value],
    pub licenses: BTreeMap<&'s str, Vec<&'s RawValue>>,
    pub virtual_accounts: Option<&'s BTreeMap<String, Vec<Value>>>,
    pub missing_accounts: &'s [MissingAccount],
    pub warnings: &'s [String],
}

/// Every licence of one snapshot, ready for reports. Built once; reports borrow from it.
///
/// Loading never fails on bad records: they are skipped and described in [`warnings`].
/// The completeness of the fetch (`partial`, `missingAccounts`, fetch warnings) is kept.
///
/// [`warnings`]: Inventory::warnings
#[derive(Debug)]
pub struct Inventory {
    strings: Strings,
    pub(crate) accounts: Vec<Account>,
    pub(crate) records: Vec<Record>,
    pub(crate) lines: Vec<Line>,
    pub(crate) order: Order,
    missing_accounts: Vec<MissingAccount>,
    warnings: Vec<String>,
}

impl Inventory {
    /// Builds the model of a snapshot. Never fails: unreadable records are skipped and
    /// described in [`Inventory::warnings`].
    pub fn from_snapshot(snapshot: &Snapshot, catalog: &Catalog) -> Inventory {
        let view = View {
            accounts: &snapshot.accounts,
            licenses: snapshot
                .licenses
                .iter()
                .map(|(domain, records)| (domain.as_str(), records.iter().map(|r| &**r).collect()))
                .collect(),
            virtual_accounts: snapshot.virtual_accounts.as_ref(),
            missing_accounts: &snapshot.missing_accounts,
            warnings: &snapshot.warnings,
        };
        Builder::new(catalog).build(&view)
    }

    /// Reads a snapshot file's bytes and builds the model. The error says where the file
    /// stops being JSON, or why it is not a snapshot.
    ///
    /// The records are read straight from `bytes` into the model: no copy of their JSON is
    /// made, so loading needs the file's bytes, a pointer per record and the model.
    pub fn from_json_slice(bytes: &[u8], catalog: &Catalog) -> Result<Inventory, LoadError> {
        let file: SnapshotFile<'_> = serde_json::from_slice(bytes).map_err(|e| {
            use serde_json::error::Category;
            match e.classify() {
                Category::Syntax | Category::Eof | Category::Io => LoadError::NotJson {
                    line: e.line(),
                    column: e.column(),
                    reason: strip_position(&e.to_string()),
                },
                Category::Data => LoadError::NotSnapshot {
                    reason: e
                        .to_string()
                        .replace("struct SnapshotFile", "a CSSM snapshot"),
                },
            }
        })?;
        if let Some(format) = file.format.as_deref() {
            if !format.starts_with("slbot-cssm-snapshot/") {
                return Err(LoadError::NotSnapshot {
                    reason: format!("unknown format `{format}`"),
                });
            }
        }
        let view = View {
            accounts: &file.accounts,
            licenses: file
                .licenses
                .iter()
                .map(|(domain, records)| (domain.as_str(), records.clone()))
                .collect(),
            virtual_accounts: file.virtual_accounts.as_ref(),
            missing_accounts: &file.missing_accounts,
            warnings: &file.warnings,
        };
        Ok(Builder::new(catalog).build(&view))
    }

    /// Whether some accounts could not be read (the answer is incomplete).
    pub fn partial(&self) -> bool {
        !self.missing_accounts.is_empty()
    }

    /// The accounts that could not be read, and why.
    pub fn missing_accounts(&self) -> &[MissingAccount] {
        &self.missing_accounts
    }

    /// Fetch warnings followed by loading warnings (skipped records, unreadable dates, …).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Number of smart accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Every valid `va` filter value, trimmed, sorted and without duplicates: the VAs of
    /// every account (virtual-accounts call, then roles, then records).
    pub fn virtual_account_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .accounts
            .iter()
            .flat_map(|a| a.vas.iter().map(|&v| self.s(v).trim()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Number of licence records loaded.
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    /// Number of entitlement lines loaded.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Computes a report for `now` (see [`Inventory::report_at`]).
    pub fn report(
        &self,
        kind: ReportKind,
        now: DateTime<Utc>,
        filters: &Filters,
    ) -> Result<Report<'_>, UnknownFilterValue> {
        self.report_at(kind, now.timestamp(), filters)
    }

    /// Computes a report for `now` in seconds since the epoch. The only error is a filter
    /// value that names no account or VA.
    pub fn report_at(
        &self,
        kind: ReportKind,
        now: i64,
        filters: &Filters,
    ) -> Result<Report<'_>, UnknownFilterValue> {
        let selection = self.select(filters)?;
        Ok(Report {
            body: self.compute(kind, now, &selection),
            now,
            partial: self.partial(),
            missing_accounts: &self.missing_accounts,
            warnings: &self.warnings,
        })
    }

    /// The text of a symbol.
    pub(crate) fn s(&self, sym: Sym) -> &str {
        if sym == NO_SYM {
            return "";
        }
        let i = sym as usize;
        match (self.strings.starts.get(i), self.strings.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => self.strings.buf.get(a as usize..b as usize).unwrap_or(""),
            _ => "",
        }
    }

    pub(crate) fn opt(&self, sym: Sym) -> Option<&str> {
        (sym != NO_SYM).then(|| self.s(sym))
    }

    pub(crate) fn date(&self, d: StoredDate) -> DateValue<'_> {
        match d {
            StoredDate::Absent => DateValue::Absent,
            StoredDate::At(s) => DateValue::At(s),
            StoredDate::Unparsed(sym) => DateValue::Unparsed(self.s(sym)),
        }
    }

    /// The bytes this inventory holds on the heap (its tables, strings, warnings), counted
    /// from the capacities it owns: what a cache of inventories should weigh it by.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let text = |s: &String| s.capacity();
        size_of::<Inventory>()
            + self.strings.buf.capacity()
            + self.strings.starts.capacity() * size_of::<u32>()
            + self.accounts.capacity() * size_of::<Account>()
            + self
                .accounts
                .iter()
                .map(|a| a.vas.capacity() * size_of::<Sym>())
                .sum::<usize>()
            + self.records.capacity() * size_of::<Record>()
            + self.lines.capacity() * size_of::<Line>()
            + self.order.heap_bytes()
            + self.missing_accounts.capacity() * size_of::<MissingAccount>()
            + self
                .missing_accounts
                .iter()
                .map(|m| text(&m.name) + text(&m.domain) + text(&m.reason))
                .sum::<usize>()
            + self.warnings.capacity() * size_of::<String>()
            + self.warnings.iter().map(text).sum::<usize>()
    }

    /// Number of interned strings (memory diagnostics).
    pub fn interned_strings(&self) -> usize {
        self.strings.starts.len().saturating_sub(1)
    }
}

pub(crate) fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}
