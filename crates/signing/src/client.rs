//! The bot's client of the backend token API (signing.md): signs each request, verifies each
//! response before reading its body, and maps the answer to a typed outcome.
//!
//! The one distinction the bot must never blur: [`TokenError::NotSignedIn`] (a verified 404:
//! send the person the sign-in link) versus [`TokenError::Service`] (anything else that went
//! wrong: tell the person it is not their fault). A 401, a bad response signature, a 503, a
//! timeout or garbage is always `Service`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use slbot_base::{Clock, SystemClock};

use crate::nonce::{NonceSource, OsNonceSource};
use crate::request::{sign_request, verify_response, OutgoingRequest, Rejection};
use crate::scheme::Version;
use crate::v2;

/// The token API paths (signing.md).
pub const ACCESS_TOKEN_PATH: &str = "/api/userinfo/access-token";
pub const CONFIRM_PATH: &str = "/api/userinfo/confirm";
/// Whose an Alexa access token is (docs/design/alexa-link.md).
pub const ALEXA_PERSON_PATH: &str = "/api/alexa/person";

/// The largest response body the client reads; a token response is a few KB at most.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// A person's CSSM access token. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: SecretString,
    /// Absent when a v1 backend does not send it.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The Webex person an Alexa access token was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlexaPerson {
    pub person_id: String,
    pub room_id: String,
}

#[derive(Deserialize)]
struct AlexaPersonBody {
    person_id: String,
    room_id: String,
}

/// `sign out`: what the backend did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOutOutcome {
    /// 204: the login was forgotten (and its refresh token revoked where possible).
    Forgotten,
    /// 404: there was no login to forget.
    NothingToForget,
}

/// `confirm CODE`: what the backend did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// 204: the pending sign-in is now this person's login.
    Confirmed,
    /// 404: no pending sign-in for this person, or the code is wrong.
    NoSuchPending,
}

/// Why the token service could not give an answer the bot can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceCause {
    /// 401: the backend refused our signature (secret, clock or version mismatch).
    #[error("the backend refused the request signature (HTTP 401): check SLBOT_BACKEND_SECRET, SLBOT_SIGNING_VERSION and both clocks")]
    RequestRejected,
    /// 400: the backend found the roomId or personId malformed.
    #[error("the backend refused the request parameters (HTTP 400)")]
    BadRequest,
    /// The response's signature did not verify; its body was not read.
    #[error("the backend response failed verification: {0}")]
    BadResponseSignature(Rejection),
    /// 503: the backend or its SSO is failing for a passing reason.
    #[error("the backend is temporarily unavailable (HTTP 503)")]
    Unavailable,
    #[error("the backend did not answer in time")]
    Timeout,
    #[error("cannot reach the backend: {0}")]
    Transport(String),
    #[error("the backend answered with unexpected HTTP status {0}")]
    UnexpectedStatus(u16),
    /// A verified response whose body is not what the API promises.
    #[error("the backend response is unreadable: {0}")]
    MalformedBody(String),
    /// A fault in this process (e.g. the nonce source).
    #[error("internal error while signing the request: {0}")]
    Internal(String),
}

/// The outcome of a token API call that is not a success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// A verified 404: the person has no usable login; send them the sign-in link.
    #[error("this person is not signed in")]
    NotSignedIn,
    /// Anything else: a service problem, never the user's fault and never "not signed in".
    #[error("the token service failed: {cause}")]
    Service { cause: ServiceCause },
}

impl From<ServiceCause> for TokenError {
    fn from(cause: ServiceCause) -> Self {
        TokenError::Service { cause }
    }
}

/// Settings for [`TokenClient::new`].
#[derive(Clone)]
pub struct TokenClientSettings {
    /// `SLBOT_BACKEND_URL`, e.g. `http://127.0.0.1:8082` (a trailing `/` is ignored).
    pub base_url: String,
    pub secret: SecretString,
    pub version: Version,
    /// Whole-request timeout (connect, send, read).
    pub timeout: Duration,
}

impl fmt::Debug for TokenClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClientSettings")
            .field("base_url", &self.base_url)
            .field("secret", &"[redacted]")
            .field("version", &self.version)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The client. Cheap to clone.
#[derive(Clone)]
pub struct TokenClient {
    http: reqwest::Client,
    base_url: String,
    secret: SecretString,
    version: Version,
    clock: Arc<dyn Clock>,
    nonces: Arc<dyn NonceSource>,
}

impl fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClient")
            .field("base_url", &self.base_url)
            .field("secret", &"[redacted]")
            .field("version", &self.version)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    expires_at: Option<String>,
}

