//! The simulator's memory: authorization codes, access and refresh tokens, request counters and
//! the deterministic fault schedule. Tokens can be saved to and restored from a JSON file so the
//! demo keeps its sign-ins across restarts.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::SimSsoConfig;
use slbot_base::Clock;

/// The subject identifier of an e-mail: stable across runs and restarts, so other simulators can
/// map a token's `sub` to a simulated user. E-mails are compared case-insensitively.
pub fn sub_for_email(email: &str) -> String {
    let digest = Sha256::digest(format!("slbot-sim-sso\n{}", email.trim().to_lowercase()));
    format!("sim-{}", &hex::encode(digest)[..24])
}

pub(crate) fn random_value(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A code waiting to be exchanged (single use).
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// What a token stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Grant {
    pub client_id: String,
    pub scope: String,
    pub email: String,
    pub sub: String,
    pub expires_at: DateTime<Utc>,
    /// Tokens from one sign-in share a family; revoking a refresh token ends the family.
    pub family: String,
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split_whitespace().any(|s| s == scope)
    }
}

/// Endpoints counted in `/_sim/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    AuthorizePage,
    AuthorizeSubmit,
    Token,
    Userinfo,
    Revoke,
    Introspect,
}

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::AuthorizePage => "authorize_page",
            Endpoint::AuthorizeSubmit => "authorize_submit",
            Endpoint::Token => "token",
            Endpoint::Userinfo => "userinfo",
            Endpoint::Revoke => "revoke",
            Endpoint::Introspect => "introspect",
        }
    }
}

/// Counters served by `GET /_sim/stats`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// Requests per endpoint name.
    pub requests: BTreeMap<&'static str, u64>,
    /// Injected 5xx answers.
    pub injected_server_errors: u64,
    /// Injected `invalid_grant` answers.
    pub injected_invalid_grants: u64,
    /// Codes exchanged and refreshes granted.
    pub codes_exchanged: u64,
    pub refreshes: u64,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub codes: HashMap<String, CodeGrant>,
    pub access: HashMap<String, Grant>,
    pub refresh: HashMap<String, Grant>,
    pub stats: Stats,
    /// Token + userinfo calls seen, for `fail_every`.
    faultable_calls: u64,
    /// Refresh grants seen, for `invalid_grant_every`.
    refresh_calls: u64,
    /// Bumped whenever the tokens worth saving change.
    pub revision: u64,
}

#[derive(Serialize, Deserialize)]
struct SavedTokens {
    format: String,
    access: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
}

const SAVE_FORMAT: &str = "slbot-sim-sso-tokens/1";

/// An error saving or loading the token file.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a simulator token file: {reason}")]
    Format { path: String, reason: String },
}

/// The shared state behind the router. Cheap to clone.
#[derive(Clone)]
pub struct SsoState {
    pub(crate) config: Arc<SimSsoConfig>,
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for SsoState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoState").finish_non_exhaustive()
    }
}

impl SsoState {
    pub fn new(config: SimSsoConfig) -> Self {
        Self {
            config: Arc::new(config),
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    pub fn config(&self) -> &SimSsoConfig {
        &self.config
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.config.clock.as_ref()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the counters.
    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// A number that changes whenever tokens are issued, rotated or revoked: save when it moved.
    pub fn revision(&self) -> u64 {
        self.lock().revision
    }

    /// Access tokens currently known (expired ones included until they are pruned).
    pub fn access_token_count(&self) -> usize {
        self.lock().access.len()
    }

    /// Counts a request to `endpoint`.
    pub(crate) fn count(&self, endpoint: Endpoint) {
        *self
            .lock()
            .stats
            .requests
            .entry(endpoint.name())
            .or_default() += 1;
    }

    /// Whether this token/userinfo call gets an injected 5xx (counts the call).
    pub(crate) fn take_server_fault(&self) -> bool {
        let mut inner = self.lock();
        inner.faultable_calls += 1;
        match self.config.fail_every {
            Some(n) if n > 0 && inner.faultable_calls.is_multiple_of(n) => {
                inner.stats.injected_server_errors += 1;
                true
            }
            _ => false,
        }
    }

    /// Whether this refresh gets an injected `invalid_grant` (counts the refresh).
    pub(crate) fn take_invalid_grant_fault(&self) -> bool {
        let mut inner = self.lock();
        inner.refresh_calls += 1;
        match self.config.invalid_grant_every {
            Some(n) if n > 0 && inner.refresh_calls.is_multiple_of(n) => {
                inner.stats.injected_invalid_grants += 1;
                true
            }
            _ => false,
        }
    }

    /// Drops expired codes and tokens.
    pub(crate) fn prune(&self, now: DateTime<Utc>) {
        let mut inner = self.lock();
        inner.codes.retain(|_, c| c.expires_at > now);
        inner.access.retain(|_, g| g.expires_at > now);
        inner.refresh.retain(|_, g| g.expires_at > now);
    }

    /// Writes the access and refresh tokens to `path` (via a temporary file and a rename, so a
    /// crash never leaves half a file). Pending authorization codes are not kept.
    pub fn save(&self, path: &Path) -> Result<(), PersistError> {
        let saved = {
            let inner = self.lock();
            SavedTokens {
                format: SAVE_FORMAT.to_string(),
                access: inner.access.clone(),
                refresh: inner.refresh.clone(),
            }
        };
        let io = |source| PersistError::Io {
            path: path.display().to_string(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(&saved).map_err(|e| PersistError::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        // A temporary file in the same folder is created owner-only (0600) and renamed over
        // the old state: the file holds access and refresh tokens.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        std::io::Write::write_all(&mut tmp, &bytes).map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// A state with `config` and the tokens saved in `path`; a missing file gives an empty state.
    pub fn load(config: SimSsoConfig, path: &Path) -> Result<Self, PersistError> {
        let state = Self::new(config);
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(state),
            Err(source) => {
                return Err(PersistError::Io {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let saved: SavedTokens =
            serde_json::from_slice(&bytes).map_err(|e| PersistError::Format {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        if saved.format != SAVE_FORMAT {
            return Err(PersistError::Format {
                path: path.display().to_string(),
                reason: format!("format `{}`, expected `{SAVE_FORMAT}`", saved.format),
            });
        }
        {
            let mut inner = state.lock();
            inner.access = saved.access;
            inner.refresh = saved.refresh;
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_is_a_stable_function_of_the_e_mail_whatever_its_case() {
        let a = sub_for_email("Ana.Admin@Example.com");
        assert_eq!(a, sub_for_email("ana.admin@example.com "));
        assert_ne!(a, sub_for_email("bob@example.com"));
        // printf 'slbot-sim-sso\nana.admin@example.com' | sha256sum | cut -c1-24
        assert_eq!(a, "sim-c053f2d339dfa458500294d5");
    }
}
