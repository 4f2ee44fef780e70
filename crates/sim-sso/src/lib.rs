//! A simulator of Cisco SSO: OAuth 2.0 authorization code flow with PKCE (S256), refresh with
//! rotating refresh tokens, OpenID userinfo, revocation (RFC 7009) and introspection (RFC 7662).
//!
//! Layout:
//! - [`state`]: codes, tokens, counters, the fault schedule, and saving/restoring tokens.
//! - `pages`: `GET /authorize` (a login form with demo people and a free e-mail field) and
//!   `POST /authorize` (issues the code and redirects back with `state`).
//! - `api`: `POST /token`, `GET /userinfo`, `POST /revoke`, `POST /introspect`,
//!   `GET /_sim/stats`.
//!
//! Routes have no prefix; the demo nests the router under `/sso`, so every link the simulator
//! generates is relative, or built from [`SimSsoConfig::external_base_url`] when that is set.
//! Errors use OpenID/OAuth bodies (`{"error": "invalid_grant"}`). Faults are deterministic:
//! every `fail_every`-th token or userinfo call answers 503, every `invalid_grant_every`-th
//! refresh answers `invalid_grant`, and both are counted in the stats.
//!
//! This crate must not be used by production code paths: it accepts any e-mail as a login.

pub mod state;

mod api;
mod html;
mod pages;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use slbot_base::{Clock, SystemClock};

pub use state::{sub_for_email, Endpoint, PersistError, SsoState, Stats};

/// A demo person offered on the login form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    pub email: String,
    pub display_name: String,
}

impl DemoPerson {
    pub fn new(email: &str, display_name: &str) -> Self {
        Self {
            email: email.to_string(),
            display_name: display_name.to_string(),
        }
    }
}

/// The simulator's settings.
pub struct SimSsoConfig {
    /// Lifetime of access tokens.
    pub access_ttl: chrono::Duration,
    /// Lifetime of refresh tokens (each rotation starts a fresh one).
    pub refresh_ttl: chrono::Duration,
    /// Lifetime of authorization codes.
    pub code_ttl: chrono::Duration,
    /// Answer every N-th token/userinfo call with 503 (`None`: never).
    pub fail_every: Option<u64>,
    /// Answer every N-th refresh with `invalid_grant` (`None`: never).
    pub invalid_grant_every: Option<u64>,
    /// The one registered client.
    pub client_id: String,
    /// `false`: the client authenticates but every token call answers 403, as a Cisco API
    /// client does until it is granted the licensing APIs.
    pub api_access_granted: bool,
    /// Its secret; `None` accepts any secret (but still requires the client id).
    pub client_secret: Option<String>,
    /// Absolute base under which the simulator is reachable (e.g. `http://127.0.0.1:8080/sso`);
    /// `None`: generated links are relative.
    pub external_base_url: Option<String>,
    /// People offered on the login form.
    pub people: Vec<DemoPerson>,
    /// "Now" for token lifetimes (tests inject a `slbot_base::ManualClock` to expire tokens
    /// without sleeping).
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SimSsoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimSsoConfig")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("fail_every", &self.fail_every)
            .field("invalid_grant_every", &self.invalid_grant_every)
            .field("client_id", &self.client_id)
            .field("api_access_granted", &self.api_access_granted)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("external_base_url", &self.external_base_url)
            .finish_non_exhaustive()
    }
}

/// The client id the demo registers by default.
pub const DEFAULT_CLIENT_ID: &str = "slbot-demo";

impl Default for SimSsoConfig {
    fn default() -> Self {
        Self {
            access_ttl: chrono::Duration::seconds(300),
            refresh_ttl: chrono::Duration::hours(24),
            code_ttl: chrono::Duration::seconds(60),
            fail_every: None,
            invalid_grant_every: None,
            client_id: DEFAULT_CLIENT_ID.to_string(),
            api_access_granted: true,
            client_secret: None,
            external_base_url: None,
            people: vec![
                DemoPerson::new("ana.admin@example.com", "Ana Admin (customer)"),
                DemoPerson::new("paul.partner@partner.example.net", "Paul Partner (partner)"),
                DemoPerson::new(
                    "maria.msp@msp.example.org",
                    "Maria MSP (managed service provider)",
                ),
            ],
            clock: Arc::new(SystemClock),
        }
    }
}

/// Every route of the simulator, without a prefix.
pub fn router(state: SsoState) -> Router {
    Router::new()
        .route(
            "/authorize",
            get(pages::login_form).post(pages::submit_login),
        )
        .route("/token", post(api::token))
        .route("/userinfo", get(api::userinfo))
        .route("/revoke", post(api::revoke))
        .route("/introspect", post(api::introspect))
        .route("/_sim/stats", get(api::stats))
        .with_state(state)
}

/// A simulator running in the background; dropping the handle does not stop it, [`SimSsoHandle::shutdown`] does.
#[derive(Debug)]
pub struct SimSsoHandle {
    pub state: SsoState,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl SimSsoHandle {
    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Starts the simulator on `127.0.0.1:0` and returns its address.
pub async fn spawn(config: SimSsoConfig) -> std::io::Result<(SocketAddr, SimSsoHandle)> {
    spawn_with_state(SsoState::new(config)).await
}

/// Starts a simulator over an existing state (e.g. one restored with [`SsoState::load`]) on
/// `127.0.0.1:0`.
pub async fn spawn_with_state(state: SsoState) -> std::io::Result<(SocketAddr, SimSsoHandle)> {
    spawn_at(state, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts a simulator over `state` on `addr`.
pub async fn spawn_at(
    state: SsoState,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, SimSsoHandle)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "the SSO simulator stopped");
        }
    });
    Ok((addr, SimSsoHandle { state, stop, task }))
}
