//! Attachment actions: submitting a card and reading a submit back.

use serde_json::Value;

use super::{event, message_not_found};
use crate::delivery;
use crate::error::ApiError;
use crate::ids::{self, Kind};
use crate::model::AttachmentAction;
use crate::state::SimState;

impl SimState {
    /// Submits a card: `actor` must be in the room of a message carrying a card.
    pub(crate) fn submit(
        &self,
        actor: &str,
        message_id: &str,
        inputs: Value,
    ) -> Result<Value, ApiError> {
        if !inputs.is_object() {
            return Err(ApiError::bad("inputs must be a JSON object."));
        }
        let now = self.now();
        let (json, deliveries) = self.write(|s| {
            let w = &s.world;
            let msg = match w.message(message_id) {
                Some(m) if w.is_member(&m.room_id, actor) => m,
                _ => return Err(message_not_found()),
            };
            if msg.attachments.is_empty() {
                return Err(ApiError::bad("The message has no card to submit."));
            }
            let action = AttachmentAction {
                id: ids::new_id(Kind::AttachmentAction),
                message_id: message_id.to_owned(),
                person_id: actor.to_owned(),
                room_id: msg.room_id.clone(),
                inputs,
                created: now,
            };
            let deliveries = delivery::for_action(w, &action);
            let json = action.render();
            s.world.next_seq();
            let mut ev = event(&s.world, "attachmentActionCreated", &action.room_id);
            ev.message_id = Some(message_id.to_owned());
            ev.action = Some(json.clone());
            s.live.push_event(ev);
            s.live.stats.attachment_actions += 1;
            super::devices::queue_action(s, &action);
            s.world.actions.push(action);
            Ok((json, deliveries))
        })?;
        self.dispatch(deliveries);
        Ok(json)
    }

    pub(crate) fn action_json(&self, viewer: &str, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        match w.actions.iter().find(|a| a.id == id) {
            Some(a) if w.is_member(&a.room_id, viewer) => Ok(a.render()),
            _ => Err(ApiError::not_found("attachment action")),
        }
    }
}
