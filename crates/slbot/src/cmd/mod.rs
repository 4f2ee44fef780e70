//! One module per subcommand; each has `Args` (clap) and `async fn run(args, &Config)`.

pub mod ask;
pub mod backend;
pub mod bot;
pub mod demo;
pub mod inputs;
pub mod keygen;
pub mod notify;
pub mod report;
pub mod sim;
pub mod sim_cssm;
pub mod sim_sso;
pub mod sim_webex;
pub mod snapshot;
pub mod tokens;
pub mod webhooks;
