//! `POST|GET /v1/webhooks`, `GET|PUT|DELETE /v1/webhooks/{id}` (the owner's only).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use super::{paginate, Caller, JsonBody, QueryMap};
use crate::error::ApiError;
use crate::model::WebhookStatus;
use crate::ops::{NewWebhook, WebhookUpdate};
use crate::state::SimState;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Create {
    name: String,
    target_url: String,
    resource: String,
    event: String,
    filter: Option<String>,
    secret: Option<SecretString>,
}

pub(super) async fn create(
    State(state): State<SimState>,
    Caller(me): Caller,
    JsonBody(body): JsonBody<Create>,
) -> Result<Json<Value>, ApiError> {
    let new = NewWebhook {
        name: body.name,
        target_url: body.target_url,
        resource: body.resource,
        event: body.event,
        filter: body.filter,
        secret: body.secret,
    };
    state.create_webhook(&me, new).map(Json)
}

pub(super) async fn list(
    State(state): State<SimState>,
    Caller(me): Caller,
    q: QueryMap,
) -> Result<Response, ApiError> {
    let items = state.webhooks_json(&me);
    paginate(&state, &q, "/v1/webhooks", &[], 100, items)
}

pub(super) async fn get_one(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.webhook_json(&me, &id).map(Json)
}

/// Webex lets `PUT` change only name, targetUrl, secret and status. Other fields of the object
/// (a client may send back what it read) are ignored, except that a *different* `resource`,
/// `event` or `filter` is refused rather than silently kept.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Update {
    name: String,
    target_url: String,
    secret: Option<SecretString>,
    status: Option<WebhookStatus>,
    resource: Option<String>,
    event: Option<String>,
    filter: Option<String>,
}

pub(super) async fn update(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Update>,
) -> Result<Json<Value>, ApiError> {
    let update = WebhookUpdate {
        name: body.name,
        target_url: body.target_url,
        secret: body.secret,
        status: body.status,
        unchangeable: [body.resource, body.event, body.filter],
    };
    state.update_webhook(&me, &id, update).map(Json)
}

pub(super) async fn delete(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.delete_webhook(&me, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
