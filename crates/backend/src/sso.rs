//! The Cisco SSO client (OAuth 2.0 authorization code with PKCE, OpenID Connect userinfo).
//!
//! One client for the identity provider (cssm-api.md, "Cisco SSO"): it builds the authorize URL,
//! exchanges a code, refreshes and revokes tokens and reads userinfo. Every URL, the client id,
//! the client secret and the timeout are injected, so tests aim it at the SSO simulator.
//!
//! Errors are typed by who can act on them: [`SsoError::InvalidGrant`] means the user's login
//! is dead (sign them out), [`SsoError::InvalidClient`] and [`SsoError::ClientNotGranted`] are
//! the operator's to fix, [`SsoError::Transient`] is worth retrying later. No secret (client
//! secret, code, tokens, PKCE verifier) ever appears in an error, a log line or a `Debug`.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

/// The largest SSO answer read: token, userinfo and error bodies are a few hundred bytes, so
/// anything near this is not an identity provider's answer and must not fill memory.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The scopes the backend asks for; `offline_access` yields a refresh token.
pub const SCOPES: &str = "openid profile email offline_access";

/// Cisco's current identity provider (cssm-api.md).
pub const DEFAULT_AUTHORIZE_URL: &str = "https://id.cisco.com/oauth2/default/v1/authorize";
pub const DEFAULT_TOKEN_URL: &str = "https://id.cisco.com/oauth2/default/v1/token";
pub const DEFAULT_USERINFO_URL: &str = "https://id.cisco.com/oauth2/default/v1/userinfo";

/// How the client proves its identity at the token and revocation endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    #[default]
    Post,
    /// HTTP Basic with the client id and secret.
    Basic,
}

/// Everything the client needs; built by the caller from configuration.
#[derive(Clone)]
pub struct SsoSettings {
    pub authorize_url: Url,
    pub token_url: Url,
    pub userinfo_url: Url,
    /// `None`: derived from the token URL (see [`derive_revoke_url`]).
    pub revoke_url: Option<Url>,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The backend's `…/oauth/callback`, exactly as registered with the identity provider.
    pub redirect_uri: Url,
    pub client_auth: ClientAuth,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoSettings")
            .field("authorize_url", &self.authorize_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("userinfo_url", &self.userinfo_url.as_str())
            .field("revoke_url", &self.revoke_url.as_ref().map(Url::as_str))
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("client_auth", &self.client_auth)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The revocation endpoint beside a token endpoint: Okta-style `…/v1/token` → `…/v1/revoke`,
/// PingFederate-style `…/as/token.oauth2` → `…/as/revoke_token.oauth2`, anything else gets a
/// sibling `revoke`.
pub fn derive_revoke_url(token_url: &Url) -> Url {
    let mut url = token_url.clone();
    let path = token_url.path();
    let (dir, last) = match path.rsplit_once('/') {
        Some((dir, last)) => (dir, last),
        None => ("", path),
    };
    let new_last = match last {
        "token.oauth2" => "revoke_token.oauth2",
        _ => "revoke",
    };
    url.set_path(&format!("{dir}/{new_last}"));
    url.set_query(None);
    url
}

/// A failed SSO call, by who can act on it.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The code or refresh token is expired, used or revoked: the user must sign in again.
    #[error("Cisco SSO refused the grant (invalid_grant): the sign-in is no longer valid")]
    InvalidGrant,
    /// The identity provider does not accept this client id and secret.
    #[error(
        "Cisco SSO rejected the client credentials (invalid_client, HTTP {status}): check \
         SLBOT_SSO_CLIENT_ID and SLBOT_SSO_CLIENT_SECRET (a new API client can take about 30 \
         minutes to become active)"
    )]
    InvalidClient { status: u16 },
    /// HTTP 403: the client exists but has not been granted access.
    #[error(
        "Cisco SSO refused this API client (HTTP 403): it has not been granted access yet; ask \
         Cisco to grant the client access to the licensing APIs"
    )]
    ClientNotGranted,
    /// Another OAuth error the provider named (`invalid_request`, `access_denied`, …).
    #[error("Cisco SSO answered HTTP {status} with error `{error}`")]
    Rejected { status: u16, error: String },
    /// 5xx, 429, a timeout or a connection failure: try again later.
    #[error("Cisco SSO is unavailable right now: {0}")]
    Transient(String),
    /// A response we cannot read.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl SsoError {
    /// Worth retrying later (the login itself may still be fine).
    pub fn is_transient(&self) -> bool {
        matches!(self, SsoError::Transient(_))
    }
    /// The operator has to fix the client's registration.
    pub fn is_operator_error(&self) -> bool {
        matches!(
            self,
            SsoError::InvalidClient { .. } | SsoError::ClientNotGranted
        )
    }
}

