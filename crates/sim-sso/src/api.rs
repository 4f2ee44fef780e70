//! The machine-facing endpoints: token, userinfo, revocation, introspection and stats.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::state::{random_value, sub_for_email, Endpoint, Grant, SsoState};

/// An OAuth error answer (`{"error": "…", "error_description": "…"}`).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = if error == "invalid_token" {
            "Bearer error=\"invalid_token\""
        } else {
            "Basic realm=\"sim-sso\""
        };
        if let Ok(v) = challenge.parse() {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    response
}

fn injected_outage() -> Response {
    oauth_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "injected fault (fail_every)",
    )
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// `client_secret_basic` or `client_secret_post`.
fn authenticate_client(
    state: &SsoState,
    headers: &HeaderMap,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<(), InvalidClient> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(i, p)| (i.to_string(), p.to_string()))
        });
    let (id, secret) = match basic {
        Some((id, secret)) => (id, Some(secret)),
        None => (
            form_id.unwrap_or_default().to_string(),
            form_secret.map(str::to_string),
        ),
    };
    let config = state.config();
    let id_ok = ct_eq(&id, &config.client_id);
    let secret_ok = match (&config.client_secret, secret) {
        (None, _) => true,
        (Some(expected), Some(given)) => ct_eq(&given, expected),
        (Some(_), None) => false,
    };
    if id_ok && secret_ok {
        Ok(())
    } else {
        Err(InvalidClient)
    }
}

/// The client failed to authenticate.
struct InvalidClient;

impl IntoResponse for InvalidClient {
    fn into_response(self) -> Response {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        )
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn secs(d: chrono::Duration) -> i64 {
    d.num_seconds().max(0)
}

/// Issues an access token (and a refresh token when `offline_access` was granted).
fn issue(state: &SsoState, now: DateTime<Utc>, template: Grant) -> Response {
    let config = state.config();
    let access = random_value("sim-at-");
    let access_grant = Grant {
        expires_at: now + config.access_ttl,
        ..template.clone()
    };
    let refresh = template
        .has_scope("offline_access")
        .then(|| random_value("sim-rt-"));
    {
        let mut inner = state.lock();
        inner.revision += 1;
        inner.access.insert(access.clone(), access_grant);
        if let Some(r) = &refresh {
            inner.refresh.insert(
                r.clone(),
                Grant {
                    expires_at: now + config.refresh_ttl,
                    ..template.clone()
                },
            );
        }
    }
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": secs(config.access_ttl),
        "access_token": access,
        "scope": template.scope,
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

fn invalid_grant(why: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why)
}

/// `POST /token`: `authorization_code` and `refresh_token` grants.
pub(crate) async fn token(
    State(state): State<SsoState>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    state.count(Endpoint::Token);
    if state.take_server_fault() {
        return injected_outage();
    }
    if let Err(e) = authenticate_client(
        &state,
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    ) {
        return e.into_response();
    }
    if !state.config().api_access_granted {
        // What a Cisco API client answers until it is granted the licensing APIs.
        return oauth_error(
            StatusCode::FORBIDDEN,
            "invalid_client",
            "Invalid Client (not granted API access)",
        );
    }
    let now = state.clock().now();
    state.prune(now);
    match form.grant_type.as_deref() {
        Some("authorization_code") => exchange_code(&state, now, &form),
        Some("refresh_token") => refresh(&state, now, &form),
        Some(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code and refresh_token are supported",
        ),
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is required",
        ),
    }
}

fn exchange_code(state: &SsoState, now: DateTime<Utc>, form: &TokenForm) -> Response {
    let (Some(code), Some(verifier)) = (form.code.as_deref(), form.code_verifier.as_deref()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code and code_verifier are required",
        );
    };
    // A code is single use: it is gone whether this exchange succeeds or not.
    let Some(grant) = state.lock().codes.remove(code) else {
        return invalid_grant("unknown or already used code");
    };
    if grant.expires_at <= now {
        return invalid_grant("the code expired");
    }
    if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
        return invalid_grant("redirect_uri does not match the authorization request");
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if !(43..=128).contains(&verifier.len()) || !ct_eq(&challenge, &grant.code_challenge) {
        return invalid_grant("PKCE verification failed");
    }
    state.lock().stats.codes_exchanged += 1;
    issue(
        state,
        now,
        Grant {
            client_id: grant.client_id,
            scope: grant.scope,
            sub: sub_for_email(&grant.email),
            email: grant.email,
            expires_at: now,
            family: random_value("fam-"),
        },
    )
}

