//! The same data some days later (or earlier): [`advance`], a pure function of a snapshot, a
//! seed and a number of days, so the simulator can show an inventory that moves and the demo
//! can write a believable past.
//!
//! Each licence record is identified by its position (the index of its account in `accounts`,
//! its index in that account's licence list) and gets a [`Drift`] drawn from the seed and that
//! position alone ([`drift_of`]):
//! - its `inUse` grows (~40% of records), shrinks (~10%) or stays flat, by
//!   [`Drift::per_week`] (1 to 3) a week, linear in days: the change after `days` is
//!   `per_week × days / 7` rounded toward zero, and `inUse` never goes below 0;
//! - ~5% of records see a purchase ([`Drift::purchase`]): their `quantity` is larger by
//!   `max(quantity / 5, 1)` from day [`PURCHASE_DAYS`] on, and smaller by as much (never below
//!   0) from day `−PURCHASE_DAYS` back, so a history starting two weeks ago shows it bought;
//! - when a record changed and has a numeric `available`, it becomes `max(quantity − inUse, 0)`.
//!
//! Left exactly as they are (byte for byte): records that are not JSON objects or whose
//! `quantity` or `inUse` is not an integer, records the drift does not change (so advancing 0
//! days is the identity), licence lists of domains absent from `accounts`, and every other
//! field of a changed record (only the values of `quantity`, `inUse` and `available` are
//! rewritten; the record loses its insignificant whitespace between fields). Dates are not
//! moved: they are relative to the real anchor, and the real clock passing is what makes lines
//! expire.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use slbot_cssm::Snapshot;

/// From this many days on, a record with a purchase has more `quantity` (and from
/// `−PURCHASE_DAYS` back, less).
pub const PURCHASE_DAYS: i64 = 10;

/// Where a record's `inUse` goes as days pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// Up by [`Drift::per_week`] a week.
    Grows,
    /// Down by [`Drift::per_week`] a week (never below 0).
    Shrinks,
    /// Unchanged.
    Flat,
}

/// The drift of one record, drawn from the seed and the record's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drift {
    pub usage: Usage,
    /// Change of `inUse` per 7 days, 1 to 3 (also drawn for flat records, unused there).
    pub per_week: i64,
    /// Whether `quantity` changes by a purchase at ±[`PURCHASE_DAYS`].
    pub purchase: bool,
}

/// The drift of record `record` of account `account` (positions in the snapshot) for `seed`:
/// `Grows` when a first draw in `0..100` is below 40, `Shrinks` below 50, else `Flat`; a
/// purchase when a second draw in `0..100` is below 5.
pub fn drift_of(seed: u64, account: usize, record: usize) -> Drift {
    let h =
        splitmix64(splitmix64(seed ^ splitmix64(account as u64).rotate_left(17)) ^ record as u64);
    let usage = match h % 100 {
        0..=39 => Usage::Grows,
        40..=49 => Usage::Shrinks,
        _ => Usage::Flat,
    };
    Drift {
        usage,
        per_week: 1 + ((h >> 20) % 3) as i64,
        purchase: (h >> 40) % 100 < 5,
    }
}

/// The records of `snapshot` as they are `days` days later (negative: earlier), drifted with
/// `seed` (see the module documentation). Everything else is cloned as it is.
pub fn advance(snapshot: &Snapshot, seed: u64, days: i64) -> Snapshot {
    let mut out = snapshot.clone();
    if days == 0 {
        return out;
    }
    for (domain, records) in out.licenses.iter_mut() {
        let Some(account) = snapshot
            .accounts
            .iter()
            .position(|a| a.get("accountDomain").and_then(|d| d.as_str()) == Some(domain))
        else {
            continue;
        };
        for (index, raw) in records.iter_mut().enumerate() {
            if let Some(changed) = advance_record(raw, drift_of(seed, account, index), days) {
                *raw = changed;
            }
        }
    }
    out
}

