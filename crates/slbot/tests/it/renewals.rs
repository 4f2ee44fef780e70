//! `slbot report renewals` and `slbot ask "renewals …"`: the binary on a snapshot written by
//! the test, with and without `--prices`, checked against totals worked out by hand.

use std::path::PathBuf;
use std::process::Output;

use crate::report::slbot;

use serde_json::{json, Value};

/// A Monday in 2026-Q4.
const NOW: &str = "2026-12-07T12:00:00Z";

/// Acme DEFAULT: Apex 10 ending 2026-12-31T23:30Z and Apex 5 ending 2027-02-01; Plus 7 ending
/// 2027-05-15; an expired Plus 3 (2026-11-01) and a perpetual Base 4. Acme Lab: Plus 2 ending
/// 2026-12-20. Globex DEFAULT: Edge 8 ending 2027-03-31.
const SNAPSHOT: &str = r#"{
  "format": "slbot-cssm-snapshot/1",
  "accounts": [
    {"accountName": "Acme", "accountDomain": "acme.com"},
    {"accountName": "Globex", "accountDomain": "globex.com"}
  ],
  "licenses": {
    "acme.com": [
      {"license": "Apex", "virtualAccount": "DEFAULT", "quantity": 15, "inUse": 8,
       "licenseDetails": [{"licenseType": "TERM", "quantity": 10, "endDate": "2026-12-31T23:30:00Z"},
                          {"licenseType": "TERM", "quantity": 5, "endDate": "2027-02-01"}]},
      {"license": "Plus", "virtualAccount": "DEFAULT", "quantity": 10, "inUse": 3,
       "licenseDetails": [{"licenseType": "TERM", "quantity": 7, "endDate": "2027-05-15"},
                          {"licenseType": "TERM", "quantity": 3, "endDate": "2026-11-01"}]},
      {"license": "Base", "virtualAccount": "DEFAULT", "quantity": 4, "inUse": 1,
       "licenseDetails": [{"licenseType": "PERPETUAL", "quantity": 4, "endDate": null}]},
      {"license": "Plus", "virtualAccount": "Lab", "quantity": 2, "inUse": 0,
       "licenseDetails": [{"licenseType": "TERM", "quantity": 2, "endDate": "2026-12-20"}]}
    ],
    "globex.com": [
      {"license": "Edge", "virtualAccount": "DEFAULT", "quantity": 8, "inUse": 8,
       "licenseDetails": [{"licenseType": "TERM", "quantity": 8, "endDate": "2027-03-31"}]}
    ]
  }
}"#;

/// Apex 100 USD, Plus 2.50 USD; Edge has no price; line 4 is not a price.
const PRICES: &str =
    "license,unitPrice,currency\n\"Apex\",100,USD\n plus , 2.50 ,USD\nEdge,lots,USD\n";

struct Fixture {
    _dir: tempfile::TempDir,
    snapshot: String,
    prices: String,
    dir: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    std::fs::write(&snapshot, SNAPSHOT).unwrap();
    let prices = dir.path().join("prices.csv");
    std::fs::write(&prices, PRICES).unwrap();
    Fixture {
        snapshot: snapshot.to_str().unwrap().to_string(),
        prices: prices.to_str().unwrap().to_string(),
        dir: dir.path().to_path_buf(),
        _dir: dir,
    }
}

fn renewals(f: &Fixture, args: &[&str]) -> Output {
    let mut all = vec![
        "report",
        "renewals",
        "--snapshot",
        &f.snapshot,
        "--now",
        NOW,
    ];
    all.extend_from_slice(args);
    slbot(&all)
}