/// A PKCE pair (RFC 7636, S256). The verifier stays on the server; the challenge goes in the URL.
pub struct Pkce {
    verifier: SecretString,
    challenge: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"[redacted]")
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl Pkce {
    /// A fresh verifier: 32 CSPRNG bytes as base64url (43 characters).
    pub fn generate() -> Self {
        Self::from_verifier(SecretString::from(random_token(32)))
    }

    /// The pair for a stored verifier.
    pub fn from_verifier(verifier: SecretString) -> Self {
        let challenge = s256_challenge(verifier.expose_secret());
        Self {
            verifier,
            challenge,
        }
    }

    pub fn verifier(&self) -> &SecretString {
        &self.verifier
    }

    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

/// `base64url(SHA-256(verifier))` without padding.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `n` CSPRNG bytes as unpadded base64url: OAuth `state` values and PKCE verifiers.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a successful code exchange or refresh returns.
pub struct TokenSet {
    pub access_token: SecretString,
    /// Absent when the provider does not rotate it on refresh: keep the old one.
    pub refresh_token: Option<SecretString>,
    /// `expires_in` as sent (seconds); `None` when the provider omitted it.
    pub expires_in: Option<u64>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Assumed lifetime when the provider does not say (Cisco answers 3599 or 3600).
pub const DEFAULT_EXPIRES_IN: u64 = 3600;

impl TokenSet {
    /// When the access token expires, given the time the response arrived.
    pub fn expires_at(&self, received_at: DateTime<Utc>) -> DateTime<Utc> {
        let secs = self.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
        let secs = i64::try_from(secs).unwrap_or(i64::MAX / 1000);
        received_at + chrono::Duration::seconds(secs.min(10 * 365 * 24 * 3600))
    }
}

/// The userinfo fields the backend reads. `email` may be absent (the page says so).
#[derive(Clone, Deserialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
}

impl fmt::Debug for UserInfo {
    // The e-mail is personal data that is never logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserInfo")
            .field("sub", &self.sub)
            .field("email", &self.email.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    token_type: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
}

/// The SSO client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SsoClient {
    http: reqwest::Client,
    settings: std::sync::Arc<SsoSettings>,
    revoke_url: Url,
    max_body_bytes: usize,
}

impl SsoClient {
    pub fn new(settings: SsoSettings) -> Result<Self, SsoError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                SsoError::Unexpected(anyhow::Error::new(e).context("building the SSO HTTP client"))
            })?;
        let revoke_url = settings
            .revoke_url
            .clone()
            .unwrap_or_else(|| derive_revoke_url(&settings.token_url));
        Ok(Self {
            http,
            settings: std::sync::Arc::new(settings),
            revoke_url,
            max_body_bytes: MAX_BODY_BYTES,
        })
    }

    /// The same client reading answers up to `max` bytes instead of [`MAX_BODY_BYTES`].
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    pub fn settings(&self) -> &SsoSettings {
        &self.settings
    }

    pub fn revoke_url(&self) -> &Url {
        &self.revoke_url
    }

    /// The URL the browser is sent to: code flow, `state`, PKCE S256 challenge, [`SCOPES`].
    pub fn authorize_url(&self, state: &str, pkce: &Pkce) -> Url {
        let mut url = self.settings.authorize_url.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", self.settings.redirect_uri.as_str())
            .append_pair("scope", SCOPES)
            .append_pair("state", state)
            .append_pair("code_challenge", pkce.challenge())
            .append_pair("code_challenge_method", "S256");
        url
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &SecretString,
    ) -> Result<TokenSet, SsoError> {
        let form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", self.settings.redirect_uri.to_string()),
            ("code_verifier", verifier.expose_secret().to_string()),
        ];
        self.token_request(form, "exchanging the authorization code")
            .await
    }

    /// Refreshes tokens (`grant_type=refresh_token`). A dead refresh token is
    /// [`SsoError::InvalidGrant`].
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, SsoError> {
        // No `scope`: the refreshed grant keeps the scopes of the original one.
        let form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", refresh_token.expose_secret().to_string()),
        ];
        self.token_request(form, "refreshing a token").await
    }

    /// Reads the user's `sub` and `email` with an access token.
    pub async fn userinfo(&self, access_token: &SecretString) -> Result<UserInfo, SsoError> {
        let response = self
            .http
            .get(self.settings.userinfo_url.clone())
            .bearer_auth(access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport_error)?;
        let body = read_success(response, self.max_body_bytes, "reading userinfo").await?;
        serde_json::from_slice::<UserInfo>(&body).map_err(|e| {
            SsoError::Unexpected(anyhow::Error::new(e).context("reading the SSO userinfo response"))
        })
    }

    /// Revokes a token (RFC 7009). `hint` is `"refresh_token"` or `"access_token"`. Revoking an
    /// unknown token succeeds (the RFC says so), so this is safe to repeat.
    pub async fn revoke(&self, token: &SecretString, hint: &str) -> Result<(), SsoError> {
        let form = vec![
            ("token", token.expose_secret().to_string()),
            ("token_type_hint", hint.to_string()),
        ];
        let response = self
            .authenticated(self.http.post(self.revoke_url.clone()), form)
            .send()
            .await
            .map_err(transport_error)?;
        read_success(response, self.max_body_bytes, "revoking a token")
            .await
            .map(|_| ())
    }

    fn authenticated(
        &self,
        request: reqwest::RequestBuilder,
        mut form: Vec<(&'static str, String)>,
    ) -> reqwest::RequestBuilder {
        let request = match self.settings.client_auth {
            ClientAuth::Post => {
                form.push(("client_id", self.settings.client_id.clone()));
                form.push((
                    "client_secret",
                    self.settings.client_secret.expose_secret().to_string(),
                ));
                request
            }
            ClientAuth::Basic => request.basic_auth(
                &self.settings.client_id,
                Some(self.settings.client_secret.expose_secret()),
            ),
        };
        request
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
    }

    async fn token_request(
        &self,
        form: Vec<(&'static str, String)>,
        what: &'static str,
    ) -> Result<TokenSet, SsoError> {
        let response = self
            .authenticated(self.http.post(self.settings.token_url.clone()), form)
            .send()
            .await
            .map_err(transport_error)?;
        let body = read_success(response, self.max_body_bytes, what).await?;
        let body: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            SsoError::Unexpected(
                anyhow::Error::new(e).context(format!("{what}: unreadable token response")),
            )
        })?;
        if let Some(kind) = body.token_type.as_deref() {
            if !kind.eq_ignore_ascii_case("bearer") {
                return Err(SsoError::Unexpected(anyhow::anyhow!(
                    "{what}: token_type `{kind}` is not Bearer"
                )));
            }
        }
        if body.access_token.is_empty() {
            return Err(SsoError::Unexpected(anyhow::anyhow!(
                "{what}: empty access_token"
            )));
        }
        Ok(TokenSet {
            access_token: SecretString::from(body.access_token),
            refresh_token: body
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(SecretString::from),
            expires_in: body.expires_in,
        })
    }
}

