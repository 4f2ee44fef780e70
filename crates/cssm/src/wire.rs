//! JSON shapes of the CSSM calls the bot makes (cssm-api.md "Read-only calls").
//!
//! Everything here is lenient on purpose: unknown fields are ignored, optional fields are
//! optional and `null` is read as "absent", because no official schema exists. Licence records
//! stay raw JSON ([`RawValue`]) so the inventory can parse each one on its own terms.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// `message_code` that CSSM uses for "the list is empty" (an ordinary answer, not an error).
pub const NO_DATA_FOUND: &str = "NO DATA FOUND";

/// Reads `null` (or a missing field, with `#[serde(default)]`) as `T::default()`.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads a count sent either as a JSON number or as a numeric string (`"1200"`).
fn lenient_count<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(u64),
        Text(String),
    }
    match Option::<Count>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Count::Number(n)) => Ok(Some(n)),
        Some(Count::Text(t)) => t
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{t}` is not a record count"))),
    }
}

/// The `status`/`statusMessage`/`message_code` fields most CSSM answers carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Envelope {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "statusMessage")]
    pub status_message: Option<String>,
    #[serde(default, rename = "message_code")]
    pub message_code: Option<String>,
}

/// What an [`Envelope`] says about the data beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeVerdict {
    /// Use the data.
    Data,
    /// `message_code: "NO DATA FOUND"`: an empty list.
    NoData,
    /// `status: "ERROR"` with HTTP 200: bad data; carries `statusMessage` when there is one.
    Error(Option<String>),
}

impl Envelope {
    pub fn verdict(&self) -> EnvelopeVerdict {
        let no_data = self
            .message_code
            .as_deref()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case(NO_DATA_FOUND));
        if no_data {
            return EnvelopeVerdict::NoData;
        }
        let error = self
            .status
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("ERROR"));
        if error {
            return EnvelopeVerdict::Error(self.status_message.clone());
        }
        EnvelopeVerdict::Data
    }
}

/// `GET /v2/accounts`. Accounts are kept as raw objects so a snapshot stores them exactly as
/// CSSM sent them; read each one with [`Account::from_value`].
#[derive(Debug, Clone, Deserialize)]
pub struct AccountsResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub accounts: Vec<serde_json::Value>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

/// One smart account of `/v2/accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[serde(default, deserialize_with = "null_as_default")]
    pub account_name: String,
    pub account_domain: String,
    #[serde(default)]
    pub account_status: Option<String>,
    /// `CUSTOMER` or `HOLDING`.
    #[serde(default)]
    pub account_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub roles: Vec<Role>,
}

impl Account {
    /// Reads the fields the client needs from an account object; `None` when it has no domain.
    pub fn from_value(value: &serde_json::Value) -> Option<Account> {
        Account::deserialize(value)
            .ok()
            .filter(|a| !a.account_domain.trim().is_empty())
    }

    /// The path segment of the virtual-accounts call: `HOLDING` when CSSM says so, else `CUSTOMER`.
    pub fn type_segment(&self) -> &'static str {
        match self.account_type.as_deref().map(str::trim) {
            Some(t) if t.eq_ignore_ascii_case("HOLDING") => "HOLDING",
            _ => "CUSTOMER",
        }
    }

    /// The name to show a user: the account name, or the domain when the name is blank.
    pub fn display_name(&self) -> &str {
        if self.account_name.trim().is_empty() {
            &self.account_domain
        } else {
            &self.account_name
        }
    }
}

/// A role of the token's user in an account; `virtual_account` is set for VA-level roles.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    #[serde(default, deserialize_with = "null_as_default")]
    pub role: String,
    #[serde(default)]
    pub virtual_account: Option<String>,
}

/// `GET /v1/accounts/{domain}/{type}/virtual-accounts`; entries kept raw for the snapshot.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualAccountsResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub virtual_accounts: Vec<serde_json::Value>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

/// One virtual account.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualAccount {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `"true"`/`"false"` as a string in CSSM; a JSON boolean is accepted too.
    #[serde(default)]
    pub is_default: Option<serde_json::Value>,
    #[serde(default)]
    pub commerce_access_level: Option<String>,
}

impl VirtualAccount {
    pub fn is_default(&self) -> bool {
        match &self.is_default {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
            _ => false,
        }
    }
}

/// Body of `POST /v1/accounts/{domain}/licenses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseQuery {
    /// Empty means every virtual account the user may see.
    pub virtual_accounts: Vec<String>,
    pub limit: u64,
    pub offset: u64,
}

/// One page of `POST /v1/accounts/{domain}/licenses`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicensePage {
    #[serde(default, deserialize_with = "null_as_default")]
    pub licenses: Vec<Box<RawValue>>,
    #[serde(default, deserialize_with = "lenient_count")]
    pub total_records: Option<u64>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

/// The identity of a licence record for duplicate detection: `(virtualAccount, license)`.
/// A record that is not an object with those fields is identified by its whole text.
pub fn record_identity(record: &RawValue) -> (String, String) {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Identity {
        #[serde(default)]
        virtual_account: Option<serde_json::Value>,
        #[serde(default)]
        license: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Identity>(record.get()) {
        Ok(Identity {
            virtual_account: Some(va),
            license: Some(lic),
        }) => (va.to_string(), lic.to_string()),
        _ => (String::from("\u{0}raw"), record.get().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_with_extra_and_null_fields_is_read() {
        let v: serde_json::Value = serde_json::json!({
            "accountName": "Acme", "accountDomain": "acme.com", "accountStatus": "Active",
            "accountType": "HOLDING", "roles": null, "somethingNew": [1, 2]
        });
        let a = Account::from_value(&v).unwrap();
        assert_eq!(a.account_domain, "acme.com");
        assert_eq!(a.type_segment(), "HOLDING");
        assert!(a.roles.is_empty());
    }

    #[test]
    fn an_account_without_a_domain_is_not_usable() {
        let v = serde_json::json!({"accountName": "Acme"});
        assert_eq!(Account::from_value(&v), None);
    }

    #[test]
    fn no_data_found_is_an_empty_list_and_error_status_is_bad_data() {
        let page: LicensePage =
            serde_json::from_str(r#"{"status":"ERROR","message_code":"NO DATA FOUND"}"#).unwrap();
        assert!(page.licenses.is_empty());
        assert_eq!(page.envelope.verdict(), EnvelopeVerdict::NoData);
        let page: LicensePage =
            serde_json::from_str(r#"{"licenses":[],"status":"ERROR","statusMessage":"boom"}"#)
                .unwrap();
        assert_eq!(
            page.envelope.verdict(),
            EnvelopeVerdict::Error(Some("boom".into()))
        );
    }

    #[test]
    fn total_records_may_be_a_number_a_string_or_absent() {
        let p: LicensePage =
            serde_json::from_str(r#"{"licenses":[],"totalRecords":"12"}"#).unwrap();
        assert_eq!(p.total_records, Some(12));
        let p: LicensePage = serde_json::from_str(r#"{"licenses":[{}],"totalRecords":7}"#).unwrap();
        assert_eq!(p.total_records, Some(7));
        let p: LicensePage = serde_json::from_str(r#"{"licenses":[]}"#).unwrap();
        assert_eq!(p.total_records, None);
    }

    #[test]
    fn is_default_accepts_a_string_or_a_boolean() {
        let va: VirtualAccount =
            serde_json::from_str(r#"{"name":"DEFAULT","isDefault":"true"}"#).unwrap();
        assert!(va.is_default());
        let va: VirtualAccount = serde_json::from_str(r#"{"name":"x","isDefault":false}"#).unwrap();
        assert!(!va.is_default());
    }
}
