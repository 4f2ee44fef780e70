//! Assembling the router and running it on a socket.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::{ApiError, SimError};
use crate::state::{SimConfig, SimState};
use crate::{api, control, wdm};

/// Room for form fields and multipart framing around the largest file.
const BODY_OVERHEAD: usize = 1024 * 1024;
/// How long [`SimHandle::shutdown`] lets open requests (long polls) finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Every route: `/v1/…` (Webex), `/u2c/…`, `/wdm/…` and `/mercury/…` (the device websocket)
/// and `/_sim/…` (control), with no other prefix. Nest it where
/// you like, and set [`SimConfig::public_base`] to match.
pub fn router(state: SimState) -> Router {
    let limit = state.config().max_file_bytes + BODY_OVERHEAD;
    Router::new()
        .merge(api::routes(state.clone()))
        .merge(wdm::routes())
        .merge(control::routes())
        .fallback(|| async { ApiError::not_found("resource") })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct SimHandle {
    state: SimState,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SimHandle {
    pub fn state(&self) -> &SimState {
        &self.state
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a Webex client uses: `{public_base}/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.state.public_base())
    }

    /// Stops accepting connections and waits (briefly) for open requests.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
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

/// Serves a fresh simulator on 127.0.0.1 with a free port; `public_base` defaults to it.
pub async fn spawn(mut cfg: SimConfig) -> Result<(SocketAddr, SimHandle), SimError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|source| SimError::Bind {
            addr: "127.0.0.1:0".into(),
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| SimError::Unexpected(e.into()))?;
    cfg.public_base
        .get_or_insert_with(|| format!("http://{addr}"));
    let state = SimState::new(cfg)?;
    let handle = serve(listener, state)?;
    Ok((addr, handle))
}

/// Serves `state` on a listener the caller bound (e.g. `slbot sim webex --listen`).
pub fn serve(listener: TcpListener, state: SimState) -> Result<SimHandle, SimError> {
    let addr = listener
        .local_addr()
        .map_err(|e| SimError::Unexpected(e.into()))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "the Webex simulator stopped");
        }
    });
    Ok(SimHandle {
        state,
        addr,
        stop: Some(stop),
        task,
    })
}
