//! The public shape of every report (reports.md §2–§3): which report to run, the filters, and
//! the rows each report returns.
//!
//! Rows borrow their strings from the [`Inventory`](crate::Inventory) they were computed from
//! (`&'a str`), so a report over tens of thousands of lines allocates only its row vectors.
//! Strings are exactly as CSSM gave them (never trimmed); renderers for chat trim them.
//!
//! These types are the contract the chat crate builds on: fields are public and documented,
//! and the ordering of every `Vec` is already the report order of reports.md §2.

use std::fmt;

use slbot_cssm::MissingAccount;

pub use crate::kind::ReportKind;
use crate::rebalance::RebalanceRow;

/// The number of days `expiring` looks ahead: a whole number in `1..=3650`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Days(u32);

/// The sentence for a day count out of range (reports.md §4 "number out of range").
pub const DAYS_RANGE_SENTENCE: &str = "I can look 1 to 3650 days ahead, for example `expire 90`.";

/// A day count outside `1..=3650`, or not a whole number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("I can look 1 to 3650 days ahead, for example `expire 90`.")]
pub struct DaysOutOfRange;

impl Days {
    /// The smallest accepted value.
    pub const MIN: u32 = 1;
    /// The largest accepted value (ten years).
    pub const MAX: u32 = 3650;
    /// `expiring` without a day count looks 30 days ahead.
    pub const DEFAULT: Days = Days(30);
    /// `status` looks 180 days ahead.
    pub const STATUS: Days = Days(180);

    /// A validated day count.
    pub fn new(days: u32) -> Result<Self, DaysOutOfRange> {
        if (Self::MIN..=Self::MAX).contains(&days) {
            Ok(Days(days))
        } else {
            Err(DaysOutOfRange)
        }
    }

    /// Parses user text: a whole decimal number in range (`"90"`); anything else
    /// (`"0"`, `"abc"`, `"2.5"`, `"99999"`, `"-1"`) is [`DaysOutOfRange`].
    pub fn parse(text: &str) -> Result<Self, DaysOutOfRange> {
        let t = text.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DaysOutOfRange);
        }
        t.parse::<u32>()
            .map_err(|_| DaysOutOfRange)
            .and_then(Days::new)
    }

    /// The number of days.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The window in seconds (`days × 86 400`).
    pub fn seconds(self) -> i64 {
        i64::from(self.0) * 86_400
    }
}

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Report filters (reports.md §2). A value matches the trimmed name — or, for accounts, the
/// domain — case-insensitively and exactly. Values of one key are OR-ed, the two keys AND-ed.
/// Empty lists select everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Smart account names or domains.
    pub accounts: Vec<String>,
    /// Virtual account names.
    pub vas: Vec<String>,
}

impl Filters {
    /// No filter: every account and VA.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.vas.is_empty()
    }
}

/// Which filter key an unknown value was given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    /// `account:` / `--account`.
    Account,
    /// `va:` / `--va`.
    VirtualAccount,
}

/// A filter value that matches nothing that exists: the user can fix it from the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.sentence())]
pub struct UnknownFilterValue {
    /// Which key the value was given for.
    pub key: FilterKey,
    /// The value exactly as given.
    pub value: String,
    /// Up to 10 closest valid names (trimmed), closest first.
    pub suggestions: Vec<String>,
    /// How many valid names exist for this key.
    pub valid_count: usize,
}

impl UnknownFilterValue {
    /// The user-facing sentence, e.g. ``I don't know the virtual account `Shared`. Closest of
    /// the 25 virtual accounts: `Shared Services`, `DEFAULT`.``
    pub fn sentence(&self) -> String {
        let what = match self.key {
            FilterKey::Account => ("smart account", "smart accounts"),
            FilterKey::VirtualAccount => ("virtual account", "virtual accounts"),
        };
        let mut s = format!("I don't know the {} `{}`.", what.0, self.value.trim());
        if self.valid_count == 0 {
            s.push_str(&format!(" There are no {} to choose from.", what.1));
        } else {
            let names: Vec<String> = self.suggestions.iter().map(|n| format!("`{n}`")).collect();
            let noun = if self.valid_count == 1 {
                what.0
            } else {
                what.1
            };
            s.push_str(&format!(
                " Closest of the {} {}: {}.",
                self.valid_count,
                noun,
                names.join(", ")
            ));
        }
        s
    }
}

/// A date field of an entitlement line as read from CSSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateValue<'a> {
    /// `null` or missing. For `endDate` this means the line never expires (perpetual).
    Absent,
    /// A parsed instant, seconds since 1970-01-01T00:00:00Z.
    At(i64),
    /// A value none of the accepted forms could read, kept as its raw text
    /// ("unknown expiry": never expired nor expiring; exports show the raw text).
    Unparsed(&'a str),
}

