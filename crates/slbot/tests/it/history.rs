//! `slbot report changes|trend --history` and `slbot ask --history`: the binary over a
//! directory of hand-written snapshots, expected figures worked out by hand below.

use crate::report::slbot;

use serde_json::{json, Value};

/// A snapshot of Acme taken at `at` with `(va, licence, quantity, inUse)` records.
fn snapshot(at: &str, records: &[(&str, &str, i64, i64)]) -> String {
    let records: Vec<Value> = records
        .iter()
        .map(|(va, l, q, u)| json!({"license": l, "virtualAccount": va, "quantity": q, "inUse": u}))
        .collect();
    json!({
        "format": "slbot-cssm-snapshot/1",
        "capturedAt": at,
        "accounts": [{"accountName": "Acme", "accountDomain": "acme.com"}],
        "licenses": {"acme.com": records},
    })
    .to_string()
}

/// Nov 1, 8, 15: Apex in use 10 → 20 → 30 of 100; Plus 5/5 until Nov 8, gone on Nov 15.
fn history() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let days = [
        ("2026-11-01T00:00:00Z", 10, true),
        ("2026-11-08T00:00:00Z", 20, true),
        ("2026-11-15T00:00:00Z", 30, false),
    ];
    for (i, (at, apex, plus)) in days.into_iter().enumerate() {
        let mut records = vec![("DEFAULT", "Apex", 100, apex)];
        if plus {
            records.push(("DEFAULT", "Plus", 5, 5));
        }
        std::fs::write(dir.path().join(format!("{i}.json")), snapshot(at, &records)).unwrap();
    }
    dir
}

#[test]
fn changes_over_a_directory_of_snapshots_compare_the_window_start_with_the_newest() {
    let dir = history();
    let path = dir.path().to_str().unwrap();
    let out = slbot(&[
        "report",
        "changes",
        "--history",
        path,
        "--window",
        "14d",
        "--now",
        "2026-11-16T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Window start Nov 2: base Nov 1. Plus removed (−5 owned, −5 in use); Apex 10 → 30 in use.
    assert_eq!(j["from"], "2026-11-01T00:00:00Z");
    assert_eq!(j["to"], "2026-11-15T00:00:00Z");
    assert_eq!(j["totals"]["removed"], 1);
    assert_eq!(j["totals"]["changed"], 1);
    assert_eq!(j["totals"]["quantityDelta"], -5);
    assert_eq!(j["totals"]["inUseDelta"], 15);
    // Since Nov 8: base Nov 8 (Apex 20/100, Plus 5/5).
    let out = slbot(&[
        "report",
        "changes",
        "--history",
        path,
        "--since",
        "2026-11-08",
        "--now",
        "2026-11-16T00:00:00Z",
        "--format",
        "markdown",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("**Changes over 2026-11-08** (snapshots of 2026-11-08 and 2026-11-15)\n0 licenses added, 1 removed, 1 changed; owned -5, in use +5;"),
        "{text}"
    );
}

#[test]
fn trend_gives_the_forecast_as_json_and_the_chart_as_png() {
    let dir = history();
    let path = dir.path().to_str().unwrap();
    let out = slbot(&[
        "report",
        "trend",
        "--license",
        "apex",
        "--history",
        path,
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 10, 20, 30 of 100 on days 0, 7, 14: 100 on day 63, 2027-01-03.
    assert_eq!(j["forecast"]["outcome"], "runsOut");
    assert_eq!(j["forecast"]["date"], "2027-01-03");
    assert_eq!(j["points"].as_array().map(Vec::len), Some(3));
    let png = dir.path().join("out").join("trend.png");
    std::fs::create_dir_all(png.parent().unwrap()).unwrap();
    let out = slbot(&[
        "report",
        "trend",
        "--license",
        "Apex",
        "--history",
        path,
        "--format",
        "png",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn a_snapshot_without_its_time_a_missing_license_or_no_history_exits_2_saying_what_to_do() {
    let dir = history();
    let path = dir.path().to_str().unwrap();
    let out = slbot(&["report", "trend", "--license", "Apx", "--history", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Closest: `Apex`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = slbot(&["report", "changes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--history DIR"));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"accounts": [], "licenses": {}}"#).unwrap();
    let out = slbot(&["report", "changes", "--history", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no readable `capturedAt`"));
}

#[test]
fn ask_with_history_answers_changes_exactly_as_the_report_markdown() {
    let dir = history();
    let path = dir.path().to_str().unwrap();
    let newest = dir.path().join("2.json");
    let asked = slbot(&[
        "ask",
        "changes 14d",
        "--snapshot",
        newest.to_str().unwrap(),
        "--history",
        path,
        "--now",
        "2026-11-16T00:00:00Z",
    ]);
    assert_eq!(
        asked.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&asked.stderr)
    );
    let report = slbot(&[
        "report",
        "changes",
        "--history",
        path,
        "--window",
        "14d",
        "--now",
        "2026-11-16T00:00:00Z",
        "--format",
        "markdown",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&asked.stdout),
        String::from_utf8_lossy(&report.stdout)
    );
}
