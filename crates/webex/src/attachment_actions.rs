//! Attachment actions: what a user submitted on a card.

use reqwest::Method;
use serde::Deserialize;

use crate::body::Body;
use crate::client::WebexClient;
use crate::error::WebexError;

/// A card submission as `GET /attachment/actions/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentAction {
    pub id: String,
    /// `submit`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The card message the action was taken on.
    pub message_id: Option<String>,
    /// Every `Input.*` id with its value, plus the `data` of the `Action.Submit`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub inputs: serde_json::Map<String, serde_json::Value>,
    pub person_id: Option<String>,
    pub room_id: Option<String>,
    pub created: Option<String>,
}

impl WebexClient {
    /// `GET /attachment/actions/{id}`: the inputs a webhook announcement leaves out.
    pub async fn get_attachment_action(&self, id: &str) -> Result<AttachmentAction, WebexError> {
        self.call_json(
            Method::GET,
            self.url(&["attachment", "actions", id]),
            &Body::Empty,
        )
        .await
    }
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<serde_json::Map<String, serde_json::Value>, D::Error> {
    Ok(Option::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inputs_that_are_null_or_missing_read_as_empty() {
        for v in [json!({"id": "A1", "inputs": null}), json!({"id": "A1"})] {
            let a: AttachmentAction = serde_json::from_value(v).unwrap();
            assert!(a.inputs.is_empty());
        }
        let a: AttachmentAction =
            serde_json::from_value(json!({"id": "A1", "inputs": {"days": "30"}})).unwrap();
        assert_eq!(a.inputs.get("days"), Some(&json!("30")));
    }
}
