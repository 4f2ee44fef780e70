//! The tier every replica shares, in Redis (`SLBOT_CACHE_URL`).
//!
//! Per person, under `slbot:inv:v1:{p}` where `{p}` is a keyed hash of the person id (no id,
//! no token and no e-mail appears in a Redis key):
//! - `{p}` — a hash: `mac` (the keyed hash of the token the inventory was fetched with), `id`
//!   (the fetch's random id) and `blob` (the snapshot, gzip-compressed), expiring with the
//!   cache TTL. A blob over the entry bound is left out: the entry then only says which fetch
//!   is current, and each replica keeps its own copy of that fetch.
//! - `{p}:lock` — the fetch id of the replica fetching now: `SET NX PX`, renewed while the
//!   fetch runs; a dead holder's lock expires and a waiter fetches.
//! - `{p}:said:{fetch id}` — the "please wait" message of that fetch was posted (by whichever
//!   replica claimed it first).
//!
//! Every call has a short timeout; an error marks the tier down (`/readyz`, `/metrics`) and the
//! caller goes on with its own replica's cache: the person still gets an answer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hmac::{Hmac, Mac};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Redis did not answer in time or answered with an error (already logged, tier marked down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Down;

/// How the shared tier is reached and bounded.
#[derive(Clone)]
pub struct SharedSettings {
    /// `SLBOT_CACHE_URL` (`redis://…`; a secret because it may carry a password).
    pub url: SecretString,
    /// How long an entry lives (`SLBOT_CACHE_TTL_SECS`).
    pub ttl: Duration,
    /// Largest compressed entry stored (`SLBOT_CACHE_MAX_ENTRY_MB`).
    pub max_entry_bytes: usize,
    /// Lifetime of the fetch lock without a renewal (renewed every third of it).
    pub lock_ttl: Duration,
    /// How often a replica waiting for another's fetch looks again.
    pub poll: Duration,
    /// Longest wait for one Redis answer before the tier counts as down.
    pub op_timeout: Duration,
}

impl std::fmt::Debug for SharedSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSettings")
            .field("ttl", &self.ttl)
            .field("max_entry_bytes", &self.max_entry_bytes)
            .field("lock_ttl", &self.lock_ttl)
            .finish_non_exhaustive()
    }
}

impl SharedSettings {
    /// The defaults around a URL and a TTL: entries up to 64 MiB compressed, a 10 s lock,
    /// looking again every 100 ms, 1 s per call.
    pub fn new(url: SecretString, ttl: Duration) -> Self {
        Self {
            url,
            ttl,
            max_entry_bytes: 64 * 1024 * 1024,
            lock_ttl: Duration::from_secs(10),
            poll: Duration::from_millis(100),
            op_timeout: Duration::from_secs(1),
        }
    }
}

/// What Redis holds for one person now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Current {
    /// Nothing, or an entry fetched with another token (which this caller must not see).
    Nothing,
    /// The fetch `id` of this token is current.
    Fetch { id: String },
}

/// Compare-and-renew: the lock is extended only while it is still ours.
const RENEW: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Compare-and-delete: a lock that expired and was taken by another stays theirs.
const UNLOCK: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// The shared tier's connection and keys.
pub struct SharedTier {
    conn: ConnectionManager,
    person_key: [u8; 32],
    settings: SharedSettings,
    up: AtomicBool,
    renew: redis::Script,
    unlock: redis::Script,
}

impl std::fmt::Debug for SharedTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedTier")
            .field("settings", &self.settings)
            .field("up", &self.up)
            .finish_non_exhaustive()
    }
}

