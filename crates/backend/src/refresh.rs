//! Keeping a login usable: a token that expires within [`REFRESH_MARGIN_SECS`] is refreshed
//! at the SSO first, under the store's row lock, so two workers never redeem one refresh
//! token. Only `invalid_grant` forgets the login; any other SSO failure leaves it in place
//! and is reported as temporary.
//!
//! [`Refresher`] is the SSO seen from here (refresh and revoke), so tests use a fake;
//! [`crate::sso::SsoClient`] implements it.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;

use crate::sso::{SsoClient, SsoError, TokenSet};
use crate::store::{
    BoxFuture, LockedDecision, LockedFn, LockedOutcome, StoreError, TokenRecord, TokenStore, Tokens,
};

/// A token expiring sooner than this is refreshed before it is handed out.
pub const REFRESH_MARGIN_SECS: i64 = 120;

/// The SSO calls the token API needs.
pub trait Refresher: Send + Sync {
    /// Redeems a refresh token. [`SsoError::InvalidGrant`] means the login is dead.
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a SecretString,
    ) -> BoxFuture<'a, Result<TokenSet, SsoError>>;

    /// Revokes a refresh token (sign out). Revoking an unknown token succeeds.
    fn revoke<'a>(&'a self, refresh_token: &'a SecretString)
        -> BoxFuture<'a, Result<(), SsoError>>;
}

impl Refresher for SsoClient {
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a SecretString,
    ) -> BoxFuture<'a, Result<TokenSet, SsoError>> {
        Box::pin(SsoClient::refresh(self, refresh_token))
    }

    fn revoke<'a>(
        &'a self,
        refresh_token: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), SsoError>> {
        Box::pin(SsoClient::revoke(self, refresh_token, "refresh_token"))
    }
}

/// Why no token could be handed out right now (the user is not at fault: 503).
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("refreshing the token failed for a passing reason: {0}")]
    Sso(SsoError),
}

/// A login that can be handed out.
pub struct Usable(pub TokenRecord);

impl fmt::Debug for Usable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Usable").field(&self.0).finish()
    }
}

/// The person's token, refreshed first when it expires within the margin. `Ok(None)`: no
/// usable login (never signed in, signed out, or the SSO said `invalid_grant`).
pub async fn usable_token(
    store: &dyn TokenStore,
    refresher: &dyn Refresher,
    person_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Usable>, LookupError> {
    let deadline = now + Duration::seconds(REFRESH_MARGIN_SECS);
    let Some(record) = store.get(person_id).await? else {
        return Ok(None);
    };
    if record.expires_at > deadline {
        return Ok(Some(Usable(record)));
    }
    let mut failure: Option<SsoError> = None;
    let slot = &mut failure;
    let f: LockedFn<'_> = Box::new(move |locked: TokenRecord| {
        Box::pin(async move {
            // Another worker may have refreshed while we waited for the lock.
            if locked.expires_at > deadline {
                return LockedDecision::Keep;
            }
            let Some(refresh_token) = locked.refresh_token.as_ref() else {
                return LockedDecision::Keep;
            };
            match refresher.refresh(refresh_token).await {
                Ok(set) => LockedDecision::Replace(Tokens {
                    expires_at: set.expires_at(now),
                    access_token: set.access_token,
                    // Providers that do not rotate refresh tokens omit it: keep the old one.
                    refresh_token: set.refresh_token.or(locked.refresh_token),
                }),
                Err(SsoError::InvalidGrant) => LockedDecision::Delete,
                Err(other) => {
                    *slot = Some(other);
                    LockedDecision::Keep
                }
            }
        })
    });
    match store.with_refresh_lock(person_id, now, f).await? {
        LockedOutcome::Missing => Ok(None),
        LockedOutcome::Deleted => {
            tracing::info!("the SSO refused a refresh token (invalid_grant): login forgotten");
            Ok(None)
        }
        LockedOutcome::Replaced(record) => Ok(Some(Usable(record))),
        LockedOutcome::Kept(record) => match failure {
            Some(e) => Err(LookupError::Sso(e)),
            None if record.expires_at > now => Ok(Some(Usable(record))),
            // Expired and nothing to refresh it with.
            None => Ok(None),
        },
    }
}
