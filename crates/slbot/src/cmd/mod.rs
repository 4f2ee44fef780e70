//! One module per subcommand; each has `Args` (clap) and `async fn run(args, &Config)`.

pub mod ask;
pub mod backend;
pub mod bot;
pub mod demo;
pub mod doctor;
pub mod history;
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

/// Says at start, as a warning in the log, what the operator chose that weakens a defence.
pub(crate) fn warn_at_start<'a>(risks: impl IntoIterator<Item = &'a str>) {
    for risk in risks {
        tracing::warn!(risk, "a setting weakens a defence");
    }
}
