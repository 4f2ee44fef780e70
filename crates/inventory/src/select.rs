//! Filters → a selection of accounts and VAs (reports.md §2 "Filters").
//!
//! A value matches the trimmed name — or, for accounts, the domain — case-insensitively and
//! exactly. Values of one key are OR-ed, the keys AND-ed. A value that matches nothing is an
//! [`UnknownFilterValue`] naming up to 10 closest valid names and how many exist. Valid VA
//! names are the union of every account's VA set (VA call, roles, records).

use std::collections::BTreeSet;

use crate::model::{Inventory, Sym};
use crate::report::{FilterKey, Filters, UnknownFilterValue};

/// Which accounts and VA names a report covers.
#[derive(Debug)]
pub(crate) struct Selection {
    /// Per account index.
    pub accounts: Vec<bool>,
    /// Sorted VA symbols that match a `va` value; `None` = every VA.
    pub vas: Option<Vec<Sym>>,
}

impl Selection {
    pub fn account(&self, idx: u32) -> bool {
        self.accounts.get(idx as usize).copied().unwrap_or(false)
    }

    pub fn va(&self, sym: Sym) -> bool {
        match &self.vas {
            None => true,
            Some(v) => v.binary_search(&sym).is_ok(),
        }
    }
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Up to 10 valid names closest to `value`, closest first (ties by name).
fn suggestions(value: &str, names: &BTreeSet<String>) -> Vec<String> {
    let v = fold(value);
    let mut scored: Vec<(f64, &String)> = names
        .iter()
        .map(|n| {
            let f = n.to_lowercase();
            let mut score = strsim::normalized_damerau_levenshtein(&v, &f);
            // A name that contains the value (or the reverse) is a strong hint.
            if !v.is_empty() && (f.contains(&v) || v.contains(&f)) {
                score += 0.5;
            }
            (score, n)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(10)
        .map(|(_, n)| n.clone())
        .collect()
}

impl Inventory {
    pub(crate) fn select(&self, f: &Filters) -> Result<Selection, UnknownFilterValue> {
        let mut accounts = vec![f.accounts.is_empty(); self.accounts.len()];
        for value in &f.accounts {
            let v = fold(value);
            let mut hit = false;
            for (i, a) in self.accounts.iter().enumerate() {
                if fold(self.s(a.name)) == v || fold(self.s(a.domain)) == v {
                    accounts[i] = true;
                    hit = true;
                }
            }
            if !hit {
                let names: BTreeSet<String> = self
                    .accounts
                    .iter()
                    .map(|a| self.s(a.name).trim().to_string())
                    .collect();
                return Err(UnknownFilterValue {
                    key: FilterKey::Account,
                    value: value.clone(),
                    suggestions: suggestions(value, &names),
                    valid_count: self.accounts.len(),
                });
            }
        }
        let vas = if f.vas.is_empty() {
            None
        } else {
            let mut all: Vec<Sym> = self
                .accounts
                .iter()
                .flat_map(|a| a.vas.iter().copied())
                .collect();
            all.sort_unstable();
            all.dedup();
            let folded: Vec<(Sym, String)> = all.iter().map(|&s| (s, fold(self.s(s)))).collect();
            let mut chosen = Vec::new();
            for value in &f.vas {
                let v = fold(value);
                let before = chosen.len();
                chosen.extend(folded.iter().filter(|(_, n)| *n == v).map(|(s, _)| *s));
                if chosen.len() == before {
                    let names: BTreeSet<String> =
                        all.iter().map(|&s| self.s(s).trim().to_string()).collect();
                    return Err(UnknownFilterValue {
                        key: FilterKey::VirtualAccount,
                        value: value.clone(),
                        suggestions: suggestions(value, &names),
                        valid_count: names.len(),
                    });
                }
            }
            chosen.sort_unstable();
            chosen.dedup();
            Some(chosen)
        };
        Ok(Selection { accounts, vas })
    }
}
