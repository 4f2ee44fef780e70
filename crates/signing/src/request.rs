//! Request signing (bot side), request verification and response signing (backend side),
//! response verification (bot side), for both versions.
//!
//! Everything here is a pure function of its inputs plus the injected nonce store: the time
//! is a parameter, so tests pin it.
//!
//! Parts: `sign` makes the headers of a request (bot) or a response (backend); `verify`
//! checks them (backend: the request, bot: the response). This file holds the types both
//! use and [`Verifier`], the backend's bundle of the two.

mod sign;
mod verify;

pub use sign::{sign_request, sign_response};
pub use verify::{request_nonce, verify_request, verify_response};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use secrecy::SecretString;

use crate::nonce::{NonceStore, NonceStoreError};
use crate::scheme::{Version, MAX_CLOCK_SKEW_SECS};

/// Why a request or response signature was refused. The text names the fault for the
/// operator's log and never contains a secret or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the {0} header is malformed or repeated")]
    MalformedHeader(&'static str),
    #[error("signature version mismatch: this side uses {expected}, the message says {got}")]
    WrongVersion { expected: Version, got: String },
    #[error("the X-SLD-Date is {skew_secs} s away from this clock (at most {MAX_CLOCK_SKEW_SECS} s allowed): check both clocks")]
    StaleDate { skew_secs: i64 },
    #[error("the X-SLD-Nonce is not 32 lowercase hex characters")]
    MalformedNonce,
    #[error("the X-SLD-Nonce was already used within the replay window (a replayed request)")]
    ReplayedNonce,
    #[error("the signature does not match (check that both sides share the same secret)")]
    BadSignature,
    #[error(transparent)]
    NonceStore(#[from] NonceStoreError),
}

impl Rejection {
    /// The HTTP status the backend answers with: 401, except 503 when the nonce store could
    /// not answer (a transient fault of ours, not the caller's).
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::NonceStore(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

/// The nonce source produced something that is not a v2 nonce.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the nonce source produced a value that is not 32 lowercase hex characters")]
pub struct MalformedNonceSource;

/// A request the bot is about to send.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingRequest<'a> {
    pub method: &'a str,
    /// The path only, e.g. `/api/userinfo/access-token`.
    pub path: &'a str,
    /// The query exactly as it will be sent, without the `?`.
    pub query: &'a str,
    pub body: &'a [u8],
}

/// A request as the backend received it.
#[derive(Debug, Clone, Copy)]
pub struct IncomingRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query bytes as received (no `?`), `None` when the URL had no `?`.
    pub raw_query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The v2 nonce (to bind the response to); `None` in v1.
    pub nonce: Option<String>,
}
/// The full URL v1 signs: the base URL without its trailing `/`, the path and the query.
fn v1_url(base_url: &str, path: &str, query: Option<&str>) -> String {
    let base = base_url.trim_end_matches('/');
    match query {
        Some(q) => format!("{base}{path}?{q}"),
        None => format!("{base}{path}"),
    }
}

/// The backend side bundled: version, secret, public URL and nonce store, so a handler calls
/// `verifier.verify(&request, now)` and `verifier.sign(status, body, nonce, now)`.
#[derive(Clone)]
pub struct Verifier {
    version: Version,
    secret: SecretString,
    public_url: String,
    nonces: Arc<dyn NonceStore>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("version", &self.version)
            .field("secret", &"[redacted]")
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl Verifier {
    pub fn new(
        version: Version,
        secret: SecretString,
        public_url: impl Into<String>,
        nonces: Arc<dyn NonceStore>,
    ) -> Self {
        Self {
            version,
            secret,
            public_url: public_url.into(),
            nonces,
        }
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// See [`verify_request`].
    pub async fn verify(
        &self,
        request: &IncomingRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedRequest, Rejection> {
        verify_request(
            self.version,
            &self.secret,
            &self.public_url,
            request,
            now,
            self.nonces.as_ref(),
        )
        .await
    }

    /// See [`sign_response`].
    pub fn sign(
        &self,
        status: StatusCode,
        body: &[u8],
        request_nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Vec<(HeaderName, HeaderValue)> {
        sign_response(self.version, &self.secret, status, body, request_nonce, now)
    }
}

#[cfg(test)]
mod tests;
