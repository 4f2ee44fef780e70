//! `POST /v1/messages` (JSON or multipart with one file), `GET /v1/messages?roomId=…` (newest
//! first), and `GET|PUT|DELETE /v1/messages/{id}`.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::{paginate, required, Caller, JsonBody, QueryMap};
use crate::error::ApiError;
use crate::ops::{Dest, Draft, MessageQuery, Upload};
use crate::state::SimState;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostJson {
    room_id: Option<String>,
    to_person_id: Option<String>,
    to_person_email: Option<String>,
    text: Option<String>,
    markdown: Option<String>,
    parent_id: Option<String>,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    attachments: Vec<Value>,
}

fn dest(
    room_id: Option<String>,
    to_person_id: Option<String>,
    to_person_email: Option<String>,
) -> Result<Dest, ApiError> {
    match (room_id, to_person_id, to_person_email) {
        (Some(r), None, None) => Ok(Dest::Room(r)),
        (None, Some(p), None) => Ok(Dest::PersonId(p)),
        (None, None, Some(e)) => Ok(Dest::PersonEmail(e)),
        _ => Err(ApiError::bad(
            "Give exactly one of roomId, toPersonId and toPersonEmail.",
        )),
    }
}

pub(super) async fn create(
    State(state): State<SimState>,
    Caller(me): Caller,
    req: Request,
) -> Result<Json<Value>, ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let draft = if multipart {
        let form = Multipart::from_request(req, &state)
            .await
            .map_err(|e| ApiError::bad(format!("The multipart body is not valid: {e}")))?;
        from_multipart(&state, form).await?
    } else {
        let JsonBody(body) = JsonBody::<PostJson>::from_request(req, &state).await?;
        from_json(&state, body).await?
    };
    let id = state.post_message(&me, draft)?;
    state.message_json(&me, &id).map(Json)
}

async fn from_json(state: &SimState, body: PostJson) -> Result<Draft, ApiError> {
    let dest = dest(body.room_id, body.to_person_id, body.to_person_email)?;
    if body.files.len() > 1 {
        return Err(ApiError::bad("Only one file per message is supported."));
    }
    let file = match body.files.first() {
        Some(url) => Some(fetch(state, url).await?),
        None => None,
    };
    Ok(Draft {
        dest,
        text: body.text,
        markdown: body.markdown,
        parent_id: body.parent_id,
        attachments: body.attachments,
        file,
    })
}

/// Webex downloads a file given by URL; so does the simulator.
async fn fetch(state: &SimState, url: &str) -> Result<Upload, ApiError> {
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| ApiError::bad("files must hold an http or https URL."))?;
    let response = state
        .inner
        .http
        .get(parsed.clone())
        .send()
        .await
        .map_err(|e| ApiError::bad(format!("Cannot fetch the file URL: {}", e.without_url())))?;
    if !response.status().is_success() {
        return Err(ApiError::bad(format!(
            "Cannot fetch the file URL: it answered {}.",
            response.status()
        )));
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let filename = parsed
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|s| !s.is_empty())
        .unwrap_or("file")
        .to_owned();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| ApiError::bad(format!("Cannot fetch the file URL: {}", e.without_url())))?;
    Ok(Upload {
        filename,
        content_type,
        bytes,
    })
}

async fn from_multipart(state: &SimState, mut form: Multipart) -> Result<Draft, ApiError> {
    let limit = state.config().max_file_bytes;
    let part_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::bad(format!(
                "The multipart body is not valid: {}",
                e.body_text()
            ))
        }
    };
    let (mut room_id, mut to_id, mut to_email) = (None, None, None);
    let (mut text, mut markdown, mut parent_id) = (None, None, None);
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(part_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "files" {
            if file.is_some() {
                return Err(ApiError::bad("Only one file per message is supported."));
            }
            let filename = field.file_name().unwrap_or("file").to_owned();
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let bytes = field.bytes().await.map_err(part_error)?;
            file = Some(Upload {
                filename,
                content_type,
                bytes,
            });
            continue;
        }
        let value = field.text().await.map_err(part_error)?;
        match name.as_str() {
            "roomId" => room_id = Some(value),
            "toPersonId" => to_id = Some(value),
            "toPersonEmail" => to_email = Some(value),
            "text" => text = Some(value),
            "markdown" => markdown = Some(value),
            "parentId" => parent_id = Some(value),
            other => {
                return Err(ApiError::bad(format!(
                    "Unsupported form field {other:?} in a multipart message."
                )))
            }
        }
    }
    Ok(Draft {
        dest: dest(room_id, to_id, to_email)?,
        text,
        markdown,
        parent_id,
        attachments: Vec::new(),
        file,
    })
}

pub(super) async fn list(
    State(state): State<SimState>,
    Caller(me): Caller,
    q: QueryMap,
) -> Result<Response, ApiError> {
    let before = match q.get("before") {
        None => None,
        Some(b) => Some(
            chrono::DateTime::parse_from_rfc3339(b)
                .map_err(|_| ApiError::bad("before must be an ISO 8601 date and time."))?
                .with_timezone(&chrono::Utc),
        ),
    };
    let query = MessageQuery {
        room_id: required(&q, "roomId")?.to_owned(),
        parent_id: q.get("parentId").map(str::to_owned),
        mentioned_people: q.get("mentionedPeople").map(str::to_owned),
        before,
        before_message: q.get("beforeMessage").map(str::to_owned),
    };
    let items = state.messages_json(&me, &query)?;
    paginate(
        &state,
        &q,
        "/v1/messages",
        &[
            "roomId",
            "parentId",
            "mentionedPeople",
            "before",
            "beforeMessage",
        ],
        50,
        items,
    )
}

pub(super) async fn get_one(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.message_json(&me, &id).map(Json)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Edit {
    room_id: String,
    text: Option<String>,
    markdown: Option<String>,
}

pub(super) async fn edit(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Edit>,
) -> Result<Json<Value>, ApiError> {
    state
        .edit_message(&me, &id, &body.room_id, body.text, body.markdown)
        .map(Json)
}

pub(super) async fn delete(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.delete_message(&me, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
