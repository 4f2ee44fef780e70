//! Client settings (cssm-api.md "Limits") and the injectable clock and jitter source.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use rand::Rng;

/// Default page size asked of CSSM (`SLBOT_CSSM_PAGE_SIZE`).
pub const DEFAULT_PAGE_SIZE: u32 = 500;
/// Default requests in flight per fetch (`SLBOT_CSSM_CONCURRENCY`).
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default per-request timeout in seconds (`SLBOT_CSSM_TIMEOUT_SECS`).
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Default cap on requests in flight across the whole process (`SLBOT_CSSM_MAX_INFLIGHT`).
pub const DEFAULT_MAX_INFLIGHT: usize = 16;
/// Default API base (scheme and host); the client appends [`crate::API_ROOT`].
pub const DEFAULT_BASE_URL: &str = "https://swapi.cisco.com";

/// How one client fetches. `Default` is the project's rules; tests shorten what they need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSettings {
    /// `limit` asked for each licence page (servers may return fewer).
    pub page_size: u32,
    /// Requests in flight per fetch.
    pub concurrency: usize,
    /// Timeout of one HTTP request (connect to last body byte).
    pub request_timeout: Duration,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// Backoff before retry n (0-based) is uniform in `[0, min(cap, base × 2ⁿ)]`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A longer `Retry-After` is not waited for: that call fails as rate-limited.
    pub max_retry_after: Duration,
    /// After this, the fetch stops and the answer is built from what arrived (partial).
    pub deadline: Duration,
    /// A larger response body is bad data (protects memory from a broken server).
    pub max_body_bytes: usize,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            page_size: DEFAULT_PAGE_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            request_timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            attempts: 5,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            deadline: Duration::from_secs(120),
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A setting outside the range the client accepts; the message names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting} must be between {min} and {max}, not {value}")]
pub struct SettingsError {
    pub setting: &'static str,
    pub value: u64,
    pub min: u64,
    pub max: u64,
}

fn in_range(setting: &'static str, value: u64, min: u64, max: u64) -> Result<u64, SettingsError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(SettingsError {
            setting,
            value,
            min,
            max,
        })
    }
}

impl FetchSettings {
    /// The operator-tunable settings (from flags/environment/TOML), checked; the rest default.
    /// Setting names in errors are the environment variables an operator would change.
    pub fn from_values(
        page_size: u32,
        concurrency: usize,
        timeout_secs: u64,
    ) -> Result<Self, SettingsError> {
        let page_size = in_range("SLBOT_CSSM_PAGE_SIZE", page_size.into(), 1, 10_000)?;
        let concurrency = in_range("SLBOT_CSSM_CONCURRENCY", concurrency as u64, 1, 64)?;
        let timeout = in_range("SLBOT_CSSM_TIMEOUT_SECS", timeout_secs, 1, 600)?;
        Ok(Self {
            page_size: page_size as u32,
            concurrency: concurrency as usize,
            request_timeout: Duration::from_secs(timeout),
            ..Self::default()
        })
    }

    /// Checks a process-wide in-flight cap (`SLBOT_CSSM_MAX_INFLIGHT`).
    pub fn check_max_inflight(max_inflight: usize) -> Result<usize, SettingsError> {
        in_range("SLBOT_CSSM_MAX_INFLIGHT", max_inflight as u64, 1, 1024).map(|v| v as usize)
    }

    /// The longest wait before retry `retry` (0-based): `min(cap, base × 2^retry)`.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.backoff_base
            .checked_mul(factor)
            .map_or(self.backoff_cap, |d| d.min(self.backoff_cap))
    }
}

/// Picks the full-jitter wait: a duration uniform in `[0, ceiling]`.
pub trait Jitter: Send + Sync {
    fn pick(&self, ceiling: Duration) -> Duration;
}

/// Full jitter from the thread-local random generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn pick(&self, ceiling: Duration) -> Duration {
        let max = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(rand::thread_rng().gen_range(0..=max))
    }
}

/// Where to get a fresh token when `/v2/accounts` answers 500 right after a token change
/// (cssm-api.md "Odd answers"). `None` from the future means "no fresher token".
pub type TokenRefresher =
    Arc<dyn Fn() -> BoxFuture<'static, Option<secrecy::SecretString>> + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_ceiling_doubles_from_half_a_second_and_stops_at_eight() {
        let s = FetchSettings::default();
        let naive: Vec<u64> = (0..8).map(|n| (500u64 << n).min(8_000)).collect();
        let got: Vec<u64> = (0..8)
            .map(|n| s.backoff_ceiling(n).as_millis() as u64)
            .collect();
        assert_eq!(got, naive);
        assert_eq!(s.backoff_ceiling(200), Duration::from_secs(8));
    }

    #[test]
    fn random_jitter_stays_between_zero_and_the_ceiling() {
        let ceiling = Duration::from_millis(2_000);
        let picks: Vec<Duration> = (0..2_000).map(|_| RandomJitter.pick(ceiling)).collect();
        assert!(picks.iter().all(|d| *d <= ceiling));
        // Full jitter, not "half plus jitter": some waits are short, some long.
        assert!(picks.iter().any(|d| *d < Duration::from_millis(200)));
        assert!(picks.iter().any(|d| *d > Duration::from_millis(1_800)));
    }

    #[test]
    fn settings_out_of_range_name_the_variable() {
        let err = FetchSettings::from_values(0, 4, 30).unwrap_err();
        assert!(err.to_string().contains("SLBOT_CSSM_PAGE_SIZE"), "{err}");
        let err = FetchSettings::from_values(500, 0, 30).unwrap_err();
        assert!(err.to_string().contains("SLBOT_CSSM_CONCURRENCY"), "{err}");
        let ok = FetchSettings::from_values(100, 8, 5).unwrap();
        assert_eq!(ok.request_timeout, Duration::from_secs(5));
        assert_eq!(ok.attempts, 5);
    }
}
