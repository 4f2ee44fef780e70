//! The snapshot file (cssm-api.md "The snapshot file"): what one user's full fetch returned.
//!
//! Licence records are kept as raw JSON (`Box<RawValue>`) so that the inventory can parse each
//! one tolerantly and skip an unreadable record with a warning instead of failing the whole file.
//! Two optional fields extend the format for partial fetches: `missingAccounts` and `warnings`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The value of `format` this project writes.
pub const FORMAT: &str = "slbot-cssm-snapshot/1";

/// One user's full CSSM fetch (or a file in the snapshot format).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// `slbot-cssm-snapshot/1`; may be absent in files written by other tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// RFC 3339 time of capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    /// Smart accounts exactly as `GET /v2/accounts` returned them, in CSSM order.
    pub accounts: Vec<serde_json::Value>,
    /// Account domain → every licence record of every page, in CSSM order.
    #[serde(default)]
    pub licenses: BTreeMap<String, Vec<Box<RawValue>>>,
    /// Account domain → virtual accounts, when they were fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_accounts: Option<BTreeMap<String, Vec<serde_json::Value>>>,
    /// Accounts that could not be read (partial fetch). Extension of this project.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_accounts: Vec<MissingAccount>,
    /// Warnings raised while fetching (e.g. "CSSM returned 900 of 1000 records").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// An account whose licences could not be read, and why (a sentence a user can read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingAccount {
    pub name: String,
    pub domain: String,
    pub reason: String,
}
