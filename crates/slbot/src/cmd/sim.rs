//! `slbot sim cssm|webex|sso`: the simulators.

use slbot_config::Config;

use crate::exit::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub which: Which,
}

#[derive(Debug, clap::Subcommand)]
pub enum Which {
    /// Simulate the CSSM licensing API.
    Cssm(CssmArgs),
    /// Simulate the Webex messaging API.
    Webex(WebexArgs),
    /// Simulate Cisco SSO.
    Sso(SsoArgs),
}

#[derive(Debug, clap::Args)]
pub struct CssmArgs {}
#[derive(Debug, clap::Args)]
pub struct WebexArgs {}
#[derive(Debug, clap::Args)]
pub struct SsoArgs {}

pub async fn run(args: Args, _config: &Config) -> CliResult {
    match args.which {
        Which::Cssm(_) | Which::Webex(_) | Which::Sso(_) => Err(CliError::internal(
            "this simulator is not available in this build yet",
        )),
    }
}
