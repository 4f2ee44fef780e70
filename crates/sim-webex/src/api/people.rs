//! `GET /v1/people/me`, `GET /v1/people?email=`, `GET /v1/people/{id}`.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde_json::Value;

use super::{paginate, Caller, QueryMap};
use crate::error::ApiError;
use crate::state::SimState;

pub(super) async fn me(
    State(state): State<SimState>,
    Caller(me): Caller,
) -> Result<Json<Value>, ApiError> {
    state.person_json(&me).map(Json)
}

pub(super) async fn get_one(
    State(state): State<SimState>,
    Caller(_): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.person_json(&id).map(Json)
}

/// Webex requires a filter to list people; the simulator supports `email`.
pub(super) async fn list(
    State(state): State<SimState>,
    Caller(_): Caller,
    q: QueryMap,
) -> Result<Response, ApiError> {
    let email = super::required(&q, "email")?;
    let items = state.people_json(Some(email));
    paginate(&state, &q, "/v1/people", &["email"], 100, items)
}
