//! `slbot ask`: the binary, run as a user would, against snapshot files and the CSSM simulator.

use std::path::Path;
use std::process::{Command, Output};

use slbot_cssm::Snapshot;
use slbot_sim_cssm::{DataSource, SimConfig, StaticToken};

const NOW: &str = "2026-11-28T00:00:00Z";

/// Acme (acme.com) with one licence expiring, one expired, one short.
const SNAPSHOT: &str = r#"{
  "accounts": [{"accountName": "Acme", "accountDomain": "acme.com",
                "accountStatus": "Active", "accountType": "CUSTOMER"}],
  "licenses": {"acme.com": [
    {"license": "DNA Advantage For SDWAN", "virtualAccount": "DEFAULT", "quantity": 100,
     "inUse": 120, "licenseDetails": [{"licenseType": "TERM", "quantity": 100,
                                        "endDate": "2026-12-20"}]},
    {"license": "ISE Base", "virtualAccount": "Lab", "quantity": 10, "inUse": 5,
     "licenseDetails": [{"licenseType": "TERM", "quantity": 10, "endDate": "2025-12-20"}]}
  ]}
}"#;

fn slbot(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_slbot"));
    command
        .args(args)
        .env_remove("SLBOT_CONFIG")
        .env_remove("SLBOT_CATALOG")
        .env("SLBOT_LOG", "error");
    for (k, v) in env {
        command.env(k, v);
    }
    match command.output() {
        Ok(output) => output,
        Err(e) => panic!("cannot run slbot: {e}"),
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Err(e) = std::fs::write(&path, text) {
        panic!("cannot write {}: {e}", path.display());
    }
    path.to_string_lossy().into_owned()
}

fn temp_dir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("no temp dir: {e}"),
    }
}

#[test]
fn a_report_prints_exactly_the_markdown_the_bot_posts() {
    let dir = temp_dir();
    let snapshot = write(dir.path(), "snap.json", SNAPSHOT);
    let output = slbot(
        &["ask", "expire 90", "--snapshot", &snapshot, "--now", NOW],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "**There is 1 license that will expire in the next 90 days:**\n\
         * **Acme**\n    * DEFAULT\n\
         \x20       * **DNA Advantage For SDWAN**, Qty: 100, expires on 2026/12/20\n"
    );
}

#[test]
fn unknown_commands_and_bad_numbers_are_answers_with_exit_0() {
    let dir = temp_dir();
    let snapshot = write(dir.path(), "snap.json", SNAPSHOT);
    for (text, reply) in [
        (
            "stauts",
            "Sorry, I didn't understand `stauts`. Did you mean `status`? \
             Type `help` for everything I can do.\n",
        ),
        (
            "expire 2.5",
            "I can look 1 to 3650 days ahead, for example `expire 90`.\n",
        ),
        (
            "sign out",
            "`sign out` only works in the chat with the bot.\n",
        ),
    ] {
        let output = slbot(&["ask", text, "--snapshot", &snapshot, "--now", NOW], &[]);
        assert_eq!(output.status.code(), Some(0), "{text}: {}", stderr(&output));
        assert_eq!(stdout(&output), reply, "{text}");
    }
    let output = slbot(&["ask", "?", "--snapshot", &snapshot], &[]);
    assert!(stdout(&output).starts_with("**Here is what I can do:**\n"));
}

