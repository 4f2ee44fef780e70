//! `slbot sim sso`: serve the Cisco SSO simulator until Ctrl-C or SIGTERM, printing its URL
//! first so scripts using port 0 can read it. With `--tokens-file`, tokens issued before a
//! restart stay valid.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::ExposeSecret;
use slbot_config::Config;
use slbot_sim_sso::{spawn_at, SimSsoConfig, SsoState, DEFAULT_CLIENT_ID};

use crate::exit::{CliError, CliResult};

/// Serve Cisco SSO: /authorize (login form), /token, /userinfo, /revoke, /introspect, /_sim/stats.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8084")]
    pub listen: SocketAddr,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub access_ttl: u32,
    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 86_400)]
    pub refresh_ttl: u32,
    /// Answer every N-th token or userinfo call with 503.
    #[arg(long, value_name = "N")]
    pub fail_every: Option<u64>,
    /// Answer every N-th refresh with invalid_grant.
    #[arg(long, value_name = "N")]
    pub invalid_grant_every: Option<u64>,
    /// The registered client id.
    #[arg(long, value_name = "ID", default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// Environment variable holding the client secret (without it any secret is accepted).
    #[arg(long, value_name = "VAR")]
    pub client_secret_env: Option<String>,
    /// Absolute URL the simulator is reached at, for generated links (default: relative links).
    #[arg(long, value_name = "URL")]
    pub external_url: Option<String>,
    /// Keep tokens in this file across restarts (read at start, written at shutdown).
    #[arg(long, value_name = "FILE")]
    pub tokens_file: Option<PathBuf>,
}

pub async fn run(args: Args, _config: &Config) -> CliResult {
    let client_secret = match &args.client_secret_env {
        Some(var) => Some(Config::named_env_secret(var)?.expose_secret().to_string()),
        None => None,
    };
    let config = SimSsoConfig {
        access_ttl: chrono::Duration::seconds(i64::from(args.access_ttl)),
        refresh_ttl: chrono::Duration::seconds(i64::from(args.refresh_ttl)),
        fail_every: args.fail_every.filter(|n| *n > 0),
        invalid_grant_every: args.invalid_grant_every.filter(|n| *n > 0),
        client_id: args.client_id,
        client_secret,
        external_base_url: args.external_url,
        ..SimSsoConfig::default()
    };
    let state = match &args.tokens_file {
        Some(path) => SsoState::load(config, path).map_err(CliError::input)?,
        None => SsoState::new(config),
    };
    let (addr, handle) = spawn_at(state, args.listen).await.map_err(|e| {
        CliError::input(format!("cannot listen on {} (--listen): {e}", args.listen))
    })?;
    println!("Cisco SSO simulator listening on http://{addr}");
    crate::shutdown::shutdown_signal!().await;
    if let Some(path) = &args.tokens_file {
        handle.state.save(path).map_err(CliError::internal)?;
    }
    handle.shutdown().await;
    Ok(())
}
