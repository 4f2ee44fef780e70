//! The device websocket ("Mercury"): [`WebexClient::open_websocket`] opens a device's
//! `webSocketUrl` and authorizes it with the bot token; [`Mercury::next`] reads frames and maps
//! `conversation.activity` ones to the REST ids of messages and card submits
//! ([`Activity`]); [`Mercury::ack`] acknowledges a frame so Webex does not replay it after a
//! reconnect.
//!
//! REST ids: an activity carries bare uuids; the REST id is base64 of
//! `ciscospark://us/<TYPE>/<uuid>` without padding. These strings contain no byte that encodes
//! to `+` or `/`, so URL-safe and standard base64 agree and only the padding could differ;
//! Webex's REST ids have none (as the simulator's). The `us` cluster is what Webex and the Rust
//! `webex` crate use for these ids.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::{SinkExt, StreamExt};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::Url;

use crate::client::WebexClient;
use crate::devices::Device;

/// Why a websocket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The handshake was answered 404: Webex no longer knows the device. Replace it
    /// ([`WebexClient::replace_device`]) and connect again.
    #[error("the device's websocket answered 404: its registration is gone")]
    NotFound,
    /// Anything else (bad URL, DNS, refused, TLS, another status, timeout); worth retrying later.
    #[error("cannot open the Webex websocket: {0}")]
    Failed(String),
}

/// A broken websocket (reset, protocol error); connect again.
#[derive(Debug, thiserror::Error)]
pub enum MercuryError {
    #[error("the Webex websocket broke: {0}")]
    Broken(String),
}

/// What an activity is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    /// A new message (`post`, or `share` for one with files): read it with `GET /messages/{id}`.
    Message,
    /// A card submit (`cardAction`): read it with `GET /attachment/actions/{id}`.
    CardAction,
}

/// A `conversation.activity` the bot handles, with the REST ids its REST calls take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub kind: ActivityKind,
    /// base64 (URL-safe, no padding) of `ciscospark://us/MESSAGE/<uuid>` or
    /// `ciscospark://us/ATTACHMENT_ACTION/<uuid>`.
    pub rest_id: String,
    /// The REST `ROOM` id of `target.id`.
    pub room_id: Option<String>,
    /// The REST `PEOPLE` id of `actor.id`.
    pub person_id: Option<String>,
    pub person_email: Option<String>,
}

/// One frame that carries an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// What [`Mercury::ack`] takes.
    pub ack_id: String,
    /// `None`: an event the bot does not handle; ack it all the same.
    pub activity: Option<Activity>,
}

/// One open, authorized device websocket.
pub struct Mercury {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    device_url: String,
    close_code: Option<u16>,
}

impl fmt::Debug for Mercury {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mercury")
            .field("device", &self.device_url)
            .field("close_code", &self.close_code)
            .finish_non_exhaustive()
    }
}

/// The REST id of a bare uuid of `kind` (`MESSAGE`, `ATTACHMENT_ACTION`, `ROOM`, `PEOPLE`).
pub(crate) fn rest_id(kind: &str, uuid: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("ciscospark://us/{kind}/{uuid}"))
}

/// A frame's text as [`Incoming`]; `None` for a frame with no id (nothing to ack).
pub(crate) fn incoming(text: &str) -> Option<Incoming> {
    let frame: Value = serde_json::from_str(text).ok()?;
    let ack_id = frame["id"].as_str().filter(|id| !id.is_empty())?.to_owned();
    Some(Incoming {
        ack_id,
        activity: activity(&frame),
    })
}

fn activity(frame: &Value) -> Option<Activity> {
    let data = &frame["data"];
    if data["eventType"] != "conversation.activity" {
        return None;
    }
    let a = &data["activity"];
    let (kind, rest_kind) = match a["verb"].as_str()? {
        "post" | "share" => (ActivityKind::Message, "MESSAGE"),
        "cardAction" => (ActivityKind::CardAction, "ATTACHMENT_ACTION"),
        _ => return None,
    };
    let id = a["id"].as_str().filter(|id| !id.is_empty())?;
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    Some(Activity {
        kind,
        rest_id: rest_id(rest_kind, id),
        room_id: text(&a["target"]["id"]).map(|t| rest_id("ROOM", &t)),
        person_id: text(&a["actor"]["id"]).map(|p| rest_id("PEOPLE", &p)),
        person_email: text(&a["actor"]["emailAddress"]),
    })
}