impl DateValue<'_> {
    /// The parsed instant, if any.
    pub fn seconds(self) -> Option<i64> {
        match self {
            DateValue::At(s) => Some(s),
            _ => None,
        }
    }

    /// The UTC calendar date `YYYY-MM-DD`, the raw text when unparsed, `None` when absent.
    pub fn display(self) -> Option<String> {
        match self {
            DateValue::Absent => None,
            DateValue::At(s) => Some(crate::date::ymd(s)),
            DateValue::Unparsed(raw) => Some(raw.to_string()),
        }
    }
}

/// One entitlement line (`licenseDetails[]` element) with its record's identity.
/// JSON item: `{account, domain, virtualAccount, license, licenseType, quantity, endDate}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineRow<'a> {
    /// Smart account name.
    pub account: &'a str,
    /// Smart account domain.
    pub domain: &'a str,
    /// Virtual account name.
    pub virtual_account: &'a str,
    /// Licence name.
    pub license: &'a str,
    /// `licenseType` (TERM, PERPETUAL, …; empty when missing).
    pub license_type: &'a str,
    /// The line's `quantity` (0 when missing).
    pub quantity: i64,
    /// `startDate`.
    pub start_date: DateValue<'a>,
    /// `endDate` (absent = perpetual).
    pub end_date: DateValue<'a>,
    /// `subscriptionId`, `None` when null or missing.
    pub subscription_id: Option<&'a str>,
    /// The line's `status` (empty when missing).
    pub status: &'a str,
}

/// One licence record with the derived figure of its report.
/// JSON item: `{account, domain, virtualAccount, license, quantity, inUse}` plus `shortage`
/// (shortages) or `utilization` (usage).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordRow<'a> {
    /// Smart account name.
    pub account: &'a str,
    /// Smart account domain.
    pub domain: &'a str,
    /// Virtual account name.
    pub virtual_account: &'a str,
    /// Licence name.
    pub license: &'a str,
    /// Architecture from the catalogue (`Uncategorized` when unknown).
    pub architecture: &'a str,
    /// The record's `quantity`.
    pub quantity: i64,
    /// The record's `inUse`.
    pub in_use: i64,
    /// `inUse − quantity` (positive for shortages rows).
    pub shortage: i64,
    /// `100 × inUse / quantity`, unrounded; `None` when quantity is 0.
    pub utilization: Option<f64>,
}

/// One smart account of the `accounts` report. JSON: `{name, domain, status, type}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountRow<'a> {
    /// `accountName`.
    pub name: &'a str,
    /// `accountDomain`.
    pub domain: &'a str,
    /// `accountStatus` (e.g. `Active`; empty when missing).
    pub status: &'a str,
    /// `accountType` (`CUSTOMER` or `HOLDING`; empty when missing).
    pub account_type: &'a str,
}

/// One smart account of the `virtual-accounts` report.
/// JSON: `{name, domain, virtualAccounts:[string]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualAccountsRow<'a> {
    /// `accountName`.
    pub name: &'a str,
    /// `accountDomain`.
    pub domain: &'a str,
    /// VA names: from the virtual-accounts call, then roles, then records; first-seen order.
    pub virtual_accounts: Vec<&'a str>,
}

/// One architecture of one account in the mix. JSON: `{name, inUse, percent}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixArchitecture<'a> {
    /// Architecture name (`Uncategorized` for licences not in the catalogue).
    pub name: &'a str,
    /// Sum of `inUse` of the account's records of this architecture (once per record).
    pub in_use: i64,
    /// `100 × in_use / account total`, unrounded.
    pub percent: f64,
}

/// One account of the mix. JSON: `{name, domain, totalInUse, architectures:[…]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct MixAccount<'a> {
    /// `accountName`.
    pub name: &'a str,
    /// `accountDomain`.
    pub domain: &'a str,
    /// Sum of `inUse` over the account's records (filters applied).
    pub total_in_use: i64,
    /// By `inUse` descending, then name.
    pub architectures: Vec<MixArchitecture<'a>>,
}

/// Entitlement lines of `expired` / `expiring`, or a status section of them.
#[derive(Debug, Clone, PartialEq)]
pub struct LinesSection<'a> {
    /// Number of matching lines (all of them, even when `items` is a top 5).
    pub count: usize,
    /// Sum of the matching lines' quantities.
    pub quantity: i64,
    /// The rows in report order (every row, or the top 5 in `status`).
    pub items: Vec<LineRow<'a>>,
}

/// Records of `shortages` / `usage`, or a status section of them.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordsSection<'a> {
    /// Number of matching records (all of them, even when `items` is a top 5).
    pub count: usize,
    /// The rows in report order (every row, or the top 5 in `status`).
    pub items: Vec<RecordRow<'a>>,
}

