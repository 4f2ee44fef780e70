//! `slbot demo`: the whole journey on one machine (coming with the demo issue).

use slbot_config::Config;

use crate::exit::CliResult;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, _config: &Config) -> CliResult {
    println!(
        "slbot demo is coming: it will run the simulators, the backend and the bot in one process."
    );
    Ok(())
}