impl SharedTier {
    /// The tier behind `settings.url`, connected lazily (a Redis down at start is a degraded
    /// start, not a failed one). `key` keys the hash of person ids; every replica passes the
    /// same one. The error names the setting, never the URL (it may carry a password).
    pub fn new(settings: SharedSettings, key: [u8; 32]) -> Result<Self, String> {
        let client = redis::Client::open(settings.url.expose_secret())
            .map_err(|e| format!("SLBOT_CACHE_URL is not a Redis URL ({})", e.category()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.op_timeout))
            .set_response_timeout(Some(settings.op_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("SLBOT_CACHE_URL cannot be used ({})", e.category()))?;
        Ok(Self {
            conn,
            person_key: key,
            settings,
            up: AtomicBool::new(true),
            renew: redis::Script::new(RENEW),
            unlock: redis::Script::new(UNLOCK),
        })
    }

    pub fn settings(&self) -> &SharedSettings {
        &self.settings
    }

    /// Whether the last call answered.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// `slbot:inv:v1:{keyed hash of the person id}`.
    fn base(&self, person_id: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.person_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(person_id.as_bytes());
        let digest = mac.finalize().into_bytes();
        format!("slbot:inv:v1:{}", hex::encode(&digest[..16]))
    }

    /// `{base}:lock`: the person's fetch lock.
    fn lock_key(&self, person_id: &str) -> String {
        format!("{}:lock", self.base(person_id))
    }

    /// Runs one call with the timeout, keeping the up flag.
    async fn call<T>(
        &self,
        what: &'static str,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, Down> {
        let result = tokio::time::timeout(self.settings.op_timeout, call).await;
        match result {
            Ok(Ok(value)) => {
                if !self.up.swap(true, Ordering::AcqRel) {
                    tracing::info!("the shared cache answers again");
                }
                Ok(value)
            }
            Ok(Err(e)) => {
                self.went_down(what, e.category());
                Err(Down)
            }
            Err(_) => {
                self.went_down(what, "timeout");
                Err(Down)
            }
        }
    }

    fn went_down(&self, what: &'static str, why: &str) {
        if self.up.swap(false, Ordering::AcqRel) {
            tracing::warn!(
                call = what,
                error = why,
                "the shared cache does not answer: each replica uses its own cache until it does"
            );
        } else {
            tracing::debug!(
                call = what,
                error = why,
                "the shared cache still does not answer"
            );
        }
    }

    /// `PING`, for `/readyz`.
    pub async fn ping(&self) -> Result<(), Down> {
        let mut conn = self.conn.clone();
        self.call("ping", async move {
            redis::cmd("PING").query_async::<String>(&mut conn).await
        })
        .await
        .map(drop)
    }

    /// Which fetch of this person's inventory is current for the token hashed as `token_mac`.
    pub async fn current(&self, person_id: &str, token_mac: &[u8; 32]) -> Result<Current, Down> {
        let key = self.base(person_id);
        let mut conn = self.conn.clone();
        let (mac, id): (Option<String>, Option<String>) = self
            .call("current", async move {
                redis::cmd("HMGET")
                    .arg(&key)
                    .arg("mac")
                    .arg("id")
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(match (mac, id) {
            (Some(mac), Some(id)) if mac == hex::encode(token_mac) => Current::Fetch { id },
            _ => Current::Nothing,
        })
    }

    /// The compressed inventory of fetch `id`, when it is still the current one and was small
    /// enough to be stored.
    pub async fn blob(&self, person_id: &str, id: &str) -> Result<Option<Vec<u8>>, Down> {
        let key = self.base(person_id);
        let mut conn = self.conn.clone();
        let (stored_id, blob): (Option<String>, Option<Vec<u8>>) = self
            .call("blob", async move {
                redis::cmd("HMGET")
                    .arg(&key)
                    .arg("id")
                    .arg("blob")
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(blob.filter(|_| stored_id.as_deref() == Some(id)))
    }

    /// Takes this person's fetch lock: the new fetch id, or `None` when another replica holds it.
    pub async fn try_lock(&self, person_id: &str) -> Result<Option<String>, Down> {
        let key = self.lock_key(person_id);
        let id = new_fetch_id();
        let ttl = millis(self.settings.lock_ttl);
        let mut conn = self.conn.clone();
        let value = id.clone();
        let taken: Option<String> = self
            .call("lock", async move {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(&value)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(taken.map(|_| id))
    }

    /// Extends the lock of fetch `id`; `false` when it is no longer ours.
    pub async fn renew(&self, person_id: &str, id: &str) -> Result<bool, Down> {
        let key = self.lock_key(person_id);
        let ttl = millis(self.settings.lock_ttl);
        let mut conn = self.conn.clone();
        let renewed: i64 = self
            .call("renew", async move {
                self.renew
                    .key(&key)
                    .arg(id)
                    .arg(ttl)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        Ok(renewed == 1)
    }

    /// Releases the lock of fetch `id` (when it is still ours).
    pub async fn unlock(&self, person_id: &str, id: &str) -> Result<(), Down> {
        let key = self.lock_key(person_id);
        let mut conn = self.conn.clone();
        self.call("unlock", async move {
            self.unlock
                .key(&key)
                .arg(id)
                .invoke_async::<i64>(&mut conn)
                .await
        })
        .await
        .map(drop)
    }

    /// The fetch id holding the lock now.
    pub async fn holder(&self, person_id: &str) -> Result<Option<String>, Down> {
        let key = self.lock_key(person_id);
        let mut conn = self.conn.clone();
        self.call("holder", async move {
            redis::cmd("GET").arg(&key).query_async(&mut conn).await
        })
        .await
    }

    /// Makes fetch `id` the current one for this token with its compressed inventory, when
    /// that fits the entry bound (returns whether it was stored). One that does not (or none)
    /// clears the person's entry instead: every replica then fetches its own copy.
    pub async fn store(
        &self,
        person_id: &str,
        token_mac: &[u8; 32],
        id: &str,
        blob: Option<&[u8]>,
    ) -> Result<bool, Down> {
        let key = self.base(person_id);
        let Some(blob) = blob.filter(|b| b.len() <= self.settings.max_entry_bytes) else {
            if blob.is_some() {
                tracing::info!(
                    max_bytes = self.settings.max_entry_bytes,
                    "an inventory is over SLBOT_CACHE_MAX_ENTRY_MB: kept by this replica only"
                );
            }
            self.forget(person_id).await?;
            return Ok(false);
        };
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("DEL")
            .arg(&key)
            .ignore()
            .cmd("HSET")
            .arg(&key)
            .arg("mac")
            .arg(hex::encode(token_mac))
            .arg("id")
            .arg(id)
            .arg("blob")
            .arg(blob)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(millis(self.settings.ttl))
            .ignore();
        let mut conn = self.conn.clone();
        self.call(
            "store",
            async move { pipe.query_async::<()>(&mut conn).await },
        )
        .await?;
        Ok(true)
    }

    /// Claims the "please wait" message of fetch `id`: `true` for the first caller only.
    pub async fn claim_notice(&self, person_id: &str, id: &str) -> Result<bool, Down> {
        let key = format!("{}:said:{id}", self.base(person_id));
        // Long enough to outlive any fetch; the key is a few bytes.
        let ttl = millis(Duration::from_secs(900));
        let mut conn = self.conn.clone();
        let claimed: Option<String> = self
            .call("notice", async move {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(claimed.is_some())
    }

    /// Forgets this person's inventory for every replica (`refresh`, `sign out`).
    pub async fn forget(&self, person_id: &str) -> Result<(), Down> {
        let key = self.base(person_id);
        let mut conn = self.conn.clone();
        self.call("forget", async move {
            redis::cmd("DEL")
                .arg(&key)
                .query_async::<i64>(&mut conn)
                .await
        })
        .await
        .map(drop)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// 128 random bits in hex: one fetch.
fn new_fetch_id() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    hex::encode(bytes)
}
