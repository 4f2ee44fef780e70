//! Messages: posting (with a file or a card), reading, listing with Webex's filters, editing
//! and deleting, and the control API's view of a room's messages.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::rooms::ensure_direct;
use super::{event, message_not_found, person_not_found, room_not_found, Dest};
use crate::delivery;
use crate::error::ApiError;
use crate::ids::{self, Kind};
use crate::mentions;
use crate::model::{Message, StoredFile, World};
use crate::state::{Shared, SimState};

/// Webex's limit on `text` and `markdown`, in UTF-8 bytes.
pub const MAX_MESSAGE_BYTES: usize = 7439;
/// Webex's limit on edits of one message.
pub const MAX_EDITS: u32 = 10;
/// The only attachment content type Webex accepts.
pub const ADAPTIVE_CARD: &str = "application/vnd.microsoft.card.adaptive";

/// An uploaded file.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub filename: String,
    pub content_type: String,
    pub bytes: bytes::Bytes,
}

/// A message to post.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub dest: Dest,
    pub text: Option<String>,
    pub markdown: Option<String>,
    pub parent_id: Option<String>,
    pub attachments: Vec<Value>,
    pub file: Option<Upload>,
}

/// Filters of `GET /v1/messages`.
#[derive(Debug, Default, Clone)]
pub(crate) struct MessageQuery {
    pub room_id: String,
    pub parent_id: Option<String>,
    pub mentioned_people: Option<String>,
    pub before: Option<DateTime<Utc>>,
    pub before_message: Option<String>,
}

fn check_length(s: &Option<String>) -> Result<(), ApiError> {
    match s {
        Some(s) if s.len() > MAX_MESSAGE_BYTES => Err(ApiError::TooLong),
        _ => Ok(()),
    }
}

/// The room a message goes to, creating the direct room of author and recipient if needed.
fn resolve_dest(
    shared: &mut Shared,
    author: &str,
    dest: &Dest,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let world = &shared.world;
    let other = match dest {
        Dest::Room(id) => {
            return match world.room(id) {
                Some(r) if world.is_member(&r.id, author) => Ok(r.id.clone()),
                _ => Err(room_not_found()),
            };
        }
        Dest::PersonId(id) => world.person(id).ok_or_else(person_not_found)?.id.clone(),
        Dest::PersonEmail(e) => world
            .person_by_email(e)
            .ok_or_else(person_not_found)?
            .id
            .clone(),
    };
    if other == author {
        return Err(ApiError::bad(
            "You cannot send a direct message to yourself.",
        ));
    }
    ensure_direct(shared, author, &other, now)
}

/// `text`, `markdown`, `html` and mentions of a message body.
struct Body {
    text: Option<String>,
    markdown: Option<String>,
    html: Option<String>,
    mentioned_people: Vec<String>,
    mentioned_groups: Vec<String>,
}

fn body(world: &World, text: Option<String>, markdown: Option<String>) -> Body {
    match markdown {
        Some(md) => {
            let r = mentions::render(&md, world);
            Body {
                text: Some(text.unwrap_or(r.text)),
                markdown: Some(md),
                html: Some(r.html),
                mentioned_people: r.mentioned_people,
                mentioned_groups: r.mentioned_groups,
            }
        }
        None => Body {
            text,
            markdown: None,
            html: None,
            mentioned_people: Vec::new(),
            mentioned_groups: Vec::new(),
        },
    }
}

