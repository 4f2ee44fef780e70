//! `slbot backend`: read the settings, open the store, serve the sign-in pages and the token
//! API until Ctrl-C or SIGTERM (in-flight requests finish first).
//!
//! Exit codes: 2 for a missing secret or bad setting (named) and a listen address in use,
//! 3 when the token store cannot be reached at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use slbot_backend::server::{self, StartError};
use slbot_backend::settings::{BackendSettings, SecretFiles};
use slbot_base::{Clock, SystemClock};
use slbot_config::Config;

use crate::exit::{CliError, CliResult};

/// Run the backend (Cisco SSO sign-in, token store, signed token API).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (default SLBOT_BACKEND_LISTEN, else 127.0.0.1:8082).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Read SLBOT_BACKEND_SECRET from this file.
    #[arg(long, value_name = "PATH")]
    pub backend_secret_file: Option<PathBuf>,
    /// Read SLBOT_STORE_KEY from this file.
    #[arg(long, value_name = "PATH")]
    pub store_key_file: Option<PathBuf>,
    /// Read SLBOT_SSO_CLIENT_SECRET from this file.
    #[arg(long, value_name = "PATH")]
    pub sso_client_secret_file: Option<PathBuf>,
    /// Read SLBOT_WEBEX_BOT_TOKEN from this file.
    #[arg(long, value_name = "PATH")]
    pub webex_bot_token_file: Option<PathBuf>,
    /// Read SLBOT_ALEXA_CLIENT_SECRET from this file.
    #[arg(long, value_name = "PATH")]
    pub alexa_client_secret_file: Option<PathBuf>,
}

/// The one place a start-up failure becomes an exit code.
fn exit(e: StartError) -> CliError {
    match e {
        StartError::StoreUnreachable(_) => CliError::remote(e),
        _ => CliError::input(e),
    }
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    let files = SecretFiles {
        backend_secret: args.backend_secret_file,
        store_key: args.store_key_file,
        sso_client_secret: args.sso_client_secret_file,
        webex_bot_token: args.webex_bot_token_file,
        alexa_client_secret: args.alexa_client_secret_file,
    };
    let settings = BackendSettings::from_config(config, args.listen, &files)?;
    super::warn_at_start(settings.signing_version.risk());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let listener = server::bind(settings.listen).await.map_err(exit)?;
    let started = server::start(&settings, clock.clone())
        .await
        .map_err(exit)?;
    let addr = listener.local_addr().map_err(CliError::internal)?;
    tracing::info!(%addr, public_url = %settings.public_url, "backend listening");
    println!("backend listening on http://{addr}");
    server::serve(
        started.router,
        started.store,
        clock,
        listener,
        settings.http,
        crate::shutdown::shutdown_signal!(),
    )
    .await;
    Ok(())
}
