//! `slbot bot`: read the settings, learn the bot's identity from Webex, listen, (optionally)
//! register the webhooks or open the websocket (`--transport`), and serve until Ctrl-C or
//! SIGTERM; queued events finish first.
//!
//! Exit codes: 2 for a missing secret or bad setting (named) and a listen address in use,
//! 3 when Webex does not confirm the bot's identity or refuses the webhook registration,
//! 1 when the server itself fails.

use std::net::SocketAddr;
use std::path::PathBuf;

use slbot_bot::{BotFlags, BotSettings, StartError};
use slbot_config::Config;
use tokio::net::TcpListener;

use crate::exit::{CliError, CliResult};

/// Run the Webex bot service (signed webhooks in, answers out).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (default SLBOT_LISTEN, else 127.0.0.1:8081).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Read SLBOT_WEBEX_BOT_TOKEN from this file.
    #[arg(long, value_name = "PATH")]
    pub webex_bot_token_file: Option<PathBuf>,
    /// Read SLBOT_WEBHOOK_SECRET from this file.
    #[arg(long, value_name = "PATH")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Read SLBOT_BACKEND_SECRET from this file.
    #[arg(long, value_name = "PATH")]
    pub backend_secret_file: Option<PathBuf>,
    /// Read SLBOT_CARD_SECRET from this file (default: derived from the webhook secret).
    #[arg(long, value_name = "PATH")]
    pub card_secret_file: Option<PathBuf>,
    /// License architecture catalogue entries to add or override (default SLBOT_CATALOG).
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// How Webex events arrive: `webhook` (signed webhooks to SLBOT_BOT_PUBLIC_URL) or
    /// `websocket` (the bot opens Webex's websocket: no public URL needed). Default
    /// SLBOT_TRANSPORT, else webhook.
    #[arg(long, value_name = "KIND")]
    pub transport: Option<slbot_bot::Transport>,
}

/// The one place a start-up failure becomes an exit code.
fn exit(e: StartError) -> CliError {
    match &e {
        StartError::Config(_) => CliError::input(e),
        StartError::Identity(_) => CliError::remote(e),
        StartError::Webhooks(slbot_webex::WebexError::InvalidInput(_)) => CliError::input(e),
        StartError::Webhooks(_) => CliError::remote(e),
        StartError::Store(slbot_notify::StoreError::BadUrl(_)) => CliError::input(e),
        StartError::Store(_) => CliError::remote(e),
    }
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    let flags = BotFlags {
        listen: args.listen,
        webex_bot_token_file: args.webex_bot_token_file,
        webhook_secret_file: args.webhook_secret_file,
        backend_secret_file: args.backend_secret_file,
        card_secret_file: args.card_secret_file,
        catalog: args.catalog,
        transport: args.transport,
    };
    let settings = BotSettings::load(config, &flags)?;
    super::warn_at_start(settings.signing_version.risk());
    let bot = slbot_bot::build(&settings).await.map_err(exit)?;
    let listener = TcpListener::bind(settings.listen).await.map_err(|e| {
        CliError::input(format!(
            "cannot listen on {} (SLBOT_LISTEN or --listen): {e}",
            settings.listen
        ))
    })?;
    let addr = listener.local_addr().map_err(CliError::internal)?;
    tracing::info!(%addr, "bot listening");
    println!("bot listening on http://{addr}");
    slbot_bot::serve(
        &settings,
        bot,
        listener,
        crate::shutdown::shutdown_signal!(),
    )
    .await
    .map_err(exit)
}