/// A request that never got an answer: always transient. The URL in reqwest's message carries
/// no secret (tokens travel in bodies and headers only).
fn transport_error(e: reqwest::Error) -> SsoError {
    SsoError::Transient(e.without_url().to_string())
}

/// Reads a success answer's body (at most `max` bytes); maps any other answer to the typed
/// error.
async fn read_success(
    response: reqwest::Response,
    max: usize,
    what: &str,
) -> Result<bytes::Bytes, SsoError> {
    let status = response.status();
    let body = read_capped(response, max, what).await;
    if status.is_success() {
        return body;
    }
    // The body may echo nothing secret (OAuth error bodies are codes and prose), but it is
    // only parsed for its `error` code, never logged whole.
    let error = body
        .ok()
        .and_then(|b| serde_json::from_slice::<OAuthErrorBody>(&b).ok())
        .map(|b| b.error);
    Err(classify(status.as_u16(), error))
}

/// Reads a body up to `max` bytes: a larger one fails cleanly instead of filling memory.
async fn read_capped(
    response: reqwest::Response,
    max: usize,
    what: &str,
) -> Result<bytes::Bytes, SsoError> {
    let body = http::Response::<reqwest::Body>::from(response).into_body();
    match http_body_util::BodyExt::collect(http_body_util::Limited::new(body, max)).await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(SsoError::Unexpected(
            anyhow::anyhow!("{what}: the SSO answer is larger than {max} bytes"),
        )),
        Err(e) => Err(match e.downcast::<reqwest::Error>() {
            Ok(e) => transport_error(*e),
            Err(other) => SsoError::Transient(other.to_string()),
        }),
    }
}

