//! The long-running services started as an operator starts them: `slbot backend`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Starts `slbot backend` on port 0 with `signing` as SLBOT_SIGNING_VERSION, waits until it
/// listens, stops it and returns what it wrote to stderr.
fn backend_start_log(signing: &str) -> String {
    backend_start_log_with(signing, &[])
}

fn backend_start_log_with(signing: &str, extra: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_slbot"))
        .args(["backend", "--listen", "127.0.0.1:0"])
        .env_remove("SLBOT_CONFIG")
        .env("SLBOT_LOG", "warn")
        .env("SLBOT_SIGNING_VERSION", signing)
        .env(
            "SLBOT_BACKEND_SECRET",
            "a-backend-secret-of-enough-length-0123",
        )
        .env("SLBOT_STORE_KEY", "ab".repeat(32))
        .env("SLBOT_SSO_CLIENT_ID", "client")
        .env("SLBOT_SSO_CLIENT_SECRET", "client-secret")
        .env("SLBOT_WEBEX_BOT_TOKEN", "bot-token")
        .env(
            "SLBOT_STORE_URL",
            format!("sqlite://{}", dir.path().join("tokens.db").display()),
        )
        .envs(extra.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("backend listening on http://127.0.0.1:"),
        "{line}"
    );
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_backend_started_on_v1_signing_warns_that_the_token_is_unprotected_and_on_v2_it_does_not() {
    let v1 = backend_start_log("v1");
    assert!(v1.contains("WARN"), "{v1}");
    assert!(
        v1.contains("SLBOT_SIGNING_VERSION=v1 (the 2019 wire format) does not protect the CSSM access token"),
        "{v1}"
    );
    let v2 = backend_start_log("v2");
    assert!(!v2.contains("SLBOT_SIGNING_VERSION"), "{v2}");
}

#[test]
fn with_slbot_log_format_json_every_log_line_is_a_json_object_with_level_and_fields() {
    let log = backend_start_log_with("v1", &[("SLBOT_LOG_FORMAT", "json")]);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let warning = lines
        .iter()
        .find(|l| l["fields"]["message"] == "a setting weakens a defence")
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(warning["level"], "WARN");
    assert!(warning["fields"]["risk"]
        .as_str()
        .unwrap()
        .starts_with("SLBOT_SIGNING_VERSION=v1"));
}
