//! `slbot snapshot`: record one user's full CSSM fetch into a snapshot file.
//!
//! Also the CSSM glue other subcommands reuse (`slbot report` fetching live):
//! [`CssmFlags`] (flatten into a clap `Args`), [`cssm_settings`] (flags > `SLBOT_CSSM_*` >
//! TOML > defaults), [`fetch_live`] and [`cssm_error`] (the one place a CSSM failure becomes
//! an exit code: 3 for anything CSSM did, 2 for a bad setting, 1 for a local fault).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use secrecy::SecretString;
use slbot_config::Config;
use slbot_cssm::{
    BuildError, CssmClient, CssmError, FetchOptions, FetchSettings, Progress, Snapshot, Url,
    DEFAULT_BASE_URL, DEFAULT_CONCURRENCY, DEFAULT_MAX_INFLIGHT, DEFAULT_PAGE_SIZE,
    DEFAULT_TIMEOUT_SECS,
};

use crate::exit::{CliError, CliResult};

/// CSSM connection flags shared by every subcommand that talks to CSSM.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CssmFlags {
    /// CSSM API base URL, scheme and host only [env: SLBOT_CSSM_API_URL] [default: https://swapi.cisco.com]
    #[arg(long, value_name = "URL")]
    pub cssm_url: Option<String>,
    /// Licenses asked for per page [env: SLBOT_CSSM_PAGE_SIZE] [default: 500]
    #[arg(long, value_name = "N")]
    pub page_size: Option<u32>,
    /// Requests in flight per fetch [env: SLBOT_CSSM_CONCURRENCY] [default: 4]
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub cssm: CssmFlags,
    /// Name of the environment variable that holds the user's CSSM access token
    #[arg(long, value_name = "VAR")]
    pub token_env: String,
    /// Snapshot file to write (replaced whole, never left half-written)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Everything needed to reach CSSM, resolved from flags and configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CssmSettings {
    pub base_url: Url,
    pub fetch: FetchSettings,
    /// Process-wide cap on requests in flight (`SLBOT_CSSM_MAX_INFLIGHT`).
    pub max_inflight: usize,
}

/// Resolves the CSSM settings: flag > `SLBOT_CSSM_*` environment > TOML > default.
/// Any invalid value is an input error (exit 2) naming the setting.
pub fn cssm_settings(config: &Config, flags: &CssmFlags) -> Result<CssmSettings, CliError> {
    let url: String = config.value(
        "CSSM_API_URL",
        flags.cssm_url.clone(),
        DEFAULT_BASE_URL.to_string(),
    )?;
    let base_url = Url::parse(url.trim()).map_err(|e| {
        CliError::input(format!(
            "the CSSM URL `{url}` is not a URL ({e}); give scheme and host, e.g. {DEFAULT_BASE_URL}"
        ))
    })?;
    let page_size = config.value("CSSM_PAGE_SIZE", flags.page_size, DEFAULT_PAGE_SIZE)?;
    let concurrency = config.value("CSSM_CONCURRENCY", flags.concurrency, DEFAULT_CONCURRENCY)?;
    let timeout_secs = config.value("CSSM_TIMEOUT_SECS", None, DEFAULT_TIMEOUT_SECS)?;
    let max_inflight = config.value("CSSM_MAX_INFLIGHT", None, DEFAULT_MAX_INFLIGHT)?;
    let fetch = FetchSettings::from_values(page_size, concurrency, timeout_secs)
        .map_err(CliError::input)?;
    let max_inflight = FetchSettings::check_max_inflight(max_inflight).map_err(CliError::input)?;
    Ok(CssmSettings {
        base_url,
        fetch,
        max_inflight,
    })
}

/// A client for these settings with its own process-wide in-flight cap (one-shot commands).
/// Long-running services build one semaphore at start-up and share it instead.
pub fn cssm_client(settings: &CssmSettings) -> Result<CssmClient, CliError> {
    let inflight = Arc::new(tokio::sync::Semaphore::new(settings.max_inflight));
    CssmClient::new(&settings.base_url, settings.fetch.clone(), inflight).map_err(|e| match e {
        BuildError::BadBaseUrl(..) => CliError::input(e),
        BuildError::Http(_) => CliError::internal(e),
    })
}

/// Fetches everything `token` may see. Progress goes to the log (info) as accounts complete.
pub async fn fetch_live(
    settings: &CssmSettings,
    token: &SecretString,
    options: &FetchOptions,
) -> Result<Snapshot, CliError> {
    let client = cssm_client(settings)?;
    let last_done = AtomicUsize::new(usize::MAX);
    let progress = |p: Progress| {
        if last_done.swap(p.accounts_done, Ordering::Relaxed) != p.accounts_done {
            tracing::info!(
                accounts_done = p.accounts_done,
                accounts_total = p.accounts_total,
                pages_done = p.pages_done,
                pages_total = p.pages_total,
                "fetching from CSSM"
            );
        }
    };
    client
        .fetch_all(token, options, &progress)
        .await
        .map_err(cssm_error)
}

