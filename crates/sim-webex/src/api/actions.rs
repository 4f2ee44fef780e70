//! `GET /v1/attachment/actions/{id}` and `POST /v1/attachment/actions` (a card submit).

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::{Caller, JsonBody};
use crate::error::ApiError;
use crate::state::SimState;

pub(super) async fn get_one(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.action_json(&me, &id).map(Json)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NewAction {
    #[serde(rename = "type")]
    kind: String,
    message_id: String,
    inputs: Value,
}

pub(super) async fn create(
    State(state): State<SimState>,
    Caller(me): Caller,
    JsonBody(body): JsonBody<NewAction>,
) -> Result<Json<Value>, ApiError> {
    if body.kind != "submit" {
        return Err(ApiError::bad("type must be \"submit\"."));
    }
    state.submit(&me, &body.message_id, body.inputs).map(Json)
}