impl SimState {
    /// Posts a message as `author`; returns its id. Starts the webhook deliveries it causes.
    pub(crate) fn post_message(&self, author: &str, draft: Draft) -> Result<String, ApiError> {
        check_length(&draft.text)?;
        check_length(&draft.markdown)?;
        if draft.attachments.len() > 1 {
            return Err(ApiError::bad(
                "Only one attachment (card) per message is supported.",
            ));
        }
        for a in &draft.attachments {
            if a["contentType"].as_str() != Some(ADAPTIVE_CARD) || !a["content"].is_object() {
                return Err(ApiError::bad(format!(
                    "An attachment needs contentType {ADAPTIVE_CARD} and a content object."
                )));
            }
        }
        let empty = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        if empty(&draft.text)
            && empty(&draft.markdown)
            && draft.file.is_none()
            && draft.attachments.is_empty()
        {
            return Err(ApiError::bad(
                "A message needs text, markdown, a file or an attachment.",
            ));
        }
        if let Some(f) = &draft.file {
            if f.bytes.len() > self.inner.cfg.max_file_bytes {
                return Err(ApiError::PayloadTooLarge {
                    limit: self.inner.cfg.max_file_bytes,
                });
            }
        }
        let now = self.now();
        let public_base = self.inner.public_base.clone();
        let (id, deliveries) = self.write(|s| {
            let room_id = resolve_dest(s, author, &draft.dest, now)?;
            if let Some(parent) = &draft.parent_id {
                match s.world.message(parent) {
                    Some(p) if p.room_id == room_id => {
                        if p.parent_id.is_some() {
                            return Err(ApiError::bad(
                                "parentId must be a thread's root message, not a reply.",
                            ));
                        }
                    }
                    _ => return Err(ApiError::bad("parentId is not a message of this room.")),
                }
            }
            let mut file_ids = Vec::new();
            if let Some(f) = draft.file {
                let file = StoredFile {
                    id: ids::new_id(Kind::Content),
                    room_id: room_id.clone(),
                    filename: f.filename,
                    content_type: f.content_type,
                    bytes: f.bytes,
                };
                file_ids.push(file.id.clone());
                s.world.files.push(file);
                s.live.stats.files_stored += 1;
            }
            let b = body(&s.world, draft.text, draft.markdown);
            let seq = s.world.next_seq();
            let msg = Message {
                id: ids::new_id(Kind::Message),
                seq,
                room_id: room_id.clone(),
                parent_id: draft.parent_id,
                person_id: author.to_owned(),
                text: b.text,
                markdown: b.markdown,
                html: b.html,
                file_ids,
                attachments: draft.attachments,
                mentioned_people: b.mentioned_people,
                mentioned_groups: b.mentioned_groups,
                created: now,
                updated: None,
                edits: 0,
            };
            if let Some(room) = s.world.rooms.iter_mut().find(|r| r.id == room_id) {
                room.last_activity = now;
            }
            s.live.stats.messages_created += 1;
            let mut ev = event(&s.world, "messageCreated", &room_id);
            ev.message_id = Some(msg.id.clone());
            ev.message = Some(s.world.render_sim_message(&msg, &public_base));
            s.live.push_event(ev);
            let deliveries = delivery::for_message(&s.world, &msg, "created");
            super::devices::queue_message(s, &msg);
            let id = msg.id.clone();
            s.world.messages.push(msg);
            Ok((id, deliveries))
        })?;
        self.dispatch(deliveries);
        Ok(id)
    }

    /// A message as `viewer` (a member of its room) reads it.
    pub(crate) fn message_json(&self, viewer: &str, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        match w.message(id) {
            Some(m) if w.is_member(&m.room_id, viewer) => {
                Ok(w.render_message(m, &self.inner.public_base))
            }
            _ => Err(message_not_found()),
        }
    }