/// The `status` summary.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport<'a> {
    /// Top 5 expired lines.
    pub expired: LinesSection<'a>,
    /// Top 5 lines expiring within 180 days.
    pub expiring: LinesSection<'a>,
    /// Top 5 shortages.
    pub shortages: RecordsSection<'a>,
    /// Top 5 by utilization.
    pub usage: RecordsSection<'a>,
    /// The whole mix.
    pub mix: Vec<MixAccount<'a>>,
}

/// The entitlement-line half of an export row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportLine<'a> {
    /// `licenseType`.
    pub license_type: &'a str,
    /// The line's `quantity` (column `lineQuantity`).
    pub quantity: i64,
    /// `startDate`.
    pub start_date: DateValue<'a>,
    /// `endDate`.
    pub end_date: DateValue<'a>,
    /// `subscriptionId`.
    pub subscription_id: Option<&'a str>,
    /// The line's `status` (column `lineStatus`).
    pub status: &'a str,
}

/// `reserved` of a record: CSSM samples show it both as a count and as a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// A number (missing = 0).
    Count(i64),
    /// A boolean.
    Flag(bool),
}

/// The rows of `export`, in order: made one at a time as they are read, so an export of a
/// million lines never holds more than the row being written (rows borrow from the
/// inventory; the report holds only the selected record indices).
#[derive(Clone)]
pub struct ExportRows<'a> {
    inventory: &'a crate::Inventory,
    records: Vec<u32>,
    len: usize,
}

impl<'a> ExportRows<'a> {
    pub(crate) fn new(inventory: &'a crate::Inventory, records: Vec<u32>) -> Self {
        let len = records
            .iter()
            .map(|&r| (inventory.records[r as usize].line_count as usize).max(1))
            .sum();
        ExportRows {
            inventory,
            records,
            len,
        }
    }

    /// Number of rows: one per entitlement line, one for each record without lines.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The rows, in the order of reports.md §2.
    pub fn iter(&self) -> ExportIter<'a, '_> {
        ExportIter {
            inventory: self.inventory,
            records: self.records.iter(),
            current: None,
        }
    }
}

impl<'a, 'r> IntoIterator for &'r ExportRows<'a> {
    type Item = ExportRow<'a>;
    type IntoIter = ExportIter<'a, 'r>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq for ExportRows<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for ExportRows<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over [`ExportRows`].
pub struct ExportIter<'a, 'r> {
    inventory: &'a crate::Inventory,
    records: std::slice::Iter<'r, u32>,
    /// The record being read and the range of its lines still to give.
    current: Option<(u32, std::ops::Range<u32>)>,
}

impl<'a> Iterator for ExportIter<'a, '_> {
    type Item = ExportRow<'a>;
    fn next(&mut self) -> Option<ExportRow<'a>> {
        loop {
            if let Some((r, lines)) = &mut self.current {
                if let Some(li) = lines.next() {
                    return Some(self.inventory.export_row(*r, Some(li)));
                }
                self.current = None;
            }
            let &r = self.records.next()?;
            let rec = &self.inventory.records[r as usize];
            if rec.line_count == 0 {
                return Some(self.inventory.export_row(r, None));
            }
            self.current = Some((r, rec.first_line..rec.first_line + rec.line_count));
        }
    }
}

/// One row of `export`: a record and one of its lines (`line: None` for a record without lines).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportRow<'a> {
    /// Smart account name.
    pub account: &'a str,
    /// Smart account domain.
    pub domain: &'a str,
    /// `accountStatus`.
    pub account_status: &'a str,
    /// `accountType`.
    pub account_type: &'a str,
    /// Virtual account name.
    pub virtual_account: &'a str,
    /// Licence name.
    pub license: &'a str,
    /// Catalogue architecture (`Uncategorized` when unknown).
    pub architecture: &'a str,
    /// Catalogue sub-architecture (empty when unknown).
    pub sub_architecture: &'a str,
    /// Record `quantity`.
    pub quantity: i64,
    /// Record `inUse`.
    pub in_use: i64,
    /// Record `available`.
    pub available: i64,
    /// Record `status`.
    pub status: &'a str,
    /// Record `billingType`.
    pub billing_type: &'a str,
    /// Record `pendingQuantity`.
    pub pending_quantity: i64,
    /// Record `reserved`.
    pub reserved: Reserved,
    /// Record `isPortable` (`None` when missing).
    pub is_portable: Option<bool>,
    /// The entitlement line, `None` for a record without lines.
    pub line: Option<ExportLine<'a>>,
}

