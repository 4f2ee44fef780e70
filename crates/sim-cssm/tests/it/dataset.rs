//! The generator: determinism and every quirk of reports.md §1.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use slbot_sim_cssm::{generate, snapshot_text};

use crate::{anchor, params};

fn dump(seed: u64) -> String {
    snapshot_text(&generate(&params(seed, 5, 4, 20))).unwrap()
}

#[test]
fn the_same_seed_and_anchor_give_a_byte_identical_dump() {
    assert_eq!(dump(11), dump(11));
}

#[test]
fn another_seed_or_anchor_gives_another_dump() {
    assert_ne!(dump(11), dump(12));
    let mut later = params(11, 5, 4, 20);
    later.anchor = NaiveDate::from_ymd_opt(2026, 1, 16).unwrap();
    assert_ne!(dump(11), snapshot_text(&generate(&later)).unwrap());
}

#[test]
fn a_dump_reads_back_as_a_snapshot_with_every_account_and_its_virtual_accounts() {
    let text = dump(3);
    let back: slbot_cssm::Snapshot = serde_json::from_str(&text).unwrap();
    assert_eq!(back.format.as_deref(), Some("slbot-cssm-snapshot/1"));
    assert_eq!(back.captured_at.as_deref(), Some("2026-01-15T00:00:00Z"));
    assert_eq!(back.accounts.len(), 5);
    let vas = back.virtual_accounts.unwrap();
    assert_eq!(vas.len(), 5);
    assert!(vas.values().all(|v| v.len() == 4));
    assert_eq!(back.licenses.len(), 5);
}

/// How a date string is written (reports.md §1 lists the accepted forms).
fn date_form(s: &str) -> &'static str {
    let b = s.as_bytes();
    let zoned = s.len() > 6 && matches!(b[s.len() - 6], b'+' | b'-') && b[s.len() - 3] == b':';
    if s.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        "date"
    } else if s.contains('/') {
        "legacy"
    } else if s.ends_with('Z') {
        "utc"
    } else if zoned && s.contains('.') {
        "offset-fraction"
    } else if s.contains('T') && !zoned {
        "no-zone"
    } else {
        "other"
    }
}

pub fn parse(s: &str) -> DateTime<Utc> {
    match date_form(s) {
        "date" => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc(),
        "legacy" => NaiveDateTime::parse_from_str(s, "%m/%d/%y %H:%M")
            .unwrap()
            .and_utc(),
        "no-zone" => NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
            .unwrap()
            .and_utc(),
        _ => DateTime::parse_from_rfc3339(s).unwrap().to_utc(),
    }
}

/// The report bucket of an end date, counted in whole days after the anchor's midnight.
fn bucket(end: Option<&str>) -> &'static str {
    let Some(end) = end else { return "perpetual" };
    let start = anchor().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let days = (parse(end) - start).num_seconds() as f64 / 86_400.0;
    match days {
        d if d < -(3.0 * 366.0) => "too old",
        d if d < 0.0 => "expired",
        d if d < 30.0 => "30",
        d if d < 60.0 => "60",
        d if d < 90.0 => "90",
        d if d < 180.0 => "180",
        d if d < 6.0 * 366.0 => "later",
        _ => "too late",
    }
}