    /// Messages of a room, newest first, filtered as `GET /v1/messages` asks.
    pub(crate) fn messages_json(
        &self,
        viewer: &str,
        q: &MessageQuery,
    ) -> Result<Vec<Value>, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        if w.room(&q.room_id).is_none() || !w.is_member(&q.room_id, viewer) {
            return Err(room_not_found());
        }
        let before_seq = match &q.before_message {
            Some(id) => Some(
                w.message(id)
                    .filter(|m| m.room_id == q.room_id)
                    .map(|m| m.seq)
                    .ok_or_else(|| ApiError::bad("beforeMessage is not a message of this room."))?,
            ),
            None => None,
        };
        let mentioned: Option<Vec<String>> = q.mentioned_people.as_ref().map(|list| {
            list.split(',')
                .map(|p| {
                    if p == "me" {
                        viewer.to_owned()
                    } else {
                        p.to_owned()
                    }
                })
                .collect()
        });
        let mut items: Vec<&Message> = w
            .messages
            .iter()
            .filter(|m| m.room_id == q.room_id)
            .filter(|m| {
                q.parent_id
                    .as_ref()
                    .is_none_or(|p| m.parent_id.as_ref() == Some(p))
            })
            .filter(|m| q.before.is_none_or(|b| m.created < b))
            .filter(|m| before_seq.is_none_or(|s| m.seq < s))
            .filter(|m| {
                mentioned
                    .as_ref()
                    .is_none_or(|ids| ids.iter().all(|id| m.mentioned_people.contains(id)))
            })
            .collect();
        items.sort_by_key(|m| std::cmp::Reverse(m.seq));
        Ok(items
            .into_iter()
            .map(|m| w.render_message(m, &self.inner.public_base))
            .collect())
    }

    /// Edits the text or markdown of `actor`'s own message.
    pub(crate) fn edit_message(
        &self,
        actor: &str,
        id: &str,
        room_id: &str,
        text: Option<String>,
        markdown: Option<String>,
    ) -> Result<Value, ApiError> {
        check_length(&text)?;
        check_length(&markdown)?;
        if text.is_none() && markdown.is_none() {
            return Err(ApiError::bad("An edit needs text or markdown."));
        }
        let now = self.now();
        let public_base = self.inner.public_base.clone();
        let (json, deliveries) = self.write(|s| {
            let w = &s.world;
            let msg = match w.message(id) {
                Some(m) if w.is_member(&m.room_id, actor) => m,
                _ => return Err(message_not_found()),
            };
            if msg.room_id != room_id {
                return Err(ApiError::bad("roomId is not the room of this message."));
            }
            if msg.person_id != actor {
                return Err(ApiError::Forbidden(
                    "Only the author can edit a message.".into(),
                ));
            }
            if !msg.file_ids.is_empty() || !msg.attachments.is_empty() {
                return Err(ApiError::bad(
                    "Messages with files or cards cannot be edited.",
                ));
            }
            if msg.edits >= MAX_EDITS {
                return Err(ApiError::bad(format!(
                    "A message can be edited at most {MAX_EDITS} times."
                )));
            }
            let b = body(w, text, markdown);
            s.world.next_seq();
            let Some(msg) = s.world.messages.iter_mut().find(|m| m.id == id) else {
                return Err(message_not_found());
            };
            msg.text = b.text;
            msg.markdown = b.markdown;
            msg.html = b.html;
            msg.mentioned_people = b.mentioned_people;
            msg.mentioned_groups = b.mentioned_groups;
            msg.updated = Some(now);
            msg.edits += 1;
            let msg = msg.clone();
            s.live.stats.messages_edited += 1;
            let mut ev = event(&s.world, "messageUpdated", &msg.room_id);
            ev.message_id = Some(msg.id.clone());
            ev.message = Some(s.world.render_sim_message(&msg, &public_base));
            s.live.push_event(ev);
            let deliveries = delivery::for_message(&s.world, &msg, "updated");
            Ok((s.world.render_message(&msg, &public_base), deliveries))
        })?;
        self.dispatch(deliveries);
        Ok(json)
    }

    /// Deletes `actor`'s own message (a room moderator may delete any).
    pub(crate) fn delete_message(&self, actor: &str, id: &str) -> Result<(), ApiError> {
        let deliveries = self.write(|s| {
            let w = &s.world;
            let msg = match w.message(id) {
                Some(m) if w.is_member(&m.room_id, actor) => m,
                _ => return Err(message_not_found()),
            };
            let moderator = w
                .members(&msg.room_id)
                .any(|m| m.person_id == actor && m.is_moderator);
            if msg.person_id != actor && !moderator {
                return Err(ApiError::Forbidden(
                    "Only the author or a moderator can delete a message.".into(),
                ));
            }
            let deliveries = delivery::for_message(w, msg, "deleted");
            let room_id = msg.room_id.clone();
            let file_ids = msg.file_ids.clone();
            s.world.messages.retain(|m| m.id != id);
            s.world.files.retain(|f| !file_ids.contains(&f.id));
            s.world.next_seq();
            s.live.stats.messages_deleted += 1;
            let mut ev = event(&s.world, "messageDeleted", &room_id);
            ev.message_id = Some(id.to_owned());
            s.live.push_event(ev);
            Ok(deliveries)
        })?;
        self.dispatch(deliveries);
        Ok(())
    }

    /// All messages of a room after sequence number `since`, oldest first (control API).
    pub(crate) fn room_messages_json(
        &self,
        room_id: &str,
        since: u64,
    ) -> Result<Vec<Value>, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        if w.room(room_id).is_none() {
            return Err(room_not_found());
        }
        let mut items: Vec<&Message> = w
            .messages
            .iter()
            .filter(|m| m.room_id == room_id && m.seq > since)
            .collect();
        items.sort_by_key(|m| m.seq);
        Ok(items
            .into_iter()
            .map(|m| w.render_sim_message(m, &self.inner.public_base))
            .collect())
    }

    /// A message in the control API's shape.
    pub(crate) fn sim_message_json(&self, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        w.message(id)
            .map(|m| w.render_sim_message(m, &self.inner.public_base))
            .ok_or_else(message_not_found)
    }
}
