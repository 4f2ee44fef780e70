//! CSSM (Cisco Smart Software Manager) wire types, REST client and snapshot files.
//!
//! Layout:
//! - [`wire`]: the JSON shapes of cssm-api.md, read leniently (unknown fields ignored,
//!   `NO DATA FOUND` = empty, `status: "ERROR"` = bad data).
//! - [`client`]: [`CssmClient`] — base URL, headers, per-fetch and process-wide in-flight caps,
//!   retries with capped full-jitter backoff and `Retry-After` (its `send` part), answers →
//!   data or [`CssmError`].
//! - [`fetch`]: [`CssmClient::fetch_all`] — every account, every page (concurrent when CSSM
//!   tells the total, checked, else sequential: its `paging` part), progress, deadline,
//!   partial answers (assembled by its `assemble` part).
//! - [`settings`]: [`FetchSettings`] and the injected [`Jitter`] and token refresher; time (waits,
//!   the fetch deadline, `capturedAt`) comes from the injected `slbot_base::Clock`.
//! - [`error`]: [`CssmError`], errors a user can act on, each saying which call failed.
//! - [`snapshot`]: the snapshot file: [`Snapshot`], reading with located errors, atomic writes.
//!
//! Must not: compute reports, know Webex, read the environment, cache anything across fetches
//! (no state keyed by user or token), or let a token reach a URL, a log, an error or `Debug`.

pub mod client;
pub mod error;
pub mod fetch;
pub mod settings;
pub mod snapshot;
pub mod wire;

pub use client::{BuildError, CallObserver, CssmClient, Page, API_ROOT};
pub use error::{CssmError, ErrorKind, Unavailable};
pub use fetch::{no_progress, FetchOptions, Progress, ProgressFn};
pub use settings::{
    FetchSettings, Jitter, RandomJitter, SettingsError, TokenRefresher, DEFAULT_BASE_URL,
    DEFAULT_CONCURRENCY, DEFAULT_MAX_INFLIGHT, DEFAULT_PAGE_SIZE, DEFAULT_TIMEOUT_SECS,
};
pub use snapshot::{write_atomic_with, MissingAccount, Snapshot, SnapshotError};
/// Re-exported so callers can build a base URL without depending on `url` themselves.
pub use url::Url;
