//! The command line of `slbot-loadgen`: arguments → plan, scenario and client → report.

use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use secrecy::SecretString;
use serde_json::{json, Value};
use slbot_signing::Version;

use crate::error::LoadgenError;
use crate::plan::{http_client, Plan};
use crate::scenario::{Scenario, TokenApi, WebexWebhook};

const EXAMPLES: &str = "Examples:
  SLBOT_BACKEND_SECRET=... slbot-loadgen --url http://127.0.0.1:8082 --scenario token-api \\
    --rate 500 --duration-secs 10 --people 200
  SLBOT_WEBHOOK_SECRET=... slbot-loadgen --url http://127.0.0.1:8081/webhooks/webex \\
    --scenario webex-webhook --rate 500 --duration-secs 10";

/// Fixed-rate, open-loop load on an slbot endpoint, every request freshly signed. Prints one
/// JSON object: count, ok, errors, statuses and latency percentiles (ms, measured from each
/// request's scheduled send time).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "slbot-loadgen",
    args_override_self = true,
    after_help = EXAMPLES
)]
pub struct Args {
    /// token-api: the backend's base URL (as SLBOT_BACKEND_URL); webex-webhook: the full
    /// webhook URL.
    #[arg(long)]
    pub url: String,
    /// Requests per second, held whatever the answers do.
    #[arg(long)]
    pub rate: f64,
    /// Length of the measured window.
    #[arg(long)]
    pub duration_secs: f64,
    #[arg(long, value_enum)]
    pub scenario: ScenarioKind,
    /// The environment variable holding the shared secret (default: SLBOT_BACKEND_SECRET
    /// for token-api, SLBOT_WEBHOOK_SECRET for webex-webhook).
    #[arg(long)]
    pub secret_env: Option<String>,
    /// token-api: the signing scheme (v1 or v2).
    #[arg(long, default_value = "v2", value_parser = parse_version)]
    pub version: Version,
    /// token-api: requests cycle over this many people (loadgen-person-0 … N-1).
    #[arg(long, default_value_t = 200)]
    pub people: u64,
    /// Load at the same rate before the measured window; its answers are not counted.
    #[arg(long, default_value_t = 2.0)]
    pub warmup_secs: f64,
    /// Per-request timeout; a request that takes longer counts as an error.
    #[arg(long, default_value_t = 5000)]
    pub timeout_ms: u64,
}

/// The request kinds the generator can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScenarioKind {
    /// Signed `GET /api/userinfo/access-token` (signing.md), one fresh nonce per request.
    TokenApi,
    /// Signed Webex `messages`/`created` deliveries, one unique `data.id` per request.
    WebexWebhook,
}

impl ScenarioKind {
    /// The variable the secret is read from when `--secret-env` is not given.
    pub fn default_secret_env(self) -> &'static str {
        match self {
            ScenarioKind::TokenApi => "SLBOT_BACKEND_SECRET",
            ScenarioKind::WebexWebhook => "SLBOT_WEBHOOK_SECRET",
        }
    }
}

fn parse_version(s: &str) -> Result<Version, String> {
    s.parse()
}

fn seconds(value: f64, flag: &str) -> Result<Duration, LoadgenError> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| LoadgenError::InvalidPlan(format!("{flag} must be a non-negative number")))
}

/// Everything a run needs, checked.
pub struct Prepared {
    pub plan: Plan,
    pub client: reqwest::Client,
    pub scenario: Arc<dyn Scenario>,
}

impl Args {
    /// Checks the arguments and builds the run with `secret` (read by the caller).
    pub fn prepare(&self, secret: SecretString) -> Result<Prepared, LoadgenError> {
        let plan = Plan::new(
            self.rate,
            seconds(self.duration_secs, "--duration-secs")?,
            seconds(self.warmup_secs, "--warmup-secs")?,
        )?;
        let url =
            reqwest::Url::parse(&self.url).map_err(|e| LoadgenError::BadUrl(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(LoadgenError::BadUrl(
                "the scheme must be http or https".into(),
            ));
        }
        if self.people == 0 {
            return Err(LoadgenError::InvalidPlan(
                "--people must be at least 1".into(),
            ));
        }
        let scenario: Arc<dyn Scenario> = match self.scenario {
            ScenarioKind::TokenApi => {
                Arc::new(TokenApi::new(&self.url, secret, self.version, self.people))
            }
            ScenarioKind::WebexWebhook => Arc::new(WebexWebhook::new(&self.url, secret)),
        };
        Ok(Prepared {
            plan,
            client: http_client(Duration::from_millis(self.timeout_ms.max(1)))?,
            scenario,
        })
    }

    /// The variable the secret comes from.
    pub fn secret_env(&self) -> &str {
        self.secret_env
            .as_deref()
            .unwrap_or(self.scenario.default_secret_env())
    }
}

/// Reads the secret (through `slbot_config`), runs, and returns the JSON report: the
/// settings of the run followed by [`crate::Report::to_json`]'s fields.
pub async fn execute(args: &Args) -> Result<Value, LoadgenError> {
    let var = args.secret_env();
    let secret =
        slbot_config::Config::named_env_secret(var).map_err(|_| LoadgenError::MissingSecret {
            var: var.to_string(),
        })?;
    let prepared = args.prepare(secret)?;
    let name = prepared.scenario.name();
    let report = crate::run(&prepared.plan, prepared.client, prepared.scenario).await;
    let mut out = json!({
        "scenario": name,
        "rate_per_sec": prepared.plan.rate_per_sec(),
        "duration_secs": prepared.plan.duration().as_secs_f64(),
        "warmup_secs": prepared.plan.warmup().as_secs_f64(),
    });
    if let (Value::Object(out), Value::Object(fields)) = (&mut out, report.to_json()) {
        out.extend(fields);
    }
    Ok(out)
}
