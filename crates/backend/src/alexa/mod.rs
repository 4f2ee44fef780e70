//! Alexa account linking (issue 15): this backend is the OAuth 2.0 authorization server of the
//! Alexa skill (authorization code grant, PKCE S256 when Alexa sends a challenge).
//!
//! - [`authorize`]: `GET /alexa/authorize`, checks the client and redirect URI, then starts the
//!   Cisco SSO sign-in exactly like `/login` (its attempt carries Alexa's request); the
//!   callback (`crate::signin::callback`) answers Alexa with a code.
//! - [`token`]: `POST /alexa/token`, code and refresh-token grants, no SSO call on the way.
//! - The bot's lookup of an access token is the signed `POST /api/alexa/person` of
//!   [`crate::token_api`].
//!
//! Codes and tokens are 32 OS-random bytes as base64url; only their SHA-256 is stored
//! ([`crate::store::alexa_grants`]); they never reach a log line or a `Debug`.

pub mod authorize;
pub mod token;

use std::sync::Arc;

use crate::settings::AlexaSettings;
use crate::store::alexa_grants::AlexaGrants;

/// How long an authorization code may be redeemed.
pub const CODE_MINUTES: i64 = 5;
/// How long a refresh token lives unused (each rotation starts a new one).
pub const REFRESH_DAYS: i64 = 180;

/// Account linking switched on: the settings and the grant store.
#[derive(Clone)]
pub struct AlexaLink {
    pub settings: AlexaSettings,
    pub grants: Arc<dyn AlexaGrants>,
}

impl std::fmt::Debug for AlexaLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlexaLink")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// 32 bytes from the OS CSPRNG as unpadded base64url: a code, token or link id.
pub fn fresh_secret() -> String {
    crate::sso::random_token(32)
}

/// An S256 challenge or a verifier-shaped value: `len` limits, RFC 7636 unreserved characters.
pub(crate) fn is_pkce_text(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}
