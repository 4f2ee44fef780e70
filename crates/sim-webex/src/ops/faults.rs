//! Request counting and fault injection: the settings of `/_sim/faults` and how each request
//! is held or failed by them.

use crate::error::ApiError;
use crate::state::SimState;

impl SimState {
    /// Counts a request and applies the fault settings: how long to hold it, and the injected
    /// failure to answer instead, if any.
    pub(crate) fn count_request(
        &self,
        route: String,
        path: &str,
    ) -> (Option<std::time::Duration>, Option<ApiError>) {
        let mut shared = self.lock();
        let live = &mut shared.live;
        *live.stats.requests.entry(route).or_default() += 1;
        let faults = &live.faults;
        if *faults == crate::state::Faults::default() || !faults.matches(path) {
            return (None, None);
        }
        let delay = faults.delay_ms.map(std::time::Duration::from_millis);
        live.fault_count += 1;
        let n = live.fault_count;
        let due = |every: Option<u64>| every.is_some_and(|e| e > 0 && n.is_multiple_of(e));
        let retry_after = || faults.retry_after.clone().unwrap_or_else(|| "1".into());
        let error = if due(faults.rate_limit_every) {
            live.stats.injected_429 += 1;
            Some(ApiError::RateLimited {
                retry_after: retry_after(),
            })
        } else if path.starts_with("/v1/contents/") && due(faults.locked_every) {
            live.stats.injected_423 += 1;
            Some(ApiError::Locked {
                retry_after: retry_after(),
            })
        } else if due(faults.fail_5xx_every) {
            live.stats.injected_5xx += 1;
            Some(ApiError::Unavailable)
        } else {
            None
        };
        (delay, error)
    }

    /// Replaces the fault settings and restarts their request count.
    pub fn set_faults(&self, faults: crate::state::Faults) -> Result<(), ApiError> {
        if faults.rate_limit_every == Some(0) || faults.fail_5xx_every == Some(0) {
            return Err(ApiError::bad(
                "rateLimitEvery and fail5xxEvery must be at least 1.",
            ));
        }
        let mut shared = self.lock();
        shared.live.faults = faults;
        shared.live.fault_count = 0;
        Ok(())
    }

    pub fn faults(&self) -> crate::state::Faults {
        self.lock().live.faults.clone()
    }
}
