//! Loading: a CSSM snapshot's raw JSON read record by record into the model's interned tables,
//! with a warning for everything skipped or guessed (the rules of `lib.rs`).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;
use slbot_cssm::MissingAccount;

use super::{
    strip_position, Account, Inventory, Line, Order, Record, StoredDate, Strings, Sym, View, NO_SYM,
};
use crate::catalog::Catalog;
use crate::date;
use crate::raw::{RawRecord, Text};

/// FxHash-style hasher: interning hashes hundreds of thousands of short strings per load.
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FastHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Text of a JSON value that should be a string (numbers accepted as their text).
fn json_text(v: Option<&Value>) -> Option<Cow<'_, str>> {
    match v? {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

pub(super) struct Builder<'c> {
    catalog: &'c Catalog,
    interner: FastMap<Box<str>, Sym>,
    /// Licence symbol → (architecture, sub-architecture) symbols, looked up once per name.
    arch_cache: FastMap<Sym, (Sym, Sym)>,
    accounts: Vec<Account>,
    records: Vec<Record>,
    lines: Vec<Line>,
    warnings: Vec<String>,
    /// Per account index: its domain and trimmed name (for warning texts).
    domains: Vec<String>,
    names: Vec<String>,
    unknown_end: usize,
    unknown_end_example: Option<String>,
    unknown_start: usize,
}

impl<'c> Builder<'c> {
    pub(super) fn new(catalog: &'c Catalog) -> Self {
        Self {
            catalog,
            interner: FastMap::default(),
            arch_cache: FastMap::default(),
            accounts: Vec::new(),
            records: Vec::new(),
            lines: Vec::new(),
            warnings: Vec::new(),
            domains: Vec::new(),
            names: Vec::new(),
            unknown_end: 0,
            unknown_end_example: None,
            unknown_start: 0,
        }
    }

    fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.interner.get(s) {
            return sym;
        }
        let sym = self.interner.len() as Sym;
        self.interner.insert(s.into(), sym);
        sym
    }

    fn intern_text(&mut self, t: &Text<'_>) -> Sym {
        self.intern(t.as_deref().unwrap_or(""))
    }

    pub(super) fn build(mut self, snap: &View<'_>) -> Inventory {
        let mut warnings = snap.warnings.to_vec();
        // 1. Accounts as CSSM returned them; duplicates of a domain are ignored.
        let mut seen_domains: HashSet<String> = HashSet::new();
        for (i, acc) in snap.accounts.iter().enumerate() {
            let Some(domain) = json_text(acc.get("accountDomain")) else {
                let name = json_text(acc.get("accountName"));
                self.warnings.push(format!(
                    "Skipped smart account #{} ({}): it has no accountDomain.",
                    i + 1,
                    name.as_deref().unwrap_or("no name")
                ));
                continue;
            };
            if !seen_domains.insert(domain.to_string()) {
                self.warnings.push(format!(
                    "Smart account {domain} is listed twice; only the first entry is used."
                ));
                continue;
            }
            let name = json_text(acc.get("accountName")).unwrap_or(domain.clone());
            let status = json_text(acc.get("accountStatus")).unwrap_or_default();
            let account_type = json_text(acc.get("accountType")).unwrap_or_default();
            let account = Account {
                name: self.intern(&name),
                domain: self.intern(&domain),
                status: self.intern(&status),
                account_type: self.intern(&account_type),
                vas: Vec::new(),
                records: 0..0,
            };
            self.domains.push(domain.to_string());
            self.names.push(name.trim().to_string());
            self.accounts.push(account);
            let mut vas = Vec::new();
            let mut seen = HashSet::new();
            // VA call first, then roles.
            if let Some(list) = snap.virtual_accounts.and_then(|m| m.get(domain.as_ref())) {
                for va in list {
                    if let Some(n) = json_text(va.get("name")) {
                        let sym = self.intern(&n);
                        if seen.insert(sym) {
                            vas.push(sym);
                        }
                    }
                }
            }
            if let Some(Value::Array(roles)) = acc.get("roles") {
                for role in roles {
                    if let Some(n) = json_text(role.get("virtualAccount")) {
                        let sym = self.intern(&n);
                        if seen.insert(sym) {
                            vas.push(sym);
                        }
                    }
                }
            }
            if let Some(a) = self.accounts.last_mut() {
                a.vas = vas;
            }
        }
        // Licences of a domain no account lists still load, under an account named by domain.
        for &domain in snap.licenses.keys() {
            if !seen_domains.contains(domain) {
                self.warnings.push(format!(
                    "License records of {domain} were loaded although that smart account is not in the account list."
                ));
                let sym = self.intern(domain);
                let empty = self.intern("");
                self.domains.push(domain.to_string());
                self.names.push(domain.trim().to_string());
                self.accounts.push(Account {
                    name: sym,
                    domain: sym,
                    status: empty,
                    account_type: empty,
                    vas: Vec::new(),
                    records: 0..0,
                });
            }
        }
        // 2. Records per account, in account order, then CSSM order.
        for idx in 0..self.accounts.len() {
            let start = self.records.len() as u32;
            let domain_text = self.domains[idx].clone();
            let mut seen: HashSet<Sym> = self.accounts[idx].vas.iter().copied().collect();
            let mut new_vas = Vec::new();
            if let Some(list) = snap.licenses.get(domain_text.as_str()) {
                for raw in list {
                    if let Some(va) = self.add_record(idx as u32, raw.get()) {
                        if seen.insert(va) {
                            new_vas.push(va);
                        }
                    }
                }
            }
            let acc = &mut self.accounts[idx];
            acc.vas.extend(new_vas);
            acc.records = start..self.records.len() as u32;
        }
        if self.unknown_end > 0 {
            self.warnings.push(format!(
                "{} entitlement line{} an expiry date I could not read (for example {}); {} listed as unknown expiry, never as expired or expiring.",
                self.unknown_end,
                if self.unknown_end == 1 { " has" } else { "s have" },
                self.unknown_end_example.take().unwrap_or_default(),
                if self.unknown_end == 1 { "it is" } else { "they are" },
            ));
        }
        if self.unknown_start > 0 {
            self.warnings.push(format!(
                "{} entitlement line{} a start date I could not read; exports show it as given.",
                self.unknown_start,
                if self.unknown_start == 1 {
                    " has"
                } else {
                    "s have"
                },
            ));
        }
        warnings.append(&mut self.warnings);
        self.finish(warnings, snap.missing_accounts.to_vec())
    }

    /// Parses one record; on failure warns and returns `None`. Returns the record's VA.
    fn add_record(&mut self, account: u32, json: &str) -> Option<Sym> {
        let acc = account as usize;
        let rec: RawRecord<'_> = match serde_json::from_str(json) {
            Ok(r) => r,
            Err(e) => {
                let why = if json.trim_start().starts_with('{') {
                    // serde names our private types; say it in the user's terms.
                    strip_position(&e.to_string())
                        .replace("struct RawRecord", "a license record")
                        .replace("struct RawLine", "an entitlement line")
                } else {
                    "it is not a JSON object".to_string()
                };
                self.skip(acc, json, &why);
                return None;
            }
        };
        let Some(license) = rec.license.as_deref().filter(|s| !s.is_empty()) else {
            self.skip(acc, json, "it has no license name");
            return None;
        };
        let Some(va) = rec.virtual_account.as_deref() else {
            self.skip(acc, json, "it has no virtualAccount");
            return None;
        };
        let license = self.intern(license);
        let va = self.intern(va);
        let (architecture, sub_architecture) = match self.arch_cache.get(&license) {
            Some(&pair) => pair,
            None => {
                let text = rec.license.as_deref().unwrap_or("");
                let (a, s) = self.catalog.lookup(text);
                let (a, s) = (a.to_string(), s.to_string());
                let pair = (self.intern(&a), self.intern(&s));
                self.arch_cache.insert(license, pair);
                pair
            }
        };
        for (field, n) in [
            ("quantity", &rec.quantity),
            ("inUse", &rec.in_use),
            ("available", &rec.available),
            ("pendingQuantity", &rec.pending_quantity),
        ] {
            if let Some(bad) = &n.bad {
                let msg = format!(
                    "License {:?} in {} / {}: {field} {bad:?} is not a number; counted as 0.",
                    rec.license.as_deref().unwrap_or(""),
                    self.account_label(acc),
                    rec.virtual_account.as_deref().unwrap_or(""),
                );
                self.warnings.push(msg);
            }
        }
        let record_idx = self.records.len() as u32;
        let first_line = self.lines.len() as u32;
        let details = rec.license_details.as_deref().unwrap_or(&[]);
        for l in details {
            let who = (
                acc,
                rec.virtual_account.as_deref().unwrap_or(""),
                rec.license.as_deref().unwrap_or(""),
            );
            let end = self.stored_date(&l.end_date, true, who);
            let start = self.stored_date(&l.start_date, false, who);
            let subscription_id = match l.subscription_id.as_deref() {
                Some(s) => self.intern(s),
                None => NO_SYM,
            };
            if let Some(bad) = &l.quantity.bad {
                let msg = format!(
                    "License {:?} in {} / {}: line quantity {bad:?} is not a number; counted as 0.",
                    rec.license.as_deref().unwrap_or(""),
                    self.account_label(acc),
                    rec.virtual_account.as_deref().unwrap_or(""),
                );
                self.warnings.push(msg);
            }
            let line = Line {
                record: record_idx,
                license_type: self.intern_text(&l.license_type),
                subscription_id,
                status: self.intern_text(&l.status),
                quantity: l.quantity.value,
                start,
                end,
            };
            self.lines.push(line);
        }
        let record = Record {
            account,
            va,
            license,
            architecture,
            sub_architecture,
            status: self.intern_text(&rec.status),
            billing_type: self.intern_text(&rec.billing_type),
            is_portable: rec.is_portable.0,
            reserved: rec.reserved.0,
            quantity: rec.quantity.value,
            in_use: rec.in_use.value,
            available: rec.available.value,
            pending_quantity: rec.pending_quantity.value,
            first_line,
            line_count: self.lines.len() as u32 - first_line,
        };
        self.records.push(record);
        Some(va)
    }

    fn stored_date(
        &mut self,
        t: &Text<'_>,
        is_end: bool,
        (acc, va, license): (usize, &str, &str),
    ) -> StoredDate {
        let Some(text) = t.as_deref() else {
            return StoredDate::Absent;
        };
        match date::parse(text) {
            Some(s) => StoredDate::At(s),
            None => {
                if is_end {
                    self.unknown_end += 1;
                    if self.unknown_end_example.is_none() {
                        let ex = format!(
                            "{} / {} / {}: {text:?}",
                            self.names[acc],
                            va.trim(),
                            license.trim()
                        );
                        self.unknown_end_example = Some(ex);
                    }
                } else {
                    self.unknown_start += 1;
                }
                StoredDate::Unparsed(self.intern(text))
            }
        }
    }

    fn account_label(&self, acc: usize) -> String {
        format!("account {} ({})", self.names[acc], self.domains[acc])
    }

    fn skip(&mut self, acc: usize, json: &str, why: &str) {
        // Name what we can of the record even when it is not a readable record.
        let v: Option<Value> = serde_json::from_str(json).ok();
        let field = |k: &str| {
            v.as_ref()
                .and_then(|v| json_text(v.get(k)).map(|s| s.trim().to_string()))
                .unwrap_or_else(|| "?".to_string())
        };
        let msg = format!(
            "Skipped a license record of {}, virtual account {}, license {}: {why}.",
            self.account_label(acc),
            field("virtualAccount"),
            field("license"),
        );
        self.warnings.push(msg);
    }

    /// Renumbers symbols in byte order of their text and packs the strings.
    fn finish(self, warnings: Vec<String>, missing_accounts: Vec<MissingAccount>) -> Inventory {
        let n = self.interner.len();
        let mut by_sym: Vec<&str> = vec![""; n];
        for (k, &v) in &self.interner {
            by_sym[v as usize] = k;
        }
        let mut order: Vec<Sym> = (0..n as Sym).collect();
        order.sort_unstable_by(|&a, &b| by_sym[a as usize].cmp(by_sym[b as usize]));
        let mut remap = vec![0 as Sym; n];
        let total: usize = by_sym.iter().map(|s| s.len()).sum();
        let mut buf = String::with_capacity(total);
        let mut starts = Vec::with_capacity(n + 1);
        for (new, &old) in order.iter().enumerate() {
            remap[old as usize] = new as Sym;
            starts.push(buf.len() as u32);
            buf.push_str(by_sym[old as usize]);
        }
        starts.push(buf.len() as u32);
        let m = |s: Sym| {
            if s == NO_SYM {
                NO_SYM
            } else {
                remap[s as usize]
            }
        };
        let md = |d: StoredDate| match d {
            StoredDate::Unparsed(s) => StoredDate::Unparsed(m(s)),
            other => other,
        };
        let mut accounts = self.accounts;
        for a in &mut accounts {
            a.name = m(a.name);
            a.domain = m(a.domain);
            a.status = m(a.status);
            a.account_type = m(a.account_type);
            for v in &mut a.vas {
                *v = m(*v);
            }
            a.vas.shrink_to_fit();
        }
        let mut records = self.records;
        for r in &mut records {
            r.va = m(r.va);
            r.license = m(r.license);
            r.architecture = m(r.architecture);
            r.sub_architecture = m(r.sub_architecture);
            r.status = m(r.status);
            r.billing_type = m(r.billing_type);
        }
        records.shrink_to_fit();
        let mut lines = self.lines;
        for l in &mut lines {
            l.license_type = m(l.license_type);
            l.subscription_id = m(l.subscription_id);
            l.status = m(l.status);
            l.start = md(l.start);
            l.end = md(l.end);
        }
        lines.shrink_to_fit();
        let order = Order::of(&accounts, &records, &lines);
        Inventory {
            strings: Strings { buf, starts },
            accounts,
            records,
            lines,
            order,
            missing_accounts,
            warnings,
        }
    }
}
