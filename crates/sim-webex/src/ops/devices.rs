//! Devices (Webex's WDM) and their websocket queues: registering, listing and deleting a
//! person's devices; the `conversation.activity` frames queued for them when a message or card
//! submit reaches their owner; which frame a connection sends next; acks, replays and the
//! websocket faults.
//!
//! Devices, queues and counters live only as long as the process (they are not in the state
//! file): after a restart a client finds no device and registers one, as after Webex expired it.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::delivery;
use crate::error::ApiError;
use crate::ids;
use crate::model::{ts, AttachmentAction, Message, RoomType, World};
use crate::state::{Shared, SimState, WebsocketFaults};

/// A device registered by `POST /wdm/api/v1/devices`.
#[derive(Debug)]
pub(crate) struct Device {
    /// A bare uuid, as in WDM device URLs.
    pub id: String,
    pub owner_id: String,
    pub fields: NewDevice,
    pub created: DateTime<Utc>,
    /// Frames not yet acked, oldest first, whether sent or not.
    pub queue: VecDeque<Frame>,
    /// The number of the live (authorised) connection, if any.
    pub connection: Option<u64>,
    pub sent: u64,
    pub acked: u64,
    pub replayed: u64,
    /// Bumped whenever a connection must look again: a frame was queued, a newer connection
    /// took over, or the device was deleted.
    pub wake: watch::Sender<u64>,
}

impl Device {
    fn poke(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// The fields of a registration, as sent (Webex's clients send all of them).
#[derive(Debug, Clone)]
pub(crate) struct NewDevice {
    pub name: String,
    pub device_name: Option<String>,
    pub device_type: Option<String>,
    pub localized_model: Option<String>,
    pub model: Option<String>,
    pub system_name: Option<String>,
    pub system_version: Option<String>,
}

/// One queued websocket frame.
#[derive(Debug)]
pub(crate) struct Frame {
    pub id: String,
    pub text: String,
    /// The connection that last sent it.
    pub sent_on: Option<u64>,
}

/// Every device plus the websocket counters and pending faults.
#[derive(Debug, Default)]
pub(crate) struct DeviceHub {
    pub devices: Vec<Device>,
    /// What is left of the faults set by `POST /_sim/websocket/faults`.
    pub faults: WebsocketFaults,
    pub connections: u64,
    pub drops: u64,
    pub handshake_404s: u64,
    next_connection: u64,
}

/// What a connection does next.
#[derive(Debug)]
pub(crate) enum Next {
    /// Send this frame; then, when `drop` is set, close the TCP connection abruptly.
    Send { text: String, drop: bool },
    /// Nothing to send: wait for a wake-up.
    Idle,
    /// A newer connection took over, or the device was deleted: close.
    Gone,
}

fn device_not_found() -> ApiError {
    ApiError::not_found("device")
}

/// `ws://` or `wss://` for the simulator's `http://` or `https://` public base.
fn websocket_base(public_base: &str) -> String {
    if let Some(rest) = public_base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = public_base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        public_base.to_owned()
    }
}

fn render(d: &Device, public_base: &str) -> Value {
    let f = &d.fields;
    json!({
        "url": format!("{public_base}/wdm/api/v1/devices/{}", d.id),
        "webSocketUrl": format!("{}/mercury/ws/{}", websocket_base(public_base), d.id),
        "name": f.name,
        "deviceName": f.device_name.as_deref().unwrap_or(&f.name),
        "deviceType": f.device_type.as_deref().unwrap_or("DESKTOP"),
        "localizedModel": f.localized_model.as_deref().unwrap_or_default(),
        "model": f.model.as_deref().unwrap_or_default(),
        "systemName": f.system_name.as_deref().unwrap_or_default(),
        "systemVersion": f.system_version.as_deref().unwrap_or_default(),
        "creationTime": ts(&d.created),
        "modificationTime": ts(&d.created),
    })
}

/// The uuid inside a REST id (an id the simulator did not make passes through unchanged).
fn bare(id: &str) -> String {
    ids::uuid_of(id).unwrap_or_else(|| id.to_owned())
}

/// The `conversation.activity` frame of one activity (the envelope Webex's Mercury sends).
fn activity_frame(
    world: &World,
    id: &str,
    verb: &str,
    actor: &str,
    room_id: &str,
    object: Value,
    published: &DateTime<Utc>,
) -> (String, String) {
    let frame_id = uuid::Uuid::new_v4().to_string();
    let email = world
        .person(actor)
        .map(|p| p.email.clone())
        .unwrap_or_default();
    let tags: Vec<&str> = match world.room(room_id).map(|r| r.kind) {
        Some(RoomType::Direct) => vec!["ONE_ON_ONE"],
        _ => Vec::new(),
    };
    let body = json!({
        "id": frame_id,
        "data": {
            "eventType": "conversation.activity",
            "activity": {
                "id": bare(id),
                "objectType": "activity",
                "verb": verb,
                "actor": {
                    "id": bare(actor),
                    "objectType": "person",
                    "emailAddress": email,
                    "entryUUID": bare(actor),
                },
                "object": object,
                "target": {
                    "id": bare(room_id),
                    "objectType": "conversation",
                    "tags": tags,
                },
                "published": ts(published),
            },
        },
        "timestamp": published.timestamp_millis(),
        "trackingId": ids::tracking_id(),
    });
    (frame_id, body.to_string())
}

/// Queues a frame (made fresh for each, so every frame has its own id) on every device whose
/// owner `reaches` says the activity is for.
fn queue(
    shared: &mut Shared,
    reaches: impl Fn(&World, &str) -> bool,
    frame: impl Fn(&World) -> (String, String),
) {
    let Shared { world, live } = shared;
    for device in live
        .devices
        .devices
        .iter_mut()
        .filter(|d| reaches(world, &d.owner_id))
    {
        let (id, text) = frame(world);
        device.queue.push_back(Frame {
            id,
            text,
            sent_on: None,
        });
        device.poke();
    }
}

/// Queues a `post` activity (`share` when it has files) for the devices of everyone the new
/// `msg` reaches, by the rule webhooks follow.
pub(crate) fn queue_message(shared: &mut Shared, msg: &Message) {
    let world = &shared.world;
    let (verb, mut object) = if msg.file_ids.is_empty() {
        ("post", json!({"objectType": "comment"}))
    } else {
        let files: Vec<Value> = msg
            .file_ids
            .iter()
            .filter_map(|f| world.file(f))
            .map(|f| json!({"objectType": "file", "displayName": f.filename}))
            .collect();
        (
            "share",
            json!({"objectType": "content", "contentCategory": "documents", "files": {"items": files}}),
        )
    };
    if let Some(text) = &msg.text {
        object["displayName"] = json!(text);
    }
    if !msg.mentioned_people.is_empty() {
        let items: Vec<Value> = msg
            .mentioned_people
            .iter()
            .map(|p| json!({"id": bare(p), "objectType": "person"}))
            .collect();
        object["mentions"] = json!({ "items": items });
    }
    queue(
        shared,
        |w, owner| delivery::message_reaches(w, msg, owner),
        |w| {
            activity_frame(
                w,
                &msg.id,
                verb,
                &msg.person_id,
                &msg.room_id,
                object.clone(),
                &msg.created,
            )
        },
    );
}

/// Queues a `cardAction` activity for the devices of the card's author (the rule webhooks follow).
/// Like the webhook data, it carries no inputs: the client reads the submit by its REST id.
pub(crate) fn queue_action(shared: &mut Shared, action: &AttachmentAction) {
    let object = json!({"objectType": "submit", "parent": {"id": bare(&action.message_id)}});
    queue(
        shared,
        |w, owner| delivery::action_reaches(w, action, owner),
        |w| {
            activity_frame(
                w,
                &action.id,
                "cardAction",
                &action.person_id,
                &action.room_id,
                object.clone(),
                &action.created,
            )
        },
    );
}

impl SimState {
    pub(crate) fn register_device(&self, owner: &str, new: NewDevice) -> Result<Value, ApiError> {
        if new.name.trim().is_empty() {
            return Err(ApiError::bad("name must not be empty."));
        }
        let now = self.now();
        let public_base = self.inner.public_base.clone();
        let mut shared = self.lock();
        let device = Device {
            id: uuid::Uuid::new_v4().to_string(),
            owner_id: owner.to_owned(),
            fields: new,
            created: now,
            queue: VecDeque::new(),
            connection: None,
            sent: 0,
            acked: 0,
            replayed: 0,
            wake: watch::Sender::new(0),
        };
        let json = render(&device, &public_base);
        shared.live.devices.devices.push(device);
        Ok(json)
    }

