//! `slbot demo`: the whole journey on one machine — the Cisco SSO, CSSM and Webex simulators,
//! the backend and the bot in one process, with a Webex-like web chat — until Ctrl-C or SIGTERM,
//! then the simulators' state is saved into the data folder.
//!
//! The demo makes every setting of its parts itself (URLs on loopback, generated secrets kept in
//! the data folder): the `SLBOT_*` settings of `slbot bot` and `slbot backend` do not apply,
//! except `SLBOT_LOG`.
//!
//! Exit codes: 2 when the listen address is taken (named) or the data folder cannot be used,
//! 1 when a part fails to start.

use std::net::SocketAddr;
use std::path::PathBuf;

use slbot_config::Config;
use slbot_demo::options::{
    DEFAULT_ACCOUNTS, DEFAULT_LICENSES, DEFAULT_LISTEN, DEFAULT_SEED, DEFAULT_VAS,
};
use slbot_demo::{DemoError, DemoOptions, DEMO_PEOPLE};

use crate::exit::{CliError, CliResult};

/// Run the whole product on this machine, with a web chat that looks like Webex.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address of every page: the sign-in pages at /, the web chat at /chat.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Keep secrets, sign-ins, spaces and messages here across runs (default: a temporary
    /// folder, deleted at exit).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed of the generated CSSM data.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Smart accounts in the generated CSSM data.
    #[arg(long, value_name = "A", default_value_t = DEFAULT_ACCOUNTS,
          value_parser = clap::value_parser!(u16).range(1..=500))]
    pub accounts: u16,
    /// Virtual accounts per smart account.
    #[arg(long, value_name = "V", default_value_t = DEFAULT_VAS,
          value_parser = clap::value_parser!(u16).range(1..=100))]
    pub vas: u16,
    /// Mean license records per virtual account.
    #[arg(long, value_name = "L", default_value_t = DEFAULT_LICENSES,
          value_parser = clap::value_parser!(u16).range(1..=200))]
    pub licenses: u16,
    /// How the bot receives Webex events: `webhook` (posted to its loopback URL) or
    /// `websocket` (the bot opens the simulated Webex websocket, as with no public URL).
    #[arg(long, value_name = "KIND", default_value = "webhook")]
    pub transport: slbot_bot::Transport,
}

fn exit(e: DemoError) -> CliError {
    if e.is_input() {
        CliError::input(e)
    } else {
        CliError::internal(e)
    }
}

pub async fn run(args: Args, _config: &Config) -> CliResult {
    let options = DemoOptions {
        listen: args.listen,
        data_dir: args.data_dir,
        seed: args.seed,
        accounts: usize::from(args.accounts),
        virtual_accounts: usize::from(args.vas),
        licenses_per_va: usize::from(args.licenses),
        anchor: chrono::Utc::now().date_naive(),
        transport: args.transport,
    };
    let demo = slbot_demo::start(options).await.map_err(exit)?;
    let person = &DEMO_PEOPLE[0];
    println!("The Smart Licensing Bot demo is running at {}", demo.url);
    println!();
    println!("  1. Open {}/ and choose \"Sign in with Cisco\".", demo.url);
    println!(
        "     On the Cisco sign-in page, pick {} <{}> (or another demo person).",
        person.display_name, person.email
    );
    println!(
        "  2. Open {} — a Webex-like chat — where the bot's welcome waits in your space with it.",
        demo.chat_url()
    );
    println!("     Ask it `expire 30`, `expired`, `shortages`, `usage`, `mix` or `export xlsx`.");
    // The demo people start with five weeks of history, so the history reports answer at once.
    let trend = demo.growing_license.as_deref().map_or_else(
        || "`trend LICENSE`".to_string(),
        |name| format!("`trend {name}`"),
    );
    println!("     For the past five weeks: `changes 7d`, `changes 30d`, {trend} or `status`.");
    println!(
        "  3. Open {} — a simulated Alexa — link the skill and ask it for a status.",
        demo.alexa_url()
    );
    println!();
    if demo.is_temporary() {
        println!(
            "Data: {} (temporary; use --data-dir DIR to keep sign-ins and messages).",
            demo.data_dir.display()
        );
    } else {
        println!(
            "Data: {} (kept: sign-ins, spaces and messages survive a restart).",
            demo.data_dir.display()
        );
    }
    println!("Press Ctrl-C to stop.");
    crate::shutdown::shutdown_signal!().await;
    println!("Stopping…");
    demo.shutdown().await.map_err(exit)
}
