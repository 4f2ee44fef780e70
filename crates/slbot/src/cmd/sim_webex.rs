//! `slbot sim webex` (being built).

use slbot_config::Config;

use crate::exit::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, _config: &Config) -> CliResult {
    Err(CliError::internal("this simulator is not available in this build yet"))
}
