//! The two ends of a fetch that need no network: choosing the accounts to read from the
//! account list, and building the [`Snapshot`] from what each account's reading came to.

use std::collections::{BTreeMap, HashSet};

use super::{AccountOutcome, FetchOptions, Slot};
use crate::error::{CssmError, Unavailable};
use crate::snapshot::{MissingAccount, Snapshot, FORMAT};
use crate::wire::Account;

/// The accounts to read, and what the account list itself already says is wrong.
pub(super) struct Selected {
    /// Account objects as CSSM sent them, for the snapshot.
    values: Vec<serde_json::Value>,
    /// The readable ones among them, to fetch.
    pub(super) accounts: Vec<Account>,
    missing: Vec<MissingAccount>,
    warnings: Vec<String>,
}

/// Applies the domain filter, skips duplicate domains, and records accounts without a domain.
pub(super) fn select_accounts(listed: Vec<serde_json::Value>, options: &FetchOptions) -> Selected {
    let mut selected = Selected {
        values: Vec::new(),
        accounts: Vec::new(),
        missing: Vec::new(),
        warnings: Vec::new(),
    };
    let mut domains_seen = HashSet::new();
    for value in listed {
        let Some(account) = Account::from_value(&value) else {
            if options.domains.is_empty() {
                let name = value
                    .get("accountName")
                    .and_then(|n| n.as_str())
                    .unwrap_or("(unnamed)")
                    .to_string();
                selected.missing.push(MissingAccount {
                    name,
                    domain: String::new(),
                    reason: "CSSM listed this account without a domain".into(),
                });
                selected.values.push(value);
            }
            continue;
        };
        let wanted = options.domains.is_empty()
            || options
                .domains
                .iter()
                .any(|d| d.trim().eq_ignore_ascii_case(account.account_domain.trim()));
        if !wanted {
            continue;
        }
        if !domains_seen.insert(account.account_domain.clone()) {
            selected.warnings.push(format!(
                "CSSM listed account {} twice; it was read once",
                account.account_domain
            ));
            continue;
        }
        selected.values.push(value);
        selected.accounts.push(account);
    }
    selected
}

/// Builds the snapshot from each account's outcome. An account with no outcome was still
/// running at the deadline (`deadline_secs`): it is missing, and the records it had are left
/// out rather than shown as if complete. Fails only when every account failed.
pub(super) fn assemble(
    selected: Selected,
    slots: Vec<Slot>,
    options: &FetchOptions,
    deadline_secs: Option<u64>,
    captured_at: String,
) -> Result<Snapshot, CssmError> {
    let Selected {
        values,
        accounts,
        mut missing,
        mut warnings,
    } = selected;
    let mut licenses = BTreeMap::new();
    let mut virtual_accounts = options.with_virtual_accounts.then(BTreeMap::new);
    let mut failures = Vec::new();
    for (account, slot) in accounts.iter().zip(slots) {
        let domain = account.account_domain.clone();
        let outcome = slot.outcome.unwrap_or_else(|| AccountOutcome {
            licenses: Err(CssmError::Unavailable {
                place: format!("the licenses of account `{domain}`"),
                reason: Unavailable::Deadline {
                    seconds: deadline_secs.unwrap_or_default(),
                    received: slot.received,
                    total: slot.total,
                },
            }),
            virtual_accounts: None,
        });
        match outcome.licenses {
            Ok(got) => {
                warnings.extend(got.warning);
                licenses.insert(domain.clone(), got.records);
            }
            Err(error) => {
                tracing::warn!(domain = %domain, error = %error, "a CSSM account could not be read");
                missing.push(MissingAccount {
                    name: account.display_name().to_string(),
                    domain: domain.clone(),
                    reason: error.reason(),
                });
                failures.push(error);
            }
        }
        match (outcome.virtual_accounts, virtual_accounts.as_mut()) {
            (Some(Ok(list)), Some(map)) => {
                map.insert(domain, list);
            }
            (Some(Err(error)), _) => warnings.push(format!(
                "The virtual accounts of account {} ({}) could not be read: {}",
                account.display_name(),
                domain,
                error.reason()
            )),
            _ => {}
        }
    }
    if !accounts.is_empty() && failures.len() == accounts.len() {
        // Nothing to show: the most actionable failure wins (sign in again), else the first.
        let pick = failures
            .iter()
            .position(|e| matches!(e, CssmError::Unauthorized { .. }))
            .unwrap_or(0);
        return Err(failures.swap_remove(pick));
    }
    if let Some(seconds) = deadline_secs {
        warnings.push(format!(
            "The fetch stopped after {seconds} s; the answer is built from what arrived by then"
        ));
    }
    Ok(Snapshot {
        format: Some(FORMAT.to_string()),
        captured_at: Some(captured_at),
        accounts: values,
        licenses,
        virtual_accounts,
        missing_accounts: missing,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_without_a_domain_are_missing_and_duplicates_are_read_once() {
        let listed = vec![
            serde_json::json!({"accountName": "A", "accountDomain": "a.com"}),
            serde_json::json!({"accountName": "No domain"}),
            serde_json::json!({"accountName": "A again", "accountDomain": "a.com"}),
        ];
        let s = select_accounts(listed, &FetchOptions::default());
        assert_eq!(s.accounts.len(), 1);
        assert_eq!(s.values.len(), 2);
        assert_eq!(s.missing[0].name, "No domain");
        assert_eq!(
            s.warnings,
            vec!["CSSM listed account a.com twice; it was read once"]
        );
    }
}
