//! A card submit (`attachmentActions`): verified before anything personal is read, then run
//! exactly like a typed command; a stale card is replaced by a fresh one of its kind.

use std::sync::Arc;

use serde_json::Value;
use slbot_chat::cards::{CardKind, CardRefusal};
use slbot_chat::{sentences, Answer};
use slbot_inventory::Inventory;

use super::{replies, Bot, Context, INVENTORY_NOT_READ};
use crate::events::EventData;
use crate::queue::Handled;
use crate::routing::{Privacy, RoomType};

/// Another try when nothing of the answer reached the person for a passing reason.
pub(super) fn retry_when_undelivered(undelivered: Option<String>) -> Handled {
    match undelivered {
        Some(reason) => Handled::Retry(format!("the answer could not be posted: {reason}")),
        None => Handled::Done,
    }
}

impl Bot {
    /// Works on one card submit (`attachmentActions` event) to the end.
    pub async fn on_card_submit(&self, data: &EventData) -> Handled {
        if self.is_own(data) {
            return Handled::Done;
        }
        let action = match self.webex.get_attachment_action(&data.id).await {
            Ok(action) => action,
            Err(e) => {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "cannot fetch the card submit");
                self.say_in_room(data, replies::CARD_FAILED).await;
                return Handled::Done;
            }
        };
        let Some(person_id) = self.sender(action.person_id.clone(), data, "card submit") else {
            return Handled::Done;
        };
        let Some(room_id) = action.room_id.clone().or_else(|| data.room_id.clone()) else {
            tracing::warn!("a card submit without a space: ignored");
            return Handled::Done;
        };
        let room_type = match self.webex.get_room(&room_id).await {
            Ok(room) => match room.room_type {
                Some(slbot_webex::RoomType::Direct) => RoomType::Direct,
                _ => RoomType::Group,
            },
            Err(e) => {
                // A group is the safe reading: personal answers then go to the 1:1 space.
                tracing::warn!(error = %e, "cannot read the space of a card submit: treated as a group");
                RoomType::Group
            }
        };
        let ctx = Context {
            room_id,
            room_type,
            parent_id: None,
            person_id,
            posts: super::PostLog::new("a", &data.id),
        };
        let card_message = action
            .message_id
            .clone()
            .or_else(|| data.message_id.clone());
        let inputs = Value::Object(action.inputs);
        if !self
            .admit(&ctx, data.person_email.as_deref(), "card submit")
            .await
        {
            return Handled::Done;
        }

        let now = self.clock.now();
        let checked = slbot_chat::verify_submit(
            &inputs,
            &ctx.person_id,
            INVENTORY_NOT_READ,
            now,
            &self.card_secret,
        );
        let target = ctx.personal_target();
        match checked {
            Ok(request) => {
                tracing::info!(command = request.command.name(), "card submit accepted");
                let answer = match self.personal(&request.command, &ctx, &target).await {
                    Ok(answer) => answer,
                    Err(failure) => self.failure_reply(failure, &ctx),
                };
                retry_when_undelivered(self.deliver(&ctx, Privacy::Personal, &answer).await)
            }
            // A genuine filter card of this person, in time: are its choices still current?
            Err(CardRefusal::InventoryChanged) => {
                let inventory = match self.inventory(&ctx, &target, false).await {
                    Ok(inventory) => inventory,
                    Err(failure) => {
                        let answer = self.failure_reply(failure, &ctx);
                        self.deliver(&ctx, Privacy::Personal, &answer).await;
                        return Handled::Done;
                    }
                };
                let version = slbot_chat::inventory_version(&inventory);
                match slbot_chat::verify_submit(
                    &inputs,
                    &ctx.person_id,
                    &version,
                    now,
                    &self.card_secret,
                ) {
                    Ok(request) => {
                        tracing::info!(command = request.command.name(), "filter card accepted");
                        let answer = self
                            .answer_with(&request.command, &inventory, &ctx.person_id)
                            .await;
                        retry_when_undelivered(self.deliver(&ctx, Privacy::Personal, &answer).await)
                    }
                    Err(refusal) => {
                        self.refuse_card(&refusal, &ctx, card_message.as_deref(), Some(inventory))
                            .await;
                        Handled::Done
                    }
                }
            }
            Err(refusal) => {
                self.refuse_card(&refusal, &ctx, card_message.as_deref(), None)
                    .await;
                Handled::Done
            }
        }
    }

    /// A refused card submit: the sentence where the card was (it names nothing personal),
    /// and for a stale card (expired, or built from another inventory) the old card deleted
    /// and a fresh one of its kind sent to the submitter, who is then known to be its
    /// recipient.
    async fn refuse_card(
        &self,
        refusal: &CardRefusal,
        ctx: &Context,
        card_message: Option<&str>,
        inventory: Option<Arc<Inventory>>,
    ) {
        tracing::info!(refusal = %refusal, "card submit refused");
        self.deliver(
            ctx,
            Privacy::Public,
            &Answer::text(sentences::card_refusal(refusal)),
        )
        .await;
        let Some(kind) = refusal.fresh_card() else {
            return;
        };
        if let Some(id) = card_message {
            if let Err(e) = self.webex.delete_message(id).await {
                tracing::warn!(error = %e, "cannot delete the stale card; posting a fresh one anyway");
            }
        }
        let answer = match kind {
            CardKind::Help => self.help_card(&ctx.person_id),
            CardKind::Filter => {
                let inventory = match inventory {
                    Some(inventory) => Ok(inventory),
                    None => self.inventory(ctx, &ctx.personal_target(), false).await,
                };
                match inventory {
                    Ok(inventory) => {
                        Answer::card(self.filter_card(&inventory, &ctx.person_id, self.clock.now()))
                    }
                    Err(failure) => self.failure_reply(failure, ctx),
                }
            }
        };
        self.deliver(ctx, Privacy::Personal, &answer).await;
    }
}
