//! The command line: `slbot <SUBCOMMAND>`. Each variant's doc comment is its `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cmd;
use crate::exit::CliResult;

/// The Smart Licensing Bot: ask about your Cisco Smart Licensing accounts from Webex.
///
/// Settings come from flags, then `SLBOT_*` environment variables, then the TOML file given by
/// `--config` or `SLBOT_CONFIG`, then defaults. Secrets are never taken from plain flags.
/// Exit codes: 0 ok, 1 internal or I/O error, 2 usage/input/configuration, 3 a remote service or
/// authorisation failed.
#[derive(Debug, Parser)]
#[command(name = "slbot", version, propagate_version = true)]
pub struct Cli {
    /// TOML configuration file (keys are the SLBOT_* names without the prefix, lower-cased).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole product on this machine: simulators, backend and bot, with a web chat.
    Demo(cmd::demo::Args),
    /// Run the Webex bot service (signed webhooks in, answers out).
    Bot(cmd::bot::Args),
    /// Run the backend: Cisco SSO sign-in, token store and the signed token API.
    Backend(cmd::backend::Args),
    /// Run one license report (or chart) from a snapshot file or a live CSSM fetch.
    Report(Box<cmd::report::Args>),
    /// Answer one chat message exactly as the bot would post it.
    Ask(cmd::ask::Args),
    /// Record a full CSSM fetch into a snapshot file.
    Snapshot(cmd::snapshot::Args),
    /// Run a simulator of CSSM, Webex or Cisco SSO.
    Sim(cmd::sim::Args),
    /// Register or list the bot's Webex webhooks.
    Webhooks(cmd::webhooks::Args),
    /// Operate the backend's token store (list, put, delete, rekey).
    Tokens(cmd::tokens::Args),
    /// Print a new random 256-bit store key (64 hex characters).
    Keygen(cmd::keygen::Args),
    /// Check this deployment's settings and the services they name, with what to do for each
    /// failure.
    Doctor(cmd::doctor::Args),
    /// Scheduled license digests: run one notification pass now (`notify run-once`).
    Notify(cmd::notify::Args),
}

impl Cli {
    /// Loads the configuration layers and runs the subcommand.
    pub async fn run(self) -> CliResult {
        let config = slbot_config::Config::load(self.config.as_deref())?;
        match self.command {
            Command::Demo(a) => cmd::demo::run(a, &config).await,
            Command::Doctor(a) => cmd::doctor::run(a, &config).await,
            Command::Bot(a) => cmd::bot::run(a, &config).await,
            Command::Backend(a) => cmd::backend::run(a, &config).await,
            Command::Report(a) => cmd::report::run(*a, &config).await,
            Command::Ask(a) => cmd::ask::run(a, &config).await,
            Command::Snapshot(a) => cmd::snapshot::run(a, &config).await,
            Command::Sim(a) => cmd::sim::run(a, &config).await,
            Command::Webhooks(a) => cmd::webhooks::run(a, &config).await,
            Command::Tokens(a) => cmd::tokens::run(a, &config).await,
            Command::Keygen(a) => cmd::keygen::run(a, &config).await,
            Command::Notify(a) => cmd::notify::run(a, &config).await,
        }
    }
}
