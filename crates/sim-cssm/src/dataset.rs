//! The served data, held in memory and pre-serialised per account so a page costs a few string
//! copies.
//!
//! Built from a [`Snapshot`] (a file or [`fn@crate::generate`]). Records are served byte-for-byte
//! as the snapshot holds them, odd ones included; only their `virtualAccount` is read, to filter
//! by VA, and their entitlement lines with a `subscriptionId`, which become the rows of the
//! subscriptions call. When the snapshot has no `virtualAccounts`, each account's VAs are the distinct VA names
//! of its records, in order of first appearance.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use slbot_cssm::Snapshot;

use crate::dates::parse_cssm_date;

/// Why a snapshot cannot be served (the operator's to fix).
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("account #{index} in `accounts` has no string `accountDomain`")]
    NoDomain { index: usize },
    #[error("account domain {domain:?} appears twice in `accounts`")]
    DuplicateDomain { domain: String },
}

/// Every account with its licence records and virtual accounts, ready to serve.
#[derive(Debug)]
pub struct Dataset {
    pub(crate) accounts: Vec<AccountData>,
}

#[derive(Debug)]
pub(crate) struct AccountData {
    pub domain: String,
    /// `CUSTOMER` or `HOLDING`, upper-cased as the VA path spells it.
    pub account_type: String,
    /// The account object as `/v2/accounts` returns it.
    pub json: String,
    pub records: Vec<RecordData>,
    pub subscriptions: Vec<SubscriptionData>,
    /// The `virtualAccounts` array.
    pub virtual_accounts_json: String,
}

#[derive(Debug)]
pub(crate) struct RecordData {
    pub raw: Box<RawValue>,
    pub virtual_account: Option<String>,
}

impl AsRef<str> for RecordData {
    fn as_ref(&self) -> &str {
        self.raw.get()
    }
}

/// One row of `license-subscriptions`: an entitlement line with a subscription id.
#[derive(Debug)]
pub(crate) struct SubscriptionData {
    /// The row as JSON without its closing brace, so `status` can be appended when served.
    pub json_open: String,
    pub virtual_account: Option<String>,
    /// When the line ends (`None`: never, or unreadable).
    pub end: Option<DateTime<Utc>>,
}

/// The parts of a record the simulator reads; everything is optional, odd records are served
/// as they are and simply have no VA and no subscriptions.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordView {
    #[serde(default)]
    license: Option<serde_json::Value>,
    #[serde(default)]
    virtual_account: Option<serde_json::Value>,
    #[serde(default)]
    billing_type: Option<serde_json::Value>,
    #[serde(default)]
    license_details: Option<serde_json::Value>,
}

impl RecordView {
    fn read(raw: &RawValue) -> Self {
        serde_json::from_str(raw.get()).unwrap_or(RecordView {
            license: None,
            virtual_account: None,
            billing_type: None,
            license_details: None,
        })
    }

    fn subscriptions(&self) -> Vec<SubscriptionData> {
        let Some(serde_json::Value::Array(lines)) = &self.license_details else {
            return Vec::new();
        };
        let null = serde_json::Value::Null;
        lines
            .iter()
            .filter(|line| line.get("subscriptionId").is_some_and(|id| id.is_string()))
            .map(|line| {
                let field = |name: &str| line.get(name).unwrap_or(&null).clone();
                let row = serde_json::json!({
                    "license": self.license.clone().unwrap_or_default(),
                    "quantity": field("quantity"),
                    "billingType": self.billing_type.clone().unwrap_or_default(),
                    "subscriptionId": field("subscriptionId"),
                    "virtualAccount": self.virtual_account.clone().unwrap_or_default(),
                    "startDate": field("startDate"),
                    "endDate": field("endDate"),
                });
                let mut json_open = row.to_string();
                json_open.pop();
                SubscriptionData {
                    json_open,
                    virtual_account: self.va(),
                    end: line
                        .get("endDate")
                        .and_then(|d| d.as_str())
                        .and_then(parse_cssm_date),
                }
            })
            .collect()
    }

