//! The per-user inventory cache, used by the bot's commands and the backend's dashboard.
//!
//! Keyed by the person's id plus HMAC-SHA256(a key, their CSSM token) — never the token
//! itself, so a dump of the cache reveals no credential, and a new token (after a refresh or a
//! new sign-in) means a new fetch. Entries live `ttl` and are weighed by their estimated size
//! against a byte budget. Concurrent requests for one key share one fetch (single flight): 200
//! simultaneous commands of one person cause exactly one CSSM fetch.
//!
//! With a [`shared`] tier (`SLBOT_CACHE_URL`), the single flight and the entries span every
//! replica: a replica looks in Redis before fetching, takes the person's fetch lock or waits for
//! the replica holding it, and keeps a decoded copy of the current fetch, checked against Redis
//! on every lookup (one round trip), so `refresh` or `sign out` on one replica is seen by all.
//! When Redis does not answer, each replica goes on with its own entries.

pub mod shared;
pub mod snapshot;

/// An inventory weighs what it really holds; a partial one says "try again later", so trying
/// again must fetch again (it is served to the callers waiting for it, never kept).
impl Weighed for slbot_inventory::Inventory {
    fn weight_bytes(&self) -> usize {
        // What it really holds; the `scale` bench prints it beside the process's RSS growth.
        self.heap_bytes()
    }

    fn keep(&self) -> bool {
        !self.partial()
    }
}

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use moka::ops::compute::Op;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use shared::{Current, Down, SharedTier};

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

/// What a fetch gives the cache: the value, and its encoding for the shared tier (asked for
/// only when the cache [`is_shared`](InventoryCache::is_shared)).
pub struct Fetched<V> {
    pub value: V,
    pub shared: Option<Vec<u8>>,
}

impl<V> Fetched<V> {
    /// A value with nothing to share.
    pub fn local(value: V) -> Self {
        Self {
            value,
            shared: None,
        }
    }
}

/// Builds a value from its shared encoding (on the blocking pool).
pub type Decode<V> = Arc<dyn Fn(Vec<u8>) -> Result<V, String> + Send + Sync>;

/// Where a lookup found its value, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// This replica's entry (checked current in Redis when shared).
    Local,
    /// Another replica's fetch, read from Redis.
    Shared,
    /// A CSSM fetch by this replica.
    Fetched,
    /// Redis did not answer: this replica's own entry or fetch.
    Degraded,
}

impl Lookup {
    pub fn label(self) -> &'static str {
        match self {
            Lookup::Local => "local",
            Lookup::Shared => "shared",
            Lookup::Fetched => "fetched",
            Lookup::Degraded => "degraded",
        }
    }
}

/// Told of every lookup's outcome.
pub type LookupHook = Arc<dyn Fn(Lookup) + Send + Sync>;

/// Cache key: person id and a keyed hash of their token.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    person_id: String,
    token_mac: [u8; 32],
}