impl TokenClient {
    /// A client with the system clock and OS nonces.
    pub fn new(settings: TokenClientSettings) -> Result<Self, TokenError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ServiceCause::Internal(e.without_url().to_string()))?;
        Ok(Self {
            http,
            base_url: settings.base_url.trim_end_matches('/').to_string(),
            secret: settings.secret,
            version: settings.version,
            clock: Arc::new(SystemClock),
            nonces: Arc::new(OsNonceSource),
        })
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the nonce source (tests).
    pub fn with_nonce_source(mut self, nonces: Arc<dyn NonceSource>) -> Self {
        self.nonces = nonces;
        self
    }

    /// The access token of `person_id`. `room_id` is sent for logs and wire compatibility.
    pub async fn access_token(
        &self,
        room_id: &str,
        person_id: &str,
    ) -> Result<AccessToken, TokenError> {
        let (status, body) = self
            .call(
                Method::GET,
                ACCESS_TOKEN_PATH,
                room_id,
                person_id,
                Vec::new(),
            )
            .await?;
        match status {
            StatusCode::OK => parse_token(&body),
            StatusCode::NOT_FOUND => Err(TokenError::NotSignedIn),
            other => Err(status_cause(other).into()),
        }
    }

    /// Forgets the person's login (the `sign out` command).
    pub async fn sign_out(
        &self,
        room_id: &str,
        person_id: &str,
    ) -> Result<SignOutOutcome, TokenError> {
        let (status, _) = self
            .call(
                Method::DELETE,
                ACCESS_TOKEN_PATH,
                room_id,
                person_id,
                Vec::new(),
            )
            .await?;
        match status {
            StatusCode::NO_CONTENT | StatusCode::OK => Ok(SignOutOutcome::Forgotten),
            StatusCode::NOT_FOUND => Ok(SignOutOutcome::NothingToForget),
            other => Err(status_cause(other).into()),
        }
    }

    /// Relays `confirm CODE` for the person's pending sign-in.
    pub async fn confirm(
        &self,
        room_id: &str,
        person_id: &str,
        code: &str,
    ) -> Result<ConfirmOutcome, TokenError> {
        let body = serde_json::to_vec(&serde_json::json!({ "code": code }))
            .map_err(|e| ServiceCause::Internal(e.to_string()))?;
        let (status, _) = self
            .call(Method::POST, CONFIRM_PATH, room_id, person_id, body)
            .await?;
        match status {
            StatusCode::NO_CONTENT | StatusCode::OK => Ok(ConfirmOutcome::Confirmed),
            StatusCode::NOT_FOUND => Ok(ConfirmOutcome::NoSuchPending),
            other => Err(status_cause(other).into()),
        }
    }

    /// Whose `alexa_access_token` (one the backend issued to the Alexa skill) is. A verified
    /// 404 (unknown, expired, revoked, or the person signed out) is [`TokenError::NotSignedIn`].
    /// Needs signing v2: v1 covers neither the request body nor the response body, so the
    /// answer could be swapped on the way; with v1 nothing is sent.
    pub async fn alexa_person(&self, alexa_access_token: &str) -> Result<AlexaPerson, TokenError> {
        if self.version == Version::V1 {
            return Err(ServiceCause::Internal(
                "the Alexa lookup needs SLBOT_SIGNING_VERSION=v2 (v1 does not sign bodies)"
                    .to_string(),
            )
            .into());
        }
        let body = serde_json::to_vec(&serde_json::json!({ "access_token": alexa_access_token }))
            .map_err(|e| ServiceCause::Internal(e.to_string()))?;
        let (status, body) = self
            .call_with_query(Method::POST, ALEXA_PERSON_PATH, String::new(), body)
            .await?;
        match status {
            StatusCode::OK => {
                let parsed: AlexaPersonBody = serde_json::from_slice(&body).map_err(|_| {
                    ServiceCause::MalformedBody("not the Alexa person JSON".to_string())
                })?;
                Ok(AlexaPerson {
                    person_id: parsed.person_id,
                    room_id: parsed.room_id,
                })
            }
            StatusCode::NOT_FOUND => Err(TokenError::NotSignedIn),
            other => Err(status_cause(other).into()),
        }
    }

    /// A call about one person: `roomId` and `personId` in the query.
    async fn call(
        &self,
        method: Method,
        path: &str,
        room_id: &str,
        person_id: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Vec<u8>), TokenError> {
        let query = format!(
            "roomId={}&personId={}",
            v2::encode(room_id.as_bytes()),
            v2::encode(person_id.as_bytes())
        );
        self.call_with_query(method, path, query, body).await
    }

    /// Signs, sends, reads at most [`MAX_BODY_BYTES`], and verifies the response signature
    /// before anything looks at the body. `query`: already encoded, without `?`; empty for
    /// none.
    async fn call_with_query(
        &self,
        method: Method,
        path: &str,
        query: String,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Vec<u8>), TokenError> {
        // The query is built once, and these exact bytes are both signed and sent.
        let nonce = self.nonces.nonce();
        let outgoing = OutgoingRequest {
            method: method.as_str(),
            path,
            query: &query,
            body: &body,
        };
        let headers = sign_request(
            self.version,
            &self.secret,
            &self.base_url,
            &outgoing,
            self.clock.now(),
            &nonce,
        )
        .map_err(|e| ServiceCause::Internal(e.to_string()))?;
        let url = if query.is_empty() {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}{path}?{query}", self.base_url)
        };
        let mut request = self.http.request(method, url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request.send().await.map_err(transport_cause)?;
        let status = response.status();
        let response_headers = response.headers().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_cause)? {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ServiceCause::MalformedBody(format!(
                    "the body exceeds {MAX_BODY_BYTES} bytes"
                ))
                .into());
            }
            bytes.extend_from_slice(&chunk);
        }
        let request_nonce = match self.version {
            Version::V1 => None,
            Version::V2 => Some(nonce.as_str()),
        };
        verify_response(
            self.version,
            &self.secret,
            status,
            &response_headers,
            &bytes,
            request_nonce,
            self.clock.now(),
        )
        .map_err(ServiceCause::BadResponseSignature)?;
        Ok((status, bytes))
    }
}

