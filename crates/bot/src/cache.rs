//! The per-user inventory cache.
//!
//! Keyed by the person's id plus HMAC-SHA256(a per-process random key, their CSSM token) — never
//! the token itself, so a dump of the cache reveals no credential, and a new token (after a
//! refresh or a new sign-in) means a new fetch. Entries live `ttl` and are weighed by their
//! estimated size against a byte budget. Concurrent requests for one key share one fetch
//! (single flight): 200 simultaneous commands of one person cause exactly one CSSM fetch.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use moka::ops::compute::Op;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Something whose memory footprint can be estimated, for the cache's byte budget.
pub trait Weighed {
    fn weight_bytes(&self) -> usize;

    /// Whether the value may be kept for later commands. `false` (a partial inventory that
    /// tells the person to try again later) serves the callers waiting for this fetch, then
    /// drops the entry, so trying again really fetches again.
    fn keep(&self) -> bool {
        true
    }
}

/// Cache key: person id and a keyed hash of their token.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    person_id: String,
    token_mac: [u8; 32],
}

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CacheKey({}, {})",
            self.person_id,
            hex::encode(&self.token_mac[..4])
        )
    }
}

/// The cache of loaded inventories, one entry per (person, token).
pub struct InventoryCache<V> {
    mac_key: [u8; 32],
    entries: moka::future::Cache<CacheKey, Arc<V>>,
}

impl<V: Weighed + Send + Sync + 'static> InventoryCache<V> {
    /// A cache whose entries live `ttl` and together weigh at most `max_bytes`.
    pub fn new(ttl: Duration, max_bytes: u64) -> Self {
        let mut mac_key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut mac_key);
        let entries = moka::future::Cache::builder()
            .time_to_live(ttl)
            .max_capacity(max_bytes)
            .weigher(|_k: &CacheKey, v: &Arc<V>| {
                u32::try_from(v.weight_bytes()).unwrap_or(u32::MAX)
            })
            .build();
        Self { mac_key, entries }
    }

    /// The key for this person and token.
    pub fn key(&self, person_id: &str, token: &SecretString) -> CacheKey {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(token.expose_secret().as_bytes());
        CacheKey {
            person_id: person_id.to_string(),
            token_mac: mac.finalize().into_bytes().into(),
        }
    }

    /// The cached inventory, or the result of `fetch` (run once however many callers wait).
    /// A value that must not be kept ([`Weighed::keep`]) is returned and then forgotten.
    pub async fn get_or_fetch<E, F>(&self, key: CacheKey, fetch: F) -> Result<Arc<V>, Arc<E>>
    where
        F: Future<Output = Result<V, E>>,
        E: Send + Sync + 'static,
    {
        let value = self
            .entries
            .try_get_with(key.clone(), async move { fetch.await.map(Arc::new) })
            .await?;
        if !value.keep() {
            // Only this very value: a newer fetch that replaced it meanwhile stays.
            let fetched = Arc::clone(&value);
            self.entries
                .entry(key)
                .and_compute_with(|current| async move {
                    match current {
                        Some(entry) if Arc::ptr_eq(entry.value(), &fetched) => Op::Remove,
                        _ => Op::Nop,
                    }
                })
                .await;
        }
        Ok(value)
    }

    /// Whether an entry is cached (without fetching); only the tests ask.
    #[cfg(test)]
    pub async fn peek(&self, key: &CacheKey) -> Option<Arc<V>> {
        self.entries.get(key).await
    }

    /// Forgets one entry (the `refresh` command).
    pub async fn forget(&self, key: &CacheKey) {
        self.entries.invalidate(key).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug)]
    struct Inv(&'static str);
    impl Weighed for Inv {
        fn weight_bytes(&self) -> usize {
            1000
        }
    }

    fn token(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[tokio::test]
    async fn two_hundred_simultaneous_commands_of_one_person_cause_one_fetch() {
        let cache = Arc::new(InventoryCache::<Inv>::new(
            Duration::from_secs(300),
            1 << 20,
        ));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let cache = Arc::clone(&cache);
            let fetches = Arc::clone(&fetches);
            tasks.push(tokio::spawn(async move {
                let key = cache.key("alice", &token("tok-a"));
                cache
                    .get_or_fetch::<(), _>(key, async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok(Inv("alice's"))
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().0, "alice's");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn one_person_never_gets_another_persons_entry_even_with_the_same_token() {
        let cache = InventoryCache::<Inv>::new(Duration::from_secs(300), 1 << 20);
        let a = cache
            .get_or_fetch::<(), _>(cache.key("alice", &token("t")), async { Ok(Inv("a")) })
            .await;
        let b = cache
            .get_or_fetch::<(), _>(cache.key("bob", &token("t")), async { Ok(Inv("b")) })
            .await;
        assert_eq!(a.unwrap().0, "a");
        assert_eq!(b.unwrap().0, "b");
    }

    #[tokio::test]
    async fn a_new_token_means_a_new_fetch_and_forget_drops_the_entry() {
        let cache = InventoryCache::<Inv>::new(Duration::from_secs(300), 1 << 20);
        let k1 = cache.key("alice", &token("t1"));
        let k2 = cache.key("alice", &token("t2"));
        assert_ne!(k1, k2);
        cache
            .get_or_fetch::<(), _>(k1.clone(), async { Ok(Inv("1")) })
            .await
            .unwrap();
        assert!(cache.peek(&k1).await.is_some());
        assert!(cache.peek(&k2).await.is_none());
        cache.forget(&k1).await;
        assert!(cache.peek(&k1).await.is_none());
    }

    #[tokio::test]
    async fn a_failed_fetch_is_not_cached() {
        let cache = InventoryCache::<Inv>::new(Duration::from_secs(300), 1 << 20);
        let k = cache.key("alice", &token("t"));
        let err = cache
            .get_or_fetch::<&str, _>(k.clone(), async { Err("CSSM down") })
            .await;
        assert_eq!(*err.unwrap_err(), "CSSM down");
        assert!(cache.peek(&k).await.is_none());
    }

    #[derive(Debug)]
    struct Partial;
    impl Weighed for Partial {
        fn weight_bytes(&self) -> usize {
            1000
        }
        fn keep(&self) -> bool {
            false
        }
    }

    #[tokio::test]
    async fn a_value_that_must_not_be_kept_is_served_once_and_fetched_again_next_time() {
        let cache = InventoryCache::<Partial>::new(Duration::from_secs(300), 1 << 20);
        let k = cache.key("alice", &token("t"));
        let fetches = AtomicUsize::new(0);
        for _ in 0..2 {
            cache
                .get_or_fetch::<(), _>(k.clone(), async {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    Ok(Partial)
                })
                .await
                .unwrap();
            assert!(cache.peek(&k).await.is_none());
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_key_shows_no_token() {
        let cache = InventoryCache::<Inv>::new(Duration::from_secs(300), 1 << 20);
        let shown = format!("{:?}", cache.key("alice", &token("super-secret-token")));
        assert!(!shown.contains("super-secret-token"), "{shown}");
    }
}
