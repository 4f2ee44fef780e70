//! What the filter card offers, read from the inventory: the accounts and virtual accounts to
//! choose from, the choice sets that show them, and the inventory version a submit is checked
//! against.

use super::*;

/// A stable fingerprint of what the filter card offers: SHA-256 over the record count and,
/// account by account in CSSM order, the domain and the virtual-account names; the first 16
/// bytes in hex. The same inventory (however often it is fetched) gives the same string.
pub fn inventory_version(inventory: &Inventory) -> String {
    let mut hash = Sha256::new();
    hash.update(b"slbot-inventory/1");
    hash.update((inventory.record_count() as u64).to_be_bytes());
    for (domain, vas) in accounts_and_vas(inventory) {
        field(&mut hash, domain.as_bytes());
        hash.update((vas.len() as u64).to_be_bytes());
        for va in vas {
            field(&mut hash, va.as_bytes());
        }
    }
    hex::encode(&hash.finalize()[..16])
}

pub(super) fn field(hash: &mut Sha256, bytes: &[u8]) {
    hash.update((bytes.len() as u64).to_be_bytes());
    hash.update(bytes);
}

/// Each account's domain and VA names (as CSSM gave them), in CSSM order.
pub(super) fn accounts_and_vas(inventory: &Inventory) -> Vec<(String, Vec<String>)> {
    account_rows(inventory)
        .into_iter()
        .map(|a| (a.domain, a.vas))
        .collect()
}

pub(super) struct AccountChoice {
    pub(super) name: String,
    pub(super) domain: String,
    pub(super) vas: Vec<String>,
}

pub(super) fn account_rows(inventory: &Inventory) -> Vec<AccountChoice> {
    // With no filter the report cannot fail (the only error is an unknown filter value), and
    // virtual-accounts does not depend on `now`.
    match inventory.report_at(ReportKind::VirtualAccounts, 0, &Filters::none()) {
        Ok(report) => match report.body {
            ReportBody::VirtualAccounts(rows) => rows
                .into_iter()
                .map(|r| AccountChoice {
                    name: r.name.to_string(),
                    domain: r.domain.to_string(),
                    vas: r.virtual_accounts.iter().map(|v| v.to_string()).collect(),
                })
                .collect(),
            _ => Vec::new(),
        },
        Err(_) => Vec::new(),
    }
}

/// A multi-select choice set (left out when there is nothing to choose), capped at
/// [`MAX_CHOICES`] with a note naming how many more exist and how to type them.
pub(super) fn push_choices(
    body: &mut Vec<Value>,
    id: &str,
    label: &str,
    (one, many, syntax): (&str, &str, &str),
    mut choices: Vec<Value>,
) {
    if choices.is_empty() {
        return;
    }
    let total = choices.len();
    choices.truncate(MAX_CHOICES);
    let style = if choices.len() <= 8 {
        "expanded"
    } else {
        "compact"
    };
    body.push(json!({
        "type": "Input.ChoiceSet",
        "id": id,
        "label": label,
        "isMultiSelect": true,
        "style": style,
        "choices": choices,
    }));
    if total > MAX_CHOICES {
        let noun = if total == 1 { one } else { many };
        body.push(json!({
            "type": "TextBlock", "wrap": true, "isSubtle": true,
            "text": format!(
                "Showing the first {MAX_CHOICES} of your {total} {noun}. For the others, type \
                 the report with {syntax}."
            ),
        }));
    }
}

/// Distinct VA names (trimmed, compared case-insensitively; the first spelling wins) with the
/// trimmed names of the accounts that hold them, in first-seen order. Linear in the number of
/// VAs: a managed-service provider can have thousands.
pub(super) fn distinct_vas(accounts: &[AccountChoice]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for account in accounts {
        let owner = display(&account.name);
        for va in &account.vas {
            let name = va.trim();
            match index
                .get(&name.to_lowercase())
                .and_then(|&i| out.get_mut(i))
            {
                Some((_, owners)) => {
                    if !owners.contains(&owner) {
                        owners.push(owner.clone());
                    }
                }
                None => {
                    index.insert(name.to_lowercase(), out.len());
                    out.push((name.to_string(), vec![owner.clone()]));
                }
            }
        }
    }
    out
}

/// A name as a card shows it: trimmed, `(no name)` when blank.
pub(super) fn display(name: &str) -> String {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        "(no name)".to_string()
    } else {
        trimmed.to_string()
    }
}
