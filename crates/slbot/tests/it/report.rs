//! `slbot report`: the binary, run as an operator would, on a hand-written snapshot. Expected
//! rows come from a small naive computation over the fixture's JSON inside each test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::NaiveDate;
use serde_json::{json, Value};

const NOW: &str = "2026-11-28T00:00:00Z";

/// Two accounts that share a VA name, a licence in two VAs, a record without lines, a
/// perpetual line, an unreadable date, trailing spaces and a two-line record in use.
const SNAPSHOT: &str = r#"{
  "format": "slbot-cssm-snapshot/1",
  "accounts": [
    {"accountName": "Acme", "accountDomain": "acme.com", "accountStatus": "Active",
     "accountType": "CUSTOMER", "roles": [{"role": "Virtual Account User", "virtualAccount": "Lab"}]},
    {"accountName": "Globex ", "accountDomain": "globex.com", "accountStatus": "Active",
     "accountType": "HOLDING"}
  ],
  "licenses": {
    "acme.com": [
      {"license": "AnyConnect Apex", "virtualAccount": "DEFAULT", "quantity": 200, "inUse": 230,
       "licenseDetails": [
         {"licenseType": "TERM", "quantity": 100, "endDate": "2026-12-10", "subscriptionId": "Sub1"},
         {"licenseType": "TERM", "quantity": 100, "endDate": "2027-06-01", "subscriptionId": "Sub2"}]},
      {"license": "AnyConnect Apex", "virtualAccount": "Lab", "quantity": 10, "inUse": 5,
       "licenseDetails": [{"licenseType": "TERM", "quantity": 10, "endDate": "2025-10-01"}]},
      {"license": "ISE Base License ", "virtualAccount": "Lab", "quantity": 50, "inUse": 50,
       "licenseDetails": [{"licenseType": "PERPETUAL", "quantity": 50, "endDate": null}]},
      {"license": "Mystery License", "virtualAccount": "DEFAULT", "quantity": 4, "inUse": 1,
       "licenseDetails": [{"licenseType": "TERM", "quantity": 4, "endDate": "sometime"}]},
      {"license": "No Lines", "virtualAccount": "DEFAULT", "quantity": 0, "inUse": 3}
    ],
    "globex.com": [
      {"license": "AnyConnect Apex", "virtualAccount": "DEFAULT", "quantity": 30, "inUse": 40,
       "licenseDetails": [{"licenseType": "TERM", "quantity": 30, "endDate": "2026-11-20"}]},
      {"license": "DNA Advantage", "virtualAccount": "DEFAULT", "quantity": 20, "inUse": 10,
       "licenseDetails": [{"licenseType": "SUBSCRIPTION", "quantity": 20, "endDate": "2027-01-05"}]}
    ]
  }
}"#;

struct Fixture {
    _dir: tempfile::TempDir,
    snapshot: PathBuf,
    dir: PathBuf,
}

fn fixture(text: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    std::fs::write(&snapshot, text).unwrap();
    Fixture {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        snapshot,
    }
}

/// The binary with `args`, without the caller's configuration (shared by the report tests).
pub(crate) fn slbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slbot"))
        .args(args)
        .env_remove("SLBOT_CONFIG")
        .env_remove("SLBOT_CATALOG")
        .env("SLBOT_LOG", "error")
        .output()
        .unwrap_or_else(|e| panic!("cannot run slbot: {e}"))
}

fn report(f: &Fixture, args: &[&str]) -> Output {
    let snap = f.snapshot.to_str().unwrap().to_string();
    let mut all = vec!["report", "--snapshot", &snap, "--now", NOW];
    all.extend_from_slice(args);
    slbot(&all)
}