impl CacheKey {
    /// Whose inventory this is.
    pub fn person_id(&self) -> &str {
        &self.person_id
    }
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

/// A kept value and the shared fetch it is a copy of (`None`: fetched by this replica alone).
struct Held<V> {
    value: Arc<V>,
    fetch: Option<Arc<str>>,
}

impl<V> Held<V> {
    /// `value`, a copy of the shared fetch `fetch` (or this replica's alone: `None`).
    fn new(value: V, fetch: Option<&str>) -> Self {
        Self {
            value: Arc::new(value),
            fetch: fetch.map(Arc::from),
        }
    }
}

impl<V> Clone for Held<V> {
    fn clone(&self) -> Self {
        Self {
            value: Arc::clone(&self.value),
            fetch: self.fetch.clone(),
        }
    }
}

struct Shared<V> {
    tier: SharedTier,
    decode: Decode<V>,
}

/// The cache of loaded inventories, one entry per (person, token).
pub struct InventoryCache<V> {
    mac_key: [u8; 32],
    entries: moka::future::Cache<CacheKey, Held<V>>,
    shared: Option<Shared<V>>,
    hook: Option<LookupHook>,
}

impl<V: Weighed + Send + Sync + 'static> InventoryCache<V> {
    /// A cache of this process alone whose entries live `ttl` and together weigh at most
    /// `max_bytes`, keyed with a random per-process key.
    pub fn new(ttl: Duration, max_bytes: u64) -> Self {
        let mut mac_key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut mac_key);
        Self::build(ttl, max_bytes, mac_key, None)
    }

    /// A cache over the shared tier: `secret` (the same on every replica) keys the hashes of
    /// tokens and person ids; `decode` rebuilds a value another replica fetched.
    pub fn shared(
        ttl: Duration,
        max_bytes: u64,
        tier: SharedTier,
        secret: &SecretString,
        decode: Decode<V>,
    ) -> Self {
        let mac_key = derive(secret, b"slbot cache token key v1");
        Self::build(ttl, max_bytes, mac_key, Some(Shared { tier, decode }))
    }

    fn build(ttl: Duration, max_bytes: u64, mac_key: [u8; 32], shared: Option<Shared<V>>) -> Self {
        let entries = moka::future::Cache::builder()
            .time_to_live(ttl)
            .max_capacity(max_bytes)
            .weigher(|_k: &CacheKey, v: &Held<V>| {
                u32::try_from(v.value.weight_bytes()).unwrap_or(u32::MAX)
            })
            .support_invalidation_closures()
            .build();
        Self {
            mac_key,
            entries,
            shared,
            hook: None,
        }
    }

    /// Tells `hook` where each lookup found its value.
    pub fn with_hook(mut self, hook: LookupHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Whether fetches should give their encoding ([`Fetched::shared`]).
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// `None` without a shared tier; else whether Redis answered last time.
    pub fn shared_up(&self) -> Option<bool> {
        self.shared.as_ref().map(|s| s.tier.is_up())
    }

    /// `/readyz`: `None` without a shared tier; else whether Redis answers a `PING` now.
    pub async fn shared_ready(&self) -> Option<Result<(), Down>> {
        match &self.shared {
            None => None,
            Some(s) => Some(s.tier.ping().await),
        }
    }

    fn tell(&self, lookup: Lookup) {
        if let Some(hook) = &self.hook {
            hook(lookup);
        }
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

    /// The cached inventory, or the result of `fetch` (run once however many callers wait,
    /// on every replica when shared). A value that must not be kept ([`Weighed::keep`]) is
    /// returned and then forgotten.
    pub async fn get_or_fetch<E, F>(&self, key: CacheKey, fetch: F) -> Result<Arc<V>, Arc<E>>
    where
        F: Future<Output = Result<Fetched<V>, E>>,
        E: Send + Sync + 'static,
    {
        let held = match &self.shared {
            None => self.local_only(key.clone(), fetch, Lookup::Local).await?,
            Some(shared) => match shared.tier.current(&key.person_id, &key.token_mac).await {
                Err(Down) => {
                    self.local_only(key.clone(), fetch, Lookup::Degraded)
                        .await?
                }
                Ok(current) => {
                    let mine = self.entries.get(&key).await;
                    match (mine, &current) {
                        // Our copy of the current fetch.
                        (Some(held), Current::Fetch { id })
                            if held.fetch.as_deref() == Some(id) =>
                        {
                            self.tell(Lookup::Local);
                            held
                        }
                        // Fetched here alone (too big to share, or while Redis was down) and
                        // no other fetch since.
                        (Some(held), Current::Nothing) if held.fetch.is_none() => {
                            self.tell(Lookup::Local);
                            held
                        }
                        (mine, _) => {
                            if mine.is_some() {
                                // Refreshed, signed out or fetched again elsewhere.
                                self.entries.invalidate(&key).await;
                            }
                            self.entries
                                .try_get_with(
                                    key.clone(),
                                    self.resolve(shared, &key, current.clone(), fetch),
                                )
                                .await?
                        }
                    }
                }
            },
        };
        let value = held.value;
        if !value.keep() {
            // Only this very value: a newer fetch that replaced it meanwhile stays.
            let fetched = Arc::clone(&value);
            self.entries
                .entry(key)
                .and_compute_with(|current| async move {
                    match current {
                        Some(entry) if Arc::ptr_eq(&entry.value().value, &fetched) => Op::Remove,
                        _ => Op::Nop,
                    }
                })
                .await;
        }
        Ok(value)
    }

    /// This replica's entry, or its own fetch (single flight within the process).
    async fn local_only<E, F>(
        &self,
        key: CacheKey,
        fetch: F,
        hit: Lookup,
    ) -> Result<Held<V>, Arc<E>>
    where
        F: Future<Output = Result<Fetched<V>, E>>,
        E: Send + Sync + 'static,
    {
        let fetched_here = std::sync::atomic::AtomicBool::new(false);
        let held = self
            .entries
            .try_get_with(key, async {
                fetched_here.store(true, std::sync::atomic::Ordering::Release);
                fetch.await.map(|f| Held::new(f.value, None))
            })
            .await?;
        let fetched = fetched_here.load(std::sync::atomic::Ordering::Acquire);
        self.tell(match (fetched, hit) {
            (_, Lookup::Degraded) => Lookup::Degraded,
            (true, _) => Lookup::Fetched,
            (false, _) => hit,
        });
        Ok(held)
    }

    /// Another replica's current fetch from Redis, or this replica's fetch under the person's
    /// lock, or — while another replica holds the lock — waiting for its result. Runs once per
    /// key in this process (the local single flight).
    async fn resolve<E, F>(
        &self,
        shared: &Shared<V>,
        key: &CacheKey,
        known: Current,
        fetch: F,
    ) -> Result<Held<V>, E>
    where
        F: Future<Output = Result<Fetched<V>, E>>,
    {
        let tier = &shared.tier;
        let person = key.person_id.as_str();
        // What the lookup just read serves the first round; later rounds (after waiting for
        // another replica's fetch) read Redis again.
        let mut known = Some(known);
        loop {
            let current = match known.take() {
                Some(current) => current,
                None => match tier.current(person, &key.token_mac).await {
                    Ok(current) => current,
                    Err(Down) => break,
                },
            };
            if let Current::Fetch { id } = &current {
                match tier.blob(person, id).await {
                    Ok(Some(bytes)) => {
                        let decode = Arc::clone(&shared.decode);
                        match tokio::task::spawn_blocking(move || decode(bytes)).await {
                            Ok(Ok(value)) => {
                                self.tell(Lookup::Shared);
                                return Ok(Held::new(value, Some(id)));
                            }
                            Ok(Err(why)) => tracing::warn!(
                                reason = %why,
                                "a shared inventory cannot be read: fetching it again"
                            ),
                            Err(e) => {
                                tracing::warn!(error = %e, "decoding a shared inventory failed")
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(Down) => break,
                }
            }
            match tier.try_lock(person).await {
                Ok(Some(id)) => return self.fetch_under_lock(tier, key, &id, fetch).await,
                Ok(None) => {
                    // Another replica is fetching (or its lock has yet to expire).
                    tokio::time::sleep(tier.settings().poll).await;
                }
                Err(Down) => break,
            }
        }
        self.tell(Lookup::Degraded);
        fetch.await.map(|f| Held::new(f.value, None))
    }

    /// Runs `fetch` holding the lock `id` (renewed meanwhile), stores the result for every
    /// replica, and releases the lock.
    async fn fetch_under_lock<E, F>(
        &self,
        tier: &SharedTier,
        key: &CacheKey,
        id: &str,
        fetch: F,
    ) -> Result<Held<V>, E>
    where
        F: Future<Output = Result<Fetched<V>, E>>,
    {
        self.tell(Lookup::Fetched);
        let person = key.person_id.as_str();
        let mut every = tokio::time::interval(tier.settings().lock_ttl / 3);
        every.tick().await;
        tokio::pin!(fetch);
        let result = loop {
            tokio::select! {
                result = &mut fetch => break result,
                _ = every.tick() => {
                    if let Ok(false) = tier.renew(person, id).await {
                        tracing::warn!(
                            "the fetch lock expired while fetching: another replica may fetch too"
                        );
                    }
                }
            }
        };
        let held = match result {
            Ok(fetched) => {
                let value = fetched.value;
                let stored = if value.keep() {
                    tier.store(person, &key.token_mac, id, fetched.shared.as_deref())
                        .await
                        .unwrap_or(false)
                } else {
                    false
                };
                Ok(Held::new(value, stored.then_some(id)))
            }
            Err(e) => Err(e),
        };
        // An unanswered unlock leaves the lock to expire: waiters then look again.
        let _ = tier.unlock(person, id).await;
        held
    }

    /// Claims the "please wait" message of the fetch this key waits for: `true` for the first
    /// command of the person across replicas (always, without a shared tier or when Redis does
    /// not answer: this replica's own watch already keeps it to one per process).
    pub async fn claim_notice(&self, key: &CacheKey) -> bool {
        let Some(shared) = &self.shared else {
            return true;
        };
        match shared.tier.holder(&key.person_id).await {
            Ok(Some(id)) => shared
                .tier
                .claim_notice(&key.person_id, &id)
                .await
                .unwrap_or(true),
            Ok(None) | Err(Down) => true,
        }
    }

    /// Whether an entry is cached (without fetching); only the tests ask.
    #[cfg(test)]
    pub async fn peek(&self, key: &CacheKey) -> Option<Arc<V>> {
        self.entries.get(key).await.map(|h| h.value)
    }

    /// Forgets one entry (the `refresh` command), for every replica when shared.
    pub async fn forget(&self, key: &CacheKey) {
        self.entries.invalidate(key).await;
        if let Some(shared) = &self.shared {
            let _ = shared.tier.forget(&key.person_id).await;
        }
    }

    /// Forgets every entry of a person (`sign out`), for every replica when shared.
    pub async fn forget_person(&self, person_id: &str) {
        let person = person_id.to_string();
        if let Err(e) = self
            .entries
            .invalidate_entries_if(move |k, _| k.person_id == person)
        {
            tracing::warn!(error = %e, "cannot forget a person's cached inventories");
        }
        if let Some(shared) = &self.shared {
            let _ = shared.tier.forget(person_id).await;
        }
    }
}

/// HMAC-SHA256(`secret`, `label`): a key every replica sharing `secret` derives alike.
pub fn derive(secret: &SecretString, label: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(label);
    mac.finalize().into_bytes().into()
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
                        Ok(Fetched::local(Inv("alice's")))
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
            .get_or_fetch::<(), _>(cache.key("alice", &token("t")), async {
                Ok(Fetched::local(Inv("a")))
            })
            .await;
        let b = cache
            .get_or_fetch::<(), _>(cache.key("bob", &token("t")), async {
                Ok(Fetched::local(Inv("b")))
            })
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
            .get_or_fetch::<(), _>(k1.clone(), async { Ok(Fetched::local(Inv("1"))) })
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
                    Ok(Fetched::local(Partial))
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

    /// `SLBOT_TEST_REDIS_URL`, or `None` with SKIPPED (a failure under `SLBOT_TEST_REQUIRE_ALL`).
    fn redis_url() -> Option<String> {
        let config = slbot_config::Config::load(None).ok()?;
        match config.get("TEST_REDIS_URL").filter(|u| !u.is_empty()) {
            Some(url) => Some(url),
            None => {
                if config.get("TEST_REQUIRE_ALL").as_deref() == Some("1") {
                    panic!("SLBOT_TEST_REQUIRE_ALL=1 but SLBOT_TEST_REDIS_URL is not set");
                }
                println!("SKIPPED: SLBOT_TEST_REDIS_URL is not set (no Redis to test against)");
                None
            }
        }
    }

    /// A value another replica can rebuild: its text is its encoding.
    #[derive(Debug, PartialEq)]
    struct Named(String);
    impl Weighed for Named {
        fn weight_bytes(&self) -> usize {
            self.0.len()
        }
    }

    fn fetched(text: &str) -> Fetched<Named> {
        Fetched {
            value: Named(text.to_string()),
            shared: Some(text.as_bytes().to_vec()),
        }
    }

    /// One replica's cache over the Redis at `url` (the same secret on every replica).
    fn replica(url: &str, lock_ttl: Duration, max_entry: usize) -> InventoryCache<Named> {
        let settings = shared::SharedSettings {
            lock_ttl,
            max_entry_bytes: max_entry,
            poll: Duration::from_millis(20),
            ..shared::SharedSettings::new(
                SecretString::from(url.to_string()),
                Duration::from_secs(60),
            )
        };
        let secret = SecretString::from("replicas-share-this-secret".to_string());
        let tier = SharedTier::new(settings, derive(&secret, b"test person key")).unwrap();
        InventoryCache::shared(
            Duration::from_secs(60),
            1 << 20,
            tier,
            &secret,
            Arc::new(|bytes: Vec<u8>| {
                String::from_utf8(bytes)
                    .map(Named)
                    .map_err(|e| e.to_string())
            }),
        )
    }

    /// A person id no other test run uses.
    fn person() -> String {
        format!("person-{}", slbot_base::random_hex(8))
    }

    /// Counts the lookups by outcome.
    fn counting(
        cache: InventoryCache<Named>,
    ) -> (InventoryCache<Named>, Arc<std::sync::Mutex<Vec<Lookup>>>) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let hook_seen = Arc::clone(&seen);
        let cache = cache.with_hook(Arc::new(move |l| hook_seen.lock().unwrap().push(l)));
        (cache, seen)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_replicas_on_one_redis_fetch_a_persons_inventory_once_for_a_hundred_commands() {
        let Some(url) = redis_url() else { return };
        let a = Arc::new(replica(&url, Duration::from_secs(10), 1 << 20));
        let b = Arc::new(replica(&url, Duration::from_secs(10), 1 << 20));
        let who = person();
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..100 {
            let cache = Arc::clone(if i % 2 == 0 { &a } else { &b });
            let (who, fetches) = (who.clone(), Arc::clone(&fetches));
            tasks.push(tokio::spawn(async move {
                let key = cache.key(&who, &token("tok"));
                cache
                    .get_or_fetch::<(), _>(key, async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        Ok(fetched("the inventory"))
                    })
                    .await
                    .map(|v| v.0.clone())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "the inventory");
        }
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            1,
            "one fetch across both replicas"
        );
    }

    #[tokio::test]
    async fn a_refresh_on_one_replica_makes_the_other_fetch_again_and_a_new_token_is_a_new_fetch() {
        let Some(url) = redis_url() else { return };
        let (a, b) = (
            replica(&url, Duration::from_secs(10), 1 << 20),
            replica(&url, Duration::from_secs(10), 1 << 20),
        );
        let (b, seen_b) = counting(b);
        let who = person();
        let n = AtomicUsize::new(0);
        let fetch = |text: &'static str| {
            let n = &n;
            async move {
                n.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(fetched(text))
            }
        };
        let got = a
            .get_or_fetch(a.key(&who, &token("t")), fetch("first"))
            .await
            .unwrap();
        assert_eq!(got.0, "first");
        // Replica b reads a's fetch from Redis, then serves its own copy of it.
        let got = b
            .get_or_fetch(b.key(&who, &token("t")), fetch("never"))
            .await
            .unwrap();
        assert_eq!(got.0, "first");
        let got = b
            .get_or_fetch(b.key(&who, &token("t")), fetch("never"))
            .await
            .unwrap();
        assert_eq!(got.0, "first");
        assert_eq!(*seen_b.lock().unwrap(), vec![Lookup::Shared, Lookup::Local]);
        assert_eq!(n.load(Ordering::SeqCst), 1);

        // `refresh` on a: b's copy is no longer current; b fetches anew.
        a.forget(&a.key(&who, &token("t"))).await;
        let got = b
            .get_or_fetch(b.key(&who, &token("t")), fetch("second"))
            .await
            .unwrap();
        assert_eq!(got.0, "second");
        assert_eq!(n.load(Ordering::SeqCst), 2);
        // And a reads b's new fetch.
        let got = a
            .get_or_fetch(a.key(&who, &token("t")), fetch("never"))
            .await
            .unwrap();
        assert_eq!(got.0, "second");

        // Another token of the same person never sees the entry of the first.
        let got = a
            .get_or_fetch(a.key(&who, &token("t2")), fetch("third"))
            .await
            .unwrap();
        assert_eq!(got.0, "third");
        assert_eq!(n.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_sign_out_on_one_replica_forgets_the_persons_inventory_on_every_replica() {
        let Some(url) = redis_url() else { return };
        let (a, b) = (
            replica(&url, Duration::from_secs(10), 1 << 20),
            replica(&url, Duration::from_secs(10), 1 << 20),
        );
        let who = person();
        let key_a = a.key(&who, &token("t"));
        a.get_or_fetch::<(), _>(key_a.clone(), async { Ok(fetched("before")) })
            .await
            .unwrap();
        b.get_or_fetch::<(), _>(b.key(&who, &token("t")), async { Ok(fetched("never")) })
            .await
            .unwrap();
        b.forget_person(&who).await;
        assert!(a.peek(&key_a).await.is_some(), "a still holds its copy…");
        let got = a
            .get_or_fetch::<(), _>(key_a.clone(), async { Ok(fetched("after")) })
            .await
            .unwrap();
        assert_eq!(got.0, "after", "…but no longer serves it");
    }

    #[tokio::test]
    async fn a_waiter_fetches_itself_once_a_dead_replicas_lock_expires() {
        let Some(url) = redis_url() else { return };
        let lock_ttl = Duration::from_millis(600);
        let dead = replica(&url, lock_ttl, 1 << 20);
        let waiter = replica(&url, lock_ttl, 1 << 20);
        let who = person();
        // The dead replica took the lock and never came back.
        let shared = dead.shared.as_ref().unwrap();
        assert!(shared.tier.try_lock(&who).await.unwrap().is_some());
        let started = std::time::Instant::now();
        let got = waiter
            .get_or_fetch::<(), _>(waiter.key(&who, &token("t")), async {
                Ok(fetched("fetched by the waiter"))
            })
            .await
            .unwrap();
        assert_eq!(got.0, "fetched by the waiter");
        assert!(
            started.elapsed() >= lock_ttl / 2,
            "the waiter waited for the lock: {:?}",
            started.elapsed()
        );
    }

    // A second worker thread keeps the renewals on time while the other waits on Redis, and the
    // lock outlives a renewal's period by two seconds, so a loaded CI machine cannot let it lapse.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fetch_longer_than_the_lock_keeps_its_lock_renewed_so_nobody_fetches_twice() {
        let Some(url) = redis_url() else { return };
        let lock_ttl = Duration::from_millis(3000);
        let a = Arc::new(replica(&url, lock_ttl, 1 << 20));
        let b = replica(&url, lock_ttl, 1 << 20);
        let who = person();
        let fetches = Arc::new(AtomicUsize::new(0));
        let slow = {
            let (a, who, fetches) = (Arc::clone(&a), who.clone(), Arc::clone(&fetches));
            tokio::spawn(async move {
                a.get_or_fetch::<(), _>(a.key(&who, &token("t")), async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    // Two lock lifetimes.
                    tokio::time::sleep(Duration::from_millis(6000)).await;
                    Ok(fetched("slow"))
                })
                .await
                .map(|v| v.0.clone())
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let got = b
            .get_or_fetch::<(), _>(b.key(&who, &token("t")), {
                let fetches = Arc::clone(&fetches);
                async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    Ok(fetched("second"))
                }
            })
            .await
            .unwrap();
        assert_eq!(got.0, "slow");
        assert_eq!(slow.await.unwrap().unwrap(), "slow");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_inventory_over_the_entry_bound_is_kept_by_the_replica_that_fetched_it_only() {
        let Some(url) = redis_url() else { return };
        let (a, b) = (
            replica(&url, Duration::from_secs(10), 8),
            replica(&url, Duration::from_secs(10), 8),
        );
        let (a, seen_a) = counting(a);
        let who = person();
        let big = "more than eight bytes";
        for _ in 0..2 {
            a.get_or_fetch::<(), _>(a.key(&who, &token("t")), async { Ok(fetched(big)) })
                .await
                .unwrap();
        }
        assert_eq!(
            *seen_a.lock().unwrap(),
            vec![Lookup::Fetched, Lookup::Local]
        );
        let got = b
            .get_or_fetch::<(), _>(b.key(&who, &token("t")), async { Ok(fetched("b's own")) })
            .await
            .unwrap();
        assert_eq!(got.0, "b's own");
    }

    #[tokio::test]
    async fn the_please_wait_message_of_one_fetch_is_claimed_once_across_replicas() {
        let Some(url) = redis_url() else { return };
        let a = Arc::new(replica(&url, Duration::from_secs(10), 1 << 20));
        let b = replica(&url, Duration::from_secs(10), 1 << 20);
        let who = person();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let fetching = {
            let (a, who) = (Arc::clone(&a), who.clone());
            tokio::spawn(async move {
                a.get_or_fetch::<(), _>(a.key(&who, &token("t")), async move {
                    let _ = released.await;
                    Ok(fetched("done"))
                })
                .await
                .map(drop)
            })
        };
        // Wait until a holds the lock.
        let tier = &b.shared.as_ref().unwrap().tier;
        while tier.holder(&who).await.unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(a.claim_notice(&a.key(&who, &token("t"))).await);
        assert!(!b.claim_notice(&b.key(&who, &token("t"))).await);
        assert!(!a.claim_notice(&a.key(&who, &token("t"))).await);
        release.send(()).unwrap();
        fetching.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn redis_keys_show_neither_the_person_id_nor_the_token() {
        let Some(url) = redis_url() else { return };
        let a = replica(&url, Duration::from_secs(10), 1 << 20);
        let who = person();
        a.get_or_fetch::<(), _>(a.key(&who, &token("a-very-secret-token")), async {
            Ok(fetched("x"))
        })
        .await
        .unwrap();
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("slbot:inv:*")
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(!keys.is_empty());
        for key in keys {
            assert!(
                !key.contains(&who) && !key.contains("a-very-secret-token"),
                "{key}"
            );
            let values: Vec<Vec<u8>> =
                match redis::cmd("HVALS").arg(&key).query_async(&mut conn).await {
                    Ok(v) => v,
                    Err(_) => continue, // not a hash (a lock or a notice)
                };
            for v in values {
                let text = String::from_utf8_lossy(&v);
                assert!(!text.contains("a-very-secret-token"), "{key}");
            }
        }
    }

    #[tokio::test]
    async fn with_redis_unreachable_each_replica_answers_from_its_own_cache_and_says_the_tier_is_down(
    ) {
        // Nothing listens on port 1.
        let a = replica("redis://127.0.0.1:1", Duration::from_secs(10), 1 << 20);
        let (a, seen) = counting(a);
        let fetches = AtomicUsize::new(0);
        for _ in 0..2 {
            let got = a
                .get_or_fetch::<(), _>(a.key("alice", &token("t")), async {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    Ok(fetched("local"))
                })
                .await
                .unwrap();
            assert_eq!(got.0, "local");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![Lookup::Degraded, Lookup::Degraded]
        );
        assert_eq!(a.shared_up(), Some(false));
        assert!(matches!(a.shared_ready().await, Some(Err(Down))));
        assert!(a.claim_notice(&a.key("alice", &token("t"))).await);
    }
}
