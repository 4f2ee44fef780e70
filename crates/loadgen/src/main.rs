//! `slbot-loadgen`: parses the command line, runs, prints the JSON report on stdout.

use std::process::ExitCode;

use clap::Parser;
use slbot_loadgen::cli::{execute, Args};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match execute(&args).await {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("slbot-loadgen: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