fn json_report(f: &Fixture, args: &[&str]) -> Value {
    let out = report(f, &[args, &["--format", "json"]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ------------------------------------------------------------ a naive model of the fixture

struct NaiveLine {
    domain: String,
    va: String,
    license: String,
    quantity: i64,
    /// Days from NOW to the end date, when it is a readable `YYYY-MM-DD`.
    end_in_days: Option<i64>,
    end: String,
}

fn now_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

fn naive_lines() -> Vec<NaiveLine> {
    let snap: Value = serde_json::from_str(SNAPSHOT).unwrap();
    let mut out = Vec::new();
    for acc in snap["accounts"].as_array().unwrap() {
        let domain = acc["accountDomain"].as_str().unwrap();
        for rec in snap["licenses"][domain].as_array().unwrap() {
            for l in rec["licenseDetails"].as_array().into_iter().flatten() {
                let end = l["endDate"].as_str().unwrap_or("").to_string();
                let end_in_days = NaiveDate::parse_from_str(&end, "%Y-%m-%d")
                    .ok()
                    .map(|d| (d - now_date()).num_days());
                out.push(NaiveLine {
                    domain: domain.into(),
                    va: rec["virtualAccount"].as_str().unwrap().into(),
                    license: rec["license"].as_str().unwrap().into(),
                    quantity: l["quantity"].as_i64().unwrap(),
                    end_in_days,
                    end,
                });
            }
        }
    }
    out
}

/// `(account, domain, va, license, inUse, quantity)` of every record.
fn naive_records() -> Vec<(String, String, String, String, i64, i64)> {
    let snap: Value = serde_json::from_str(SNAPSHOT).unwrap();
    let mut out = Vec::new();
    for acc in snap["accounts"].as_array().unwrap() {
        let domain = acc["accountDomain"].as_str().unwrap();
        for rec in snap["licenses"][domain].as_array().unwrap() {
            out.push((
                acc["accountName"].as_str().unwrap().to_string(),
                domain.to_string(),
                rec["virtualAccount"].as_str().unwrap().to_string(),
                rec["license"].as_str().unwrap().to_string(),
                rec["inUse"].as_i64().unwrap(),
                rec["quantity"].as_i64().unwrap(),
            ));
        }
    }
    out
}

fn line_key(i: &Value) -> (String, String, String, i64, String) {
    (
        i["domain"].as_str().unwrap().into(),
        i["virtualAccount"].as_str().unwrap().into(),
        i["license"].as_str().unwrap().into(),
        i["quantity"].as_i64().unwrap(),
        i["endDate"].as_str().unwrap_or("").into(),
    )
}

// ------------------------------------------------------------ reports against the naive model

#[test]
fn expired_lists_the_lines_that_ended_before_now_most_recent_first() {
    let f = fixture(SNAPSHOT);
    let v = json_report(&f, &["expired"]);
    let mut naive: Vec<&NaiveLine> = Vec::new();
    let lines = naive_lines();
    naive.extend(
        lines
            .iter()
            .filter(|l| l.end_in_days.is_some_and(|d| d < 0)),
    );
    naive.sort_by(|a, b| {
        b.end_in_days
            .cmp(&a.end_in_days)
            .then(b.quantity.cmp(&a.quantity))
    });
    let got: Vec<_> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(line_key)
        .collect();
    let want: Vec<_> = naive
        .iter()
        .map(|l| {
            (
                l.domain.clone(),
                l.va.clone(),
                l.license.clone(),
                l.quantity,
                l.end.clone(),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(v["count"], want.len());
    assert_eq!(v["quantity"], naive.iter().map(|l| l.quantity).sum::<i64>());
    assert_eq!(v["report"], "expired");
}

#[test]
fn expiring_lists_the_lines_ending_within_the_days_soonest_first() {
    let f = fixture(SNAPSHOT);
    for days in [30i64, 60, 400] {
        let v = json_report(&f, &["expiring", "--days", &days.to_string()]);
        let lines = naive_lines();
        let mut naive: Vec<&NaiveLine> = lines
            .iter()
            .filter(|l| l.end_in_days.is_some_and(|d| d > 0 && d < days))
            .collect();
        naive.sort_by(|a, b| {
            a.end_in_days
                .cmp(&b.end_in_days)
                .then(b.quantity.cmp(&a.quantity))
        });
        let got: Vec<_> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(line_key)
            .collect();
        let want: Vec<_> = naive
            .iter()
            .map(|l| {
                (
                    l.domain.clone(),
                    l.va.clone(),
                    l.license.clone(),
                    l.quantity,
                    l.end.clone(),
                )
            })
            .collect();
        assert_eq!(got, want, "{days} days");
        assert_eq!(v["days"], days);
    }
}

#[test]
fn shortages_and_usage_match_a_naive_computation() {
    let f = fixture(SNAPSHOT);
    let v = json_report(&f, &["shortages"]);
    let mut naive: Vec<_> = naive_records()
        .into_iter()
        .filter(|r| r.4 > r.5)
        .map(|r| (r.1, r.2, r.3, r.4 - r.5))
        .collect();
    naive.sort_by_key(|r| std::cmp::Reverse(r.3));
    let got: Vec<_> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["domain"].as_str().unwrap().to_string(),
                i["virtualAccount"].as_str().unwrap().to_string(),
                i["license"].as_str().unwrap().to_string(),
                i["shortage"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, naive);

    let v = json_report(&f, &["usage"]);
    let mut naive: Vec<_> = naive_records()
        .into_iter()
        .filter(|r| r.5 > 0 && r.4 > 0)
        .map(|r| (r.3.clone(), 100.0 * r.4 as f64 / r.5 as f64, r.4))
        .collect();
    naive.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)));
    let got: Vec<_> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["license"].as_str().unwrap().to_string(),
                i["utilization"].as_f64().unwrap(),
                i["inUse"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, naive);
}

#[test]
fn the_mix_sums_in_use_once_per_record_by_architecture() {
    let f = fixture(SNAPSHOT);
    let v = json_report(&f, &["mix"]);
    // Naive: per account, inUse of records with inUse > 0, by the shipped catalogue's
    // architecture of each licence (looked up by hand in data/license-architectures.json).
    let arch = |license: &str| match license.trim() {
        "AnyConnect Apex" => "Security",
        "ISE Base License" => "Security",
        "DNA Advantage" => "Uncategorized",
        _ => "Uncategorized",
    };
    for acc in v["accounts"].as_array().unwrap() {
        let domain = acc["domain"].as_str().unwrap();
        let mut total = 0;
        let mut sums: std::collections::BTreeMap<&str, i64> = Default::default();
        for r in naive_records().iter().filter(|r| r.1 == domain && r.4 > 0) {
            total += r.4;
            *sums.entry(arch(&r.3)).or_default() += r.4;
        }
        assert_eq!(acc["totalInUse"], total, "{domain}");
        for a in acc["architectures"].as_array().unwrap() {
            let name = a["name"].as_str().unwrap();
            assert_eq!(a["inUse"], sums[name], "{domain} {name}");
            assert_eq!(
                a["percent"].as_f64().unwrap(),
                100.0 * sums[name] as f64 / total as f64
            );
        }
        assert_eq!(acc["architectures"].as_array().unwrap().len(), sums.len());
    }
}

#[test]
fn filters_narrow_every_report_and_keep_same_named_vas_apart() {
    let f = fixture(SNAPSHOT);
    let v = json_report(&f, &["shortages", "--va", "default", "--account", "GLOBEX"]);
    let domains: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["domain"].as_str().unwrap())
        .collect();
    assert_eq!(domains, vec!["globex.com"]);
    let v = json_report(&f, &["virtual-accounts"]);
    assert_eq!(
        v["accounts"],
        json!([
            {"name": "Acme", "domain": "acme.com", "virtualAccounts": ["Lab", "DEFAULT"]},
            {"name": "Globex ", "domain": "globex.com", "virtualAccounts": ["DEFAULT"]}
        ])
    );
}

#[test]
fn the_export_csv_has_one_row_per_line_and_one_per_record_without_lines() {
    let f = fixture(SNAPSHOT);
    let out = report(&f, &["export", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(reader.headers().unwrap().len(), 25);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let snap: Value = serde_json::from_str(SNAPSHOT).unwrap();
    let naive_rows: usize = snap["licenses"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|recs| recs.as_array().unwrap())
        .map(|r| r["licenseDetails"].as_array().map_or(1, |l| l.len().max(1)))
        .sum();
    assert_eq!(rows.len(), naive_rows);
    let mystery = rows.iter().find(|r| &r[5] == "Mystery License").unwrap();
    assert_eq!(&mystery[21], "sometime", "an unknown date is exported raw");
    assert!(
        rows.iter().any(|r| &r[5] == "ISE Base License "),
        "names are kept byte-for-byte"
    );
    assert!(stderr(&out).contains("could not read"), "{}", stderr(&out));
}

#[test]
fn the_xlsx_export_is_written_to_out_and_opens() {
    use calamine::{Reader, Xlsx};
    let f = fixture(SNAPSHOT);
    let path = f.dir.join("export.xlsx");
    let out = report(
        &f,
        &[
            "export",
            "--format",
            "xlsx",
            "--out",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let range = book.worksheet_range("export").unwrap();
    assert_eq!(range.rows().count(), 1 + 8);
}

#[test]
fn out_writes_the_same_bytes_as_stdout() {
    let f = fixture(SNAPSHOT);
    let path = f.dir.join("expired.json");
    let to_file = report(
        &f,
        &[
            "expired",
            "--format",
            "json",
            "--out",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(to_file.status.code(), Some(0));
    assert!(to_file.stdout.is_empty());
    let to_stdout = report(&f, &["expired", "--format", "json"]);
    assert_eq!(std::fs::read(&path).unwrap(), to_stdout.stdout);
}

#[test]
fn a_catalogue_file_overrides_the_architecture() {
    let f = fixture(SNAPSHOT);
    let cat = f.dir.join("catalog.json");
    std::fs::write(
        &cat,
        r#"{"DNA Advantage": {"architecture": "Enterprise Networking"}}"#,
    )
    .unwrap();
    let v = json_report(
        &f,
        &[
            "mix",
            "--account",
            "globex.com",
            "--catalog",
            cat.to_str().unwrap(),
        ],
    );
    let names: Vec<&str> = v["accounts"][0]["architectures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Security", "Enterprise Networking"]);
}

#[test]
fn markdown_is_the_chat_message_with_its_headline() {
    let f = fixture(SNAPSHOT);
    let out = report(&f, &["expired", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let naive = naive_lines()
        .iter()
        .filter(|l| l.end_in_days.is_some_and(|d| d < 0))
        .count();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().next(),
        Some(format!("**There are {naive} expired licenses:**").as_str())
    );
}

// ------------------------------------------------------------ partial answers and exit codes

#[test]
fn a_partial_snapshot_warns_and_exits_0_or_3_with_strict() {
    let mut snap: Value = serde_json::from_str(SNAPSHOT).unwrap();
    snap["missingAccounts"] =
        json!([{"name": "Initech", "domain": "initech.com", "reason": "CSSM timed out"}]);
    let f = fixture(&snap.to_string());
    let out = report(&f, &["accounts", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("partial") && stderr(&out).contains("Initech"),
        "{}",
        stderr(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["partial"], true);
    let out = report(&f, &["accounts", "--format", "json", "--strict"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        !out.stdout.is_empty(),
        "the partial answer is still printed"
    );
}

fn assert_input_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    assert!(
        stderr(out).contains(needle),
        "stderr should contain {needle:?}: {}",
        stderr(out)
    );
}

#[test]
fn bad_input_exits_2_with_a_sentence_saying_what_to_do() {
    let f = fixture(SNAPSHOT);
    assert_input_error(&report(&f, &["expird"]), "Did you mean `expired`?");
    for days in ["0", "abc", "99999", "2.5"] {
        assert_input_error(
            &report(&f, &["expiring", "--days", days]),
            "I can look 1 to 3650 days ahead",
        );
    }
    assert_input_error(
        &report(&f, &["expired", "--days", "30"]),
        "only to the expiring report",
    );
    assert_input_error(
        &report(&f, &["accounts", "--format", "csv"]),
        "JSON forms only",
    );
    assert_input_error(&report(&f, &["export", "--format", "xlsx"]), "--out");
    let snap = f.snapshot.to_str().unwrap();
    assert_input_error(
        &slbot(&["report", "usage", "--snapshot", snap, "--now", "yesterday"]),
        "RFC 3339",
    );
    assert_input_error(&slbot(&["report", "usage"]), "--snapshot FILE");
}

#[test]
fn an_unknown_va_or_account_exits_2_naming_the_closest_names() {
    let f = fixture(SNAPSHOT);
    let out = report(&f, &["usage", "--va", "Labb"]);
    assert_input_error(&out, "`Lab`");
    assert!(
        stderr(&out).contains("2 virtual accounts"),
        "{}",
        stderr(&out)
    );
    assert_input_error(&report(&f, &["usage", "--account", "acme.co"]), "`Acme`");
}

#[test]
fn a_file_that_is_not_a_snapshot_exits_2_saying_where_it_fails() {
    let f = fixture("{\n  \"accounts\": [\n    oops");
    assert_input_error(&report(&f, &["accounts"]), "not JSON");
    assert_input_error(&report(&f, &["accounts"]), "line 3");
    let f = fixture(r#"{"users": []}"#);
    assert_input_error(&report(&f, &["accounts"]), "not a CSSM snapshot");
    let missing = Path::new("/nonexistent/snapshot.json");
    assert_input_error(
        &slbot(&[
            "report",
            "accounts",
            "--snapshot",
            missing.to_str().unwrap(),
        ]),
        "cannot read the snapshot",
    );
}

// ------------------------------------------------------------ live fetch from the simulator

fn slbot_with_env(args: &[String], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_slbot"));
    command
        .args(args)
        .env_remove("SLBOT_CONFIG")
        .env_remove("SLBOT_CATALOG")
        .env("SLBOT_LOG", "error");
    for (k, v) in env {
        command.env(k, v);
    }
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run slbot: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_fetch_gives_the_same_report_as_the_snapshot_and_a_refused_token_exits_3() {
    use slbot_sim_cssm::{DataSource, SimConfig, StaticToken};
    let snapshot = slbot_cssm::Snapshot::from_json_slice(SNAPSHOT.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let sim = slbot_sim_cssm::spawn(SimConfig {
        data: DataSource::Snapshot(snapshot),
        tokens: vec![StaticToken::new("tok-report-test", 0)],
        ..SimConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let url = sim.url();
    let run = |token: &'static str| {
        let args: Vec<String> = [
            "report",
            "shortages",
            "--token-env",
            "SLBOT_REPORT_TEST_TOKEN",
            "--cssm-url",
            &url,
            "--now",
            NOW,
            "--format",
            "json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        tokio::task::spawn_blocking(move || {
            slbot_with_env(&args, &[("SLBOT_REPORT_TEST_TOKEN", token)])
        })
    };
    let live = run("tok-report-test").await.unwrap();
    assert_eq!(live.status.code(), Some(0), "{}", stderr(&live));
    let live: Value = serde_json::from_slice(&live.stdout).unwrap();
    let f = fixture(SNAPSHOT);
    let offline = json_report(&f, &["shortages"]);
    assert_eq!(live["items"], offline["items"]);
    assert_eq!(live["count"], offline["count"]);

    let refused = run("tok-someone-else").await.unwrap();
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(refused.stdout.is_empty());
    assert!(
        !stderr(&refused).contains("tok-someone-else"),
        "the token never leaks"
    );
    sim.shutdown().await;
}

// ------------------------------------------------------------ chart reports

/// Width and height from a PNG's IHDR chunk (bytes 16..24), after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() > 24,
        "too short for a PNG: {} bytes",
        bytes.len()
    );
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "the first chunk of a PNG is IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn every_chart_report_writes_a_png_with_the_default_size() {
    let f = fixture(SNAPSHOT);
    for (name, extra) in [
        ("chart-mix", vec![]),
        ("chart-expirations", vec![]),
        ("chart-expirations", vec!["--months", "6"]),
        ("chart-expirations", vec!["--days", "90"]),
        ("chart-usage", vec![]),
        ("status-chart", vec!["--va", "DEFAULT"]),
    ] {
        let out_path = f.dir.join(format!("{name}.png"));
        let out_arg = out_path.to_str().unwrap().to_string();
        let mut args = vec![name, "--format", "png", "--out", &out_arg];
        args.extend(extra.iter().copied());
        let out = report(&f, &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name} {extra:?}: {}",
            stderr(&out)
        );
        let bytes = std::fs::read(&out_path).unwrap();
        assert_eq!(png_size(&bytes), (1000, 600), "{name} {extra:?}");
    }
}

#[test]
fn a_chart_without_png_or_out_or_with_a_bad_horizon_exits_2_saying_what_to_do() {
    let f = fixture(SNAPSHOT);
    let out_path = f.dir.join("x.png");
    let out_arg = out_path.to_str().unwrap();
    assert_input_error(&report(&f, &["chart-mix"]), "give --format png --out FILE");
    assert_input_error(
        &report(&f, &["chart-mix", "--format", "png"]),
        "give --out FILE",
    );
    for bad in [
        ["--months", "0"],
        ["--months", "121"],
        ["--days", "0"],
        ["--days", "abc"],
    ] {
        let args = [
            "chart-expirations",
            "--format",
            "png",
            "--out",
            out_arg,
            bad[0],
            bad[1],
        ];
        assert_input_error(
            &report(&f, &args),
            "I can chart 1 to 120 months or 1 to 3650 days ahead",
        );
    }
    assert_input_error(
        &report(
            &f,
            &[
                "chart-usage",
                "--months",
                "3",
                "--format",
                "png",
                "--out",
                out_arg,
            ],
        ),
        "apply only to chart-expirations",
    );
    assert_input_error(
        &report(&f, &["usage", "--format", "png", "--out", out_arg]),
        "PNG is for the chart reports",
    );
    assert_input_error(
        &report(
            &f,
            &[
                "chart-mix",
                "--va",
                "Labb",
                "--format",
                "png",
                "--out",
                out_arg,
            ],
        ),
        "Lab",
    );
    assert!(
        !out_path.exists(),
        "no file is written when the input is refused"
    );
}
