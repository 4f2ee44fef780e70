//! Posting answers: where [`crate::routing`] says, every message of an answer in order (cards,
//! files, threads), and the note in the group when the answer went to the 1:1 space.

use slbot_chat::Answer;
use slbot_webex::{Destination, FileUpload, NewFileMessage, NewMessage, WebexError};

use std::sync::atomic::Ordering;

use super::{replies, Bot, Context, PostLog};
use crate::events::EventData;
use crate::routing::{Privacy, Target, GROUP_NOTE};

/// What of an answer was posted.
enum Posted {
    All,
    /// Some messages, not all (never tried again: the first ones would come twice).
    Partly,
    /// None; with the reason when it may pass.
    Nothing(Option<String>),
}

impl Bot {
    /// Posts an answer where it belongs, and the note in the group when it went elsewhere.
    /// `Some(reason)` when nothing at all reached anyone for a reason that may pass (Webex
    /// failing on the first message): the event is worth another try.
    pub(super) async fn deliver(
        &self,
        ctx: &Context,
        privacy: Privacy,
        answer: &Answer,
    ) -> Option<String> {
        let plan = ctx.plan(privacy);
        let posted = self.post_all(&plan.target, answer, Some(&ctx.posts)).await;
        if let Some(note) = plan.group_note {
            let text = match posted {
                Posted::All => GROUP_NOTE,
                Posted::Partly | Posted::Nothing(_) => replies::PERSONAL_SPACE_FAILED,
            };
            // The group heard something: trying again would say it twice.
            self.post_all(&note, &Answer::text(text), Some(&ctx.posts))
                .await;
            return None;
        }
        match posted {
            Posted::Nothing(Some(reason)) => Some(reason),
            Posted::All | Posted::Partly | Posted::Nothing(None) => None,
        }
    }

    /// Posts every message of an answer in order, stopping at the first that fails. With a
    /// [`PostLog`], messages an earlier attempt of the event posted are skipped and each new
    /// one is recorded.
    async fn post_all(&self, target: &Target, answer: &Answer, log: Option<&PostLog>) -> Posted {
        let earlier = match log {
            None => 0,
            Some(log) => *log
                .earlier
                .get_or_init(|| async {
                    self.store.posted(&log.key).await.unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "cannot read what was posted before; posting all");
                        0
                    })
                })
                .await,
        };
        for (i, message) in answer.messages.iter().enumerate() {
            let index = log.map(|l| l.next.fetch_add(1, Ordering::AcqRel));
            if index.is_some_and(|n| n < earlier) {
                tracing::info!("a message an earlier attempt posted is not posted again");
                continue;
            }
            if let Err(e) = self.post_one(target, message).await {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "cannot post a reply");
                if let Some(log) = log {
                    // Not posted: the next attempt posts it.
                    log.next.fetch_sub(1, Ordering::AcqRel);
                }
                if i > 0 {
                    return Posted::Partly;
                }
                return Posted::Nothing(e.is_transient().then(|| e.to_string()));
            }
            if let (Some(log), Some(n)) = (log, index) {
                if let Err(e) = self
                    .store
                    .note_posted(&log.key, n + 1, self.clock.now())
                    .await
                {
                    tracing::warn!(error = %e, "cannot record a posted message");
                }
            }
        }
        Posted::All
    }

    pub(super) async fn post_one(
        &self,
        target: &Target,
        message: &slbot_chat::Message,
    ) -> Result<slbot_webex::Message, WebexError> {
        let (destination, parent) = match target {
            Target::Room { room_id, parent_id } => {
                (Destination::Room(room_id.clone()), parent_id.clone())
            }
            Target::Person { person_id } => (Destination::PersonId(person_id.clone()), None),
        };
        if let Some(card) = &message.card {
            // One card per message, never edited; the markdown is its fallback.
            let mut new = NewMessage::new(destination)
                .markdown(message.markdown.clone())
                .card(card.content.clone());
            if let Some(parent) = parent {
                new = new.in_thread(parent);
            }
            return self.webex.create_message(&new).await;
        }
        match &message.attachment {
            None => {
                let mut new = NewMessage::new(destination).markdown(message.markdown.clone());
                if let Some(parent) = parent {
                    new = new.in_thread(parent);
                }
                self.webex.create_message(&new).await
            }
            Some(file) => {
                let upload = FileUpload::new(
                    file.filename.clone(),
                    file.content_type.clone(),
                    file.bytes.clone(),
                );
                let mut new =
                    NewFileMessage::new(destination, upload).markdown(message.markdown.clone());
                if let Some(parent) = parent {
                    new = new.in_thread(parent);
                }
                self.webex.create_message_with_file(&new).await
            }
        }
    }

    /// A sentence that reveals nothing personal, in the space of the event (not the bot's own).
    pub(super) async fn say_in_room(&self, data: &EventData, sentence: &str) {
        if self.is_own(data) {
            return;
        }
        if let Some(room_id) = &data.room_id {
            let target = Target::Room {
                room_id: room_id.clone(),
                parent_id: None,
            };
            self.post_all(&target, &Answer::text(sentence), None).await;
        }
    }
}
