//! Serving a public listener: the bot's webhook port and the backend's sign-in pages face the
//! internet, so neither may be held open by a slow or idle client, nor flooded with
//! connections.
//!
//! [`serve`] runs an axum [`Router`] on hyper's own connection builder (what `axum::serve`
//! uses, with the knobs it hides):
//! - at most [`Limits::max_connections`] connections at once; further clients wait in the
//!   kernel's accept backlog;
//! - a client must send a request's headers within [`Limits::header_timeout`] (hyper's
//!   `header_read_timeout`, the slowloris defence), also between requests on a kept-alive
//!   connection;
//! - a request must be answered within [`Limits::request_timeout`], its body included (a
//!   slow upload is cut off): `408 Request Timeout` after that;
//! - the handler sees the peer address as axum's `ConnectInfo<SocketAddr>` (rate limits);
//! - on shutdown the listener closes, in-flight requests finish (for up to
//!   [`Limits::shutdown_grace`]), idle connections close at once.
//!
//! [`cookie_values`] reads a request's cookies, for the pages that set them.
//!
//! Must not: know about any route, or read the environment (callers load [`Limits`] from their
//! [`slbot_config::Config`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use slbot_config::{Config, ConfigError};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// What one public listener allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Longest wait for a request's headers (from the connection's start, or the previous
    /// answer on a kept-alive connection).
    pub header_timeout: Duration,
    /// Longest time from a request's headers to its answer, reading the body included.
    pub request_timeout: Duration,
    /// How long in-flight requests may run after shutdown was asked for.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// The limits from the configuration layers, the same for every public listener:
    /// `SLBOT_HTTP_MAX_CONNECTIONS` (default 1024), `SLBOT_HTTP_HEADER_TIMEOUT_SECS` (10),
    /// `SLBOT_HTTP_REQUEST_TIMEOUT_SECS` (30); each at least 1. `shutdown_grace` is the
    /// caller's.
    pub fn load(config: &Config, shutdown_grace: Duration) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let at_least_one = |name: &str, value: u64| {
            if value == 0 {
                Err(ConfigError::Invalid {
                    name: format!("SLBOT_{name}"),
                    reason: "must be at least 1".into(),
                })
            } else {
                Ok(value)
            }
        };
        let max_connections = at_least_one(
            "HTTP_MAX_CONNECTIONS",
            config.value(
                "HTTP_MAX_CONNECTIONS",
                None,
                defaults.max_connections as u64,
            )?,
        )?;
        let header = at_least_one(
            "HTTP_HEADER_TIMEOUT_SECS",
            config.value(
                "HTTP_HEADER_TIMEOUT_SECS",
                None,
                defaults.header_timeout.as_secs(),
            )?,
        )?;
        let request = at_least_one(
            "HTTP_REQUEST_TIMEOUT_SECS",
            config.value(
                "HTTP_REQUEST_TIMEOUT_SECS",
                None,
                defaults.request_timeout.as_secs(),
            )?,
        )?;
        Ok(Self {
            max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
            header_timeout: Duration::from_secs(header),
            request_timeout: Duration::from_secs(request),
            shutdown_grace,
        })
    }
}

/// Serves `router` on `listener` with `limits` until `shutdown` completes, then lets
/// in-flight requests finish (up to the grace period). Accept errors (out of file
/// descriptors) are logged and waited out, never fatal.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.header_timeout))
        .keep_alive_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let router = router.clone();
        let request_timeout = limits.request_timeout;
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let answer = router.clone().oneshot(request);
            async move {
                Ok::<Response, Infallible>(
                    match tokio::time::timeout(request_timeout, answer).await {
                        Ok(Ok(response)) => response,
                        Ok(Err(never)) => match never {},
                        Err(_) => {
                            tracing::info!(peer = %peer, "a request took longer than the request timeout: 408");
                            (StatusCode::REQUEST_TIMEOUT, "request timeout\n").into_response()
                        }
                    },
                )
            }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over: closing the remaining connections");
    }
}

/// The peer address type handlers extract: `ConnectInfo<SocketAddr>`.
pub type Peer = ConnectInfo<SocketAddr>;

/// The values of every cookie called `name` in a request's `Cookie` headers (a browser may
/// send several headers, and a name more than once), in order.
pub fn cookie_values<'a>(
    headers: &'a axum::http::HeaderMap,
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(n, _)| *n == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cookie_values_reads_every_cookie_header_and_every_pair_of_that_name() {
        let mut headers = axum::http::HeaderMap::new();
        headers.append("cookie", "a=1; b=2".parse().unwrap());
        headers.append("cookie", "b=3;c=4".parse().unwrap());
        let b: Vec<&str> = super::cookie_values(&headers, "b").collect();
        assert_eq!(b, ["2", "3"]);
        assert_eq!(super::cookie_values(&headers, "d").count(), 0);
    }

    use super::*;

    fn config(env: &[(&str, &str)]) -> Config {
        Config::from_parts(
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            "",
        )
        .unwrap()
    }

    #[test]
    fn the_limits_default_to_1024_connections_10_s_for_headers_and_30_s_per_request() {
        let limits = Limits::load(&config(&[]), Duration::from_secs(7)).unwrap();
        assert_eq!(
            limits,
            Limits {
                max_connections: 1024,
                header_timeout: Duration::from_secs(10),
                request_timeout: Duration::from_secs(30),
                shutdown_grace: Duration::from_secs(7),
            }
        );
    }

    #[test]
    fn the_limits_are_read_from_the_environment_and_zero_is_refused_by_name() {
        let limits = Limits::load(
            &config(&[
                ("SLBOT_HTTP_MAX_CONNECTIONS", "64"),
                ("SLBOT_HTTP_HEADER_TIMEOUT_SECS", "3"),
                ("SLBOT_HTTP_REQUEST_TIMEOUT_SECS", "12"),
            ]),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            (
                limits.max_connections,
                limits.header_timeout,
                limits.request_timeout
            ),
            (64, Duration::from_secs(3), Duration::from_secs(12))
        );
        let err = Limits::load(
            &config(&[("SLBOT_HTTP_HEADER_TIMEOUT_SECS", "0")]),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("SLBOT_HTTP_HEADER_TIMEOUT_SECS"),
            "{err}"
        );
    }
}
