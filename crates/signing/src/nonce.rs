//! v2 nonces: where a signer gets them ([`NonceSource`]) and the replay window that refuses a
//! nonce accepted once for [`REPLAY_WINDOW_SECS`] ([`NonceStore`]).
//!
//! [`NonceStore`] is async and object-safe so a shared implementation (Redis `SET NX EX`, a
//! PostgreSQL table) can replace [`MemoryNonceStore`] when the backend is scaled out; the
//! in-memory one is right for a single replica.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::scheme::REPLAY_WINDOW_SECS;

/// The store cannot answer; the request is refused with 503 (fail closed, never "accept").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NonceStoreError {
    #[error("the replay-nonce store is full ({capacity} nonces within the window)")]
    Full { capacity: usize },
    #[error("the replay-nonce store is unavailable: {0}")]
    Unavailable(String),
}

/// A boxed, sendable future (the trait is used as `dyn NonceStore`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Remembers accepted nonces for the replay window.
pub trait NonceStore: Send + Sync {
    /// Records `nonce` as accepted at `now`. `Ok(true)`: first use within the window;
    /// `Ok(false)`: a replay. Must be atomic across every replica sharing the store.
    fn check_and_record<'a>(
        &'a self,
        nonce: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, NonceStoreError>>;
}

/// A bounded in-process window: entries expire after the window; when `capacity` nonces are
/// live at once, new ones are refused (503) rather than forgetting live ones early.
#[derive(Debug)]
pub struct MemoryNonceStore {
    window: Duration,
    capacity: usize,
    inner: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    seen: HashMap<String, DateTime<Utc>>,
    /// Insertion order, for expiry from the front.
    order: VecDeque<(DateTime<Utc>, String)>,
}

/// Enough for 500 requests/s over the 600 s window, with headroom.
pub const DEFAULT_NONCE_CAPACITY: usize = 500_000;

impl Default for MemoryNonceStore {
    fn default() -> Self {
        Self::new(DEFAULT_NONCE_CAPACITY)
    }
}

impl MemoryNonceStore {
    pub fn new(capacity: usize) -> Self {
        Self {
            window: Duration::seconds(REPLAY_WINDOW_SECS),
            capacity,
            inner: Mutex::new(Window::default()),
        }
    }

    /// Live nonces (after expiring old ones at `now`).
    pub fn len(&self, now: DateTime<Utc>) -> usize {
        let mut w = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        w.expire(now - self.window);
        w.seen.len()
    }

    pub fn is_empty(&self, now: DateTime<Utc>) -> bool {
        self.len(now) == 0
    }
}

impl Window {
    fn expire(&mut self, cutoff: DateTime<Utc>) {
        while let Some((at, _)) = self.order.front() {
            if *at > cutoff {
                break;
            }
            if let Some((at, nonce)) = self.order.pop_front() {
                // Only forget it if it was not re-recorded later.
                if self.seen.get(&nonce) == Some(&at) {
                    self.seen.remove(&nonce);
                }
            }
        }
    }
}

impl MemoryNonceStore {
    fn record(&self, nonce: &str, now: DateTime<Utc>) -> Result<bool, NonceStoreError> {
        let cutoff = now - self.window;
        let mut w = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        w.expire(cutoff);
        if let Some(at) = w.seen.get(nonce) {
            if *at > cutoff {
                return Ok(false);
            }
        }
        if w.seen.len() >= self.capacity {
            return Err(NonceStoreError::Full {
                capacity: self.capacity,
            });
        }
        w.seen.insert(nonce.to_string(), now);
        w.order.push_back((now, nonce.to_string()));
        Ok(true)
    }
}

impl NonceStore for MemoryNonceStore {
    fn check_and_record<'a>(
        &'a self,
        nonce: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, NonceStoreError>> {
        let result = self.record(nonce, now);
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
    }

    #[tokio::test]
    async fn a_nonce_is_accepted_once_and_refused_within_the_window() {
        let store = MemoryNonceStore::new(10);
        assert_eq!(store.check_and_record("n1", t0()).await, Ok(true));
        assert_eq!(
            store
                .check_and_record("n1", t0() + Duration::seconds(599))
                .await,
            Ok(false)
        );
        assert_eq!(store.check_and_record("n2", t0()).await, Ok(true));
    }

    #[tokio::test]
    async fn a_nonce_expires_after_the_window_and_frees_its_slot() {
        let store = MemoryNonceStore::new(1);
        assert_eq!(store.check_and_record("n1", t0()).await, Ok(true));
        let later = t0() + Duration::seconds(600);
        assert_eq!(store.len(later), 0);
        assert_eq!(store.check_and_record("n2", later).await, Ok(true));
        assert_eq!(
            store.check_and_record("n1", later).await,
            Err(NonceStoreError::Full { capacity: 1 })
        );
    }

    #[tokio::test]
    async fn a_full_store_refuses_new_nonces_instead_of_forgetting_live_ones() {
        let store = MemoryNonceStore::new(2);
        assert_eq!(store.check_and_record("a", t0()).await, Ok(true));
        assert_eq!(store.check_and_record("b", t0()).await, Ok(true));
        assert_eq!(
            store.check_and_record("c", t0()).await,
            Err(NonceStoreError::Full { capacity: 2 })
        );
        // The live ones are still remembered as used.
        assert_eq!(store.check_and_record("a", t0()).await, Ok(false));
    }
}

/// Where v2 request nonces come from.
pub trait NonceSource: Send + Sync {
    /// 32 lowercase hex characters, never repeated.
    fn nonce(&self) -> String;
}

/// 16 bytes from the operating system's CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsNonceSource;

impl NonceSource for OsNonceSource {
    fn nonce(&self) -> String {
        slbot_base::random_hex(16)
    }
}
