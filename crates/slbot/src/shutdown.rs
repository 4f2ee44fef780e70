//! Waiting for Ctrl-C or SIGTERM, for every long-running subcommand.
//!
//! [`signal`] waits; [`shutdown_signal!`] waits and logs which signal arrived under the
//! target of the module that calls it (`slbot::cmd::bot` for the bot), so a command's
//! shutdown is logged as its own and not as the backend's.

/// Which signal asked the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    CtrlC,
    Terminate,
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signal::CtrlC => "Ctrl-C",
            Signal::Terminate => "SIGTERM",
        })
    }
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM, with the one that came.
pub async fn signal() -> Signal {
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
        _ = ctrl_c => Signal::CtrlC,
        _ = term => Signal::Terminate,
    }
}

/// A future that resolves on Ctrl-C or SIGTERM and logs "`<signal>`: shutting down" under the
/// caller's module (a macro, because a `tracing` target is the module the event is written in).
macro_rules! shutdown_signal {
    () => {
        async {
            let signal = $crate::shutdown::signal().await;
            tracing::info!("{signal}: shutting down");
        }
    };
}

pub(crate) use shutdown_signal;
