//! The control API under `/_sim`: tests and the demo act as people, inspect what happened and
//! inject faults. Not part of Webex; no authentication (the simulator is a development tool).
//! The routes and their JSON are listed in the crate documentation.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{JsonBody, QueryMap, SESSION_COOKIE};
use crate::error::ApiError;
use crate::model::PersonType;
use crate::ops::{Dest, Draft, NewPerson};
use crate::state::{Faults, SimState, WebsocketFaults};

/// Longest wait of `GET /_sim/events`.
const MAX_POLL: Duration = Duration::from_secs(60);
const DEFAULT_POLL: Duration = Duration::from_secs(25);

pub(crate) fn routes() -> Router<SimState> {
    Router::new()
        .route("/_sim/people", post(create_person).get(list_people))
        .route("/_sim/people/{id}/rooms", get(person_rooms))
        .route("/_sim/tokens", post(create_token))
        .route("/_sim/sessions", post(create_session))
        .route("/_sim/rooms", post(create_room))
        .route("/_sim/rooms/{id}/messages", get(room_messages))
        .route("/_sim/direct", post(direct))
        .route("/_sim/say", post(say))
        .route("/_sim/submit", post(submit))
        .route("/_sim/events", get(events))
        .route("/_sim/stats", get(stats))
        .route("/_sim/deliveries", get(deliveries))
        .route("/_sim/webhooks", get(webhooks))
        .route(
            "/_sim/faults",
            get(get_faults).post(set_faults).delete(clear_faults),
        )
        .route("/_sim/websocket", get(websocket))
        .route(
            "/_sim/websocket/faults",
            get(get_websocket_faults).post(set_websocket_faults),
        )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatePerson {
    email: String,
    display_name: String,
    org_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<PersonType>,
}

async fn create_person(
    State(state): State<SimState>,
    JsonBody(body): JsonBody<CreatePerson>,
) -> Result<Json<Value>, ApiError> {
    let id = state.create_person(NewPerson {
        email: body.email,
        display_name: body.display_name,
        org_id: body.org_id,
        kind: body.kind.unwrap_or(PersonType::Person),
    })?;
    let token = state.issue_token(&id)?;
    let person = state.person_json(&id)?;
    Ok(Json(
        json!({ "person": person, "token": token.expose_secret() }),
    ))
}

async fn list_people(State(state): State<SimState>) -> Json<Value> {
    Json(json!({ "items": state.people_json(None) }))
}

async fn person_rooms(
    State(state): State<SimState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let items = state.person_rooms_json(&id)?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForPerson {
    person_id: String,
}

async fn create_token(
    State(state): State<SimState>,
    JsonBody(body): JsonBody<ForPerson>,
) -> Result<Json<Value>, ApiError> {
    let token = state.issue_token(&body.person_id)?;
    Ok(Json(json!({ "token": token.expose_secret() })))
}

/// A token for the web chat, also set as the cookie `GET /v1/contents/{id}` accepts.
async fn create_session(
    State(state): State<SimState>,
    JsonBody(body): JsonBody<ForPerson>,
) -> Result<Response, ApiError> {
    let token = state.issue_token(&body.person_id)?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax",
        token.expose_secret()
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| ApiError::Unexpected(e.into()))?;
    let mut response = Json(json!({ "token": token.expose_secret() })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRoom {
    title: String,
    member_ids: Vec<String>,
}

async fn create_room(
    State(state): State<SimState>,
    JsonBody(body): JsonBody<CreateRoom>,
) -> Result<Json<Value>, ApiError> {
    let Some((creator, others)) = body.member_ids.split_first() else {
        return Err(ApiError::bad("memberIds must name at least one person."));
    };
    state
        .create_group_room(creator, &body.title, others)
        .map(Json)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Direct {
    person_a: String,
    person_b: String,
}

async fn direct(
    State(state): State<SimState>,
    JsonBody(body): JsonBody<Direct>,
) -> Result<Json<Value>, ApiError> {
    state
        .direct_room_json(&body.person_a, &body.person_b)
        .map(Json)
}

async fn room_messages(
    State(state): State<SimState>,
    Path(id): Path<String>,
    q: QueryMap,
) -> Result<Json<Value>, ApiError> {
    let since = seq_param(&q, "since")?;
    let items = state.room_messages_json(&id, since)?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Say {
    person_id: String,
    room_id: Option<String>,
    to_person_id: Option<String>,
    text: String,
    #[serde(default)]
    mentions: Vec<String>,
    parent_id: Option<String>,
    /// A file the person attaches, as a Webex client uploads one: the message's `files` then
    /// holds its `…/contents/{id}` URL, which only members of the room can download.
    file: Option<SayFile>,
}

/// A text file attached to [`Say`] (`{filename, contentType, text}`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SayFile {
    filename: String,
    #[serde(default = "text_csv")]
    content_type: String,
    text: String,
}

fn text_csv() -> String {
    "text/csv".into()
}

/// Posts as a person the way a Webex client does: mentions lead the text as first names.
async fn say(
    State(state): State<SimState>,
    JsonBody(body): JsonBody<Say>,
) -> Result<Json<Value>, ApiError> {
    let dest = match (body.room_id, body.to_person_id) {
        (Some(r), None) => Dest::Room(r),
        (None, Some(p)) => Dest::PersonId(p),
        _ => return Err(ApiError::bad("Give exactly one of roomId and toPersonId.")),
    };
    let (text, markdown) = if body.mentions.is_empty() {
        (Some(body.text), None)
    } else {
        let mut md = String::new();
        for id in &body.mentions {
            let name = state.first_name(id)?;
            md.push_str(&format!("<@personId:{id}|{name}> "));
        }
        md.push_str(&body.text);
        (None, Some(md))
    };
    let draft = Draft {
        dest,
        text,
        markdown,
        parent_id: body.parent_id,
        attachments: Vec::new(),
        file: body.file.map(|f| crate::ops::Upload {
            filename: f.filename,
            content_type: f.content_type,
            bytes: bytes::Bytes::from(f.text.into_bytes()),
        }),
    };
    let id = state.post_message(&body.person_id, draft)?;
    state.sim_message_json(&id).map(Json)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Submit {
    person_id: String,
    message_id: String,
    inputs: Value,
}

async fn submit(
    State(state): State<SimState>,
    JsonBody(body): JsonBody<Submit>,
) -> Result<Json<Value>, ApiError> {
    state
        .submit(&body.person_id, &body.message_id, body.inputs)
        .map(Json)
}

async fn events(State(state): State<SimState>, q: QueryMap) -> Result<Json<Value>, ApiError> {
    let since = seq_param(&q, "since")?;
    let timeout = match q.get("timeout") {
        None => DEFAULT_POLL,
        Some(t) => t
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| ApiError::bad("timeout must be a whole number of seconds."))?
            .min(MAX_POLL),
    };
    let (events, last) = state.events_since(since, q.get("personId"), timeout).await;
    Ok(Json(json!({ "events": events, "lastSeq": last })))
}

fn seq_param(q: &QueryMap, key: &str) -> Result<u64, ApiError> {
    match q.get(key) {
        None => Ok(0),
        Some(s) => s
            .parse()
            .map_err(|_| ApiError::bad(format!("{key} must be a sequence number."))),
    }
}

async fn stats(State(state): State<SimState>) -> Json<Value> {
    Json(json!(state.stats()))
}

async fn deliveries(State(state): State<SimState>) -> Json<Value> {
    Json(json!({ "items": state.deliveries() }))
}

async fn webhooks(State(state): State<SimState>) -> Json<Value> {
    Json(json!({ "items": state.all_webhooks_json() }))
}

async fn get_faults(State(state): State<SimState>) -> Json<Value> {
    Json(json!(state.faults()))
}

async fn set_faults(
    State(state): State<SimState>,
    JsonBody(faults): JsonBody<Faults>,
) -> Result<Json<Value>, ApiError> {
    state.set_faults(faults)?;
    Ok(Json(json!(state.faults())))
}

async fn clear_faults(State(state): State<SimState>) -> Result<StatusCode, ApiError> {
    state.set_faults(Faults::default())?;
    Ok(StatusCode::NO_CONTENT)
}

async fn websocket(State(state): State<SimState>) -> Json<Value> {
    Json(state.websocket_json())
}

async fn get_websocket_faults(State(state): State<SimState>) -> Json<Value> {
    Json(json!(state.websocket_faults()))
}

async fn set_websocket_faults(
    State(state): State<SimState>,
    JsonBody(faults): JsonBody<WebsocketFaults>,
) -> Result<Json<Value>, ApiError> {
    state.set_websocket_faults(faults)?;
    Ok(Json(json!(state.websocket_faults())))
}
