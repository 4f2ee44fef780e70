//! Who is calling: static tokens, RFC 7662 introspection with a short cache, or anyone.
//!
//! An introspection answer opens the API when `active` is true and `token_type`, if given, is
//! not `refresh_token`; the user is `FNV-1a-64(sub) mod U` (an absent `sub` counts as "").
//!
//! Tokens are remembered only as SHA-256 digests; the raw token is held just long enough to hash
//! it or to forward it to the introspection endpoint.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Deserialize;
use tokio::time::Instant;

use crate::config::StaticToken;
use crate::users::{token_digest, user_of_subject};

/// Why a caller was not let in.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("a bearer token is required")]
    Missing,
    #[error("the token is not valid")]
    Unknown,
    #[error("the token is not active")]
    Inactive,
    #[error("token introspection failed: {0}")]
    IntrospectionFailed(String),
}

/// The outcome of a check.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The caller's user index.
    pub outcome: Result<usize, AuthError>,
    /// Whether an introspection request was sent (cache hits send none).
    pub introspected: bool,
}

impl Checked {
    fn local(outcome: Result<usize, AuthError>) -> Self {
        Self {
            outcome,
            introspected: false,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Auth {
    users: usize,
    static_tokens: BTreeMap<[u8; 32], usize>,
    introspection: Option<Introspection>,
}

#[derive(Debug)]
struct Introspection {
    url: String,
    client: reqwest::Client,
    ttl: Duration,
    cache: Mutex<Cache>,
}

/// Token digest → (valid until, user or `None` for an inactive token).
type Cache = HashMap<[u8; 32], (Instant, Option<usize>)>;

/// Past this many entries, expired ones are swept on insert.
const CACHE_SWEEP_AT: usize = 10_000;

#[derive(Deserialize)]
struct IntrospectionAnswer {
    active: bool,
    #[serde(default)]
    sub: Option<String>,
    /// The SSO simulator says which kind of token it was; only access tokens open CSSM.
    #[serde(default)]
    token_type: Option<String>,
}

impl Auth {
    pub fn new(
        users: usize,
        tokens: &[StaticToken],
        introspect_url: Option<String>,
        ttl: Duration,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let static_tokens = tokens
            .iter()
            .map(|t| (token_digest(t.token.expose_secret()), t.user))
            .collect();
        let introspection = match introspect_url {
            None => None,
            Some(url) => Some(Introspection {
                url,
                client: reqwest::Client::builder().timeout(timeout).build()?,
                ttl,
                cache: Mutex::new(HashMap::new()),
            }),
        };
        Ok(Self {
            users,
            static_tokens,
            introspection,
        })
    }

    /// The user behind `token` (`None`: no bearer token was sent).
    pub async fn check(&self, token: Option<&str>) -> Checked {
        let Some(token) = token else {
            return Checked::local(Err(AuthError::Missing));
        };
        let digest = token_digest(token);
        if let Some(user) = self.static_tokens.get(&digest) {
            return Checked::local(Ok(*user));
        }
        match &self.introspection {
            None if self.static_tokens.is_empty() => Checked::local(Ok(0)),
            None => Checked::local(Err(AuthError::Unknown)),
            Some(introspection) => introspection.check(token, digest, self.users).await,
        }
    }
}

impl Introspection {
    async fn check(&self, token: &str, digest: [u8; 32], users: usize) -> Checked {
        let now = Instant::now();
        let cached = self.lock().get(&digest).copied();
        let user = match cached {
            Some((until, user)) if now < until => {
                return Checked::local(user.ok_or(AuthError::Inactive));
            }
            _ => self.ask(token, users).await,
        };
        if let Ok(user) = user {
            let mut cache = self.lock();
            if cache.len() >= CACHE_SWEEP_AT {
                cache.retain(|_, (until, _)| now < *until);
            }
            cache.insert(digest, (now + self.ttl, user));
        }
        Checked {
            outcome: user.and_then(|u| u.ok_or(AuthError::Inactive)),
            introspected: true,
        }
    }

    /// POSTs `token=<t>` as a form; `Some(user)` when active.
    async fn ask(&self, token: &str, users: usize) -> Result<Option<usize>, AuthError> {
        let response = self
            .client
            .post(&self.url)
            .header("Accept", "application/json")
            .form(&[("token", token)])
            .send()
            .await
            .map_err(|e| AuthError::IntrospectionFailed(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(AuthError::IntrospectionFailed(format!("HTTP {status}")));
        }
        let answer: IntrospectionAnswer = response
            .json()
            .await
            .map_err(|e| AuthError::IntrospectionFailed(e.without_url().to_string()))?;
        let access_token = answer.token_type.as_deref() != Some("refresh_token");
        Ok((answer.active && access_token)
            .then(|| user_of_subject(answer.sub.as_deref().unwrap_or(""), users)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding this lock cannot leave the map inconsistent; keep serving.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}
