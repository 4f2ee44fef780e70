//! The sign-in flow's store port ([`crate::signin::port::SignInStore`]) on top of a
//! [`TokenStore`], so the pages use the same SQLite/PostgreSQL store as the token API.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{OAuthAttempt, PendingSignIn, StoreError, TokenStore, Tokens};
use crate::signin::port::{LoginAttempt, NewLogin, SignInStore, StoreFailure};
use crate::webex_port::BoxFuture;

/// Wraps a token store for the sign-in pages. The clock for "created at" stamps is injected.
#[derive(Clone)]
pub struct SignInAdapter {
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn slbot_base::Clock>,
}

impl std::fmt::Debug for SignInAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInAdapter").finish_non_exhaustive()
    }
}

impl SignInAdapter {
    pub fn new(store: Arc<dyn TokenStore>, clock: Arc<dyn slbot_base::Clock>) -> Self {
        Self { store, clock }
    }
}

fn failure(e: StoreError) -> StoreFailure {
    StoreFailure(anyhow::Error::new(e))
}

fn tokens(login: &NewLogin) -> Tokens {
    Tokens {
        access_token: login.access_token.clone(),
        refresh_token: login.refresh_token.clone(),
        expires_at: login.expires_at,
    }
}

impl SignInStore for SignInAdapter {
    fn put_attempt<'a>(
        &'a self,
        state: &'a str,
        attempt: LoginAttempt,
        now: DateTime<Utc>,
        max_live: u64,
    ) -> BoxFuture<'a, Result<bool, StoreFailure>> {
        Box::pin(async move {
            let attempt = OAuthAttempt {
                pkce_verifier: attempt.pkce_verifier,
                link_person_id: attempt.link_person_id,
                alexa_request: attempt.alexa_request,
                expires_at: attempt.expires_at,
            };
            self.store
                .put_attempt(state, attempt, now, max_live)
                .await
                .map_err(failure)
        })
    }

    fn take_attempt<'a>(
        &'a self,
        state: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<LoginAttempt>, StoreFailure>> {
        Box::pin(async move {
            let taken = self.store.take_attempt(state, now).await.map_err(failure)?;
            Ok(taken.map(|a| LoginAttempt {
                pkce_verifier: a.pkce_verifier,
                link_person_id: a.link_person_id,
                alexa_request: a.alexa_request,
                expires_at: a.expires_at,
            }))
        })
    }

    fn save_login(&self, login: NewLogin) -> BoxFuture<'_, Result<(), StoreFailure>> {
        Box::pin(async move {
            self.store
                .put(
                    &login.person_id,
                    login.room_id.as_deref(),
                    tokens(&login),
                    self.clock.now(),
                )
                .await
                .map_err(failure)
        })
    }

    fn save_pending<'a>(
        &'a self,
        login: NewLogin,
        code: &'a str,
        expires_at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreFailure>> {
        Box::pin(async move {
            let pending = PendingSignIn {
                tokens: tokens(&login),
                person_id: login.person_id,
                room_id: login.room_id,
                code: code.to_string(),
                until: expires_at,
            };
            self.store
                .put_pending(pending, self.clock.now())
                .await
                .map_err(failure)
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreFailure>> {
        Box::pin(async move { self.store.ping().await.map_err(failure) })
    }
}
