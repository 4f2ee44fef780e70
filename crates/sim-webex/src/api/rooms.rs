//! `POST /v1/rooms` (a group room), `GET /v1/rooms`, `GET /v1/rooms/{id}`.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::{paginate, Caller, JsonBody, QueryMap};
use crate::error::ApiError;
use crate::model::RoomType;
use crate::state::SimState;

#[derive(Deserialize)]
pub(super) struct NewRoom {
    title: String,
}

pub(super) async fn create(
    State(state): State<SimState>,
    Caller(me): Caller,
    JsonBody(body): JsonBody<NewRoom>,
) -> Result<Json<Value>, ApiError> {
    state.create_group_room(&me, &body.title, &[]).map(Json)
}

pub(super) async fn list(
    State(state): State<SimState>,
    Caller(me): Caller,
    q: QueryMap,
) -> Result<Response, ApiError> {
    let kind = match q.get("type") {
        None => None,
        Some("direct") => Some(RoomType::Direct),
        Some("group") => Some(RoomType::Group),
        Some(_) => return Err(ApiError::bad("type must be direct or group.")),
    };
    let items = state.rooms_json(&me, kind);
    paginate(&state, &q, "/v1/rooms", &["type"], 100, items)
}

pub(super) async fn get_one(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.room_json(&me, &id).map(Json)
}
