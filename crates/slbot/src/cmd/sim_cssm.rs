//! `slbot sim cssm`: serve the CSSM licensing API from a snapshot or generated data.
//!
//! Parse the flags into a [`SimConfig`], then either write the generated snapshot (`--dump`,
//! exit 0) or serve until Ctrl-C, printing the bound URL first so tests using port 0 can read it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use slbot_config::Config;
use slbot_cssm::Snapshot;
use slbot_sim_cssm::{
    generate, snapshot_text, spawn_at, DataSource, FaultSettings, GenParams, SimConfig, SimError,
    StaticToken,
};

use crate::exit::{CliError, CliResult};

/// Serve the CSSM licensing API under /services/api/smart-accounts-and-licensing.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    // Boxed: the options are many and `slbot sim`'s enum should stay small.
    #[command(flatten)]
    pub options: Box<Options>,
}

/// The options of `slbot sim cssm`.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8083")]
    pub listen: SocketAddr,

    /// Serve this snapshot file instead of generated data.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["seed", "accounts", "vas", "licenses", "anchor"])]
    pub snapshot: Option<PathBuf>,

    /// Seed of the generated data.
    #[arg(long, value_name = "N", required_unless_present = "snapshot")]
    pub seed: Option<u64>,

    /// Number of smart accounts to generate.
    #[arg(long, value_name = "A", required_unless_present = "snapshot")]
    pub accounts: Option<usize>,

    /// Virtual accounts per smart account.
    #[arg(long, value_name = "V", required_unless_present = "snapshot")]
    pub vas: Option<usize>,

    /// Mean number of license records per virtual account.
    #[arg(long, value_name = "L", required_unless_present = "snapshot")]
    pub licenses: Option<usize>,

    /// Mean number of entitlement lines per ordinary licence record, one to 2×N−1 (default:
    /// the usual mix, about 1.5). `--accounts 300 --vas 25 --licenses 40 --lines 4` is the
    /// million-line MSP shape.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=100), conflicts_with = "snapshot")]
    pub lines: Option<u16>,

    /// Day every generated date is relative to (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub anchor: Option<NaiveDate>,

    /// Number of users the accounts are dealt to.
    #[arg(long, value_name = "U", default_value_t = 1)]
    pub users: usize,

    /// Accept bearer token T as user USER (default user 0); repeatable. Without any, every
    /// bearer token is user 0 (unless --introspect-url is given).
    #[arg(long = "token", value_name = "T[=USER]", value_parser = parse_token)]
    pub tokens: Vec<(String, usize)>,

    /// Check other tokens with this RFC 7662 endpoint; the user is FNV-1a-64(sub) mod U.
    #[arg(long, value_name = "URL")]
    pub introspect_url: Option<String>,

    /// Largest page served, whatever limit the client asks for.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_page: usize,

    /// Leave totalRecords out of license pages.
    #[arg(long)]
    pub omit_total: bool,

    /// Delay added to every API request, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,

    /// Probability (0 to 1) that a request fails with a 503 or a 429 (seeded, repeatable).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub fail_rate: f64,

    /// Answer 503 to every Nth API request.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fail_every: u64,

    /// Answer 429 to every Nth API request.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub rate_limit_every: u64,

    /// Retry-After of injected 429s, in seconds.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub retry_after: u64,

    /// Write the data as a snapshot file and exit instead of serving.
    #[arg(long, value_name = "FILE")]
    pub dump: Option<PathBuf>,
}

const AFTER_HELP: &str = "\
The API is served under /services/api/smart-accounts-and-licensing; control routes: \
GET /_sim/stats, POST /_sim/stats/reset, GET|POST /_sim/faults.
Data comes from --snapshot FILE or is generated from --seed, --accounts, --vas and --licenses; \
the same values and --anchor give byte-identical data (see --dump).
User k of --users U sees account 0 and every account i > 0 with (i - 1) mod U = k. \
The tokens given here are test tokens for a simulator, not secrets.";

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

/// `T` or `T=USER`, split at the last `=` when what follows it is a number (tokens may contain
/// `=` themselves, as base64 padding).
fn parse_token(text: &str) -> Result<(String, usize), String> {
    let (token, user) = match text.rsplit_once('=') {
        Some((token, user)) if !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit()) => {
            let user = user
                .parse()
                .map_err(|e| format!("bad user index {user:?}: {e}"))?;
            (token, user)
        }
        _ => (text, 0),
    };
    if token.is_empty() {
        return Err("the token is empty".to_string());
    }
    Ok((token.to_string(), user))
}

