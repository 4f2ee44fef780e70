//! `POST /alexa/token`: the token endpoint (RFC 6749 §3.2, §4.1.3, §6; RFC 7636 §4.6).
//!
//! Client authentication by HTTP Basic or by `client_id`/`client_secret` in the body (Alexa's
//! `accessTokenScheme` HTTP_BASIC or REQUEST_BODY_CREDENTIALS), the secret compared in
//! constant time. Only the store is asked (Alexa waits 4.5 s at most): no SSO call here.
//! [`OAuthError`] is the one place a refusal becomes a §5.2 JSON answer.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::Duration;
use secrecy::ExposeSecret;
use slbot_signing::scheme::constant_time_eq;

use super::{fresh_secret, is_pkce_text, AlexaLink, REFRESH_DAYS};
use crate::state::AppState;
use crate::store::alexa_grants::{grant_hash, CodeGrant, IssuedTokens, Redeemed};

/// A refusal (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OAuthError {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    /// The store failed: try again later.
    Unavailable,
}

impl OAuthError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            OAuthError::InvalidRequest => (StatusCode::BAD_REQUEST, "invalid_request"),
            OAuthError::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
            OAuthError::InvalidGrant => (StatusCode::BAD_REQUEST, "invalid_grant"),
            OAuthError::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            OAuthError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        };
        let mut response = json(status, serde_json::json!({ "error": code }));
        if self == OAuthError::InvalidClient {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"slbot-alexa\""),
            );
        }
        response
    }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

pub async fn exchange(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(alexa) = state.deps.alexa.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match answer(&state, alexa, &headers, &body).await {
        Ok(response) => response,
        Err(e) => {
            tracing::info!(error = ?e, "Alexa token request refused");
            e.into_response()
        }
    }
}

/// The form's parameters; a repeated one is refused (§3.2: "MUST NOT be included more than
/// once").
fn form(body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if out.iter().any(|(n, _)| *n == name) {
            return Err(OAuthError::InvalidRequest);
        }
        out.push((name.into_owned(), value.into_owned()));
    }
    Ok(out)
}

fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The client's id and secret from `Authorization: Basic` (each form-urlencoded, §2.3.1).
fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| OAuthError::InvalidClient)?;
    let Some(encoded) = text
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, rest)| rest.trim())
    else {
        return Err(OAuthError::InvalidClient);
    };
    let decoded = STANDARD
        .decode(encoded)
        .map_err(|_| OAuthError::InvalidClient)?;
    let decoded = String::from_utf8(decoded).map_err(|_| OAuthError::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(OAuthError::InvalidClient)?;
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

fn authenticate(
    alexa: &AlexaLink,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<(), OAuthError> {
    let (id, secret) = match (basic(headers)?, param(form, "client_secret")) {
        // Two methods at once (§2.3: MUST NOT).
        (Some(_), Some(_)) => return Err(OAuthError::InvalidRequest),
        (Some((id, secret)), None) => {
            if param(form, "client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::InvalidClient);
            }
            (id, secret)
        }
        (None, Some(secret)) => (
            param(form, "client_id")
                .ok_or(OAuthError::InvalidClient)?
                .to_string(),
            secret.to_string(),
        ),
        (None, None) => return Err(OAuthError::InvalidClient),
    };
    let id_ok = constant_time_eq(id.as_bytes(), alexa.settings.client_id.as_bytes());
    let secret_ok = constant_time_eq(
        secret.as_bytes(),
        alexa.settings.client_secret.expose_secret().as_bytes(),
    );
    if id_ok && secret_ok {
        Ok(())
    } else {
        Err(OAuthError::InvalidClient)
    }
}

async fn answer(
    state: &AppState,
    alexa: &AlexaLink,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("");
        if !ct
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
        {
            return Err(OAuthError::InvalidRequest);
        }
    }
    let form = form(body)?;
    authenticate(alexa, headers, &form)?;
    let now = state.deps.clock.now();
    let access = fresh_secret();
    let refresh = fresh_secret();
    let ttl = Duration::seconds(i64::try_from(alexa.settings.token_ttl.as_secs()).unwrap_or(3600));
    let issue = IssuedTokens {
        access_hash: grant_hash(&access),
        access_expires_at: now + ttl,
        refresh_hash: grant_hash(&refresh),
        refresh_expires_at: now + Duration::days(REFRESH_DAYS),
    };
    let redeemed = match param(&form, "grant_type") {
        None => return Err(OAuthError::InvalidRequest),
        Some("authorization_code") => {
            let code = param(&form, "code").ok_or(OAuthError::InvalidRequest)?;
            let redirect_uri = param(&form, "redirect_uri")
                .ok_or(OAuthError::InvalidRequest)?
                .to_string();
            let verifier = param(&form, "code_verifier").map(str::to_string);
            let check = Box::new(move |grant: &CodeGrant| {
                code_matches(grant, &redirect_uri, verifier.as_deref())
            });
            alexa
                .grants
                .redeem_code(&grant_hash(code), now, check, issue)
                .await
        }
        Some("refresh_token") => {
            let token = param(&form, "refresh_token").ok_or(OAuthError::InvalidRequest)?;
            alexa
                .grants
                .rotate_refresh(&grant_hash(token), now, issue)
                .await
        }
        Some(_) => return Err(OAuthError::UnsupportedGrantType),
    }
    .map_err(|e| {
        tracing::error!(error = %e, "the Alexa grant store failed");
        OAuthError::Unavailable
    })?;
    match redeemed {
        Redeemed::Issued { person_id, .. } => {
            tracing::info!(person_id = %person_id, "Alexa tokens issued");
            Ok(json(
                StatusCode::OK,
                serde_json::json!({
                    "access_token": access,
                    "token_type": "Bearer",
                    "expires_in": alexa.settings.token_ttl.as_secs(),
                    "refresh_token": refresh,
                }),
            ))
        }
        Redeemed::Reused => {
            tracing::warn!("an Alexa code or refresh token was used twice: its link is revoked");
            Err(OAuthError::InvalidGrant)
        }
        Redeemed::Refused | Redeemed::Expired | Redeemed::Unknown => Err(OAuthError::InvalidGrant),
    }
}

/// The code's `redirect_uri` is the one sent, and the verifier fits its challenge (S256).
fn code_matches(grant: &CodeGrant, redirect_uri: &str, verifier: Option<&str>) -> bool {
    if grant.redirect_uri.as_deref() != Some(redirect_uri) {
        return false;
    }
    match (&grant.code_challenge, verifier) {
        // Every code is issued with a challenge; one without cannot be redeemed.
        (None, _) => false,
        (Some(_), None) => false,
        (Some(challenge), Some(verifier)) => {
            let computed = crate::sso::s256_challenge(verifier);
            is_pkce_text(verifier, 43, 128)
                && constant_time_eq(computed.as_bytes(), challenge.as_bytes())
        }
    }
}
