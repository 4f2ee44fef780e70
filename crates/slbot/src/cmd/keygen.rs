//! `slbot keygen`: print a fresh 256-bit key as 64 hex characters (for `SLBOT_STORE_KEY`).
//!
//! The key goes to stdout alone (so `slbot keygen > key` works); its key id, which the store
//! records beside every row and `slbot tokens list` shows, goes to stderr.

use slbot_backend::crypto::StoreKey;
use slbot_config::Config;

use crate::exit::{CliError, CliResult};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, _config: &Config) -> CliResult {
    let key = slbot_base::random_hex(32);
    let id = StoreKey::from_hex(&key, "the new key").map_err(CliError::internal)?;
    println!("{key}");
    eprintln!("key id {}", id.id());
    Ok(())
}
