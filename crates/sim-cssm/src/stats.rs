//! Counters of what the simulator did, served at `GET /_sim/stats`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the simulator served since start-up or the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimStats {
    /// Requests under the API root, whatever became of them.
    pub requests_total: u64,
    /// Requests per token fingerprint (first 8 hex digits of the token's SHA-256, never the
    /// token); requests without a bearer token are not listed.
    pub requests_by_token: BTreeMap<String, u64>,
    /// `GET /v2/accounts` answered: one per full fetch of an inventory (load benches count
    /// fetches by it; retried refusals are not counted).
    #[serde(default)]
    pub account_lists_served: u64,
    /// Pages answered by the licence and subscription calls.
    pub pages_served: u64,
    /// Records in the largest page answered.
    pub largest_page: usize,
    /// Records sent in all pages.
    pub records_served: u64,
    /// 429 answers injected.
    pub rate_limited_injected: u64,
    /// 503 answers injected.
    pub server_errors_injected: u64,
    /// 401 answers (missing, unknown or inactive token).
    pub unauthorized: u64,
    /// Introspection requests sent (cache hits are not counted).
    pub introspections: u64,
}
