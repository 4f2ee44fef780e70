//! The signed token API the bot calls (signing.md):
//! `GET|DELETE /api/userinfo/access-token` and `POST /api/userinfo/confirm`.
//!
//! Every request goes through the same steps, in the documented order: signature (401, or
//! 503 when the replay store cannot answer), parameters (400), then the operation (404 /
//! 503 / success). Every response, whatever its status, is signed; error bodies are empty.
//! [`Reply`] is the one place outcomes become statuses.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::SecondsFormat;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use slbot_base::Clock;
use slbot_signing::scheme::{decode_query, is_valid_id};
use slbot_signing::{
    request_nonce, IncomingRequest, Verifier, Version, ACCESS_TOKEN_PATH, ALEXA_PERSON_PATH,
    CONFIRM_PATH,
};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::refresh::{usable_token, Refresher, Usable};
use crate::store::alexa_grants::{grant_hash, AlexaOwner};
use crate::store::TokenStore;

/// Requests to this API are tiny; a bigger body is refused (413, signed) unread.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// What the token API needs, injected.
pub struct TokenApiDeps {
    pub store: Arc<dyn TokenStore>,
    pub refresher: Arc<dyn Refresher>,
    /// Version, shared secret, `SLBOT_BACKEND_PUBLIC_URL` and the replay-nonce store.
    pub verifier: Verifier,
    pub clock: Arc<dyn Clock>,
}

