//! The history of a person's inventory: one compact [`Point`] per complete fetch, and the
//! reports over several of them (`changes`, `trend` with its run-out forecast).
//!
//! A point keeps only what the history reports read: per smart account its name, domain and
//! VA names; per licence record its account, VA, licence, `quantity`, `inUse` and its lines'
//! quantities and end dates. It is stored as gzip-compressed JSON ([`Point::encode`]) without
//! its time, which the store keeps beside it, so two fetches that found the same licences
//! encode to the same bytes and the store keeps one ([`Point::digest`]).
//!
//! Rules (pinned by the tests of `changes.rs` and `trend.rs`):
//! - Records are compared by (account domain, VA, licence), names exactly as CSSM gave them;
//!   records sharing a key are summed (quantities, in use) and their lines pooled.
//! - Filters are those of every report (reports.md §2), checked against the accounts and VAs
//!   of the points compared, so a VA that has since gone still filters.
//! - Unreadable or absent end dates are "no expiry" in a point (as in `expired`).
//!
//! Like the rest of the crate, nothing here reads the clock: `now` is an argument.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::model::{Inventory, StoredDate};
use crate::report::{FilterKey, Filters, UnknownFilterValue};
use crate::select::{fold, suggestions};

mod changes;
mod trend;

pub use changes::{
    ChangeTotals, ChangesReport, ExpiredLine, RecordDelta, ShortageDelta, Window, WindowError,
};
pub use trend::{
    Confidence, Forecast, RunOut, RunOutRow, TrendPoint, TrendReport, MIN_POINTS, MIN_SPAN_DAYS,
};

/// The most a kept point may weigh once decompressed, for [`Point::decode`]'s bound where
/// the caller has no better one (a corrupt row cannot exhaust memory).
pub const MAX_POINT_JSON_BYTES: u64 = 256 * 1024 * 1024;

/// The format version written in every encoded point.
const VERSION: u32 = 1;

/// One kept fetch of a person's inventory, compact. `taken_at` (when the fetch was made) and
/// `seen_until` (the last fetch that found exactly this, at least `taken_at`) are seconds
/// since the epoch, stored beside the encoded bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// When this inventory was first fetched.
    #[serde(skip)]
    pub taken_at: i64,
    /// When a fetch last found exactly this inventory.
    #[serde(skip)]
    pub seen_until: i64,
    #[serde(rename = "v")]
    version: u32,
    /// VA and licence names, each once; records refer to them by index.
    names: Vec<String>,
    accounts: Vec<PointAccount>,
    records: Vec<PointRecord>,
}

/// `[name, domain, [VA name index…]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PointAccount(String, String, Vec<u32>);

/// `[account index, VA name index, licence name index, quantity, inUse, [[quantity, end]…]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PointRecord(u32, u32, u32, i64, i64, Vec<(i64, Option<i64>)>);

/// An encoded point that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    #[error("the kept snapshot is not gzip: {0}")]
    NotGzip(String),
    #[error("the kept snapshot is larger than {0} bytes once decompressed")]
    TooLarge(u64),
    #[error("the kept snapshot is not readable: {0}")]
    NotAPoint(String),
}

/// Why a history report has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    /// Fewer kept snapshots than the report needs (`kept` of them; the first at `first`).
    #[error("not enough history: {kept} kept snapshot(s)")]
    NotEnough { kept: usize, first: Option<i64> },
    /// A filter value that names nothing in the compared snapshots.
    #[error(transparent)]
    Filter(#[from] UnknownFilterValue),
    /// `trend` for a licence no compared snapshot has (in the selected accounts and VAs).
    #[error("no license `{name}` in the kept snapshots")]
    UnknownLicense {
        name: String,
        suggestions: Vec<String>,
    },
}

/// The summed figures of one (account, VA, licence) in one point.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Figures {
    pub quantity: i64,
    pub in_use: i64,
    /// `(quantity, end)` of every line.
    pub lines: Vec<(i64, Option<i64>)>,
}

