//! What Alexa account linking keeps: every authorization code, access token and refresh token
//! issued to the Alexa skill, by the SHA-256 of its value only ([`grant_hash`]), so a copy of
//! the database holds nothing Alexa could present. Both engines implement [`AlexaGrants`]
//! (in `engine`); [`super::TokenStore::alexa_grants`] hands it out.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{BoxFuture, StoreError};

/// How long a rotated refresh token is remembered, so that presenting it again is recognised
/// as a reuse (and revokes its link) rather than as an unknown token.
pub const ROTATED_KEEP_SECS: i64 = 7 * 24 * 3600;

/// How long after its rotation a refresh token presented again counts as Alexa retrying a
/// refresh whose answer it lost (a new pair), not as a stolen copy (the link revoked).
pub const REFRESH_RETRY_GRACE_SECS: i64 = 30;

/// The hex SHA-256 of an issued code or token: the only form in which it is stored. (A plain
/// hash suffices: the values are 32 random bytes, so there is nothing to guess.)
pub fn grant_hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Alexa's authorization request, carried through the Cisco SSO sign-in in the OAuth attempt.
/// None of it is a secret (the state is Alexa's CSRF value, the challenge a hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlexaRequest {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
}

/// A new authorization code (its hash), bound to the person who signed in.
#[derive(Debug, Clone)]
pub struct NewCode {
    pub hash: String,
    /// Groups the code with the tokens issued from it.
    pub link_id: String,
    pub person_id: String,
    pub room_id: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A stored code as the token endpoint checks it.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
}

/// The hashes and lifetimes of a fresh access + refresh token pair.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_hash: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_hash: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// What redeeming a code or rotating a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// The tokens were stored for this person.
    Issued { person_id: String, room_id: String },
    /// The code exists but the check refused it (redirect_uri or PKCE); it is used up.
    Refused,
    /// Past its expiry.
    Expired,
    /// Already used: everything issued under its link was revoked.
    Reused,
    /// Never issued (or purged).
    Unknown,
}

/// Whose an Alexa access token is.
#[derive(Clone, PartialEq, Eq)]
pub struct AlexaOwner {
    pub person_id: String,
    pub room_id: String,
}

impl fmt::Debug for AlexaOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlexaOwner")
            .field("person_id", &self.person_id)
            .field("room_id", &self.room_id)
            .finish()
    }
}

/// The check run on a code while it is locked (redirect_uri and PKCE).
pub type CodeCheck<'a> = Box<dyn FnOnce(&CodeGrant) -> bool + Send + 'a>;

/// The grant store. Every method is atomic across replicas.
pub trait AlexaGrants: Send + Sync {
    /// Stores a fresh authorization code.
    fn issue_code(
        &self,
        code: NewCode,
        now: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Uses up the code `hash` and, if `check` accepts it, stores `issue` under its link, in
    /// one transaction. A code used before revokes every token of its link (RFC 6749 §4.1.2).
    fn redeem_code<'a>(
        &'a self,
        hash: &'a str,
        now: DateTime<Utc>,
        check: CodeCheck<'a>,
        issue: IssuedTokens,
    ) -> BoxFuture<'a, Result<Redeemed, StoreError>>;

    /// Rotates the refresh token `hash`: it stops working and `issue` takes its place. A
    /// rotated one presented again revokes its whole link.
    fn rotate_refresh<'a>(
        &'a self,
        hash: &'a str,
        now: DateTime<Utc>,
        issue: IssuedTokens,
    ) -> BoxFuture<'a, Result<Redeemed, StoreError>>;

    /// The person of an unexpired access token, if they still have a stored login.
    fn owner_of_access<'a>(
        &'a self,
        hash: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<AlexaOwner>, StoreError>>;
}