/// The exit code and sentence for a failed CSSM fetch (the one place this mapping lives).
pub fn cssm_error(error: CssmError) -> CliError {
    match error {
        CssmError::Unauthorized { .. } => CliError::remote(format!(
            "{error} (the token is expired or invalid: get a fresh one)"
        )),
        CssmError::Forbidden { .. } => CliError::remote(format!(
            "{error} (check that the API client was granted the licensing APIs and the user can see the account)"
        )),
        CssmError::RateLimited { .. }
        | CssmError::Unavailable { .. }
        | CssmError::BadData { .. }
        | CssmError::Unexpected { .. } => CliError::remote(error),
    }
}

/// Lines for stderr describing what a partial or imperfect snapshot lacks.
pub fn snapshot_warnings(snapshot: &Snapshot) -> Vec<String> {
    let mut lines = Vec::new();
    if snapshot.is_partial() {
        lines.push(format!(
            "warning: the snapshot is partial: {} account(s) could not be read",
            snapshot.missing_accounts.len()
        ));
        for m in &snapshot.missing_accounts {
            lines.push(format!(
                "warning:   {} ({}): {}",
                m.name, m.domain, m.reason
            ));
        }
    }
    lines.extend(snapshot.warnings.iter().map(|w| format!("warning: {w}")));
    lines
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    let token = Config::named_env_secret(&args.token_env).map_err(|_| {
        CliError::input(format!(
            "the environment variable {} (named by --token-env) is not set or is empty",
            args.token_env
        ))
    })?;
    run_with_token(&args, config, &token).await
}

