//! `slbot sim webex`: serve the Webex simulator (REST under `/v1`, signed webhooks, the `/_sim`
//! control API), with a bot person created at start and, optionally, a state file that keeps
//! the simulated world across restarts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::ExposeSecret;
use slbot_config::Config;
use slbot_sim_webex::{serve, NewPerson, PersonType, SimConfig, SimError, SimState};

use crate::exit::{CliError, CliResult};

/// How often a changed world is written to `--state`.
const SAVE_EVERY: Duration = Duration::from_secs(2);

/// Serve the Webex messaging API under /v1 and the control API under /_sim.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free one; the URL is printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8084")]
    pub listen: SocketAddr,

    /// Keep the simulated world (people, rooms, messages, files, webhooks) in this JSON file:
    /// loaded at start when it exists, saved when it changes and at exit.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// E-mail address of the bot person (reused when the state already has it).
    #[arg(long, value_name = "E", default_value = "slbot@webex.bot")]
    pub bot_email: String,

    /// Display name of the bot person.
    #[arg(long, value_name = "N", default_value = "Smart Licensing Bot")]
    pub bot_name: String,

    /// Print a fresh access token of the bot on stderr as SLBOT_WEBEX_BOT_TOKEN=… (a development
    /// secret: it stays off stdout and out of the logs).
    #[arg(long)]
    pub print_bot_token: bool,

    /// The URL clients reach the simulator at, when it differs from the listening address
    /// (a proxy or a path prefix); file and pagination links are built from it.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

pub async fn run(args: Args, _config: &Config) -> CliResult {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::internal(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::internal(format!("cannot read the listening address: {e}")))?;
    let public_base = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let cfg = SimConfig {
        public_base: Some(public_base.clone()),
        ..SimConfig::default()
    };
    let state = match &args.state {
        Some(path) => SimState::open(path, cfg),
        None => SimState::new(cfg),
    }
    .map_err(sim_error)?;

    let bot_id = match state.person_id_by_email(&args.bot_email) {
        Some(id) => id,
        None => state
            .create_person(NewPerson {
                email: args.bot_email.clone(),
                display_name: args.bot_name.clone(),
                org_id: None,
                kind: PersonType::Bot,
            })
            .map_err(|e| CliError::input(format!("cannot create the bot person: {e}")))?,
    };
    if args.print_bot_token {
        let token = state
            .issue_token(&bot_id)
            .map_err(|e| CliError::internal(format!("cannot issue the bot token: {e}")))?;
        eprintln!("SLBOT_WEBEX_BOT_TOKEN={}", token.expose_secret());
    }
    if let Some(path) = &args.state {
        save(&state, path)?;
    }

    let handle = serve(listener, state.clone()).map_err(sim_error)?;
    println!("Webex simulator listening on {public_base}");
    tracing::info!(api = %format!("{public_base}/v1"), bot = %args.bot_email, "serving the Webex API");

    let result = wait_and_save(&state, args.state.as_deref()).await;
    handle.shutdown().await;
    if let Some(path) = &args.state {
        save(&state, path)?;
    }
    result
}

/// Runs until Ctrl-C, saving the world whenever it changed.
async fn wait_and_save(state: &SimState, path: Option<&Path>) -> CliResult {
    let mut saved = state.revision();
    let mut tick = tokio::time::interval(SAVE_EVERY);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            r = &mut ctrl_c => {
                return r.map_err(|e| CliError::internal(format!("cannot wait for Ctrl-C: {e}")));
            }
            _ = tick.tick() => {
                let Some(path) = path else { continue };
                let now = state.revision();
                if now != saved {
                    // A failed periodic save is retried next tick; the final save reports.
                    match state.save(path) {
                        Ok(()) => saved = now,
                        Err(e) => tracing::warn!(error = %e, "cannot save the simulator state"),
                    }
                }
            }
        }
    }
}

fn save(state: &SimState, path: &Path) -> CliResult {
    state.save(path).map_err(CliError::internal)
}

fn sim_error(e: SimError) -> CliError {
    match e {
        SimError::StateRead { .. } | SimError::Config(_) => CliError::input(e),
        SimError::Bind { .. } | SimError::StateWrite { .. } | SimError::Unexpected(_) => {
            CliError::internal(e)
        }
    }
}
