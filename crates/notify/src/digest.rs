//! What a digest says: a pure function of (inventory, now, window, what was announced before).
//!
//! Three categories, each item announced when it first enters one:
//! - **newly expired**: `expired` lines (reports.md §2) not announced as expired before, whose
//!   `endDate` is at or after the subscription's start (`expired_since`). Lines that had
//!   already expired when the person subscribed are history that `expired` shows on request;
//!   announcing years of them in the first digest would bury what is new.
//! - **entering the window**: `expiring` lines for the subscription's window not announced as
//!   entering before. A line that leaves the window by expiring is then announced once more,
//!   as expired (a different category).
//! - **new or grown shortages**: `shortages` records whose shortage is larger than the largest
//!   shortage announced for that record (never announced counts as 0). A shortage that has
//!   disappeared is forgotten ([`Digest::resolved_shortages`]), so if it comes back it is new
//!   again; nothing is forgotten from a partial inventory, where a missing account would look
//!   like a resolved shortage.
//!
//! Identity: a line is (domain, VA, trimmed licence name, licenseType, subscriptionId, end
//! date, line quantity); a record (for shortages) is (domain, VA, trimmed licence name). The
//! key stored is the SHA-256 of those fields, length-prefixed, so no name is stored twice and
//! no separator inside a name can make two items collide.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};
use slbot_inventory::{
    DateValue, Days, Filters, Inventory, LineRow, RecordRow, ReportBody, ReportKind,
};

/// The category an item is announced in (stored as `expired`, `expiring`, `shortage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// The line has expired.
    Expired,
    /// The line expires within the subscription's window.
    EnteringWindow,
    /// The record uses more than it holds.
    Shortage,
}

impl Category {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Expired => "expired",
            Category::EnteringWindow => "expiring",
            Category::Shortage => "shortage",
        }
    }

    /// The category of a stored word (`None` for a word this version does not know).
    pub fn from_stored(word: &str) -> Option<Self> {
        match word {
            "expired" => Some(Category::Expired),
            "expiring" => Some(Category::EnteringWindow),
            "shortage" => Some(Category::Shortage),
            _ => None,
        }
    }
}

/// The stored identity of an item: 64 lower-case hex digits (SHA-256 of its identity fields).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemKey(String);

impl ItemKey {
    /// A key read back from the store.
    pub fn from_stored(hex: impl Into<String>) -> Self {
        ItemKey(hex.into())
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn of(fields: &[Option<&[u8]>]) -> Self {
        let mut h = Sha256::new();
        for field in fields {
            match field {
                // Length-prefixed, with absent distinct from empty.
                Some(bytes) => {
                    h.update([1u8]);
                    h.update((bytes.len() as u64).to_be_bytes());
                    h.update(bytes);
                }
                None => h.update([0u8]),
            }
        }
        ItemKey(hex::encode(h.finalize()))
    }

    /// The key of an entitlement line.
    pub fn of_line(row: &LineRow<'_>, end_date: i64) -> Self {
        Self::of(&[
            Some(row.domain.as_bytes()),
            Some(row.virtual_account.as_bytes()),
            Some(row.license.trim().as_bytes()),
            Some(row.license_type.as_bytes()),
            row.subscription_id.map(str::as_bytes),
            Some(&end_date.to_be_bytes()),
            Some(&row.quantity.to_be_bytes()),
        ])
    }

    /// The key of a licence record (shortages).
    pub fn of_record(row: &RecordRow<'_>) -> Self {
        Self::of(&[
            Some(row.domain.as_bytes()),
            Some(row.virtual_account.as_bytes()),
            Some(row.license.trim().as_bytes()),
        ])
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What was announced to one person: per (category, key) the value announced (the line
/// quantity, or the largest shortage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnouncedSet {
    by_category: HashMap<Category, HashMap<ItemKey, i64>>,
}

impl AnnouncedSet {
    /// Nothing announced yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `key` was announced in `category` with `value`.
    pub fn insert(&mut self, category: Category, key: ItemKey, value: i64) {
        self.by_category
            .entry(category)
            .or_default()
            .insert(key, value);
    }

    /// The value announced for `key` in `category`, if it was.
    pub fn get(&self, category: Category, key: &ItemKey) -> Option<i64> {
        self.by_category.get(&category)?.get(key).copied()
    }

    /// Whether `key` was announced in `category`.
    pub fn contains(&self, category: Category, key: &ItemKey) -> bool {
        self.get(category, key).is_some()
    }

    /// How many items were announced.
    pub fn len(&self) -> usize {
        self.by_category.values().map(HashMap::len).sum()
    }

    /// Whether nothing was announced.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys announced in `category`.
    pub fn keys(&self, category: Category) -> impl Iterator<Item = &ItemKey> {
        self.by_category
            .get(&category)
            .into_iter()
            .flat_map(HashMap::keys)
    }
}

/// One announcement to record once the digest is posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub category: Category,
    pub key: ItemKey,
    /// The line quantity, or the shortage.
    pub value: i64,
}

/// An entitlement line of a digest, owned (the digest outlives the inventory borrow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestLine {
    pub key: ItemKey,
    pub account: String,
    pub domain: String,
    pub virtual_account: String,
    pub license: String,
    pub license_type: String,
    pub quantity: i64,
    pub end_date: DateTime<Utc>,
    pub subscription_id: Option<String>,
}

/// A shortage of a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestShortage {
    pub key: ItemKey,
    pub account: String,
    pub domain: String,
    pub virtual_account: String,
    pub license: String,
    pub quantity: i64,
    pub in_use: i64,
    /// `inUse − quantity` now.
    pub shortage: i64,
    /// The shortage announced before, when it has grown since.
    pub previous: Option<i64>,
}

