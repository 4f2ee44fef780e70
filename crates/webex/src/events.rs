//! The webhook delivery envelope Webex POSTs to the bot, and the typed `data` of the two events
//! the bot subscribes to. Parse only after [`crate::verify_signature`] accepted the raw body.

use serde::Deserialize;

use crate::messages::RoomType;

/// `resource` of message events.
pub const RESOURCE_MESSAGES: &str = "messages";
/// `resource` of card-submit events.
pub const RESOURCE_ATTACHMENT_ACTIONS: &str = "attachmentActions";
/// `event` of the events the bot subscribes to.
pub const EVENT_CREATED: &str = "created";

/// One webhook delivery (`POST targetUrl`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    /// The webhook's id (not the event's: deliveries are deduplicated by `data.id`).
    pub id: String,
    pub name: Option<String>,
    pub resource: String,
    pub event: String,
    pub filter: Option<String>,
    pub org_id: Option<String>,
    pub created_by: Option<String>,
    pub app_id: Option<String>,
    pub owned_by: Option<String>,
    pub status: Option<String>,
    pub actor_id: Option<String>,
    pub created: Option<String>,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// `data` of `messages`/`created`: no text; fetch it with [`crate::WebexClient::get_message`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageEventData {
    pub id: String,
    pub room_id: String,
    pub room_type: Option<RoomType>,
    pub person_id: Option<String>,
    pub person_email: Option<String>,
    #[serde(default)]
    pub mentioned_people: Vec<String>,
    pub created: Option<String>,
}

/// `data` of `attachmentActions`/`created`: no inputs; fetch them with
/// [`crate::WebexClient::get_attachment_action`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentActionEventData {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub message_id: Option<String>,
    pub person_id: Option<String>,
    pub room_id: Option<String>,
    pub created: Option<String>,
}

/// The `data` of an event, typed when it is one the bot subscribes to.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    MessageCreated(MessageEventData),
    AttachmentActionCreated(AttachmentActionEventData),
    /// Any other resource/event pair, untouched.
    Other(serde_json::Value),
}

impl WebhookEvent {
    /// Parses a delivery body (already signature-checked).
    pub fn from_slice(raw_body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(raw_body)
    }

    /// The `data`, typed by `resource`/`event`. An error means Webex sent a known event whose
    /// data lacks a required field (`id`, or `roomId` for messages).
    pub fn typed_data(&self) -> Result<EventData, serde_json::Error> {
        match (self.resource.as_str(), self.event.as_str()) {
            (RESOURCE_MESSAGES, EVENT_CREATED) => {
                MessageEventData::deserialize(&self.data).map(EventData::MessageCreated)
            }
            (RESOURCE_ATTACHMENT_ACTIONS, EVENT_CREATED) => {
                AttachmentActionEventData::deserialize(&self.data)
                    .map(EventData::AttachmentActionCreated)
            }
            _ => Ok(EventData::Other(self.data.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped like the example deliveries in Webex's webhook guide.
    const MESSAGE_CREATED: &str = r#"{
        "id": "Y2lzY29zcGFyazovL3VzL1dFQkhPT0svOTZhYmMyYWEtM2RjYy0xMWU1LWExNTItZmUzNDgxOWNkYzlh",
        "name": "slbot-messages",
        "targetUrl": "https://bot.example.com/webhooks/webex",
        "resource": "messages",
        "event": "created",
        "orgId": "ORG1",
        "createdBy": "BOT1",
        "appId": "APP1",
        "ownedBy": "creator",
        "status": "active",
        "created": "2026-11-28T10:00:00.000Z",
        "actorId": "PERSON1",
        "data": {
            "id": "MSG1",
            "roomId": "ROOM1",
            "roomType": "group",
            "personId": "PERSON1",
            "personEmail": "ana@example.com",
            "mentionedPeople": ["BOT1"],
            "created": "2026-11-28T10:00:00.000Z"
        }
    }"#;

    #[test]
    fn a_message_delivery_reads_into_typed_data() {
        let e = WebhookEvent::from_slice(MESSAGE_CREATED.as_bytes()).unwrap();
        assert_eq!(e.actor_id.as_deref(), Some("PERSON1"));
        let EventData::MessageCreated(d) = e.typed_data().unwrap() else {
            panic!("expected a message event");
        };
        assert_eq!(d.id, "MSG1");
        assert_eq!(d.room_id, "ROOM1");
        assert_eq!(d.room_type, Some(RoomType::Group));
        assert_eq!(d.mentioned_people, vec!["BOT1".to_string()]);
    }

    #[test]
    fn a_card_submit_delivery_reads_into_typed_data() {
        let raw = r#"{"id":"W2","name":"slbot-attachment-actions","resource":"attachmentActions",
            "event":"created","data":{"id":"ACT1","type":"submit","messageId":"MSG9",
            "personId":"P1","roomId":"R1","created":"2026-11-28T10:00:00.000Z"}}"#;
        let e = WebhookEvent::from_slice(raw.as_bytes()).unwrap();
        let EventData::AttachmentActionCreated(d) = e.typed_data().unwrap() else {
            panic!("expected a card event");
        };
        assert_eq!(d.id, "ACT1");
        assert_eq!(d.message_id.as_deref(), Some("MSG9"));
    }

    #[test]
    fn other_events_keep_their_data_and_broken_known_ones_are_errors() {
        let raw = r#"{"id":"W3","resource":"memberships","event":"deleted","data":{"x":1}}"#;
        let e = WebhookEvent::from_slice(raw.as_bytes()).unwrap();
        assert_eq!(
            e.typed_data().unwrap(),
            EventData::Other(serde_json::json!({"x": 1}))
        );
        let raw = r#"{"id":"W1","resource":"messages","event":"created","data":{"roomId":"R"}}"#;
        let e = WebhookEvent::from_slice(raw.as_bytes()).unwrap();
        assert!(e.typed_data().is_err());
    }
}