/// The one place an SSO answer becomes an [`SsoError`].
fn classify(status: u16, error: Option<String>) -> SsoError {
    match (status, error.as_deref()) {
        (_, Some("invalid_grant")) => SsoError::InvalidGrant,
        // Before `invalid_client`: an API client not yet granted access answers 403 with it.
        (403, _) => SsoError::ClientNotGranted,
        (_, Some("invalid_client")) | (401, None) => SsoError::InvalidClient { status },
        (429, _) | (500..=599, _) => SsoError::Transient(format!("HTTP {status}")),
        (_, Some(other)) => SsoError::Rejected {
            status,
            error: other.chars().take(64).collect(),
        },
        (_, None) => SsoError::Rejected {
            status,
            error: "(no error code)".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_the_unpadded_base64url_sha256_of_the_verifier() {
        // Computed independently: printf %s VERIFIER | openssl dgst -sha256 -binary | base64
        // with `+/` mapped to `-_` and `=` removed.
        assert_eq!(
            s256_challenge("dBjftJeZ4CK1-gz6P-eQQ8SlzEuJ6o6NoxtmTUwuIXs"),
            "8Qt8E2dFdlq3jBe4pg1Ht7Uu-aA2lefsvfX-2VRZX7g"
        );
    }

    #[test]
    fn a_fresh_verifier_has_the_length_rfc_7636_requires() {
        let p = Pkce::generate();
        let n = p.verifier().expose_secret().len();
        assert!((43..=128).contains(&n), "{n}");
        assert_ne!(
            Pkce::generate().verifier().expose_secret(),
            p.verifier().expose_secret()
        );
    }

    #[test]
    fn the_revoke_url_sits_beside_the_token_url() {
        let okta = Url::parse("https://id.cisco.com/oauth2/default/v1/token").unwrap();
        assert_eq!(
            derive_revoke_url(&okta).as_str(),
            "https://id.cisco.com/oauth2/default/v1/revoke"
        );
        let ping = Url::parse("https://cloudsso.cisco.com/as/token.oauth2").unwrap();
        assert_eq!(
            derive_revoke_url(&ping).as_str(),
            "https://cloudsso.cisco.com/as/revoke_token.oauth2"
        );
        let sim = Url::parse("http://127.0.0.1:9/sso/token").unwrap();
        assert_eq!(
            derive_revoke_url(&sim).as_str(),
            "http://127.0.0.1:9/sso/revoke"
        );
    }

    #[test]
    fn error_answers_are_sorted_by_who_can_act_on_them() {
        assert!(matches!(
            classify(400, Some("invalid_grant".into())),
            SsoError::InvalidGrant
        ));
        assert!(classify(401, Some("invalid_client".into())).is_operator_error());
        assert!(classify(401, None).is_operator_error());
        assert!(classify(403, None).is_operator_error());
        assert!(matches!(
            classify(403, Some("invalid_client".into())),
            SsoError::ClientNotGranted
        ));
        assert!(classify(503, None).is_transient());
        assert!(classify(429, None).is_transient());
        assert!(matches!(
            classify(400, Some("invalid_request".into())),
            SsoError::Rejected { status: 400, .. }
        ));
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let t = TokenSet {
            access_token: SecretString::from("at-secret".to_string()),
            refresh_token: Some(SecretString::from("rt-secret".to_string())),
            expires_in: Some(60),
        };
        let s = format!("{t:?}");
        assert!(!s.contains("at-secret") && !s.contains("rt-secret"), "{s}");
        let u = UserInfo {
            sub: "s".into(),
            email: Some("ana@example.com".into()),
        };
        assert!(!format!("{u:?}").contains("ana@"));
    }
}
