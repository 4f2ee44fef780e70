//! Filters → a selection of accounts and VAs (reports.md §2 "Filters").
//!
//! A value matches the trimmed name — or, for accounts, the domain — case-insensitively and
//! exactly. Values of one key are OR-ed, the keys AND-ed. A value that matches nothing is an
//! [`UnknownFilterValue`] naming up to 10 closest valid names and how many exist. Valid VA
//! names are the union of every account's VA set (VA call, roles, records).

use std::collections::BTreeMap;

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

pub(crate) fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Up to 10 valid names closest to `value`, closest first (ties by name). Each candidate is
/// `(name shown, other texts it also answers to)`, e.g. an account's domain.
pub(crate) fn suggestions(value: &str, candidates: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let v = fold(value);
    let score = |text: &str| {
        let f = text.to_lowercase();
        let mut score = strsim::normalized_damerau_levenshtein(&v, &f);
        // A name that contains the value (or the reverse) is a strong hint.
        if !v.is_empty() && (f.contains(&v) || v.contains(&f)) {
            score += 0.5;
        }
        score
    };
    let mut scored: Vec<(f64, &String)> = candidates
        .iter()
        .map(|(name, aliases)| {
            let best = aliases.iter().map(|a| score(a)).fold(score(name), f64::max);
            (best, name)
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
                let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for a in &self.accounts {
                    names
                        .entry(self.s(a.name).trim().to_string())
                        .or_default()
                        .push(self.s(a.domain).trim().to_string());
                }
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
                    let names: BTreeMap<String, Vec<String>> = all
                        .iter()
                        .map(|&s| (self.s(s).trim().to_string(), Vec::new()))
                        .collect();
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