impl ExportRow<'_> {
    /// `max(0, inUse − quantity)`.
    pub fn shortage(&self) -> i64 {
        self.in_use.saturating_sub(self.quantity).max(0)
    }

    /// `100 × inUse / quantity`, `None` when quantity is 0.
    pub fn utilization(&self) -> Option<f64> {
        utilization(self.in_use, self.quantity)
    }

    /// `floor((endDate − now) / 86 400 s)`; `None` without a line, for a perpetual line or an
    /// unknown expiry.
    pub fn days_to_expiry(&self, now: i64) -> Option<i64> {
        let end = self.line?.end_date.seconds()?;
        Some(end.saturating_sub(now).div_euclid(86_400))
    }
}

pub(crate) fn utilization(in_use: i64, quantity: i64) -> Option<f64> {
    (quantity != 0).then(|| 100.0 * in_use as f64 / quantity as f64)
}

/// What a report computed, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportBody<'a> {
    /// `accounts`.
    Accounts(Vec<AccountRow<'a>>),
    /// `virtual-accounts`.
    VirtualAccounts(Vec<VirtualAccountsRow<'a>>),
    /// `expired`.
    Expired(LinesSection<'a>),
    /// `expiring`, with its day count.
    Expiring(Days, LinesSection<'a>),
    /// `shortages`.
    Shortages(RecordsSection<'a>),
    /// `usage`.
    Usage(RecordsSection<'a>),
    /// `mix`: accounts in CSSM order, those with nothing in use left out.
    Mix(Vec<MixAccount<'a>>),
    /// `status`.
    Status(Box<StatusReport<'a>>),
    /// `export`.
    Export(ExportRows<'a>),
    /// `rebalance`: shortages with suggested transfers first, those nothing covers last.
    Rebalance(Vec<RebalanceRow<'a>>),
    /// `at-risk`: accounts by score, highest first.
    AtRisk(Vec<crate::at_risk::AtRiskRow<'a>>),
    /// `renewals`: every quarter of the calendar with its lines.
    Renewals(Box<crate::renewals::Renewals<'a>>),
}

/// A computed report: its rows, the instant it was computed for, and the snapshot's
/// completeness (carried into every output).
#[derive(Debug, Clone, PartialEq)]
pub struct Report<'a> {
    /// The rows.
    pub body: ReportBody<'a>,
    /// `now`, seconds since the epoch (used by `daysToExpiry` in exports).
    pub now: i64,
    /// Whether some accounts could not be read.
    pub partial: bool,
    /// The accounts that could not be read, and why.
    pub missing_accounts: &'a [MissingAccount],
    /// Warnings of the fetch and of loading (unreadable records, unknown dates, …).
    pub warnings: &'a [String],
}

impl Report<'_> {
    /// Which report this is.
    pub fn kind(&self) -> ReportKind {
        match &self.body {
            ReportBody::Accounts(_) => ReportKind::Accounts,
            ReportBody::VirtualAccounts(_) => ReportKind::VirtualAccounts,
            ReportBody::Expired(_) => ReportKind::Expired,
            ReportBody::Expiring(d, _) => ReportKind::Expiring(*d),
            ReportBody::Shortages(_) => ReportKind::Shortages,
            ReportBody::Usage(_) => ReportKind::Usage,
            ReportBody::Mix(_) => ReportKind::Mix,
            ReportBody::Status(_) => ReportKind::Status,
            ReportBody::Export(_) => ReportKind::Export,
            ReportBody::Rebalance(_) => ReportKind::Rebalance,
            ReportBody::AtRisk(_) => ReportKind::AtRisk,
            ReportBody::Renewals(r) => ReportKind::Renewals(r.calendar),
        }
    }

    /// The report's `count` (rows; entitlement lines for expired/expiring; accounts for
    /// accounts, virtual-accounts and mix; shortages for rebalance; lines for renewals; 0 for
    /// status).
    pub fn count(&self) -> usize {
        match &self.body {
            ReportBody::Accounts(r) => r.len(),
            ReportBody::VirtualAccounts(r) => r.len(),
            ReportBody::Expired(s) | ReportBody::Expiring(_, s) => s.count,
            ReportBody::Shortages(s) | ReportBody::Usage(s) => s.count,
            ReportBody::Mix(r) => r.len(),
            ReportBody::Status(_) => 0,
            ReportBody::Export(r) => r.len(),
            ReportBody::Rebalance(r) => r.len(),
            ReportBody::AtRisk(r) => r.len(),
            ReportBody::Renewals(r) => r.count(),
        }
    }

    /// This report with unit prices applied: `renewals` gets amounts per line and per quarter
    /// (see `renewals.rs`); other reports have no amounts and are returned unchanged.
    pub fn with_prices(mut self, prices: &crate::prices::PriceList) -> Self {
        if let ReportBody::Renewals(r) = &mut self.body {
            r.apply_prices(prices);
        }
        self
    }
}
