//! The webhook envelope as the bot reads it (webex-api.md "Webhooks"), and the queued job.

use serde::{Deserialize, Serialize};

/// The resources the bot subscribes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resource {
    /// `messages`/`created`: someone wrote to the bot.
    Message,
    /// `attachmentActions`/`created`: someone submitted a card.
    AttachmentAction,
}

/// A signed webhook delivery, parsed only after its signature was verified.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub resource: String,
    pub event: String,
    pub data: EventData,
}

/// The `data` of a delivery: ids only, never the message text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventData {
    pub id: String,
    #[serde(default)]
    pub room_id: Option<String>,
    #[serde(default)]
    pub room_type: Option<String>,
    #[serde(default)]
    pub person_id: Option<String>,
    #[serde(default)]
    pub person_email: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
}

impl Envelope {
    /// The resource this bot handles, or `None` for anything else (acknowledged and ignored).
    pub fn resource(&self) -> Option<Resource> {
        match (self.resource.as_str(), self.event.as_str()) {
            ("messages", "created") => Some(Resource::Message),
            ("attachmentActions", "created") => Some(Resource::AttachmentAction),
            _ => None,
        }
    }
}

/// One accepted event waiting for a worker (queued in the bot store as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub resource: Resource,
    pub data: EventData,
}