/// The one place a non-success status becomes a cause.
fn status_cause(status: StatusCode) -> ServiceCause {
    match status {
        StatusCode::UNAUTHORIZED => ServiceCause::RequestRejected,
        StatusCode::BAD_REQUEST => ServiceCause::BadRequest,
        StatusCode::SERVICE_UNAVAILABLE => ServiceCause::Unavailable,
        other => ServiceCause::UnexpectedStatus(other.as_u16()),
    }
}

fn transport_cause(e: reqwest::Error) -> ServiceCause {
    if e.is_timeout() {
        ServiceCause::Timeout
    } else {
        ServiceCause::Transport(e.without_url().to_string())
    }
}

/// Reads a verified 200 body. Error texts name the field, never a value.
fn parse_token(body: &[u8]) -> Result<AccessToken, TokenError> {
    let parsed: TokenBody = serde_json::from_slice(body).map_err(|e| {
        ServiceCause::MalformedBody(format!(
            "not the token JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let token = SecretString::from(parsed.access_token);
    if token.expose_secret().is_empty() {
        return Err(ServiceCause::MalformedBody("empty access_token".to_string()).into());
    }
    let expires_at = match parsed.expires_at {
        None => None,
        Some(text) => Some(
            DateTime::parse_from_rfc3339(&text)
                .map_err(|_| ServiceCause::MalformedBody("expires_at is not RFC 3339".to_string()))?
                .with_timezone(&Utc),
        ),
    };
    Ok(AccessToken { token, expires_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_body_parses_and_its_debug_hides_the_token() {
        let t = parse_token(br#"{"access_token":"tok-123","expires_at":"2026-11-28T13:00:00Z"}"#)
            .unwrap();
        assert_eq!(t.token.expose_secret(), "tok-123");
        assert_eq!(
            t.expires_at.unwrap().to_rfc3339(),
            "2026-11-28T13:00:00+00:00"
        );
        assert!(!format!("{t:?}").contains("tok-123"));
    }

    #[test]
    fn a_v1_body_without_expiry_is_fine() {
        let t = parse_token(br#"{"access_token":"tok-123"}"#).unwrap();
        assert!(t.expires_at.is_none());
    }

    #[test]
    fn garbage_is_a_service_problem_whose_text_never_echoes_the_body() {
        for body in [
            &b"<html>oops</html>"[..],
            br#"{"access_token":""}"#,
            br#"{"access_token":"tok-secret","expires_at":"tomorrow"}"#,
            br#"{"token":"tok-secret"}"#,
        ] {
            let err = parse_token(body).unwrap_err();
            assert!(
                matches!(
                    err,
                    TokenError::Service {
                        cause: ServiceCause::MalformedBody(_)
                    }
                ),
                "{err:?}"
            );
            assert!(!err.to_string().contains("tok-secret"), "{err}");
        }
    }

    #[test]
    fn statuses_other_than_the_documented_ones_are_service_problems() {
        assert_eq!(
            status_cause(StatusCode::UNAUTHORIZED),
            ServiceCause::RequestRejected
        );
        assert_eq!(
            status_cause(StatusCode::BAD_REQUEST),
            ServiceCause::BadRequest
        );
        assert_eq!(
            status_cause(StatusCode::SERVICE_UNAVAILABLE),
            ServiceCause::Unavailable
        );
        assert_eq!(
            status_cause(StatusCode::INTERNAL_SERVER_ERROR),
            ServiceCause::UnexpectedStatus(500)
        );
    }
}
