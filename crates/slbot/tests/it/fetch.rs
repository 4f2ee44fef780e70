//! A live fetch, as an operator runs it: `slbot report … --token-env … --cssm-url …` against
//! the CSSM simulator with pages capped at 100 records, with and without `totalRecords`, and
//! with 429 and 503 injected deterministically. Expected values come from the records this
//! test writes itself, counted naively; the simulator's stats prove the faults fired.

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};
use slbot_sim_cssm::{DataSource, FaultSettings, SimConfig, StaticToken};

const NOW: &str = "2026-11-28T00:00:00Z";
const TOKEN: &str = "tok-fetch-test";
const BIG_ACCOUNT_RECORDS: usize = 1_250;
const SMALL_ACCOUNT_RECORDS: usize = 37;

/// Days from NOW to the one line's end date of record `i` (negative: expired).
fn offset(i: usize) -> i64 {
    (i % 400) as i64 - 100
}

fn records(count: usize, vas: &[&str]) -> Vec<Value> {
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    (0..count)
        .map(|i| {
            let end = today + Duration::days(offset(i));
            json!({"license": format!("Lic {i:04}"), "virtualAccount": vas[i % vas.len()],
                   "quantity": 10, "inUse": (i % 13) as i64,
                   "licenseDetails": [{"licenseType": "TERM", "quantity": 10,
                                       "endDate": end.format("%Y-%m-%d").to_string()}]})
        })
        .collect()
}

fn snapshot() -> Value {
    json!({
        "accounts": [
            {"accountName": "Big Co", "accountDomain": "big.example", "accountStatus": "Active",
             "accountType": "CUSTOMER"},
            {"accountName": "Small Co", "accountDomain": "small.example", "accountStatus": "Active",
             "accountType": "HOLDING"}
        ],
        "licenses": {
            "big.example": records(BIG_ACCOUNT_RECORDS, &["DEFAULT", "Lab"]),
            "small.example": records(SMALL_ACCOUNT_RECORDS, &["DEFAULT"])
        }
    })
}

/// Lines per account expiring within `days` (now < end < now + days) and expired (end < now).
fn naive_counts(days: i64) -> (usize, usize) {
    let offsets = (0..BIG_ACCOUNT_RECORDS)
        .chain(0..SMALL_ACCOUNT_RECORDS)
        .map(offset);
    let (mut expiring, mut expired) = (0, 0);
    for o in offsets {
        if o > 0 && o < days {
            expiring += 1;
        }
        if o < 0 {
            expired += 1;
        }
    }
    (expiring, expired)
}

async fn run_report(url: &str, args: &[&str]) -> std::process::Output {
    let mut all: Vec<String> = [
        "report",
        "--token-env",
        "SLBOT_FETCH_TEST_TOKEN",
        "--cssm-url",
        url,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.extend(["--now", NOW].iter().map(|s| s.to_string()));
    all.extend(args.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_slbot"))
            .args(&all)
            .env_remove("SLBOT_CONFIG")
            .env("SLBOT_FETCH_TEST_TOKEN", TOKEN)
            .env("SLBOT_LOG", "error")
            .output()
            .unwrap_or_else(|e| panic!("cannot run slbot: {e}"))
    })
    .await
    .unwrap()
}

async fn every_record_arrives_through_capped_pages_and_injected_faults(omit_total: bool) {
    let snapshot = slbot_cssm::Snapshot::from_json_slice(snapshot().to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let sim = slbot_sim_cssm::spawn(SimConfig {
        data: DataSource::Snapshot(snapshot),
        tokens: vec![StaticToken::new(TOKEN, 0)],
        max_page: 100,
        omit_total,
        faults: FaultSettings {
            rate_limit_every: 5,
            retry_after_secs: 0,
            fail_every: 7,
            ..FaultSettings::default()
        },
        ..SimConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let url = sim.url();
    let (expiring, expired) = naive_counts(30);

    let out = run_report(&url, &["export", "--format", "csv"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv::Reader::from_reader(out.stdout.as_slice())
        .records()
        .count();
    assert_eq!(
        rows,
        BIG_ACCOUNT_RECORDS + SMALL_ACCOUNT_RECORDS,
        "every record, one line each"
    );

    for (report, expected) in [("expiring", expiring), ("expired", expired)] {
        let out = run_report(&url, &[report, "--format", "json"]).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["count"], expected, "{report}");
        assert_eq!(json["partial"], false, "{report}");
    }

    let stats = sim.state.stats();
    assert_eq!(
        stats.largest_page, 100,
        "the simulator capped every page at 100"
    );
    assert!(
        stats.rate_limited_injected > 0,
        "429s were injected: {stats:?}"
    );
    assert!(
        stats.server_errors_injected > 0,
        "503s were injected: {stats:?}"
    );
    // Three fetches of 13 + 1 pages (or one more empty page each without totals) were
    // answered in full despite the faults: the failed requests were retried.
    let pages_per_fetch = BIG_ACCOUNT_RECORDS.div_ceil(100) + SMALL_ACCOUNT_RECORDS.div_ceil(100);
    let extra = if omit_total { 2 } else { 0 };
    assert!(
        stats.pages_served as usize >= 3 * (pages_per_fetch + extra),
        "pages served {} of at least {}",
        stats.pages_served,
        3 * (pages_per_fetch + extra)
    );
    assert_eq!(
        stats.records_served as usize,
        3 * (BIG_ACCOUNT_RECORDS + SMALL_ACCOUNT_RECORDS),
        "each fetch read every record exactly once"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_live_fetch_with_totals_reads_every_record_despite_capped_pages_429s_and_503s() {
    every_record_arrives_through_capped_pages_and_injected_faults(false).await;
}

#[tokio::test]
async fn a_live_fetch_without_totals_stops_only_at_an_empty_page_and_reads_every_record() {
    every_record_arrives_through_capped_pages_and_injected_faults(true).await;
}