#[test]
fn a_modest_generated_dataset_has_every_quirk_of_the_input_model() {
    for seed in [1, 2, 3] {
        let accounts = 4;
        let vas_per_account = 4;
        let mean = 15;
        let snapshot = generate(&params(seed, accounts, vas_per_account, mean));
        let mut seen: BTreeSet<&'static str> = BTreeSet::new();
        let mut forms: BTreeSet<&'static str> = BTreeSet::new();
        let mut buckets: BTreeSet<&'static str> = BTreeSet::new();
        let mut vas_of_licence: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
        let mut records = 0;

        let all_vas = snapshot.virtual_accounts.as_ref().unwrap();
        for account in &snapshot.accounts {
            let domain = account["accountDomain"].as_str().unwrap();
            assert!(domain.ends_with(".example.com"), "{domain}");
            if account["accountType"] == "HOLDING" {
                seen.insert("holding account");
            }
            let va_names: Vec<&str> = all_vas[domain]
                .iter()
                .map(|v| v["name"].as_str().unwrap())
                .collect();
            assert!(va_names.contains(&"DEFAULT"), "{domain} has no DEFAULT VA");
            let recs: Vec<Value> = snapshot.licenses[domain]
                .iter()
                .map(|r| serde_json::from_str(r.get()).unwrap())
                .collect();
            for va in &va_names {
                if !recs.iter().any(|r| r["virtualAccount"] == *va) {
                    seen.insert("empty VA");
                }
            }
            for r in &recs {
                records += 1;
                let name = r["license"].as_str().unwrap();
                let va = r["virtualAccount"].as_str().unwrap();
                vas_of_licence
                    .entry(name.to_string())
                    .or_default()
                    .insert((domain.to_string(), va.to_string()));
                if name.ends_with(' ') {
                    seen.insert("trailing space");
                }
                let quantity = r["quantity"].as_u64().unwrap();
                let in_use = r["inUse"].as_u64().unwrap();
                assert_eq!(
                    r["available"].as_i64().unwrap(),
                    quantity as i64 - in_use as i64
                );
                if in_use > quantity {
                    seen.insert("shortage");
                }
                if quantity == 0 {
                    seen.insert("zero quantity");
                }
                let lines = r["licenseDetails"].as_array().unwrap();
                if lines.is_empty() {
                    seen.insert("no lines");
                    continue;
                }
                let sum: u64 = lines.iter().map(|l| l["quantity"].as_u64().unwrap()).sum();
                assert_eq!(sum, quantity, "lines of {name} in {va} do not add up");
                let types: BTreeSet<&str> = lines
                    .iter()
                    .map(|l| l["licenseType"].as_str().unwrap())
                    .collect();
                if types.len() > 1 {
                    seen.insert("several line types");
                }
                for line in lines {
                    for field in ["startDate", "endDate"] {
                        match line[field].as_str() {
                            Some(s) => {
                                forms.insert(date_form(s));
                            }
                            None => {
                                seen.insert(if field == "startDate" {
                                    "null start"
                                } else {
                                    "null end"
                                });
                            }
                        }
                    }
                    buckets.insert(bucket(line["endDate"].as_str()));
                }
            }
        }
        if vas_of_licence.values().any(|places| {
            places.len() > 1 && places.iter().map(|(d, _)| d).collect::<BTreeSet<_>>().len() == 1
        }) {
            seen.insert("licence in several VAs of one account");
        }
        if vas_of_licence
            .values()
            .any(|places| places.iter().map(|(d, _)| d).collect::<BTreeSet<_>>().len() > 1)
        {
            seen.insert("licence in several accounts");
        }

        let expected_quirks = BTreeSet::from([
            "empty VA",
            "holding account",
            "licence in several VAs of one account",
            "licence in several accounts",
            "no lines",
            "null end",
            "null start",
            "several line types",
            "shortage",
            "trailing space",
            "zero quantity",
        ]);
        assert_eq!(seen, expected_quirks, "seed {seed}");
        assert_eq!(
            forms,
            BTreeSet::from(["date", "legacy", "no-zone", "offset-fraction", "utc"]),
            "seed {seed}"
        );
        assert_eq!(
            buckets,
            BTreeSet::from(["expired", "30", "60", "90", "180", "later", "perpetual"]),
            "seed {seed}"
        );
        let per_va = records as f64 / (accounts * vas_per_account) as f64;
        assert!(
            (0.6 * mean as f64..1.4 * mean as f64).contains(&per_va),
            "seed {seed}: {per_va} records per VA"
        );
    }
}

#[test]
fn licence_names_come_from_the_shipped_catalogue_with_a_few_unknown_ones() {
    let catalogue: BTreeMap<String, Value> = serde_json::from_str(include_str!(
        "../../../inventory/data/license-architectures.json"
    ))
    .unwrap();
    let snapshot = generate(&params(5, 4, 4, 20));
    let names: Vec<String> = snapshot
        .licenses
        .values()
        .flatten()
        .map(|r| {
            let v: Value = serde_json::from_str(r.get()).unwrap();
            v["license"].as_str().unwrap().to_string()
        })
        .collect();
    let known = names
        .iter()
        .filter(|n| catalogue.contains_key(n.trim_end()))
        .count();
    assert!(known * 10 >= names.len() * 8, "{known} of {}", names.len());
    assert!(known < names.len(), "no name outside the catalogue");
}