    /// The caller's devices, oldest first.
    pub(crate) fn devices_json(&self, owner: &str) -> Vec<Value> {
        let shared = self.lock();
        shared
            .live
            .devices
            .devices
            .iter()
            .filter(|d| d.owner_id == owner)
            .map(|d| render(d, &self.inner.public_base))
            .collect()
    }

    pub(crate) fn device_json(&self, owner: &str, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        shared
            .live
            .devices
            .devices
            .iter()
            .find(|d| d.id == id && d.owner_id == owner)
            .map(|d| render(d, &self.inner.public_base))
            .ok_or_else(device_not_found)
    }

    /// Deletes one of the caller's devices; its connection closes and its queue is dropped.
    pub(crate) fn delete_device(&self, owner: &str, id: &str) -> Result<(), ApiError> {
        let mut shared = self.lock();
        let devices = &mut shared.live.devices.devices;
        let Some(at) = devices
            .iter()
            .position(|d| d.id == id && d.owner_id == owner)
        else {
            return Err(device_not_found());
        };
        let device = devices.remove(at);
        device.poke();
        Ok(())
    }

    /// Before the upgrade: 404 for an unknown device, or while a `handshake404` fault is pending.
    pub(crate) fn websocket_handshake(&self, id: &str) -> Result<(), ApiError> {
        let mut shared = self.lock();
        let hub = &mut shared.live.devices;
        if !hub.devices.iter().any(|d| d.id == id) {
            return Err(device_not_found());
        }
        if let Some(n) = hub.faults.handshake_404.filter(|n| *n > 0) {
            hub.faults.handshake_404 = (n > 1).then_some(n - 1);
            hub.handshake_404s += 1;
            return Err(device_not_found());
        }
        hub.connections += 1;
        Ok(())
    }

