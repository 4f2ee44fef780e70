//! The Webex REST API under `/v1`: authentication, request parsing, pagination, and the routes.
//! One file per resource; every handler is parse → [`SimState`] operation → render.

mod actions;
mod contents;
mod memberships;
mod messages;
mod people;
mod rooms;
mod webhooks;

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, TRACKING_HEADER};
use crate::ids;
use crate::state::SimState;

/// The cookie the web chat's session uses to download files (`POST /_sim/sessions`).
pub const SESSION_COOKIE: &str = "sim_webex_token";

/// The `/v1` routes.
pub(crate) fn routes(state: SimState) -> Router<SimState> {
    Router::new()
        .route("/v1/people/me", get(people::me))
        .route("/v1/people", get(people::list))
        .route("/v1/people/{id}", get(people::get_one))
        .route("/v1/rooms", get(rooms::list).post(rooms::create))
        .route("/v1/rooms/{id}", get(rooms::get_one))
        .route(
            "/v1/memberships",
            get(memberships::list).post(memberships::create),
        )
        .route("/v1/messages", get(messages::list).post(messages::create))
        .route(
            "/v1/messages/{id}",
            get(messages::get_one)
                .put(messages::edit)
                .delete(messages::delete),
        )
        .route("/v1/contents/{id}", get(contents::download))
        .route("/v1/webhooks", get(webhooks::list).post(webhooks::create))
        .route(
            "/v1/webhooks/{id}",
            get(webhooks::get_one)
                .put(webhooks::update)
                .delete(webhooks::delete),
        )
        .route(
            "/v1/attachment/actions",
            axum::routing::post(actions::create),
        )
        .route("/v1/attachment/actions/{id}", get(actions::get_one))
        .route_layer(middleware::from_fn_with_state(state, count_and_inject))
}

/// Counts the request per method and route, injects configured faults, and puts a tracking id
/// on every response.
async fn count_and_inject(
    State(state): State<SimState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let template = matched.as_ref().map_or("", |m| m.as_str());
    // When nested (the demo mounts the router under /webex), the template carries the prefix.
    let template = template.find("/v1/").map_or(template, |i| &template[i..]);
    let route = format!("{} {template}", req.method());
    let (delay, fault) = state.count_request(route, req.uri().path());
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = match fault {
        Some(fault) => fault.into_response(),
        None => next.run(req).await,
    };
    if !response.headers().contains_key(TRACKING_HEADER) {
        if let Ok(v) = HeaderValue::from_str(&ids::tracking_id()) {
            response.headers_mut().insert(TRACKING_HEADER, v);
        }
    }
    response
}

/// The person a request acts as (from `Authorization: Bearer <token>`).
pub(crate) struct Caller(pub String);

impl FromRequestParts<SimState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SimState) -> Result<Self, ApiError> {
        bearer(parts)
            .and_then(|t| state.authenticate(t))
            .map(Caller)
            .ok_or(ApiError::Unauthorized)
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The caller of a file download: a bearer token, or the web chat's session cookie.
pub(crate) struct Downloader(pub String);

impl FromRequestParts<SimState> for Downloader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SimState) -> Result<Self, ApiError> {
        if let Some(id) = bearer(parts).and_then(|t| state.authenticate(t)) {
            return Ok(Downloader(id));
        }
        slbot_http::cookie_values(&parts.headers, SESSION_COOKIE)
            .find_map(|token| state.authenticate(token))
            .map(Downloader)
            .ok_or(ApiError::Unauthorized)
    }
}

/// A JSON body whose parse errors are Webex-shaped 400s.
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<SimState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &SimState) -> Result<Self, ApiError> {
        // Only `application/json`, as Webex: a web page on another origin can send a "simple"
        // text/plain POST without asking, but never a JSON one without a CORS preflight, which
        // this server does not grant; so no page can act as a demo person.
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::bad(
                "The request body must be JSON (Content-Type: application/json).",
            ));
        }
        let bytes = bytes::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge {
                    limit: state.config().max_file_bytes,
                }
            } else {
                ApiError::bad(format!("Cannot read the request body: {e}"))
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad(format!("The request body is not valid: {e}")))
    }
}

/// The query string as a map (never fails; later duplicates win).
pub(crate) struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or_default();
        Ok(QueryMap(
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect(),
        ))
    }
}

impl QueryMap {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

/// A Webex list: `{"items": [...]}` with `max` and a `Link: <…>; rel="next"` header.
///
/// The next link carries only `cursor` and `max`, like Webex's links that drop query
/// parameters: a client must repeat its original filters. The cursor remembers a fingerprint of
/// the filters it was issued for, and a request whose filters differ is refused (400) instead of
/// silently paging through a different list.
pub(crate) fn paginate(
    state: &SimState,
    q: &QueryMap,
    path: &str,
    filters: &[&str],
    default_max: usize,
    items: Vec<Value>,
) -> Result<Response, ApiError> {
    let max = match q.get("max") {
        None => default_max,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(ApiError::bad("max must be an integer from 1 to 1000.")),
        },
    };
    let fingerprint = {
        let mut h = Sha256::new();
        for f in filters {
            h.update(f.as_bytes());
            h.update(b"=");
            h.update(q.get(f).unwrap_or_default().as_bytes());
            h.update(b"&");
        }
        hex::encode(&h.finalize()[..8])
    };
    let offset = match q.get("cursor") {
        None => 0,
        Some(c) => {
            let decoded = URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| ApiError::bad("The cursor is not valid."))?;
            let (offset, fp) = decoded
                .split_once(':')
                .ok_or_else(|| ApiError::bad("The cursor is not valid."))?;
            if fp != fingerprint {
                return Err(ApiError::bad(
                    "The cursor belongs to a query with other parameters; repeat the original query parameters with the cursor.",
                ));
            }
            offset
                .parse::<usize>()
                .map_err(|_| ApiError::bad("The cursor is not valid."))?
        }
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(max).collect();
    let mut response = axum::Json(json!({ "items": page })).into_response();
    if offset + max < total {
        let cursor = URL_SAFE_NO_PAD.encode(format!("{}:{fingerprint}", offset + max));
        let link = format!(
            "<{}{path}?cursor={cursor}&max={max}>; rel=\"next\"",
            state.public_base()
        );
        let value = HeaderValue::from_str(&link).map_err(|e| ApiError::Unexpected(e.into()))?;
        response.headers_mut().insert(header::LINK, value);
    }
    Ok(response)
}

/// A required string field of a query.
pub(crate) fn required<'a>(q: &'a QueryMap, key: &str) -> Result<&'a str, ApiError> {
    q.get(key)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad(format!("The query parameter {key} is required.")))
}