    fn va(&self) -> Option<String> {
        self.virtual_account
            .as_ref()
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }
}

impl Dataset {
    /// Indexes a snapshot for serving. Licence lists of domains absent from `accounts` are
    /// dropped (CSSM would not show them to anybody).
    pub fn from_snapshot(snapshot: Snapshot) -> Result<Self, DatasetError> {
        let Snapshot {
            accounts,
            mut licenses,
            virtual_accounts,
            ..
        } = snapshot;
        let mut virtual_accounts = virtual_accounts.unwrap_or_default();
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(accounts.len());
        for (index, account) in accounts.into_iter().enumerate() {
            let domain = account
                .get("accountDomain")
                .and_then(|d| d.as_str())
                .ok_or(DatasetError::NoDomain { index })?
                .to_string();
            if !seen.insert(domain.clone()) {
                return Err(DatasetError::DuplicateDomain { domain });
            }
            let account_type = account
                .get("accountType")
                .and_then(|t| t.as_str())
                .unwrap_or("CUSTOMER")
                .to_ascii_uppercase();
            let mut subscriptions = Vec::new();
            let records: Vec<RecordData> = licenses
                .remove(&domain)
                .unwrap_or_default()
                .into_iter()
                .map(|raw| {
                    let view = RecordView::read(&raw);
                    subscriptions.extend(view.subscriptions());
                    RecordData {
                        raw,
                        virtual_account: view.va(),
                    }
                })
                .collect();
            let vas = virtual_accounts
                .remove(&domain)
                .unwrap_or_else(|| derived_virtual_accounts(&records));
            out.push(AccountData {
                json: serde_json::Value::to_string(&account),
                virtual_accounts_json: serde_json::Value::Array(vas).to_string(),
                domain,
                account_type,
                records,
                subscriptions,
            });
        }
        for domain in licenses.keys() {
            tracing::warn!(%domain, "the snapshot has licences for an account it does not list; not served");
        }
        Ok(Self { accounts: out })
    }

    /// Number of accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Total number of licence records.
    pub fn record_count(&self) -> usize {
        self.accounts.iter().map(|a| a.records.len()).sum()
    }

    pub(crate) fn find(&self, domain: &str) -> Option<(usize, &AccountData)> {
        self.accounts
            .iter()
            .enumerate()
            .find(|(_, a)| a.domain == domain)
    }
}

fn derived_virtual_accounts(records: &[RecordData]) -> Vec<serde_json::Value> {
    let mut seen = BTreeSet::new();
    records
        .iter()
        .filter_map(|r| r.virtual_account.as_deref())
        .filter(|va| seen.insert(*va))
        .map(|va| {
            serde_json::json!({
                "name": va,
                "description": "",
                "isDefault": if va == "DEFAULT" { "true" } else { "false" },
                "commerceAccessLevel": "FULL",
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(text: &str) -> Snapshot {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn virtual_accounts_are_derived_from_records_when_the_snapshot_has_none() {
        let data = Dataset::from_snapshot(snapshot(
            r#"{"accounts":[{"accountDomain":"a.example.com"}],
                "licenses":{"a.example.com":[
                  {"license":"X","virtualAccount":"Lab"},
                  {"license":"Y","virtualAccount":"DEFAULT"},
                  {"license":"Z","virtualAccount":"Lab"},
                  "not even an object"]}}"#,
        ))
        .unwrap();
        let account = &data.accounts[0];
        assert_eq!(account.account_type, "CUSTOMER");
        assert_eq!(account.records.len(), 4);
        let vas: Vec<serde_json::Value> =
            serde_json::from_str(&account.virtual_accounts_json).unwrap();
        let names: Vec<&str> = vas.iter().map(|v| v["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Lab", "DEFAULT"]);
        assert_eq!(vas[1]["isDefault"], "true");
    }

    #[test]
    fn an_account_without_a_domain_is_refused_with_its_position() {
        let err = Dataset::from_snapshot(snapshot(
            r#"{"accounts":[{"accountDomain":"a"},{"accountName":"B"}]}"#,
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "account #1 in `accounts` has no string `accountDomain`"
        );
    }
}
