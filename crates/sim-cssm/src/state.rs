//! [`SimState`]: the dataset, the callers, the faults and the counters of one simulator.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::auth::{Auth, AuthError};
use crate::config::{DataSource, FaultSettings, SimConfig};
use crate::dataset::Dataset;
use crate::faults::{FaultState, Injected};
use crate::generate::generate;
use crate::stats::SimStats;
use crate::users::{fingerprint_of_digest, token_digest};
use crate::SimError;

/// Shared state of one simulator; cheap to clone.
#[derive(Clone, Debug)]
pub struct SimState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dataset: Dataset,
    users: usize,
    max_page: usize,
    omit_total: bool,
    now: DateTime<Utc>,
    auth: Auth,
    faults: Mutex<FaultState>,
    stats: Mutex<SimStats>,
}

/// Why a request was turned away before reaching its handler.
#[derive(Debug)]
pub(crate) enum Refusal {
    Injected(Injected),
    Auth(AuthError),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Counters and settings stay consistent even if a holder panicked; keep serving.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SimState {
    /// Builds the dataset (generating it if asked) and checks the settings.
    pub fn new(config: SimConfig) -> Result<Self, SimError> {
        if config.users == 0 {
            return Err(SimError::Config("there must be at least one user".into()));
        }
        if config.max_page == 0 {
            return Err(SimError::Config(
                "the largest page must hold at least one record".into(),
            ));
        }
        config.faults.validate().map_err(SimError::Config)?;
        if let Some(t) = config.tokens.iter().find(|t| t.user >= config.users) {
            return Err(SimError::Config(format!(
                "a token is given to user {} but users are numbered 0 to {}",
                t.user,
                config.users - 1
            )));
        }
        let snapshot = match config.data {
            DataSource::Generate(params) => generate(&params),
            DataSource::Snapshot(snapshot) => snapshot,
        };
        let dataset = Dataset::from_snapshot(snapshot)?;
        let auth = Auth::new(
            config.users,
            &config.tokens,
            config.introspect_url,
            config.introspect_cache_ttl,
            config.introspect_timeout,
        )
        .map_err(|e| SimError::Config(format!("cannot build the introspection client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                dataset,
                users: config.users,
                max_page: config.max_page,
                omit_total: config.omit_total,
                now: config.now,
                auth,
                faults: Mutex::new(FaultState::new(config.faults, config.fault_seed)),
                stats: Mutex::new(SimStats::default()),
            }),
        })
    }

    /// A copy of the counters.
    pub fn stats(&self) -> SimStats {
        lock(&self.inner.stats).clone()
    }

    /// Zeroes the counters.
    /// Counts one `GET /v2/accounts` answered.
    pub(crate) fn account_list_served(&self) {
        lock(&self.inner.stats).account_lists_served += 1;
    }

    pub fn reset_stats(&self) {
        *lock(&self.inner.stats) = SimStats::default();
    }

    /// The current fault settings.
    pub fn faults(&self) -> FaultSettings {
        lock(&self.inner.faults).settings()
    }

    /// Replaces the fault settings (after checking them) and restarts the "every N" count.
    pub fn set_faults(&self, settings: FaultSettings) -> Result<(), String> {
        settings.validate()?;
        lock(&self.inner.faults).update(settings);
        Ok(())
    }

    /// The served data.
    pub fn dataset(&self) -> &Dataset {
        &self.inner.dataset
    }

    pub fn users(&self) -> usize {
        self.inner.users
    }

    pub(crate) fn max_page(&self) -> usize {
        self.inner.max_page
    }

    pub(crate) fn omit_total(&self) -> bool {
        self.inner.omit_total
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.now
    }

    /// Lets one API request in or not: counts it, waits the latency, injects a fault if due,
    /// then resolves its bearer token to a user.
    pub(crate) async fn admit(&self, token: Option<&str>) -> Result<usize, Refusal> {
        {
            let mut stats = lock(&self.inner.stats);
            stats.requests_total += 1;
            if let Some(token) = token {
                let fingerprint = fingerprint_of_digest(&token_digest(token));
                *stats.requests_by_token.entry(fingerprint).or_default() += 1;
            }
        }
        let (latency, injected) = {
            let mut faults = lock(&self.inner.faults);
            (faults.settings().latency(), faults.next())
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match injected {
            Injected::Nothing => {}
            Injected::Unavailable => {
                lock(&self.inner.stats).server_errors_injected += 1;
                return Err(Refusal::Injected(injected));
            }
            Injected::RateLimited { .. } => {
                lock(&self.inner.stats).rate_limited_injected += 1;
                return Err(Refusal::Injected(injected));
            }
        }
        let checked = self.inner.auth.check(token).await;
        let mut stats = lock(&self.inner.stats);
        stats.introspections += u64::from(checked.introspected);
        match checked.outcome {
            Ok(user) => Ok(user),
            Err(e) => {
                if !matches!(e, AuthError::IntrospectionFailed(_)) {
                    stats.unauthorized += 1;
                }
                Err(Refusal::Auth(e))
            }
        }
    }

    /// Records one licence or subscription page of `records` records.
    pub(crate) fn count_page(&self, records: usize) {
        let mut stats = lock(&self.inner.stats);
        stats.pages_served += 1;
        stats.records_served += records as u64;
        stats.largest_page = stats.largest_page.max(records);
    }
}
