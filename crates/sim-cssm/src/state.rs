//! [`SimState`]: the dataset, the callers, the faults and the counters of one simulator.
//!
//! The served dataset is the base snapshot (generated or given) advanced by a number of days
//! ([`crate::drift::advance`]); [`SimState::advance_to`] swaps it while requests are served
//! (a request keeps the dataset it started with).

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Utc};

use crate::auth::{Auth, AuthError};
use crate::config::{DataSource, FaultSettings, SimConfig};
use crate::dataset::{Dataset, DatasetError};
use crate::drift::advance;
use crate::faults::{FaultState, Injected};
use crate::generate::generate;
use crate::stats::SimStats;
use crate::users::{fingerprint_of_digest, token_digest};
use crate::SimError;
use slbot_cssm::Snapshot;

/// Shared state of one simulator; cheap to clone.
#[derive(Clone, Debug)]
pub struct SimState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The data before any advance, and the seed of its drift.
    base: Snapshot,
    drift_seed: u64,
    served: RwLock<Served>,
    users: usize,
    max_page: usize,
    omit_total: bool,
    now: DateTime<Utc>,
    auth: Auth,
    faults: Mutex<FaultState>,
    stats: Mutex<SimStats>,
}

/// The dataset served now and how many days after the base it is.
#[derive(Debug)]
struct Served {
    days: i64,
    dataset: Arc<Dataset>,
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

/// The largest advance accepted, either way (ten years).
pub const MAX_ADVANCE_DAYS: i64 = 3650;

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
        let (base, drift_seed) = match config.data {
            DataSource::Generate(params) => (generate(&params), params.seed),
            DataSource::Snapshot(snapshot) => (snapshot, 0),
        };
        let dataset = Dataset::from_snapshot(base.clone())?;
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
                base,
                drift_seed,
                served: RwLock::new(Served {
                    days: 0,
                    dataset: Arc::new(dataset),
                }),
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

    /// Counts one `GET /v2/accounts` answered.
    pub(crate) fn account_list_served(&self) {
        lock(&self.inner.stats).account_lists_served += 1;
    }

    /// Zeroes the counters.
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

    /// The data served now (a later [`SimState::advance_to`] does not change this one).
    pub fn dataset(&self) -> Arc<Dataset> {
        let served = self.inner.served.read().unwrap_or_else(|p| p.into_inner());
        Arc::clone(&served.dataset)
    }

    /// The data before any advance: the generated dataset or the given snapshot.
    pub fn base_snapshot(&self) -> &Snapshot {
        &self.inner.base
    }

    /// The seed of the drift: the generator's seed, or 0 for a given snapshot.
    pub fn drift_seed(&self) -> u64 {
        self.inner.drift_seed
    }

    /// How many days after the base the served data is.
    pub fn advanced_days(&self) -> i64 {
        let served = self.inner.served.read().unwrap_or_else(|p| p.into_inner());
        served.days
    }

    /// Serves the base advanced by `days` (an absolute offset from the base, not added to the
    /// current one; 0 goes back to the base). Refused beyond ±[`MAX_ADVANCE_DAYS`].
    pub fn advance_to(&self, days: i64) -> Result<(), AdvanceError> {
        if days.abs() > MAX_ADVANCE_DAYS {
            return Err(AdvanceError::TooFar(days));
        }
        let snapshot = advance(&self.inner.base, self.inner.drift_seed, days);
        let dataset = Arc::new(Dataset::from_snapshot(snapshot)?);
        let mut served = self.inner.served.write().unwrap_or_else(|p| p.into_inner());
        *served = Served { days, dataset };
        Ok(())
    }

    /// The number of simulated users.
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

/// Why the data cannot be advanced.
#[derive(Debug, thiserror::Error)]
pub enum AdvanceError {
    #[error("{0} days is too far: at most {MAX_ADVANCE_DAYS} days either way")]
    TooFar(i64),
    /// Cannot happen for a base that was served (advancing keeps the accounts); kept typed.
    #[error("the advanced data cannot be served: {0}")]
    Dataset(#[from] DatasetError),
}
