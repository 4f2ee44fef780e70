//! The `slbot` binary as a library, so integration tests can drive it in-process too.
//!
//! Layout:
//! - [`cli`]: the command-line grammar (one enum variant per subcommand, doc comments are the help).
//! - [`cmd`]: one module per subcommand, each `Args` + `async fn run(args, &Config)`.
//! - [`shutdown`]: waiting for Ctrl-C or SIGTERM, logged under the command that stops.
//! - [`exit`]: the error type that maps every failure to a one-line message and an exit code
//!   (0 ok, 1 internal or I/O, 2 usage/input/configuration, 3 remote service or authorisation).

pub mod cli;
pub mod cmd;
pub mod exit;
pub mod shutdown;

use std::process::ExitCode;

/// Runs a parsed command line to completion and returns the process exit code.
pub fn run(cli: cli::Cli) -> ExitCode {
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code())
        }
    }
}

fn init_tracing() {
    let filter = slbot_config::Config::load(None)
        .ok()
        .and_then(|c| c.get("LOG"))
        .unwrap_or_else(|| "info".to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
