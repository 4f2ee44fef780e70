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
    let config = slbot_config::Config::load(None).ok();
    let setting = |name: &str| config.as_ref().and_then(|c| c.get(name));
    let filter =
        tracing_subscriber::EnvFilter::new(setting("LOG").unwrap_or_else(|| "info".into()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `SLBOT_LOG_FORMAT=json`: one JSON object per line, for log collectors.
    let _ = if setting("LOG_FORMAT").is_some_and(|f| f.trim().eq_ignore_ascii_case("json")) {
        builder.json().with_current_span(false).try_init()
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
}
