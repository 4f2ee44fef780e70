//! `slbot keygen`: print a fresh 256-bit key as 64 hex characters (for `SLBOT_STORE_KEY`).

use slbot_config::Config;

use crate::exit::CliResult;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, _config: &Config) -> CliResult {
    println!("{}", slbot_signing::random_hex(32));
    Ok(())
}
