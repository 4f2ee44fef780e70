//! `slbot notify run-once`: one notification pass now, for operators and tests.
//!
//! Shape: read the bot's settings (the same names `slbot bot` uses: `SLBOT_BOT_STORE_URL`,
//! `SLBOT_BACKEND_URL`, `SLBOT_BACKEND_SECRET`, `SLBOT_SIGNING_VERSION`, `SLBOT_LOGIN_URL`,
//! `SLBOT_WEBEX_API_URL`, `SLBOT_WEBEX_BOT_TOKEN`, `SLBOT_CSSM_*`, `SLBOT_CATALOG`), wire the
//! production ports of [`slbot_notify::adapters`], run [`Scheduler::run_once`], print what it
//! did. Exit codes: 0 when the pass ran and every due subscription was served (or another
//! process is running the pass), 3 when some subscription failed (a remote service did), 2
//! for a bad setting, 1 when the store failed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use slbot_config::Config;
use slbot_notify::adapters::{BackendTokens, CssmInventories, WebexPoster};
use slbot_notify::{NotifyDeps, PassReport, Scheduler, SchedulerSettings, StoreError};
use slbot_signing::{TokenClient, TokenClientSettings, Version};
use slbot_webex::{ClientSettings, WebexClient};

use crate::cmd::snapshot::{cssm_client, cssm_settings, CssmFlags};
use crate::exit::{CliError, CliResult};

/// Scheduled license digests.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Run one scheduler pass now: every due subscription gets its digest (or its one sign-in
    /// reminder), then exit. Safe beside a running bot: only one process runs a pass at a time.
    RunOnce(RunOnceArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunOnceArgs {
    /// The bot's store [env: SLBOT_BOT_STORE_URL] [default: sqlite://slbot-bot.db]
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Run the pass as of this instant (RFC 3339, e.g. 2026-11-30T08:00:00Z) instead of now
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    #[command(flatten)]
    pub cssm: CssmFlags,
    /// File holding the bot token (instead of SLBOT_WEBEX_BOT_TOKEN)
    #[arg(long, value_name = "FILE")]
    pub webex_bot_token_file: Option<PathBuf>,
    /// File holding the backend secret (instead of SLBOT_BACKEND_SECRET)
    #[arg(long, value_name = "FILE")]
    pub backend_secret_file: Option<PathBuf>,
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    match args.action {
        Action::RunOnce(a) => run_once(a, config).await,
    }
}

async fn run_once(args: RunOnceArgs, config: &Config) -> CliResult {
    let now = match &args.now {
        None => Utc::now(),
        Some(text) => DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                CliError::input(format!("--now `{text}` is not an RFC 3339 time ({e})"))
            })?,
    };
    let scheduler = build(&args, config).await?;
    let report = scheduler.run_once(now).await.map_err(store_error)?;
    print!("{}", summary(&report));
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::remote(format!(
            "{} of {} due subscriptions failed; they are retried on a later pass",
            report.failed.len(),
            report.due
        )))
    }
}