impl Figures {
    pub fn shortage(&self) -> i64 {
        self.in_use.saturating_sub(self.quantity).max(0)
    }
}

/// The identity of a record across points, borrowing the point's strings:
/// (account domain, VA, licence). The account name rides along for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key<'a> {
    pub domain: &'a str,
    pub va: &'a str,
    pub license: &'a str,
}

impl Point {
    /// Decodes [`Point::encode`]'s bytes, decompressing at most `max_json` bytes (a corrupt
    /// or hostile row cannot exhaust memory). The times are the store's.
    pub fn decode(
        bytes: &[u8],
        taken_at: i64,
        seen_until: i64,
        max_json: u64,
    ) -> Result<Point, PointError> {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(max_json.saturating_add(1))
            .read_to_end(&mut json)
            .map_err(|e| PointError::NotGzip(e.to_string()))?;
        if json.len() as u64 > max_json {
            return Err(PointError::TooLarge(max_json));
        }
        let mut point: Point =
            serde_json::from_slice(&json).map_err(|e| PointError::NotAPoint(e.to_string()))?;
        if point.version != VERSION {
            return Err(PointError::NotAPoint(format!(
                "version {} (this slbot reads {VERSION})",
                point.version
            )));
        }
        let names = point.names.len();
        let accounts = point.accounts.len();
        let in_range = point
            .accounts
            .iter()
            .all(|a| a.2.iter().all(|&v| (v as usize) < names))
            && point.records.iter().all(|r| {
                (r.0 as usize) < accounts && (r.1 as usize) < names && (r.2 as usize) < names
            });
        if !in_range {
            return Err(PointError::NotAPoint("an index out of range".into()));
        }
        point.taken_at = taken_at;
        point.seen_until = seen_until.max(taken_at);
        Ok(point)
    }

    /// The gzip-compressed JSON of this point, without its times.
    pub fn encode(&self) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing JSON of plain data into a Vec cannot fail; an empty result would only cost
        // this point (the store refuses to keep empty bytes).
        if serde_json::to_writer(&mut gz, self).is_err() || gz.flush().is_err() {
            return Vec::new();
        }
        gz.finish().unwrap_or_default()
    }

    /// A digest of the content (SHA-256 of [`Point::encode`], hex): equal exactly when two
    /// fetches found the same licences.
    pub fn digest(encoded: &[u8]) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(encoded))
    }

    /// Number of licence records kept.
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", String::as_str)
    }

    /// Every record as (account name, key, quantity, inUse, lines).
    fn records(&self) -> impl Iterator<Item = (&str, Key<'_>, &PointRecord)> {
        self.records.iter().filter_map(move |r| {
            let account = self.accounts.get(r.0 as usize)?;
            Some((
                account.0.as_str(),
                Key {
                    domain: account.1.as_str(),
                    va: self.name(r.1),
                    license: self.name(r.2),
                },
                r,
            ))
        })
    }

    /// The selected records summed by key, with each key's account name.
    pub(crate) fn figures<'a>(
        &'a self,
        selection: &Selection,
    ) -> BTreeMap<Key<'a>, (&'a str, Figures)> {
        let mut out: BTreeMap<Key<'a>, (&'a str, Figures)> = BTreeMap::new();
        for (account, key, r) in self.records() {
            if !selection.keeps(account, key.domain, key.va) {
                continue;
            }
            let entry = out
                .entry(key)
                .or_insert_with(|| (account, Figures::default()));
            entry.1.quantity = entry.1.quantity.saturating_add(r.3);
            entry.1.in_use = entry.1.in_use.saturating_add(r.4);
            entry.1.lines.extend(r.5.iter().copied());
        }
        out
    }
}