    /// Makes the connection authorised with `token` the device's live one (a previous one is
    /// told to close). `None` when the token is not the owner's.
    pub(crate) fn websocket_authorize(
        &self,
        id: &str,
        token: &str,
    ) -> Option<(u64, watch::Receiver<u64>)> {
        let person = self.authenticate(token)?;
        let mut shared = self.lock();
        let hub = &mut shared.live.devices;
        hub.next_connection += 1;
        let serial = hub.next_connection;
        let device = hub
            .devices
            .iter_mut()
            .find(|d| d.id == id && d.owner_id == person)?;
        device.connection = Some(serial);
        device.poke();
        Some((serial, device.wake.subscribe()))
    }

    /// The next frame connection `serial` of device `id` sends: the oldest unacked one it has
    /// not sent yet (frames sent by an earlier connection are replayed).
    pub(crate) fn websocket_next(&self, id: &str, serial: u64) -> Next {
        let mut shared = self.lock();
        let hub = &mut shared.live.devices;
        let Some(device) = hub.devices.iter_mut().find(|d| d.id == id) else {
            return Next::Gone;
        };
        if device.connection != Some(serial) {
            return Next::Gone;
        }
        let Some(frame) = device.queue.iter_mut().find(|f| f.sent_on != Some(serial)) else {
            return Next::Idle;
        };
        if frame.sent_on.is_some() {
            device.replayed += 1;
        }
        frame.sent_on = Some(serial);
        device.sent += 1;
        let text = frame.text.clone();
        let drop = match hub.faults.drop_after_frames {
            Some(n) if n <= 1 => {
                hub.faults.drop_after_frames = None;
                hub.drops += 1;
                true
            }
            Some(n) => {
                hub.faults.drop_after_frames = Some(n - 1);
                false
            }
            None => false,
        };
        Next::Send { text, drop }
    }

    /// The client acked frame `frame_id`: it is never sent again. `true` when the `dropOnAck`
    /// fault fires instead: the ack is not taken and the connection must be dropped.
    pub(crate) fn websocket_ack(&self, id: &str, frame_id: &str) -> bool {
        let mut shared = self.lock();
        let hub = &mut shared.live.devices;
        match hub.faults.drop_on_ack {
            Some(n) if n <= 1 => {
                hub.faults.drop_on_ack = None;
                hub.drops += 1;
                return true;
            }
            Some(n) => hub.faults.drop_on_ack = Some(n - 1),
            None => {}
        }
        if let Some(device) = hub.devices.iter_mut().find(|d| d.id == id) {
            let before = device.queue.len();
            device.queue.retain(|f| f.id != frame_id);
            if device.queue.len() < before {
                device.acked += 1;
            }
        }
        false
    }

    /// Connection `serial` ended; the device has no live connection unless a newer one took over.
    pub(crate) fn websocket_closed(&self, id: &str, serial: u64) {
        let mut shared = self.lock();
        if let Some(device) = shared
            .live
            .devices
            .devices
            .iter_mut()
            .find(|d| d.id == id && d.connection == Some(serial))
        {
            device.connection = None;
        }
    }

    /// `GET /_sim/websocket`.
    pub(crate) fn websocket_json(&self) -> Value {
        let shared = self.lock();
        let hub = &shared.live.devices;
        let devices: Vec<Value> = hub
            .devices
            .iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "ownerId": d.owner_id,
                    "name": d.fields.name,
                    "connected": d.connection.is_some(),
                    "unacked": d.queue.len(),
                    "sent": d.sent,
                    "acked": d.acked,
                    "replayed": d.replayed,
                })
            })
            .collect();
        json!({
            "devices": devices,
            "connections": hub.connections,
            "drops": hub.drops,
            "handshake404s": hub.handshake_404s,
        })
    }

    /// Replaces the pending websocket faults.
    pub fn set_websocket_faults(&self, faults: WebsocketFaults) -> Result<(), ApiError> {
        if faults.drop_after_frames == Some(0) || faults.drop_on_ack == Some(0) {
            return Err(ApiError::bad(
                "dropAfterFrames and dropOnAck must be at least 1.",
            ));
        }
        self.lock().live.devices.faults = WebsocketFaults {
            drop_after_frames: faults.drop_after_frames,
            handshake_404: faults.handshake_404.filter(|n| *n > 0),
            drop_on_ack: faults.drop_on_ack,
        };
        Ok(())
    }

    /// What is left of the websocket faults.
    pub fn websocket_faults(&self) -> WebsocketFaults {
        self.lock().live.devices.faults.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::websocket_base;

    #[test]
    fn the_websocket_base_swaps_the_scheme_and_keeps_host_and_prefix() {
        assert_eq!(
            websocket_base("http://127.0.0.1:8080/webex"),
            "ws://127.0.0.1:8080/webex"
        );
        assert_eq!(websocket_base("https://sim.example"), "wss://sim.example");
    }
}