fn renewals_json(f: &Fixture, args: &[&str]) -> Value {
    let out = renewals(f, &[args, &["--format", "json"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (quarter, count, quantity) of every quarter.
fn totals(v: &Value) -> Vec<(String, u64, i64)> {
    v["calendar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["quarter"].as_str().unwrap().to_string(),
                q["count"].as_u64().unwrap(),
                q["quantity"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn q(label: &str, count: u64, quantity: i64) -> (String, u64, i64) {
    (label.to_string(), count, quantity)
}

#[test]
fn renewals_totals_each_quarter_of_the_utc_calendar_by_default() {
    let f = fixture();
    let v = renewals_json(&f, &[]);
    assert_eq!(v["report"], "renewals");
    assert_eq!(
        (v["quarters"].clone(), v["timeZone"].clone()),
        (json!(4), json!("UTC"))
    );
    // Q4 2026: Plus 2 (12-20) + Apex 10 (12-31 23:30) = 12; Q1 2027: Apex 5 + Edge 8 = 13;
    // Q2: Plus 7; Q3: nothing. The expired Plus 3 and the perpetual Base are not renewals.
    assert_eq!(
        totals(&v),
        [
            q("2026-Q4", 2, 12),
            q("2027-Q1", 2, 13),
            q("2027-Q2", 1, 7),
            q("2027-Q3", 0, 0)
        ]
    );
    assert_eq!(
        (v["count"].clone(), v["quantity"].clone()),
        (json!(5), json!(32))
    );
    assert_eq!(v["priced"], false);
    assert_eq!(v["calendar"][0]["items"][0]["virtualAccount"], "Lab");
}

#[test]
fn renewals_quarters_follow_the_time_zone_and_the_quarter_count() {
    let f = fixture();
    // Berlin: 2026-12-31T23:30Z is 2027-01-01 00:30, so Apex 10 moves to Q1: 2 + 10 + 5 + 8.
    let v = renewals_json(&f, &["--quarters", "2", "--tz", "Europe/Berlin"]);
    assert_eq!(totals(&v), [q("2026-Q4", 1, 2), q("2027-Q1", 3, 23)]);
    assert_eq!(v["calendar"][1]["items"][0]["endDate"], "2026-12-31");
    assert_eq!(v["calendar"][1]["items"][0]["localEndDate"], "2027-01-01");
    for bad in ["0", "21", "two"] {
        let out = renewals(&f, &["--quarters", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("1 to 20 quarters"));
    }
    let out = renewals(&f, &["--tz", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn prices_give_amounts_per_quarter_and_say_which_rows_were_skipped() {
    let f = fixture();
    let out = renewals(&f, &["--prices", &f.prices, "--format", "json"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("line 4: `lots` is not a price for Edge, skipped"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Q4: Plus 2 × 2.50 = 5 + Apex 10 × 100 = 1000: 1005 USD. Q1: Apex 5 × 100 = 500 USD,
    // Edge unpriced. Q2: Plus 7 × 2.50 = 17.50. Year: 1005 + 500 + 17.5 = 1522.50 USD.
    let amounts: Vec<Value> = v["calendar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["amounts"].clone())
        .collect();
    assert_eq!(
        amounts,
        [
            json!([{"currency": "USD", "amount": 1005.0}]),
            json!([{"currency": "USD", "amount": 500.0}]),
            json!([{"currency": "USD", "amount": 17.5}]),
            json!([]),
        ]
    );
    assert_eq!(v["calendar"][1]["unpriced"], 1);
    assert_eq!(v["amounts"], json!([{"currency": "USD", "amount": 1522.5}]));

    let table = renewals(&f, &["--prices", &f.prices]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("2027-Q1 (2027-01-01 to 2027-03-31): 2 lines (quantity 13), amount 500.00 USD, 1 line with no price"),
        "{text}"
    );

    let xlsx = f.dir.join("renewals.xlsx");
    let out = renewals(
        &f,
        &[
            "--prices",
            &f.prices,
            "--format",
            "xlsx",
            "--out",
            xlsx.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 0);

    let out = slbot(&[
        "report",
        "expired",
        "--snapshot",
        &f.snapshot,
        "--prices",
        &f.prices,
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ask_answers_renewals_as_the_chat_does_with_the_same_totals() {
    let f = fixture();
    let out = slbot(&[
        "ask",
        "renewals 2 quarters",
        "--snapshot",
        &f.snapshot,
        "--now",
        NOW,
        "--prices",
        &f.prices,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "**There are 4 licenses to renew in the next 2 quarters (UTC), by quarter:**",
            "* **2026-Q4** (2026/10/01 to 2026/12/31): 2 lines, Qty: 12, 1005.00 USD",
            "* **2027-Q1** (2027/01/01 to 2027/03/31): 2 lines, Qty: 13, 500.00 USD (1 line with no price)",
        ]
    );
    assert!(text.contains("**Edge**, Qty: 8, ends on 2027/03/31 (Globex, DEFAULT), no price"));
}