fn refresh(state: &SsoState, now: DateTime<Utc>, form: &TokenForm) -> Response {
    let Some(token) = form.refresh_token.as_deref() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is required",
        );
    };
    let injected = state.take_invalid_grant_fault();
    // Rotation: the presented refresh token is consumed whatever happens next.
    let removed = {
        let mut inner = state.lock();
        let removed = inner.refresh.remove(token);
        inner.revision += u64::from(removed.is_some());
        removed
    };
    let Some(grant) = removed else {
        return invalid_grant("unknown, used or revoked refresh token");
    };
    if injected {
        return invalid_grant("injected fault (invalid_grant_every)");
    }
    if grant.expires_at <= now {
        return invalid_grant("the refresh token expired");
    }
    if grant.client_id != state.config().client_id {
        return invalid_grant("the refresh token belongs to another client");
    }
    state.lock().stats.refreshes += 1;
    issue(state, now, grant)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// `GET /userinfo`: `sub`, and `email` when the `email` scope was granted.
pub(crate) async fn userinfo(State(state): State<SsoState>, headers: HeaderMap) -> Response {
    state.count(Endpoint::Userinfo);
    if state.take_server_fault() {
        return injected_outage();
    }
    let now = state.clock().now();
    let grant = bearer(&headers).and_then(|t| state.lock().access.get(t).cloned());
    match grant {
        Some(g) if g.expires_at > now => {
            let mut body = json!({"sub": g.sub});
            if g.has_scope("email") {
                body["email"] = json!(g.email);
                body["email_verified"] = json!(true);
            }
            Json(body).into_response()
        }
        _ => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token is missing, unknown or expired",
        ),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenParam {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// `POST /revoke` (RFC 7009): always 200 for an authenticated client, known token or not.
/// Revoking a refresh token also ends the access tokens of the same sign-in.
pub(crate) async fn revoke(
    State(state): State<SsoState>,
    headers: HeaderMap,
    Form(form): Form<TokenParam>,
) -> Response {
    state.count(Endpoint::Revoke);
    if let Err(e) = authenticate_client(
        &state,
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    ) {
        return e.into_response();
    }
    let Some(token) = form.token else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is required",
        );
    };
    let mut inner = state.lock();
    inner.revision += 1;
    if let Some(grant) = inner.refresh.remove(&token) {
        inner.access.retain(|_, g| g.family != grant.family);
    } else {
        inner.access.remove(&token);
    }
    StatusCode::OK.into_response()
}

/// `POST /introspect` (RFC 7662). Open to any caller in the simulator (the CSSM simulator uses
/// it to learn whose token it was given).
pub(crate) async fn introspect(
    State(state): State<SsoState>,
    Form(form): Form<TokenParam>,
) -> Response {
    state.count(Endpoint::Introspect);
    let now = state.clock().now();
    let token = form.token.unwrap_or_default();
    let found = {
        let inner = state.lock();
        inner
            .access
            .get(&token)
            .map(|g| (g.clone(), "access_token"))
            .or_else(|| {
                inner
                    .refresh
                    .get(&token)
                    .map(|g| (g.clone(), "refresh_token"))
            })
    };
    match found {
        Some((g, kind)) if g.expires_at > now => Json(json!({
            "active": true,
            "sub": g.sub,
            "email": g.email,
            "exp": g.expires_at.timestamp(),
            "client_id": g.client_id,
            "scope": g.scope,
            "token_type": kind,
        }))
        .into_response(),
        _ => Json(json!({"active": false})).into_response(),
    }
}

/// `GET /_sim/stats`.
pub(crate) async fn stats(State(state): State<SsoState>) -> Response {
    Json(state.stats()).into_response()
}