/// The routes of the token API, ready to merge into the backend's router, and `/metrics`
/// (its answers by operation and status, and whether the token store answers).
pub fn router(deps: TokenApiDeps) -> Router {
    let state = Arc::new(ApiState {
        deps,
        answers: Family::default(),
    });
    Router::new()
        .route(
            ACCESS_TOKEN_PATH,
            get(get_token).delete(delete_token).fallback(wrong_method),
        )
        .route(CONFIRM_PATH, post(confirm).fallback(wrong_method))
        .route(ALEXA_PERSON_PATH, post(alexa_person).fallback(wrong_method))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// The API's dependencies and its answer counters.
struct ApiState {
    deps: TokenApiDeps,
    /// (operation, HTTP status) → answers.
    answers: Family<Vec<(&'static str, String)>, Counter>,
}

impl ApiState {
    async fn answer(&self, op: Option<Operation>, request: Request) -> Response {
        let response = handle(&self.deps, op, request).await;
        let operation = match op {
            Some(Operation::Get) => "get",
            Some(Operation::Delete) => "delete",
            Some(Operation::Confirm) => "confirm",
            Some(Operation::AlexaPerson) => "alexa_person",
            None => "other",
        };
        self.answers
            .get_or_create(&vec![
                ("operation", operation.to_string()),
                ("status", response.status().as_u16().to_string()),
            ])
            .inc();
        response
    }
}

type Api = State<Arc<ApiState>>;

async fn get_token(State(api): Api, request: Request) -> Response {
    api.answer(Some(Operation::Get), request).await
}

async fn delete_token(State(api): Api, request: Request) -> Response {
    api.answer(Some(Operation::Delete), request).await
}

async fn confirm(State(api): Api, request: Request) -> Response {
    api.answer(Some(Operation::Confirm), request).await
}

async fn alexa_person(State(api): Api, request: Request) -> Response {
    api.answer(Some(Operation::AlexaPerson), request).await
}

/// Other methods on the API paths: a signed, empty 405 (every answer is signed).
async fn wrong_method(State(api): Api, request: Request) -> Response {
    api.answer(None, request).await
}

/// The Prometheus scrape (OpenMetrics text): ids, tokens and e-mails never appear in it.
async fn metrics(State(api): Api) -> Response {
    let mut registry = Registry::with_prefix("slbot_backend");
    registry.register(
        "token_api_answers",
        "Token API answers by operation and HTTP status",
        api.answers.clone(),
    );
    let up = Gauge::<i64>::default();
    up.set(i64::from(api.deps.store.ping().await.is_ok()));
    registry.register(
        "store_up",
        "1 when the token store answered this scrape",
        up,
    );
    let mut text = String::new();
    if encode(&mut text, &registry).is_err() {
        tracing::error!("cannot encode the metrics");
    }
    axum::response::IntoResponse::into_response((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}

#[derive(Debug, Clone, Copy)]
enum Operation {
    Get,
    Delete,
    Confirm,
    /// `POST /api/alexa/person`: whose an Alexa access token is.
    AlexaPerson,
}

/// Every outcome of the API.
enum Reply {
    Token(Usable),
    Person(AlexaOwner),
    WrongMethod,
    TooLarge,
    NoContent,
    BadRequest,
    Refused(StatusCode),
    NotFound,
    Unavailable,
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    expires_at: String,
}

#[derive(Serialize)]
struct PersonBody<'a> {
    person_id: &'a str,
    room_id: &'a str,
}

#[derive(Deserialize)]
struct AlexaPersonBody {
    access_token: String,
}

#[derive(Deserialize)]
struct ConfirmBody {
    code: String,
}

/// The validated query parameters.
#[derive(Debug, PartialEq, Eq)]
struct Ids {
    room_id: String,
    person_id: String,
}

/// `roomId` and `personId`, each present exactly once and well formed.
fn ids(raw_query: Option<&str>) -> Option<Ids> {
    let mut room = Vec::new();
    let mut person = Vec::new();
    for (name, value) in decode_query(raw_query.unwrap_or("")) {
        match name.as_slice() {
            b"roomId" => room.push(value),
            b"personId" => person.push(value),
            _ => {}
        }
    }
    let one = |values: Vec<Vec<u8>>| -> Option<String> {
        let [value] = <[Vec<u8>; 1]>::try_from(values).ok()?;
        String::from_utf8(value).ok().filter(|v| is_valid_id(v))
    };
    Some(Ids {
        room_id: one(room)?,
        person_id: one(person)?,
    })
}

async fn handle(api: &TokenApiDeps, op: Option<Operation>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // The path as the client sent it, even if this router is nested under a prefix.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let nonce = request_nonce(&parts.headers);
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return respond(api, Reply::TooLarge, nonce.as_deref());
    };
    let Some(op) = op else {
        return respond(api, Reply::WrongMethod, nonce.as_deref());
    };
    let incoming = IncomingRequest {
        method: parts.method.as_str(),
        path: uri.path(),
        raw_query: uri.query(),
        headers: &parts.headers,
        body: &body,
    };
    // v1 signs neither the request body (the Alexa token) nor the response body (whose it
    // is): the answer could be swapped on the way. So this operation exists only in v2, and a
    // v1 deployment is refused before anything is read (401: an operator fault, not "not
    // linked").
    if matches!(op, Operation::AlexaPerson) && api.verifier.version() == Version::V1 {
        tracing::warn!("the Alexa lookup needs SLBOT_SIGNING_VERSION=v2; refused on v1");
        return respond(
            api,
            Reply::Refused(StatusCode::UNAUTHORIZED),
            nonce.as_deref(),
        );
    }
    let reply = match api.verifier.verify(&incoming, api.clock.now()).await {
        Err(rejection) => {
            tracing::warn!(reason = %rejection, path = uri.path(), "token API request refused");
            Reply::Refused(rejection.status())
        }
        Ok(_) if matches!(op, Operation::AlexaPerson) => alexa_owner(api, &body).await,
        Ok(_) => match ids(uri.query()) {
            None => Reply::BadRequest,
            Some(ids) => operate(api, op, &ids, &body).await,
        },
    };
    respond(api, reply, nonce.as_deref())
}

/// The person behind an Alexa access token: no ids in the query, the token in the body.
async fn alexa_owner(api: &TokenApiDeps, body: &[u8]) -> Reply {
    let Ok(parsed) = serde_json::from_slice::<AlexaPersonBody>(body) else {
        return Reply::BadRequest;
    };
    if parsed.access_token.is_empty() || parsed.access_token.len() > 512 {
        return Reply::BadRequest;
    }
    // A store that keeps no grants has issued none: nobody is behind any token.
    let Some(grants) = api.store.alexa_grants() else {
        return Reply::NotFound;
    };
    match grants
        .owner_of_access(&grant_hash(&parsed.access_token), api.clock.now())
        .await
    {
        Ok(Some(owner)) => Reply::Person(owner),
        Ok(None) => Reply::NotFound,
        Err(e) => {
            tracing::error!(error = %e, "cannot look up an Alexa token");
            Reply::Unavailable
        }
    }
}

async fn operate(api: &TokenApiDeps, op: Operation, ids: &Ids, body: &[u8]) -> Reply {
    let now = api.clock.now();
    match op {
        Operation::Get => {
            // The lookup may redeem the refresh token at the SSO. It runs as its own task so it
            // always finishes and commits, even when the caller gives up (the bot's timeout is
            // shorter than the SSO's) or disconnects: a rotated refresh token that was never
            // stored would sign the person out.
            let (store, refresher) = (Arc::clone(&api.store), Arc::clone(&api.refresher));
            let person_id = ids.person_id.clone();
            let lookup = tokio::spawn(async move {
                usable_token(store.as_ref(), refresher.as_ref(), &person_id, now).await
            });
            match lookup.await {
                Ok(Ok(Some(usable))) => Reply::Token(usable),
                Ok(Ok(None)) => Reply::NotFound,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "cannot hand out a token");
                    Reply::Unavailable
                }
                Err(e) => {
                    tracing::error!(error = %e, "the token lookup task failed");
                    Reply::Unavailable
                }
            }
        }
        Operation::Delete => match api.store.delete(&ids.person_id).await {
            Ok(Some(removed)) => {
                if let Some(refresh_token) = removed.refresh_token {
                    // Best effort: the login is forgotten here whatever the SSO says.
                    if let Err(e) = api.refresher.revoke(&refresh_token).await {
                        tracing::warn!(error = %e, "signed out, but the SSO did not revoke the refresh token");
                    }
                }
                Reply::NoContent
            }
            Ok(None) => Reply::NotFound,
            Err(e) => {
                tracing::error!(error = %e, "cannot sign out");
                Reply::Unavailable
            }
        },
        // Answered by `alexa_owner` before the ids are read.
        Operation::AlexaPerson => alexa_owner(api, body).await,
        Operation::Confirm => {
            let Ok(parsed) = serde_json::from_slice::<ConfirmBody>(body) else {
                return Reply::BadRequest;
            };
            if parsed.code.is_empty() || parsed.code.len() > 64 {
                return Reply::BadRequest;
            }
            match api
                .store
                .confirm_pending(&ids.person_id, &ids.room_id, &parsed.code, now)
                .await
            {
                Ok(true) => Reply::NoContent,
                Ok(false) => Reply::NotFound,
                Err(e) => {
                    tracing::error!(error = %e, "cannot confirm a pending sign-in");
                    Reply::Unavailable
                }
            }
        }
    }
}

