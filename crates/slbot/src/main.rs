//! `slbot`: parse the command line, set up logging, run the subcommand, exit with its code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = slbot::cli::Cli::parse();
    slbot::run(cli)
}