impl Inventory {
    /// The compact point of this inventory, taken at `taken_at` (the caller keeps only
    /// complete fetches).
    pub fn history_point(&self, taken_at: i64) -> Point {
        let mut names: Vec<String> = Vec::new();
        let mut index: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
        let mut intern = |sym: u32, text: &str| -> u32 {
            *index.entry(sym).or_insert_with(|| {
                names.push(text.to_string());
                (names.len() - 1) as u32
            })
        };
        let accounts: Vec<PointAccount> = self
            .accounts
            .iter()
            .map(|a| {
                let vas = a.vas.iter().map(|&v| intern(v, self.s(v))).collect();
                PointAccount(
                    self.s(a.name).to_string(),
                    self.s(a.domain).to_string(),
                    vas,
                )
            })
            .collect();
        let records = self
            .records
            .iter()
            .map(|r| {
                let lines = self
                    .lines
                    .get(r.first_line as usize..(r.first_line + r.line_count) as usize)
                    .unwrap_or(&[])
                    .iter()
                    .map(|l| {
                        let end = match l.end {
                            StoredDate::At(s) => Some(s),
                            StoredDate::Absent | StoredDate::Unparsed(_) => None,
                        };
                        (l.quantity, end)
                    })
                    .collect();
                PointRecord(
                    r.account,
                    intern(r.va, self.s(r.va)),
                    intern(r.license, self.s(r.license)),
                    r.quantity,
                    r.in_use,
                    lines,
                )
            })
            .collect();
        Point {
            taken_at,
            seen_until: taken_at,
            version: VERSION,
            names,
            accounts,
            records,
        }
    }
}

/// The filters of a history report, checked against the points it compares.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    accounts: Vec<String>,
    vas: Vec<String>,
}

impl Selection {
    /// Checks every filter value against the accounts and VAs of `points`: a value naming
    /// none of them is an [`UnknownFilterValue`] with the closest names.
    pub fn of(points: &[&Point], filters: &Filters) -> Result<Selection, UnknownFilterValue> {
        let mut accounts: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut vas: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut account_count = std::collections::BTreeSet::new();
        for p in points {
            for a in &p.accounts {
                account_count.insert(a.1.as_str());
                accounts
                    .entry(a.0.trim().to_string())
                    .or_default()
                    .push(a.1.trim().to_string());
                for &v in &a.2 {
                    vas.entry(p.name(v).trim().to_string()).or_default();
                }
            }
            for (_, key, _) in p.records() {
                vas.entry(key.va.trim().to_string()).or_default();
            }
        }
        for value in &filters.accounts {
            let v = fold(value);
            let hit = accounts
                .iter()
                .any(|(name, domains)| fold(name) == v || domains.iter().any(|d| fold(d) == v));
            if !hit {
                return Err(UnknownFilterValue {
                    key: FilterKey::Account,
                    value: value.clone(),
                    suggestions: suggestions(value, &accounts),
                    valid_count: account_count.len(),
                });
            }
        }
        for value in &filters.vas {
            let v = fold(value);
            if !vas.keys().any(|name| fold(name) == v) {
                return Err(UnknownFilterValue {
                    key: FilterKey::VirtualAccount,
                    value: value.clone(),
                    suggestions: suggestions(value, &vas),
                    valid_count: vas.len(),
                });
            }
        }
        Ok(Selection {
            accounts: filters.accounts.iter().map(|a| fold(a)).collect(),
            vas: filters.vas.iter().map(|v| fold(v)).collect(),
        })
    }

    pub fn keeps(&self, account: &str, domain: &str, va: &str) -> bool {
        let account_ok = self.accounts.is_empty() || {
            let (name, domain) = (fold(account), fold(domain));
            self.accounts.iter().any(|a| *a == name || *a == domain)
        };
        account_ok && (self.vas.is_empty() || self.vas.contains(&fold(va)))
    }
}

#[cfg(test)]
pub(crate) mod test_points {
    //! Hand-written points for the history tests: a snapshot JSON per point, loaded by the
    //! real loader, so the tests also cover [`Inventory::history_point`].

    use super::Point;
    use crate::{Catalog, Inventory};

    pub const DAY: i64 = 86_400;