/// The one place a reply becomes a status and a body, signed.
fn respond(api: &TokenApiDeps, reply: Reply, nonce: Option<&str>) -> Response {
    let (status, body) = match reply {
        Reply::Token(Usable(record)) => {
            let body = TokenBody {
                access_token: record.access_token.expose_secret(),
                expires_at: record.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            };
            match serde_json::to_vec(&body) {
                Ok(bytes) => (StatusCode::OK, bytes),
                Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Vec::new()),
            }
        }
        Reply::Person(owner) => {
            let body = PersonBody {
                person_id: &owner.person_id,
                room_id: &owner.room_id,
            };
            match serde_json::to_vec(&body) {
                Ok(bytes) => (StatusCode::OK, bytes),
                Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Vec::new()),
            }
        }
        Reply::NoContent => (StatusCode::NO_CONTENT, Vec::new()),
        Reply::WrongMethod => (StatusCode::METHOD_NOT_ALLOWED, Vec::new()),
        Reply::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, Vec::new()),
        Reply::BadRequest => (StatusCode::BAD_REQUEST, Vec::new()),
        Reply::Refused(status) => (status, Vec::new()),
        Reply::NotFound => (StatusCode::NOT_FOUND, Vec::new()),
        Reply::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, Vec::new()),
    };
    let headers = api.verifier.sign(status, &body, nonce, api.clock.now());
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    for (name, value) in headers {
        response.headers_mut().insert(name, value);
    }
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(room: &str, person: &str) -> Option<Ids> {
        Some(Ids {
            room_id: room.to_string(),
            person_id: person.to_string(),
        })
    }

    #[test]
    fn both_ids_once_each_in_any_order_are_accepted() {
        assert_eq!(ids(Some("roomId=R1&personId=P_1-x=")), ok("R1", "P_1-x="));
        assert_eq!(ids(Some("personId=P&x=1&roomId=R")), ok("R", "P"));
        assert_eq!(ids(Some("roomId=R&personId=P%3D")), ok("R", "P="));
    }

    #[test]
    fn missing_repeated_or_garbled_ids_are_refused() {
        for bad in [
            None,
            Some(""),
            Some("roomId=R"),
            Some("personId=P"),
            Some("roomId=R&personId=P&personId=Q"),
            Some("roomId=R&roomId=R&personId=P"),
            Some("roomId=&personId=P"),
            Some("roomId=a%20b&personId=P"),
            Some("roomId=R&personId=%FF"),
            Some("roomId=R&personId=a/b"),
        ] {
            assert_eq!(ids(bad), None, "{bad:?}");
        }
        let long = "a".repeat(513);
        assert_eq!(ids(Some(&format!("roomId=R&personId={long}"))), None);
    }
}
