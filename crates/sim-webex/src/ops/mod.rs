//! What the simulator does, independent of HTTP: the rules of people, rooms, memberships,
//! messages, files, webhooks and card submits. REST handlers and the control API both call these;
//! each mutation records its event and statistics and starts the webhook deliveries it causes.
//!
//! One file per resource, like `api/` (plus `devices`, the WDM devices and their websocket
//! queues, and `faults`); each adds its own `impl SimState` block. This file holds
//! what they share: the destination of a message or membership, "not found" errors, and events.

mod actions;
mod contents;
mod devices;
mod faults;
mod memberships;
mod messages;
mod people;
mod rooms;
mod webhooks;

pub(crate) use devices::{DeviceHub, NewDevice, Next};
pub(crate) use messages::{Draft, MessageQuery, Upload};
pub use messages::{ADAPTIVE_CARD, MAX_EDITS, MAX_MESSAGE_BYTES};
pub use people::NewPerson;
pub(crate) use webhooks::{NewWebhook, WebhookUpdate};

use crate::error::ApiError;
use crate::model::World;
use crate::state::SimEvent;

/// Where a new message goes (or, for a membership, whom it adds).
#[derive(Debug, Clone)]
pub(crate) enum Dest {
    Room(String),
    PersonId(String),
    PersonEmail(String),
}

fn room_not_found() -> ApiError {
    ApiError::not_found("room")
}

fn message_not_found() -> ApiError {
    ApiError::not_found("message")
}

fn person_not_found() -> ApiError {
    ApiError::not_found("person")
}

/// An event of `kind` in a room, for everyone who is a member of it now.
fn event(world: &World, kind: &'static str, room_id: &str) -> SimEvent {
    SimEvent {
        seq: world.seq,
        kind,
        room_id: room_id.to_owned(),
        audience: world
            .members(room_id)
            .map(|m| m.person_id.clone())
            .collect(),
        message_id: None,
        message: None,
        action: None,
    }
}
