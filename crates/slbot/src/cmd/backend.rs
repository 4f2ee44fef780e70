//! `slbot backend`: read the settings, open the store, serve the sign-in pages and the token
//! API until Ctrl-C or SIGTERM (in-flight requests finish first).
//!
//! Exit codes: 2 for a missing secret or bad setting (named) and a listen address in use,
//! 3 when the token store cannot be reached at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use slbot_backend::server::{self, StartError};
use slbot_backend::settings::{BackendSettings, SecretFiles};
use slbot_config::Config;
use slbot_signing::{Clock, SystemClock};

use crate::exit::{CliError, CliResult};

/// Run the backend (Cisco SSO sign-in, token store, signed token API).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (default SLBOT_BACKEND_LISTEN, else 127.0.0.1:8082).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Read SLBOT_BACKEND_SECRET from this file.
    #[arg(long, value_name = "PATH")]
    pub backend_secret_file: Option<PathBuf>,
    /// Read SLBOT_STORE_KEY from this file.
    #[arg(long, value_name = "PATH")]
    pub store_key_file: Option<PathBuf>,
    /// Read SLBOT_SSO_CLIENT_SECRET from this file.
    #[arg(long, value_name = "PATH")]
    pub sso_client_secret_file: Option<PathBuf>,
    /// Read SLBOT_WEBEX_BOT_TOKEN from this file.
    #[arg(long, value_name = "PATH")]
    pub webex_bot_token_file: Option<PathBuf>,
}

/// The one place a start-up failure becomes an exit code.
fn exit(e: StartError) -> CliError {
    match e {
        StartError::StoreUnreachable(_) => CliError::remote(e),
        StartError::Serve(_) => CliError::internal(e),
        _ => CliError::input(e),
    }
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    let files = SecretFiles {
        backend_secret: args.backend_secret_file,
        store_key: args.store_key_file,
        sso_client_secret: args.sso_client_secret_file,
        webex_bot_token: args.webex_bot_token_file,
    };
    let settings = BackendSettings::from_config(config, args.listen, &files)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let listener = server::bind(settings.listen).await.map_err(exit)?;
    let started = server::start(&settings, clock.clone())
        .await
        .map_err(exit)?;
    let addr = listener.local_addr().map_err(CliError::internal)?;
    tracing::info!(%addr, public_url = %settings.public_url, "backend listening");
    println!("backend listening on http://{addr}");
    server::serve(
        started.router,
        started.store,
        clock,
        listener,
        shutdown_signal(),
    )
    .await
    .map_err(exit)
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        _ = term => tracing::info!("SIGTERM: shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_parts(env, "").unwrap()
    }

    fn complete(store_url: &str) -> Vec<(&'static str, String)> {
        vec![
            ("SLBOT_BACKEND_SECRET", "s".to_string()),
            ("SLBOT_STORE_KEY", "00".repeat(32)),
            ("SLBOT_SSO_CLIENT_ID", "id".to_string()),
            ("SLBOT_SSO_CLIENT_SECRET", "cs".to_string()),
            ("SLBOT_WEBEX_BOT_TOKEN", "t".to_string()),
            ("SLBOT_STORE_URL", store_url.to_string()),
        ]
    }

    fn args(listen: &str) -> Args {
        Args {
            listen: Some(listen.parse().unwrap()),
            backend_secret_file: None,
            store_key_file: None,
            sso_client_secret_file: None,
            webex_bot_token_file: None,
        }
    }

    fn as_refs<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    #[tokio::test]
    async fn a_missing_secret_exits_2_naming_the_variable() {
        let pairs: Vec<_> = complete("sqlite://x.db")
            .into_iter()
            .filter(|(k, _)| *k != "SLBOT_WEBEX_BOT_TOKEN")
            .collect();
        let err = run(args("127.0.0.1:0"), &config(&as_refs(&pairs)))
            .await
            .unwrap_err();
        assert_eq!(err.code(), 2);
        assert!(err.message.contains("SLBOT_WEBEX_BOT_TOKEN"), "{err}");
    }

    #[tokio::test]
    async fn a_listen_address_in_use_exits_2_naming_it() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let err = run(args(&addr), &config(&as_refs(&complete(&url))))
            .await
            .unwrap_err();
        assert_eq!(err.code(), 2);
        assert!(err.message.contains(&addr), "{err}");
        assert!(err.message.contains("already in use"), "{err}");
    }

    #[tokio::test]
    async fn an_unreachable_store_exits_3() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/missing/dir/t.db", dir.path().display());
        let err = run(args("127.0.0.1:0"), &config(&as_refs(&complete(&url))))
            .await
            .unwrap_err();
        assert_eq!(err.code(), 3);
        assert!(err.message.contains("SLBOT_STORE_URL"), "{err}");
    }
}
