//! Receiving events with no public URL: the service catalog (`/u2c`), the device registry
//! (`/wdm`) and the device websocket (`/mercury`), as Webex's own clients use them. Handlers
//! parse, call the rules in `ops::devices` and render; [`connection`] runs one websocket.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::Instrument;

use crate::api::{Caller, JsonBody, QueryMap};
use crate::error::ApiError;
use crate::ops::{NewDevice, Next};
use crate::state::SimState;

/// How long a new websocket may take to send its authorization.
const AUTH_TIMEOUT: Duration = Duration::from_secs(30);
/// The close code of a websocket whose authorization is missing or wrong.
pub(crate) const CLOSE_UNAUTHORIZED: u16 = 4401;
/// The close code of a websocket replaced by a newer one, or whose device was deleted.
pub(crate) const CLOSE_REPLACED: u16 = 4000;

pub(crate) fn routes() -> Router<SimState> {
    Router::new()
        .route("/u2c/api/v1/catalog", get(catalog))
        .route(
            "/wdm/api/v1/devices",
            get(list_devices).post(register_device),
        )
        .route(
            "/wdm/api/v1/devices/{id}",
            get(get_device).delete(delete_device),
        )
        .route("/mercury/ws/{id}", get(websocket))
}

/// `GET /u2c/api/v1/catalog?format=hostmap`: where the services are (only `hostmap`).
async fn catalog(
    State(state): State<SimState>,
    Caller(_): Caller,
    q: QueryMap,
) -> Result<Json<Value>, ApiError> {
    if q.get("format") != Some("hostmap") {
        return Err(ApiError::bad(
            "The simulator serves the catalog only with format=hostmap.",
        ));
    }
    let base = state.public_base();
    Ok(Json(json!({
        "serviceLinks": {
            "wdm": format!("{base}/wdm/api/v1"),
            "hydra": format!("{base}/v1"),
            "u2c": format!("{base}/u2c/api/v1"),
        },
        "format": "hostmap",
        "timestamp": state.now().timestamp_millis().to_string(),
    })))
}

async fn list_devices(State(state): State<SimState>, Caller(me): Caller) -> Json<Value> {
    Json(json!({ "devices": state.devices_json(&me) }))
}

/// The body Webex's clients register with; only `name` is required here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Register {
    name: String,
    device_name: Option<String>,
    device_type: Option<String>,
    localized_model: Option<String>,
    model: Option<String>,
    system_name: Option<String>,
    system_version: Option<String>,
}

async fn register_device(
    State(state): State<SimState>,
    Caller(me): Caller,
    JsonBody(body): JsonBody<Register>,
) -> Result<Json<Value>, ApiError> {
    let new = NewDevice {
        name: body.name,
        device_name: body.device_name,
        device_type: body.device_type,
        localized_model: body.localized_model,
        model: body.model,
        system_name: body.system_name,
        system_version: body.system_version,
    };
    state.register_device(&me, new).map(Json)
}

async fn get_device(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.device_json(&me, &id).map(Json)
}

async fn delete_device(
    State(state): State<SimState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.delete_device(&me, &id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /mercury/ws/{id}`: 404 before the upgrade for an unknown device (or a pending
/// `handshake404` fault); otherwise the websocket.
async fn websocket(
    State(state): State<SimState>,
    Path(id): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Err(e) = state.websocket_handshake(&id) {
        return e.into_response();
    }
    let span = tracing::info_span!("websocket", device = %id);
    upgrade.on_upgrade(move |socket| connection(state, id, socket).instrument(span))
}

/// The bearer token of an authorization message
/// `{"id": …, "type": "authorization", "data": {"token": "Bearer …"}}`.
fn authorization_token(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    if v["type"] != "authorization" || !v["id"].is_string() {
        return None;
    }
    let (scheme, token) = v["data"]["token"].as_str()?.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The frame id of an ack `{"type": "ack", "messageId": …}`.
fn acked_frame(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    if v["type"] != "ack" {
        return None;
    }
    v["messageId"].as_str().map(str::to_owned)
}

async fn first_text(socket: &mut WebSocket) -> Option<String> {
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Text(t) => return Some(t.as_str().to_owned()),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
    None
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// One websocket: authorization, then the device's frames in order (replaying those an earlier
/// connection sent but nobody acked) while reading acks. Pings are answered by the websocket
/// layer as it reads.
async fn connection(state: SimState, id: String, mut socket: WebSocket) {
    let token = match tokio::time::timeout(AUTH_TIMEOUT, first_text(&mut socket)).await {
        Ok(Some(text)) => authorization_token(&text),
        _ => None,
    };
    let Some((serial, mut wake)) = token.and_then(|t| state.websocket_authorize(&id, &t)) else {
        tracing::info!("websocket refused: no valid authorization for the device's owner");
        close(&mut socket, CLOSE_UNAUTHORIZED, "unauthorized").await;
        return;
    };
    loop {
        loop {
            match state.websocket_next(&id, serial) {
                Next::Send { text, drop } => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        state.websocket_closed(&id, serial);
                        return;
                    }
                    if drop {
                        // Dropping the socket ends the TCP connection with no close frame.
                        tracing::info!("websocket dropped by the injected fault");
                        state.websocket_closed(&id, serial);
                        return;
                    }
                }
                Next::Idle => break,
                Next::Gone => {
                    close(&mut socket, CLOSE_REPLACED, "replaced").await;
                    state.websocket_closed(&id, serial);
                    return;
                }
            }
        }
        tokio::select! {
            changed = wake.changed() => {
                if changed.is_err() {
                    // The device was deleted (its sender dropped).
                    close(&mut socket, CLOSE_REPLACED, "device deleted").await;
                    state.websocket_closed(&id, serial);
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    if let Some(frame) = acked_frame(t.as_str()) {
                        if state.websocket_ack(&id, &frame) {
                            tracing::info!("websocket dropped on an ack by the injected fault");
                            state.websocket_closed(&id, serial);
                            return;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    state.websocket_closed(&id, serial);
                    return;
                }
                Some(Ok(_)) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authorization_needs_its_type_an_id_and_a_bearer_token() {
        let ok = r#"{"id":"1","type":"authorization","data":{"token":"Bearer abc"}}"#;
        assert_eq!(authorization_token(ok).as_deref(), Some("abc"));
        for bad in [
            r#"{"type":"authorization","data":{"token":"Bearer abc"}}"#,
            r#"{"id":"1","type":"ack","data":{"token":"Bearer abc"}}"#,
            r#"{"id":"1","type":"authorization","data":{"token":"abc"}}"#,
            "not json",
        ] {
            assert_eq!(authorization_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_ack_names_its_frame_in_message_id() {
        assert_eq!(
            acked_frame(r#"{"type":"ack","messageId":"f1"}"#).as_deref(),
            Some("f1")
        );
        assert_eq!(acked_frame(r#"{"type":"other","messageId":"f1"}"#), None);
    }
}