    /// `(account index, va, licence, quantity, inUse, [(line quantity, endDate)])`.
    pub type TestRecord<'a> = (usize, &'a str, &'a str, i64, i64, &'a [(i64, &'a str)]);

    /// The point of a snapshot whose records are `(account index, va, licence, quantity,
    /// inUse, [(line quantity, endDate)])`, accounts `Acme` (acme.com) and `Beta` (beta.io).
    pub fn point(taken_at: i64, records: &[TestRecord]) -> Point {
        let domains = ["acme.com", "beta.io"];
        let mut licenses = serde_json::Map::new();
        for d in domains {
            licenses.insert(d.to_string(), serde_json::Value::Array(Vec::new()));
        }
        for (a, va, license, quantity, in_use, lines) in records {
            let details: Vec<serde_json::Value> = lines
                .iter()
                .map(|(q, end)| serde_json::json!({"quantity": q, "endDate": end, "licenseType": "TERM"}))
                .collect();
            if let Some(serde_json::Value::Array(list)) = licenses.get_mut(domains[*a]) {
                list.push(serde_json::json!({
                    "license": license, "virtualAccount": va,
                    "quantity": quantity, "inUse": in_use, "licenseDetails": details,
                }));
            }
        }
        let json = serde_json::json!({
            "accounts": [
                {"accountName": "Acme", "accountDomain": "acme.com"},
                {"accountName": "Beta", "accountDomain": "beta.io"},
            ],
            "licenses": licenses,
        });
        let bytes = serde_json::to_vec(&json).unwrap_or_default();
        let inventory = Inventory::from_json_slice(&bytes, &Catalog::shipped())
            .unwrap_or_else(|e| panic!("{e}"));
        inventory.history_point(taken_at)
    }
}

#[cfg(test)]
mod tests {
    use super::test_points::{point, DAY};
    use super::*;

    #[test]
    fn a_point_survives_encoding_and_equal_inventories_encode_to_the_same_digest() {
        let t = 1_790_000_000;
        let a = point(t, &[(0, "DEFAULT", "Apex", 10, 4, &[(10, "2027-01-01")])]);
        let b = point(
            t + DAY,
            &[(0, "DEFAULT", "Apex", 10, 4, &[(10, "2027-01-01")])],
        );
        let c = point(t, &[(0, "DEFAULT", "Apex", 10, 5, &[(10, "2027-01-01")])]);
        let (ea, eb, ec) = (a.encode(), b.encode(), c.encode());
        assert_eq!(
            Point::digest(&ea),
            Point::digest(&eb),
            "times are not content"
        );
        assert_ne!(
            Point::digest(&ea),
            Point::digest(&ec),
            "inUse 4 → 5 is a change"
        );
        let back = Point::decode(&ea, t, t + 3 * DAY, 1 << 20).unwrap();
        assert_eq!((back.taken_at, back.seen_until), (t, t + 3 * DAY));
        assert_eq!(back.record_count(), 1);
        let figures = back.figures(&Selection::of(&[&back], &Filters::none()).unwrap());
        let (account, f) = figures.values().next().unwrap();
        assert_eq!(*account, "Acme");
        // 2027-01-01T00:00:00Z = 1_798_761_600.
        assert_eq!(
            (f.quantity, f.in_use, f.lines.clone()),
            (10, 4, vec![(10, Some(1_798_761_600))])
        );
    }

    #[test]
    fn a_corrupt_oversized_or_foreign_kept_snapshot_is_an_error_not_a_panic() {
        let t = 1_790_000_000;
        assert!(matches!(
            Point::decode(b"not gzip", t, t, 1 << 20),
            Err(PointError::NotGzip(_))
        ));
        let p = point(t, &[(0, "DEFAULT", "Apex", 10, 4, &[])]);
        assert_eq!(
            Point::decode(&p.encode(), t, t, 10),
            Err(PointError::TooLarge(10))
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(br#"{"v":1,"names":[],"accounts":[],"records":[[0,0,0,1,1,[]]]}"#)
            .unwrap();
        let bad = gz.finish().unwrap();
        assert!(matches!(
            Point::decode(&bad, t, t, 1 << 20),
            Err(PointError::NotAPoint(_))
        ));
    }
}