fn broken(e: WsError) -> MercuryError {
    MercuryError::Broken(e.to_string())
}

impl WebexClient {
    /// Opens the device's websocket and sends the authorization message with this client's
    /// token. Gives up after the client's request timeout.
    pub async fn open_websocket(&self, device: &Device) -> Result<Mercury, ConnectError> {
        let url = Url::parse(&device.web_socket_url)
            .map_err(|e| ConnectError::Failed(format!("the webSocketUrl is not a URL: {e}")))?;
        if !matches!(url.scheme(), "ws" | "wss") {
            return Err(ConnectError::Failed(
                "the webSocketUrl must be a ws or wss URL".into(),
            ));
        }
        let connect = tokio_tungstenite::connect_async(url.as_str());
        let (mut ws, _) = match tokio::time::timeout(self.timeout(), connect).await {
            Err(_) => return Err(ConnectError::Failed("the handshake timed out".into())),
            Ok(Err(WsError::Http(response))) if response.status() == 404 => {
                return Err(ConnectError::NotFound)
            }
            Ok(Err(e)) => return Err(ConnectError::Failed(e.to_string())),
            Ok(Ok(opened)) => opened,
        };
        let authorization = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "type": "authorization",
            "data": {"token": format!("Bearer {}", self.token().expose_secret())},
        });
        ws.send(Message::text(authorization.to_string()))
            .await
            .map_err(|e| ConnectError::Failed(format!("cannot send the authorization: {e}")))?;
        tracing::info!(device = %device.url, "Webex websocket open");
        Ok(Mercury {
            ws,
            device_url: device.url.clone(),
            close_code: None,
        })
    }
}

impl Mercury {
    /// The next frame that carries an id; `Ok(None)` when the server closed the websocket
    /// (cleanly: see [`Mercury::close_code`]); `Err` when the connection broke. Pings are
    /// answered; frames without an id are skipped.
    pub async fn next(&mut self) -> Result<Option<Incoming>, MercuryError> {
        loop {
            let Some(read) = self.ws.next().await else {
                return Ok(None);
            };
            let text = match read {
                Ok(Message::Text(t)) => t.as_str().to_owned(),
                Ok(Message::Binary(b)) => String::from_utf8_lossy(&b).into_owned(),
                // The pong is queued by the websocket layer; send it now, not at the next read.
                Ok(Message::Ping(_)) => {
                    self.ws.flush().await.map_err(broken)?;
                    continue;
                }
                Ok(Message::Close(frame)) => {
                    self.close_code = frame.as_ref().map(|f| u16::from(f.code));
                    tracing::info!(
                        device = %self.device_url,
                        code = self.close_code.unwrap_or(0),
                        reason = frame.as_ref().map_or("", |f| f.reason.as_str()),
                        "Webex closed the websocket"
                    );
                    // Completes the closing handshake.
                    let _ = self.ws.flush().await;
                    return Ok(None);
                }
                Ok(Message::Pong(_) | Message::Frame(_)) => continue,
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => return Ok(None),
                Err(e) => return Err(broken(e)),
            };
            match incoming(&text) {
                Some(frame) => return Ok(Some(frame)),
                None => tracing::debug!(device = %self.device_url, "skipped a frame without an id"),
            }
        }
    }

    /// Acknowledges frame `ack_id` ([`Incoming::ack_id`]): Webex will not send it again.
    pub async fn ack(&mut self, ack_id: &str) -> Result<(), MercuryError> {
        let ack = json!({"type": "ack", "messageId": ack_id});
        self.ws
            .send(Message::text(ack.to_string()))
            .await
            .map_err(broken)
    }

    /// The close code the server sent, once [`Mercury::next`] returned `Ok(None)` for a close
    /// frame (e.g. 4401: the token was refused; 4000: a newer connection took over).
    pub fn close_code(&self) -> Option<u16> {
        self.close_code
    }