/// `run` once the token is in hand (tests call this with a token of their own).
pub async fn run_with_token(args: &Args, config: &Config, token: &SecretString) -> CliResult {
    let settings = cssm_settings(config, &args.cssm)?;
    let snapshot = fetch_live(&settings, token, &FetchOptions::default()).await?;
    snapshot
        .write_atomic(&args.out)
        .map_err(CliError::internal)?;
    for line in snapshot_warnings(&snapshot) {
        eprintln!("{line}");
    }
    println!(
        "wrote {}: {} account(s), {} license record(s){}",
        args.out.display(),
        snapshot.accounts.len(),
        snapshot.license_count(),
        if snapshot.is_partial() {
            " (partial)"
        } else {
            ""
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::exit::Code;

    fn config(env: &[(&str, &str)], toml: &str) -> Config {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_parts(env, toml).unwrap()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = cssm_settings(&config(&[], ""), &CssmFlags::default()).unwrap();
        assert_eq!(s.base_url.as_str(), "https://swapi.cisco.com/");
        assert_eq!(s.fetch, FetchSettings::default());
        assert_eq!(s.max_inflight, 16);
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_toml_file() {
        let c = config(
            &[
                ("SLBOT_CSSM_PAGE_SIZE", "200"),
                ("SLBOT_CSSM_API_URL", "http://127.0.0.1:9"),
                ("SLBOT_CSSM_MAX_INFLIGHT", "3"),
            ],
            "cssm_page_size = 300\ncssm_concurrency = 7\ncssm_timeout_secs = 9\ncssm_api_url = \"http://toml\"",
        );
        let s = cssm_settings(&c, &CssmFlags::default()).unwrap();
        assert_eq!(s.fetch.page_size, 200);
        assert_eq!(s.fetch.concurrency, 7);
        assert_eq!(s.fetch.request_timeout, Duration::from_secs(9));
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:9/");
        assert_eq!(s.max_inflight, 3);
        let flags = CssmFlags {
            cssm_url: Some("http://flag:1".into()),
            page_size: Some(100),
            concurrency: Some(8),
        };
        let s = cssm_settings(&c, &flags).unwrap();
        assert_eq!(
            (s.base_url.as_str(), s.fetch.page_size, s.fetch.concurrency),
            ("http://flag:1/", 100, 8)
        );
    }

    #[test]
    fn bad_settings_are_input_errors_that_name_the_setting() {
        let bad = [
            (
                config(&[("SLBOT_CSSM_PAGE_SIZE", "lots")], ""),
                "SLBOT_CSSM_PAGE_SIZE",
            ),
            (
                config(&[("SLBOT_CSSM_CONCURRENCY", "0")], ""),
                "SLBOT_CSSM_CONCURRENCY",
            ),
            (
                config(&[("SLBOT_CSSM_MAX_INFLIGHT", "0")], ""),
                "SLBOT_CSSM_MAX_INFLIGHT",
            ),
            (config(&[("SLBOT_CSSM_API_URL", "swapi")], ""), "CSSM URL"),
        ];
        for (c, name) in bad {
            let err = cssm_settings(&c, &CssmFlags::default()).unwrap_err();
            assert_eq!(err.code, Code::Input, "{err}");
            assert!(err.message.contains(name), "{err}");
        }
        let s = cssm_settings(
            &config(&[("SLBOT_CSSM_API_URL", "ftp://x")], ""),
            &CssmFlags::default(),
        )
        .unwrap();
        let err = cssm_client(&s).unwrap_err();
        assert_eq!(err.code, Code::Input, "{err}");
    }

    #[test]
    fn every_cssm_failure_exits_with_the_remote_code() {
        let place = || "the account list".to_string();
        let errors = [
            CssmError::Unauthorized { place: place() },
            CssmError::Forbidden { place: place() },
            CssmError::RateLimited {
                place: place(),
                retry_after: None,
            },
            CssmError::Unavailable {
                place: place(),
                reason: slbot_cssm::Unavailable::TimedOut,
            },
            CssmError::BadData {
                place: place(),
                detail: "x".into(),
            },
        ];
        for e in errors {
            assert_eq!(cssm_error(e).code(), 3);
        }
    }

    /// A one-route HTTP/1.1 server good enough for this command: answers each request with
    /// the JSON `route` gives for its path, then closes the connection.
    async fn tiny_cssm(route: fn(&str) -> (u16, String)) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    // Read the head, then as many body bytes as Content-Length says.
                    loop {
                        let n = socket.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let length = text[..end]
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if buf.len() >= end + 4 + length {
                                break;
                            }
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let (status, body) = route(&path);
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        format!("http://{addr}")
    }

    fn args(url: String, out: PathBuf) -> Args {
        Args {
            cssm: CssmFlags {
                cssm_url: Some(url),
                page_size: Some(2),
                concurrency: None,
            },
            token_env: "UNUSED_IN_THIS_TEST".into(),
            out,
        }
    }

    #[tokio::test]
    async fn a_snapshot_is_written_with_every_page_of_every_account() {
        let url = tiny_cssm(|path| {
            let body = if path.ends_with("/v2/accounts") {
                r#"{"accounts":[{"accountName":"Acme","accountDomain":"acme.com","accountType":"CUSTOMER"}]}"#
            } else if path.ends_with("/virtual-accounts") {
                r#"{"virtualAccounts":[{"name":"DEFAULT","isDefault":"true"}]}"#
            } else {
                // Page 1 holds both records and says so; the client needs no second page.
                r#"{"licenses":[{"license":"A","virtualAccount":"V"},{"license":"B","virtualAccount":"V"}],"totalRecords":2}"#
            };
            (200, body.to_string())
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snap.json");
        let a = args(url, out.clone());
        run_with_token(&a, &config(&[], ""), &SecretString::from("t"))
            .await
            .unwrap();
        let snap = Snapshot::read(&out).unwrap();
        assert_eq!(snap.license_count(), 2);
        assert_eq!(
            snap.licenses["acme.com"][1].get(),
            r#"{"license":"B","virtualAccount":"V"}"#
        );
        assert!(snapshot_warnings(&snap).is_empty());
    }

    #[tokio::test]
    async fn a_refused_token_exits_3_and_writes_no_file() {
        let url = tiny_cssm(|_| (401, "{}".to_string())).await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snap.json");
        let err = run_with_token(
            &args(url, out.clone()),
            &config(&[], ""),
            &SecretString::from("t"),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), 3);
        assert!(err.message.contains("sign in again"), "{err}");
        assert!(!out.exists());
    }

    #[tokio::test]
    async fn an_unwritable_output_is_an_io_error_with_exit_1() {
        let url = tiny_cssm(|path| {
            if path.ends_with("/v2/accounts") {
                (200, r#"{"accounts":[]}"#.to_string())
            } else {
                (404, "{}".to_string())
            }
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("missing-dir").join("snap.json");
        let err = run_with_token(&args(url, out), &config(&[], ""), &SecretString::from("t"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), 1, "{err}");
    }

    #[test]
    fn a_partial_snapshot_lists_each_missing_account_on_stderr() {
        let snap = Snapshot::from_json_slice(
            br#"{"accounts":[],"missingAccounts":[{"name":"Down","domain":"down.com","reason":"CSSM timed out"}],
                "warnings":["CSSM returned 1 of 2 records for account A (a.com)"]}"#,
        )
        .unwrap();
        assert_eq!(
            snapshot_warnings(&snap),
            vec![
                "warning: the snapshot is partial: 1 account(s) could not be read",
                "warning:   Down (down.com): CSSM timed out",
                "warning: CSSM returned 1 of 2 records for account A (a.com)",
            ]
        );
    }
}
