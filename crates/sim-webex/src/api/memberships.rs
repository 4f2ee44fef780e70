//! `GET /v1/memberships?roomId=…` (paginated) and `POST /v1/memberships` (409 on a duplicate).

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::{paginate, Caller, JsonBody, QueryMap};
use crate::error::ApiError;
use crate::ops::Dest;
use crate::state::SimState;

pub(super) async fn list(
    State(state): State<SimState>,
    Caller(me): Caller,
    q: QueryMap,
) -> Result<Response, ApiError> {
    let items = state.memberships_json(
        &me,
        q.get("roomId"),
        q.get("personId"),
        q.get("personEmail"),
    )?;
    paginate(
        &state,
        &q,
        "/v1/memberships",
        &["roomId", "personId", "personEmail"],
        100,
        items,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NewMembership {
    room_id: String,
    person_id: Option<String>,
    person_email: Option<String>,
    #[serde(default)]
    is_moderator: bool,
}

pub(super) async fn create(
    State(state): State<SimState>,
    Caller(me): Caller,
    JsonBody(body): JsonBody<NewMembership>,
) -> Result<Json<Value>, ApiError> {
    let person = match (body.person_id, body.person_email) {
        (Some(id), None) => Dest::PersonId(id),
        (None, Some(email)) => Dest::PersonEmail(email),
        _ => {
            return Err(ApiError::bad(
                "Give exactly one of personId and personEmail.",
            ))
        }
    };
    state
        .add_membership(&me, &body.room_id, &person, body.is_moderator)
        .map(Json)
}
