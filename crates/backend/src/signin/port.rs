//! What the sign-in flow needs from the token store, as a trait: the store module implements it,
//! tests may use [`MemorySignInStore`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::webex_port::BoxFuture;

/// An OAuth attempt in flight, keyed by its `state` (kept 10 minutes).
pub struct LoginAttempt {
    pub pkce_verifier: SecretString,
    /// The personId a verified sign-in link vouched for, if the user came from one.
    pub link_person_id: Option<String>,
    /// Alexa's authorization request when this sign-in links the Alexa skill.
    pub alexa_request: Option<crate::store::alexa_grants::AlexaRequest>,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for LoginAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginAttempt")
            .field("pkce_verifier", &"[redacted]")
            .field("link_person_id", &self.link_person_id)
            .field("alexa_request", &self.alexa_request)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A user's SSO tokens, ready to be stored under their personId.
pub struct NewLogin {
    pub person_id: String,
    /// The 1:1 space; `None` for a pending binding (the confirm request carries it).
    pub room_id: Option<String>,
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for NewLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewLogin")
            .field("person_id", &self.person_id)
            .field("room_id", &self.room_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The store could not be used (down, locked, corrupt): the user should try again later.
#[derive(Debug, thiserror::Error)]
#[error("the token store is unavailable: {0}")]
pub struct StoreFailure(#[from] pub anyhow::Error);

/// The store operations of the sign-in flow.
pub trait SignInStore: Send + Sync {
    /// Remembers an OAuth attempt under its `state`, unless `max_live` attempts that have
    /// not expired at `now` are stored already: `false` then, and nothing is stored.
    fn put_attempt<'a>(
        &'a self,
        state: &'a str,
        attempt: LoginAttempt,
        now: DateTime<Utc>,
        max_live: u64,
    ) -> BoxFuture<'a, Result<bool, StoreFailure>>;

    /// Removes and returns the attempt for `state` if it exists and has not expired at `now`.
    /// Atomic: two callbacks with one state cannot both get it.
    fn take_attempt<'a>(
        &'a self,
        state: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<LoginAttempt>, StoreFailure>>;

    /// Stores (or replaces) the person's tokens: they are signed in.
    fn save_login(&self, login: NewLogin) -> BoxFuture<'_, Result<(), StoreFailure>>;

    /// Stores tokens that become the person's login only when they send `confirm CODE` before
    /// `expires_at` (the token API's `POST /api/userinfo/confirm`).
    fn save_pending<'a>(
        &'a self,
        login: NewLogin,
        code: &'a str,
        expires_at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreFailure>>;

    /// Whether the store answers (`/readyz`).
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreFailure>>;
}

/// An in-memory [`SignInStore`] for tests and experiments (nothing survives a restart).
#[derive(Debug, Default)]
pub struct MemorySignInStore {
    attempts: Mutex<HashMap<String, LoginAttempt>>,
    logins: Mutex<HashMap<String, NewLogin>>,
    pending: Mutex<HashMap<String, PendingEntry>>,
}

struct PendingEntry {
    login: NewLogin,
    code: String,
    expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for PendingEntry {
    // The confirmation code is a one-time credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingEntry")
            .field("login", &self.login)
            .field("code", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemorySignInStore {
    /// The personIds with a login.
    pub fn signed_in(&self) -> Vec<String> {
        let mut ids: Vec<String> = lock(&self.logins).keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The room stored for a person, if signed in.
    pub fn room_of(&self, person_id: &str) -> Option<Option<String>> {
        lock(&self.logins).get(person_id).map(|l| l.room_id.clone())
    }

    /// The personIds with a pending binding.
    pub fn pending(&self) -> Vec<String> {
        let mut ids: Vec<String> = lock(&self.pending).keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Confirms a pending binding like the token API does: right person, right code, in time.
    pub fn confirm(&self, person_id: &str, room_id: &str, code: &str, now: DateTime<Utc>) -> bool {
        let mut pending = lock(&self.pending);
        match pending.get(person_id) {
            Some(p) if p.code == code && p.expires_at > now => {
                if let Some(PendingEntry { mut login, .. }) = pending.remove(person_id) {
                    login.room_id = Some(room_id.to_string());
                    lock(&self.logins).insert(person_id.to_string(), login);
                }
                true
            }
            _ => false,
        }
    }
}

impl SignInStore for MemorySignInStore {
    fn put_attempt<'a>(
        &'a self,
        state: &'a str,
        attempt: LoginAttempt,
        now: DateTime<Utc>,
        max_live: u64,
    ) -> BoxFuture<'a, Result<bool, StoreFailure>> {
        Box::pin(async move {
            let mut attempts = lock(&self.attempts);
            attempts.retain(|_, a| a.expires_at > now);
            if attempts.len() as u64 >= max_live {
                return Ok(false);
            }
            attempts.insert(state.to_string(), attempt);
            Ok(true)
        })
    }

    fn take_attempt<'a>(
        &'a self,
        state: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<LoginAttempt>, StoreFailure>> {
        Box::pin(async move {
            Ok(lock(&self.attempts)
                .remove(state)
                .filter(|a| a.expires_at > now))
        })
    }

    fn save_login(&self, login: NewLogin) -> BoxFuture<'_, Result<(), StoreFailure>> {
        Box::pin(async move {
            lock(&self.pending).remove(&login.person_id);
            lock(&self.logins).insert(login.person_id.clone(), login);
            Ok(())
        })
    }

    fn save_pending<'a>(
        &'a self,
        login: NewLogin,
        code: &'a str,
        expires_at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreFailure>> {
        Box::pin(async move {
            lock(&self.pending).insert(
                login.person_id.clone(),
                PendingEntry {
                    login,
                    code: code.to_string(),
                    expires_at,
                },
            );
            Ok(())
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreFailure>> {
        Box::pin(async { Ok(()) })
    }
}