pub async fn run(args: Args, _config: &Config) -> CliResult {
    let args = *args.options;
    let faults = FaultSettings {
        latency_ms: args.latency_ms,
        fail_rate: args.fail_rate,
        fail_every: args.fail_every,
        rate_limit_every: args.rate_limit_every,
        retry_after_secs: args.retry_after,
    };
    faults.validate().map_err(CliError::input)?;

    // The one clock read: the generator and the server never look at the time. Subscriptions
    // are labelled against the anchor for generated data, against the real present otherwise.
    let now = chrono::Utc::now();
    let (data, fault_seed, now) = match &args.snapshot {
        Some(path) => (DataSource::Snapshot(read_snapshot(path)?), 0, now),
        None => {
            let anchor = args.anchor.unwrap_or_else(|| now.date_naive());
            let params = GenParams {
                seed: args.seed.unwrap_or_default(),
                accounts: args.accounts.unwrap_or_default(),
                virtual_accounts: args.vas.unwrap_or_default(),
                licenses_per_va: args.licenses.unwrap_or_default(),
                anchor,
                lines_per_record: args.lines.map(usize::from),
            };
            let seed = params.seed;
            let midnight = anchor.and_hms_opt(0, 0, 0).map_or(now, |t| t.and_utc());
            (DataSource::Generate(params), seed, midnight)
        }
    };

    if let Some(path) = &args.dump {
        let snapshot = match data {
            DataSource::Generate(params) => generate(&params),
            DataSource::Snapshot(snapshot) => snapshot,
        };
        return write_snapshot(path, &snapshot);
    }

    let config = SimConfig {
        data,
        users: args.users,
        tokens: args
            .tokens
            .into_iter()
            .map(|(token, user)| StaticToken::new(token, user))
            .collect(),
        introspect_url: args.introspect_url,
        introspect_cache_ttl: Duration::from_secs(2),
        introspect_timeout: Duration::from_secs(5),
        max_page: args.max_page,
        omit_total: args.omit_total,
        faults,
        fault_seed,
        now,
    };
    let handle = spawn_at(config, args.listen).await.map_err(|e| match e {
        SimError::Bind { .. } => CliError::internal(e),
        SimError::Config(_) | SimError::Dataset(_) => CliError::input(e),
    })?;
    let dataset = handle.state.dataset();
    tracing::info!(
        accounts = dataset.account_count(),
        records = dataset.record_count(),
        "serving CSSM data"
    );
    println!("CSSM simulator listening on {}", handle.url());
    if let Err(e) = tokio::signal::ctrl_c().await {
        return Err(CliError::internal(format!("cannot wait for Ctrl-C: {e}")));
    }
    handle.shutdown().await;
    Ok(())
}

fn read_snapshot(path: &Path) -> Result<Snapshot, CliError> {
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::input(format!("cannot read the snapshot {}: {e}", path.display()))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        CliError::input(format!(
            "{} is not a readable snapshot: {e}",
            path.display()
        ))
    })
}

fn write_snapshot(path: &Path, snapshot: &Snapshot) -> CliResult {
    let text = snapshot_text(snapshot)
        .map_err(|e| CliError::internal(format!("cannot serialise the snapshot: {e}")))?;
    std::fs::write(path, text)
        .map_err(|e| CliError::internal(format!("cannot write {}: {e}", path.display())))?;
    let records: usize = snapshot.licenses.values().map(Vec::len).sum();
    println!(
        "wrote {} accounts and {records} license records to {}",
        snapshot.accounts.len(),
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_may_name_its_user_after_the_last_equals_sign() {
        assert_eq!(parse_token("abc"), Ok(("abc".into(), 0)));
        assert_eq!(parse_token("abc=2"), Ok(("abc".into(), 2)));
        assert_eq!(parse_token("YWJj=="), Ok(("YWJj==".into(), 0)));
        assert_eq!(parse_token("YWJj==1"), Ok(("YWJj=".into(), 1)));
        assert!(parse_token("=1").is_err());
    }
}