    /// Closes the websocket (shutdown); unacked frames are replayed to the next connection.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame as Webex sends it, trimmed to the fields that matter (written by hand).
    fn frame(verb: &str, event_type: &str) -> String {
        format!(
            r#"{{"id":"f7a1c2d3-0000-4000-8000-000000000001",
                "data":{{"eventType":"{event_type}",
                  "activity":{{"id":"92db3be0-43bd-11e6-8ae9-dd5b3dfc565d","objectType":"activity",
                    "verb":"{verb}",
                    "actor":{{"id":"f5b36187-c8dd-4727-8b2f-f9c447f29046","objectType":"person",
                              "emailAddress":"alice@example.com",
                              "entryUUID":"f5b36187-c8dd-4727-8b2f-f9c447f29046"}},
                    "object":{{"objectType":"comment"}},
                    "target":{{"id":"bcd8a2b0-43bd-11e6-9d1b-a7f5f8b3a8f8","objectType":"conversation",
                               "tags":["ONE_ON_ONE"]}},
                    "published":"2026-03-01T09:00:00.000Z"}}}},
                "timestamp":1772355600000,"trackingId":"T1"}}"#
        )
    }

    // base64 of the ciscospark:// strings, computed by hand outside this code (the MESSAGE one
    // is the example id of Webex's documentation).
    const MESSAGE_ID: &str =
        "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvOTJkYjNiZTAtNDNiZC0xMWU2LThhZTktZGQ1YjNkZmM1NjVk";
    const ACTION_ID: &str = "Y2lzY29zcGFyazovL3VzL0FUVEFDSE1FTlRfQUNUSU9OLzkyZGIzYmUwLTQzYmQtMTFlNi04YWU5LWRkNWIzZGZjNTY1ZA";
    const PERSON_ID: &str =
        "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mNWIzNjE4Ny1jOGRkLTQ3MjctOGIyZi1mOWM0NDdmMjkwNDY";
    const ROOM_ID: &str =
        "Y2lzY29zcGFyazovL3VzL1JPT00vYmNkOGEyYjAtNDNiZC0xMWU2LTlkMWItYTdmNWY4YjNhOGY4";

    #[test]
    fn the_rest_id_of_a_known_message_uuid_is_webexs_documented_id() {
        assert_eq!(
            rest_id("MESSAGE", "92db3be0-43bd-11e6-8ae9-dd5b3dfc565d"),
            MESSAGE_ID
        );
        // No padding, as Webex's REST ids.
        assert_eq!(
            rest_id("PEOPLE", "f5b36187-c8dd-4727-8b2f-f9c447f29046"),
            PERSON_ID
        );
    }

    #[test]
    fn a_post_is_a_message_with_the_rest_ids_of_message_room_and_sender() {
        let i = incoming(&frame("post", "conversation.activity")).unwrap();
        assert_eq!(i.ack_id, "f7a1c2d3-0000-4000-8000-000000000001");
        assert_eq!(
            i.activity,
            Some(Activity {
                kind: ActivityKind::Message,
                rest_id: MESSAGE_ID.into(),
                room_id: Some(ROOM_ID.into()),
                person_id: Some(PERSON_ID.into()),
                person_email: Some("alice@example.com".into()),
            })
        );
    }

    #[test]
    fn a_share_is_a_message_too() {
        let i = incoming(&frame("share", "conversation.activity")).unwrap();
        let a = i.activity.unwrap();
        assert_eq!(a.kind, ActivityKind::Message);
        assert_eq!(a.rest_id, MESSAGE_ID);
    }

    #[test]
    fn a_card_action_is_an_attachment_action_id() {
        let i = incoming(&frame("cardAction", "conversation.activity")).unwrap();
        let a = i.activity.unwrap();
        assert_eq!(a.kind, ActivityKind::CardAction);
        assert_eq!(a.rest_id, ACTION_ID);
        assert_eq!(a.room_id.as_deref(), Some(ROOM_ID));
    }

    #[test]
    fn other_verbs_and_events_are_still_acked_but_carry_no_activity() {
        for (verb, event) in [
            ("acknowledge", "conversation.activity"),
            ("update", "conversation.activity"),
            ("post", "conversation.highlight"),
        ] {
            let i = incoming(&frame(verb, event)).unwrap();
            assert_eq!(i.ack_id, "f7a1c2d3-0000-4000-8000-000000000001");
            assert_eq!(i.activity, None, "{verb} {event}");
        }
    }

    #[test]
    fn frames_without_an_id_are_not_incoming() {
        assert_eq!(
            incoming(r#"{"data":{"eventType":"conversation.activity"}}"#),
            None
        );
        assert_eq!(incoming(r#"{"id":"","data":{}}"#), None);
        assert_eq!(incoming("not json"), None);
    }
}