/// What one digest announces, in report order within each category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// The subscription's window (for the section heading).
    pub window: Days,
    pub newly_expired: Vec<DigestLine>,
    pub entering_window: Vec<DigestLine>,
    pub shortages: Vec<DigestShortage>,
    /// Announced shortages that are no longer short: forget them (empty for a partial
    /// inventory). Not shown.
    pub resolved_shortages: Vec<ItemKey>,
    /// `_Partial: …_` when some accounts could not be read.
    pub partial_line: Option<String>,
}

impl Digest {
    /// Whether there is nothing to announce (then nothing is sent).
    pub fn is_empty(&self) -> bool {
        self.newly_expired.is_empty()
            && self.entering_window.is_empty()
            && self.shortages.is_empty()
    }

    /// How many items the digest announces.
    pub fn item_count(&self) -> usize {
        self.newly_expired.len() + self.entering_window.len() + self.shortages.len()
    }

    /// What to record once the digest is posted: every item of it.
    pub fn announcements(&self) -> Vec<Announcement> {
        let lines = |category: Category, rows: &[DigestLine]| {
            rows.iter()
                .map(|l| Announcement {
                    category,
                    key: l.key.clone(),
                    value: l.quantity,
                })
                .collect::<Vec<_>>()
        };
        let mut out = lines(Category::Expired, &self.newly_expired);
        out.extend(lines(Category::EnteringWindow, &self.entering_window));
        out.extend(self.shortages.iter().map(|s| Announcement {
            category: Category::Shortage,
            key: s.key.clone(),
            value: s.shortage,
        }));
        out
    }
}

/// Builds the digest for `now`: see the module doc for the rules. Pure: no clock, no I/O.
pub fn digest(
    inventory: &Inventory,
    now: DateTime<Utc>,
    window: Days,
    expired_since: DateTime<Utc>,
    already: &AnnouncedSet,
) -> Digest {
    let none = Filters::none();
    let lines_of = |kind: ReportKind| -> Vec<LineRow<'_>> {
        match inventory.report(kind, now, &none).map(|r| r.body) {
            Ok(ReportBody::Expired(s)) | Ok(ReportBody::Expiring(_, s)) => s.items,
            _ => Vec::new(),
        }
    };
    let since = expired_since.timestamp();
    let newly_expired = lines_of(ReportKind::Expired)
        .into_iter()
        .filter_map(|row| owned_line(&row))
        .filter(|(line, end)| *end >= since && !already.contains(Category::Expired, &line.key))
        .map(|(line, _)| line)
        .collect();
    let entering_window = lines_of(ReportKind::Expiring(window))
        .into_iter()
        .filter_map(|row| owned_line(&row))
        .filter(|(line, _)| !already.contains(Category::EnteringWindow, &line.key))
        .map(|(line, _)| line)
        .collect();

    let short_rows = match inventory
        .report(ReportKind::Shortages, now, &none)
        .map(|r| r.body)
    {
        Ok(ReportBody::Shortages(s)) => s.items,
        _ => Vec::new(),
    };
    let mut short_now = std::collections::HashSet::new();
    let mut shortages = Vec::new();
    for row in &short_rows {
        let key = ItemKey::of_record(row);
        short_now.insert(key.clone());
        let before = already.get(Category::Shortage, &key);
        if row.shortage > before.unwrap_or(0) {
            shortages.push(DigestShortage {
                key,
                account: row.account.to_string(),
                domain: row.domain.to_string(),
                virtual_account: row.virtual_account.to_string(),
                license: row.license.to_string(),
                quantity: row.quantity,
                in_use: row.in_use,
                shortage: row.shortage,
                previous: before,
            });
        }
    }
    let resolved_shortages = if inventory.partial() {
        Vec::new()
    } else {
        let mut gone: Vec<ItemKey> = already
            .keys(Category::Shortage)
            .filter(|k| !short_now.contains(*k))
            .cloned()
            .collect();
        gone.sort();
        gone
    };
    let missing: Vec<(&str, &str)> = inventory
        .missing_accounts()
        .iter()
        .map(|m| {
            let shown = if m.name.trim().is_empty() {
                &m.domain
            } else {
                &m.name
            };
            (shown.as_str(), m.reason.as_str())
        })
        .collect();
    Digest {
        window,
        newly_expired,
        entering_window,
        shortages,
        resolved_shortages,
        partial_line: slbot_chat::headline::partial_line(&missing, inventory.account_count()),
    }
}

/// A line with a parsed end date as an owned digest line (lines without one are never in
/// `expired` or `expiring`; skipped defensively).
fn owned_line(row: &LineRow<'_>) -> Option<(DigestLine, i64)> {
    let DateValue::At(end) = row.end_date else {
        return None;
    };
    let end_date = DateTime::<Utc>::from_timestamp(end, 0)?;
    Some((
        DigestLine {
            key: ItemKey::of_line(row, end),
            account: row.account.to_string(),
            domain: row.domain.to_string(),
            virtual_account: row.virtual_account.to_string(),
            license: row.license.to_string(),
            license_type: row.license_type.to_string(),
            quantity: row.quantity,
            end_date,
            subscription_id: row.subscription_id.map(str::to_string),
        },
        end,
    ))
}