/// The scheduler over the production ports, from the bot's settings.
async fn build(args: &RunOnceArgs, config: &Config) -> Result<Scheduler, CliError> {
    let store_url: String = config.value(
        "BOT_STORE_URL",
        args.store.clone(),
        "sqlite://slbot-bot.db".to_string(),
    )?;
    let backend_url: String =
        config.value("BACKEND_URL", None, "http://127.0.0.1:8082".to_string())?;
    let backend_url = backend_url.trim_end_matches('/').to_string();
    let version = match config
        .value("SIGNING_VERSION", None, "v2".to_string())?
        .as_str()
    {
        "v1" => Version::V1,
        "v2" => Version::V2,
        other => {
            return Err(CliError::input(format!(
                "SLBOT_SIGNING_VERSION `{other}` is neither v1 nor v2"
            )))
        }
    };
    let backend_secret =
        config.require_secret("BACKEND_SECRET", args.backend_secret_file.as_deref())?;
    let login_url = config.value("LOGIN_URL", None, format!("{backend_url}/login"))?;
    let backend_timeout = Duration::from_secs(config.value("BACKEND_TIMEOUT_SECS", None, 5)?);
    let webex_url: String = config.value(
        "WEBEX_API_URL",
        None,
        slbot_webex::DEFAULT_BASE_URL.to_string(),
    )?;
    let webex_token =
        config.require_secret("WEBEX_BOT_TOKEN", args.webex_bot_token_file.as_deref())?;

    let tokens = TokenClient::new(TokenClientSettings {
        base_url: backend_url,
        secret: backend_secret.clone(),
        version,
        timeout: backend_timeout,
    })
    .map_err(|e| CliError::input(format!("SLBOT_BACKEND_URL: {e}")))?;
    let webex = WebexClient::new(
        webex_url.trim_end_matches('/'),
        webex_token,
        ClientSettings::default(),
    )
    .map_err(|e| CliError::input(format!("SLBOT_WEBEX_API_URL: {e}")))?;
    let cssm = cssm_client(&cssm_settings(config, &args.cssm)?)?;
    let catalog = crate::cmd::inputs::catalog(None, config)?;
    let store = slbot_notify::open(&store_url).await.map_err(store_error)?;

    let deps = NotifyDeps {
        store,
        tokens: Arc::new(BackendTokens {
            client: tokens,
            link_secret: backend_secret,
            login_url,
        }),
        inventories: Arc::new(CssmInventories {
            cssm,
            catalog: Arc::new(catalog),
        }),
        settings: SchedulerSettings::default(),
    };
    Ok(Scheduler::new(deps, Arc::new(WebexPoster { webex })))
}

fn store_error(e: StoreError) -> CliError {
    match e {
        StoreError::BadUrl(_) => CliError::input(format!("SLBOT_BOT_STORE_URL: {e}")),
        StoreError::Unavailable(_) => CliError::internal(e),
    }
}

/// What the pass did, one line per fact, for the operator.
fn summary(r: &PassReport) -> String {
    if !r.led {
        return "another process is running the notification pass; nothing done\n".into();
    }
    let mut out = format!(
        "due: {}, digests sent: {}, nothing new: {}, reminders sent: {}, still signed out: {}, failed: {}\n",
        r.due,
        r.digests.len(),
        r.nothing_new.len(),
        r.reminders.len(),
        r.still_signed_out.len(),
        r.failed.len()
    );
    if !r.missed_notes.is_empty() {
        out.push_str(&format!(
            "notes that a digest may have been missed (a pass stopped mid-send): {}\n",
            r.missed_notes.len()
        ));
    }
    for (person, reason) in &r.failed {
        out.push_str(&format!("failed: {person}: {reason}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_each_outcome_and_names_each_failure() {
        let report = PassReport {
            led: true,
            due: 4,
            digests: vec!["a".into()],
            nothing_new: vec!["b".into()],
            reminders: vec![],
            still_signed_out: vec!["c".into()],
            failed: vec![("d".into(), "the sign-in service did not answer".into())],
            missed_notes: vec!["e".into()],
        };
        assert_eq!(
            summary(&report),
            "due: 4, digests sent: 1, nothing new: 1, reminders sent: 0, still signed out: 1, failed: 1\n\
             notes that a digest may have been missed (a pass stopped mid-send): 1\n\
             failed: d: the sign-in service did not answer\n"
        );
        assert_eq!(
            summary(&PassReport::default()),
            "another process is running the notification pass; nothing done\n"
        );
    }

    #[tokio::test]
    async fn a_missing_secret_is_named_before_anything_is_opened() {
        let config = Config::from_parts(Default::default(), "").unwrap();
        let args = RunOnceArgs {
            store: Some("sqlite:///nonexistent-dir/never-created.db".into()),
            now: None,
            cssm: CssmFlags::default(),
            webex_bot_token_file: None,
            backend_secret_file: None,
        };
        let err = build(&args, &config).await.err().expect("refused");
        assert_eq!(err.code(), 2);
        assert!(err.to_string().contains("SLBOT_BACKEND_SECRET"), "{err}");
    }
}
