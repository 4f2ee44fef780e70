//! Tolerant wire shapes of one licence record, read straight from its raw JSON text.
//!
//! Strings borrow from the input when they carry no escapes. Every field is optional: a
//! missing or `null` number is 0, a number given as a string (`"100"`) is read, a missing
//! text is empty. Only a shape that cannot be a record at all (not an object, a line that is
//! not an object, a text field that is an object…) fails, and the caller skips that record.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::report::Reserved;

/// A text field: strings as they are; numbers and booleans as their JSON text; null = `None`.
#[derive(Debug, Default)]
pub(crate) struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

/// A number field: integers, floats (rounded), numeric strings, null = 0. Anything else
/// that is a scalar is kept as `bad` text so the loader can warn and count it as 0.
#[derive(Debug, Default)]
pub(crate) struct Num {
    pub value: i64,
    pub bad: Option<String>,
}

fn num_from_str(s: &str) -> Num {
    let t = s.trim();
    if t.is_empty() {
        return Num::default();
    }
    if let Ok(v) = t.parse::<i64>() {
        return Num {
            value: v,
            bad: None,
        };
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => Num {
            value: f.round() as i64,
            bad: None,
        },
        _ => Num {
            value: 0,
            bad: Some(s.to_string()),
        },
    }
}

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Num;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num {
            value: v,
            bad: None,
        })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num {
            value: i64::try_from(v).unwrap_or(i64::MAX),
            bad: None,
        })
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        Ok(if v.is_finite() {
            Num {
                value: v.round() as i64,
                bad: None,
            }
        } else {
            Num {
                value: 0,
                bad: Some(v.to_string()),
            }
        })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
        Ok(num_from_str(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Num, E> {
        Ok(Num {
            value: 0,
            bad: Some(v.to_string()),
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num::default())
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

/// `isPortable`: booleans, `"true"`/`"false"` in any case, 0/1; anything else = unknown.
#[derive(Debug, Default)]
pub(crate) struct Flag(pub Option<bool>);

struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = Flag;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
        Ok(Flag(Some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flag, E> {
        Ok(Flag(Some(v != 0)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flag, E> {
        Ok(Flag(Some(v != 0)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Flag, E> {
        Ok(Flag(Some(v != 0.0)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
        let t = v.trim();
        Ok(Flag(if t.eq_ignore_ascii_case("true") {
            Some(true)
        } else if t.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Flag, E> {
        Ok(Flag(None))
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlagVisitor)
    }
}

/// `reserved`: a count or a flag (samples show both).
pub(crate) struct ReservedField(pub Reserved);

impl Default for ReservedField {
    fn default() -> Self {
        ReservedField(Reserved::Count(0))
    }
}

struct ReservedVisitor;

impl<'de> Visitor<'de> for ReservedVisitor {
    type Value = ReservedField;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(ReservedField(Reserved::Flag(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(ReservedField(Reserved::Count(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(ReservedField(Reserved::Count(
            i64::try_from(v).unwrap_or(i64::MAX),
        )))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(ReservedField(Reserved::Count(if v.is_finite() {
            v.round() as i64
        } else {
            0
        })))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        Ok(ReservedField(if t.eq_ignore_ascii_case("true") {
            Reserved::Flag(true)
        } else if t.eq_ignore_ascii_case("false") {
            Reserved::Flag(false)
        } else {
            Reserved::Count(num_from_str(t).value)
        }))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ReservedField::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ReservedField::default())
    }
}

impl<'de> Deserialize<'de> for ReservedField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ReservedVisitor)
    }
}

/// One entitlement line (`licenseDetails[]` element).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawLine<'a> {
    #[serde(borrow, default)]
    pub license_type: Text<'a>,
    #[serde(default)]
    pub quantity: Num,
    #[serde(borrow, default)]
    pub start_date: Text<'a>,
    #[serde(borrow, default)]
    pub end_date: Text<'a>,
    #[serde(borrow, default)]
    pub subscription_id: Text<'a>,
    #[serde(borrow, default)]
    pub status: Text<'a>,
}

/// One licence record (`licenses[]` element). Unknown fields are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawRecord<'a> {
    #[serde(borrow, default)]
    pub license: Text<'a>,
    #[serde(borrow, default)]
    pub virtual_account: Text<'a>,
    #[serde(default)]
    pub quantity: Num,
    #[serde(default)]
    pub in_use: Num,
    #[serde(default)]
    pub available: Num,
    #[serde(borrow, default)]
    pub status: Text<'a>,
    #[serde(borrow, default)]
    pub billing_type: Text<'a>,
    #[serde(default)]
    pub pending_quantity: Num,
    #[serde(default)]
    pub reserved: ReservedField,
    #[serde(default)]
    pub is_portable: Flag,
    #[serde(borrow, default)]
    pub license_details: Option<Vec<RawLine<'a>>>,
}
