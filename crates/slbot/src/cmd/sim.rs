//! `slbot sim cssm|webex|sso`: the simulators, one module each.

use slbot_config::Config;

use crate::exit::CliResult;

use super::{sim_cssm, sim_sso, sim_webex};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub which: Which,
}

#[derive(Debug, clap::Subcommand)]
pub enum Which {
    /// Simulate the CSSM licensing API (from a snapshot or generated data, with fault injection).
    Cssm(sim_cssm::Args),
    /// Simulate the Webex messaging API (REST under /v1, webhooks, a control API).
    Webex(sim_webex::Args),
    /// Simulate Cisco SSO (OAuth 2.0 code flow with PKCE, refresh, userinfo, introspection).
    Sso(sim_sso::Args),
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    match args.which {
        Which::Cssm(a) => sim_cssm::run(a, config).await,
        Which::Webex(a) => sim_webex::run(a, config).await,
        Which::Sso(a) => sim_sso::run(a, config).await,
    }
}