/// `(quantity, inUse)` of a record with `drift`, `days` after it had `(quantity, in_use)`.
fn advance_figures(drift: Drift, quantity: i64, in_use: i64, days: i64) -> (i64, i64) {
    let step = |direction: i64| -> i64 {
        let change = i128::from(direction) * i128::from(drift.per_week) * i128::from(days) / 7;
        let moved = (i128::from(in_use) + change).max(0);
        i64::try_from(moved).unwrap_or(i64::MAX)
    };
    let in_use = match drift.usage {
        Usage::Grows => step(1),
        Usage::Shrinks => step(-1),
        Usage::Flat => in_use,
    };
    let quantity = if drift.purchase {
        let extra = (quantity / 5).max(1);
        if days >= PURCHASE_DAYS {
            quantity.saturating_add(extra)
        } else if days <= -PURCHASE_DAYS {
            quantity.saturating_sub(extra).max(0)
        } else {
            quantity
        }
    } else {
        quantity
    };
    (quantity, in_use)
}

/// The record after `days`, or `None` when it is left as it is.
fn advance_record(raw: &RawValue, drift: Drift, days: i64) -> Option<Box<RawValue>> {
    let Fields(mut fields) = serde_json::from_str(raw.get()).ok()?;
    let integer = |name: &str| -> Option<i64> {
        let (_, value) = fields.iter().rev().find(|(k, _)| k == name)?;
        serde_json::from_str::<i64>(value.get()).ok()
    };
    let (quantity, in_use) = (integer("quantity")?, integer("inUse")?);
    let has_available = fields.iter().any(|(k, v)| {
        k == "available" && serde_json::from_str::<serde_json::Number>(v.get()).is_ok()
    });
    let (new_quantity, new_in_use) = advance_figures(drift, quantity, in_use, days);
    if (new_quantity, new_in_use) == (quantity, in_use) {
        return None;
    }
    let available = new_quantity.saturating_sub(new_in_use).max(0);
    for (key, value) in fields.iter_mut() {
        let number = match key.as_str() {
            "quantity" => new_quantity,
            "inUse" => new_in_use,
            "available" if has_available => available,
            _ => continue,
        };
        *value = serde_json::value::to_raw_value(&number).ok()?;
    }
    serde_json::value::to_raw_value(&Fields(fields)).ok()
}

/// A JSON object's fields in their order, values untouched (`serde_json::Map` would sort them).
struct Fields(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push(entry);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash (stable across platforms and
/// versions, unlike the standard library's hashers).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_move_linearly_and_round_toward_zero() {
        let grows = Drift {
            usage: Usage::Grows,
            per_week: 2,
            purchase: false,
        };
        // 2 a week: 3 days is 6/7 → 0, 4 days is 8/7 → 1, 14 days is 4.
        assert_eq!(advance_figures(grows, 10, 5, 3), (10, 5));
        assert_eq!(advance_figures(grows, 10, 5, 4), (10, 6));
        assert_eq!(advance_figures(grows, 10, 5, 14), (10, 9));
        assert_eq!(advance_figures(grows, 10, 5, -4), (10, 4));
        assert_eq!(advance_figures(grows, 10, 5, -70), (10, 0));
        let shrinks_and_buys = Drift {
            usage: Usage::Shrinks,
            per_week: 3,
            purchase: true,
        };
        assert_eq!(advance_figures(shrinks_and_buys, 12, 5, 7), (12, 2));
        assert_eq!(advance_figures(shrinks_and_buys, 12, 5, 10), (14, 1));
        assert_eq!(advance_figures(shrinks_and_buys, 12, 5, -9), (12, 8));
        assert_eq!(advance_figures(shrinks_and_buys, 12, 5, -10), (10, 9));
        assert_eq!(advance_figures(shrinks_and_buys, 3, 0, -10), (2, 4));
        assert_eq!(advance_figures(shrinks_and_buys, 0, 0, -10), (0, 4));
    }

    #[test]
    fn huge_day_counts_saturate_instead_of_overflowing() {
        let grows = Drift {
            usage: Usage::Grows,
            per_week: 3,
            purchase: true,
        };
        // 3 × i64::MAX overflows an i64; the change is worked out wider.
        let change = i64::try_from(3 * i128::from(i64::MAX) / 7).unwrap();
        assert_eq!(
            advance_figures(grows, i64::MAX, 1, i64::MAX),
            (i64::MAX, 1 + change)
        );
        assert_eq!(advance_figures(grows, 5, 1, i64::MIN), (4, 0));
    }
}