#[test]
fn a_shortened_report_prints_two_messages_and_writes_the_full_csv() {
    let dir = temp_dir();
    // 200 expired lines in one VA: far more than one message holds.
    let records: Vec<String> = (0..200)
        .map(|i| {
            format!(
                r#"{{"license": "License {i:03}", "virtualAccount": "DEFAULT", "quantity": 1,
                    "licenseDetails": [{{"quantity": 1, "endDate": "2025-01-01"}}]}}"#
            )
        })
        .collect();
    let snapshot = write(
        dir.path(),
        "big.json",
        &format!(
            r#"{{"accounts": [{{"accountName": "Acme", "accountDomain": "acme.com"}}],
                "licenses": {{"acme.com": [{}]}}}}"#,
            records.join(",")
        ),
    );
    let out_dir = dir.path().join("files");
    let output = slbot(
        &[
            "ask",
            "expired",
            "--snapshot",
            &snapshot,
            "--now",
            NOW,
            "--out-dir",
            &out_dir.to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("--- message 1 ---\n**There are 200 expired licenses:**\n"));
    assert!(text.ends_with(
        "The full list is attached.\n--- message 2 ---\nHere is the full list as a CSV file.\n"
    ));
    let first = text
        .split("--- message 2 ---")
        .next()
        .unwrap_or_default()
        .trim_start_matches("--- message 1 ---\n")
        .trim_end_matches('\n');
    assert!(first.len() <= 7439);
    let shown = first.matches("        * **License").count();
    assert!(first.contains(&format!("…and {} more.", 200 - shown)));

    let csv_path = out_dir.join("expired-2026-11-28.csv");
    assert!(
        stderr(&output).contains(&csv_path.display().to_string()),
        "{}",
        stderr(&output)
    );
    let csv = std::fs::read_to_string(&csv_path).unwrap_or_default();
    assert_eq!(csv.lines().count(), 1 + 200);
    assert!(csv.contains("License 199"));
}

#[test]
fn export_xlsx_writes_the_workbook() {
    let dir = temp_dir();
    let snapshot = write(dir.path(), "snap.json", SNAPSHOT);
    let out_dir = dir.path().to_string_lossy().into_owned();
    let output = slbot(
        &[
            "ask",
            "export xlsx",
            "--snapshot",
            &snapshot,
            "--now",
            NOW,
            "--out-dir",
            &out_dir,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "**Here is your license export: 2 rows from 1 smart account.**\n"
    );
    let bytes = std::fs::read(dir.path().join("licenses-2026-11-28.xlsx")).unwrap_or_default();
    assert!(bytes.starts_with(b"PK"));
}

#[test]
fn bad_flags_and_files_exit_2() {
    let dir = temp_dir();
    let snapshot = write(dir.path(), "snap.json", SNAPSHOT);
    let not_json = write(dir.path(), "bad.json", "{\"accounts\": [");
    let missing = dir
        .path()
        .join("missing.json")
        .to_string_lossy()
        .into_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec!["ask", "status"],
        vec!["ask", "status", "--snapshot", &missing],
        vec!["ask", "status", "--snapshot", &not_json],
        vec![
            "ask",
            "status",
            "--snapshot",
            &snapshot,
            "--now",
            "yesterday",
        ],
        vec![
            "ask",
            "status",
            "--snapshot",
            &snapshot,
            "--catalog",
            &missing,
        ],
        vec![
            "ask",
            "status",
            "--token-env",
            "SLBOT_ASK_TEST_UNSET_VARIABLE",
        ],
    ];
    for args in cases {
        let output = slbot(&args, &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

fn simulator_config() -> SimConfig {
    let snapshot = match Snapshot::from_json_slice(SNAPSHOT.as_bytes()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    SimConfig {
        data: DataSource::Snapshot(snapshot),
        tokens: vec![StaticToken::new("tok-ask-test", 0)],
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_fetch_answers_and_a_refused_token_exits_3() {
    let sim = match slbot_sim_cssm::spawn(simulator_config()).await {
        Ok(sim) => sim,
        Err(e) => panic!("{e}"),
    };
    let url = sim.url();
    let run = |token: &'static str| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            slbot(
                &[
                    "ask",
                    "shortages",
                    "--token-env",
                    "SLBOT_ASK_TEST_TOKEN",
                    "--cssm-url",
                    &url,
                    "--now",
                    NOW,
                ],
                &[("SLBOT_ASK_TEST_TOKEN", token)],
            )
        })
    };
    let output = match run("tok-ask-test").await {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "**There is 1 license with a shortage:**\n\
         * **Acme**\n    * DEFAULT\n\
         \x20       * **DNA Advantage For SDWAN**, Qty: 100, in use: 120, short: 20\n"
    );

    let output = match run("tok-someone-else").await {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    assert!(
        !stderr(&output).contains("tok-someone-else"),
        "the token never leaks"
    );
    sim.shutdown().await;
}
