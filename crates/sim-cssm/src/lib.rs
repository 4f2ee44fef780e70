//! A simulator of the CSSM Smart Accounts & Licensing API (cssm-api.md), for the demo and tests.
//!
//! It serves, under `/services/api/smart-accounts-and-licensing`, `GET /v2/accounts`,
//! `POST /v1/accounts/{domain}/licenses`, `GET /v1/accounts/{domain}/{CUSTOMER|HOLDING}/
//! virtual-accounts` and `POST /v1/accounts/{domain}/license-subscriptions`, from a snapshot file or from a deterministic generated dataset that carries
//! every quirk of reports.md §1. It injects latency, 503s and 429s (random with a seed, or every
//! Nth request), caps page sizes, can leave out `totalRecords`, and counts what it did.
//!
//! Users and accounts (see [`users`]): with `U` users, account 0 is shared by all and account
//! `i > 0` belongs to user `(i − 1) mod U` ([`accounts_of_user`]). A static token names its user;
//! with no static token and no introspection any bearer token is user 0; a token accepted by
//! introspection is user `FNV-1a-64(sub) mod U` ([`user_of_subject`]).
//!
//! Layout:
//! - [`mod@generate`]: the deterministic dataset generator ([`GenParams`] → snapshot).
//! - [`dataset`]: the served data, indexed and pre-serialised per account.
//! - [`drift`]: the same data some days later or earlier ([`advance`]), deterministic per seed.
//! - [`users`]: which user sees which accounts, and token → user (the rule is documented there).
//! - [`config`]: [`SimConfig`] and [`FaultSettings`].
//! - `dates`: the date forms CSSM uses (to label subscriptions `Active`/`Expired`).
//! - `faults`, `auth`, [`stats`]: fault decisions, token checks (static, RFC 7662
//!   introspection with a short cache), counters.
//! - [`state`]: [`SimState`], shared by the handlers.
//! - [`api`]: the routes ([`router`]) and the one mapping of refusals to HTTP answers.
//!
//! Control routes (outside the API root): `GET /_sim/stats`, `POST /_sim/stats/reset`,
//! `GET /_sim/faults`, `POST /_sim/faults` (partial [`config::FaultUpdate`]),
//! `GET /_sim/advance` (`{"days": N}`) and `POST /_sim/advance` with `{"days": N}`: serve the
//! base data (generated or given) advanced by `N` days with the generator's seed (0 for a
//! snapshot file) — an absolute offset from the base, not added to the previous advance.
//!
//! Must not: read the clock or the environment to build data (the anchor date is passed in),
//! keep raw tokens (only SHA-256 digests; statistics show 8-hex fingerprints), depend on the CSSM
//! client, or offer any of CSSM's write calls.

pub mod api;
mod auth;
pub mod config;
pub mod dataset;
mod dates;
pub mod drift;
mod faults;
pub mod generate;
pub mod state;
pub mod stats;
pub mod users;

use std::net::{Ipv4Addr, SocketAddr};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use api::{router, API_ROOT};
pub use config::{DataSource, FaultSettings, FaultUpdate, SimConfig, StaticToken};
pub use dataset::{Dataset, DatasetError};
pub use drift::{advance, drift_of, Drift, Usage};
pub use generate::{generate, snapshot_text, GenParams};
pub use state::{AdvanceError, SimState};
pub use stats::SimStats;
pub use users::{accounts_of_user, fnv1a64, token_fingerprint, user_of_subject};

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{0}")]
    Config(String),
    #[error("the snapshot cannot be served: {0}")]
    Dataset(#[from] DatasetError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running simulator. Dropping it (or [`SimHandle::shutdown`]) stops the server.
#[derive(Debug)]
pub struct SimHandle {
    pub addr: SocketAddr,
    pub state: SimState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// `http://ADDR`: the base URL to give a CSSM client (it appends [`API_ROOT`]).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for open requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "the CSSM simulator task ended badly");
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a simulator on `127.0.0.1:0` (tests).
pub async fn spawn(config: SimConfig) -> Result<SimHandle, SimError> {
    spawn_at(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
}

/// Starts a simulator on `addr`.
pub async fn spawn_at(config: SimConfig, addr: SocketAddr) -> Result<SimHandle, SimError> {
    let state = SimState::new(config)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the CSSM simulator stopped serving");
        }
    });
    Ok(SimHandle {
        addr,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}
