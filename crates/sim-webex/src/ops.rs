//! What the simulator does, independent of HTTP: the rules of people, rooms, memberships,
//! messages, files, webhooks and card submits. REST handlers and the control API both call these;
//! each mutation records its event and statistics and starts the webhook deliveries it causes.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::Value;

use crate::delivery;
use crate::error::ApiError;
use crate::ids::{self, Kind};
use crate::mentions;
use crate::model::{
    AttachmentAction, Membership, Message, Person, PersonType, Room, RoomType, StoredFile, Webhook,
    WebhookStatus, World,
};
use crate::state::{Shared, SimEvent, SimState};

/// Webex's limit on `text` and `markdown`, in UTF-8 bytes.
pub const MAX_MESSAGE_BYTES: usize = 7439;
/// Webex's limit on edits of one message.
pub const MAX_EDITS: u32 = 10;
/// The only attachment content type Webex accepts.
pub const ADAPTIVE_CARD: &str = "application/vnd.microsoft.card.adaptive";

/// A person to create through [`SimState::create_person`].
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub email: String,
    pub display_name: String,
    /// `None`: [`crate::SimConfig::default_org_id`].
    pub org_id: Option<String>,
    pub kind: PersonType,
}

/// Where a new message goes.
#[derive(Debug, Clone)]
pub(crate) enum Dest {
    Room(String),
    PersonId(String),
    PersonEmail(String),
}

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

/// Fields of `POST /v1/webhooks`.
#[derive(Debug, Clone)]
pub(crate) struct NewWebhook {
    pub name: String,
    pub target_url: String,
    pub resource: String,
    pub event: String,
    pub filter: Option<String>,
    pub secret: Option<SecretString>,
}

/// Fields of `PUT /v1/webhooks/{id}` (the only ones Webex lets change).
#[derive(Debug, Clone)]
pub(crate) struct WebhookUpdate {
    pub name: String,
    pub target_url: String,
    pub secret: Option<SecretString>,
    pub status: Option<WebhookStatus>,
    /// `resource`, `event`, `filter` as sent: each must be absent or equal to the current value.
    pub unchangeable: [Option<String>; 3],
}

fn check_length(s: &Option<String>) -> Result<(), ApiError> {
    match s {
        Some(s) if s.len() > MAX_MESSAGE_BYTES => Err(ApiError::TooLong),
        _ => Ok(()),
    }
}

fn check_target_url(url: &str) -> Result<(), ApiError> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(()),
        _ => Err(ApiError::bad(
            "targetUrl must be an absolute http or https URL.",
        )),
    }
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

fn ensure_direct(
    shared: &mut Shared,
    a: &str,
    b: &str,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    if let Some(room) = shared.world.direct_room(a, b) {
        return Ok(room.id.clone());
    }
    let world = &mut shared.world;
    let room = Room {
        id: ids::new_id(Kind::Room),
        title: String::new(),
        kind: RoomType::Direct,
        creator_id: a.to_owned(),
        created: now,
        last_activity: now,
    };
    let room_id = room.id.clone();
    world.rooms.push(room);
    for person in [a, b] {
        world.memberships.push(Membership {
            id: ids::new_id(Kind::Membership),
            room_id: room_id.clone(),
            person_id: person.to_owned(),
            is_moderator: false,
            created: now,
        });
    }
    world.next_seq();
    let ev = event(world, "roomCreated", &room_id);
    shared.live.push_event(ev);
    Ok(room_id)
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
    /// Creates a person (or bot); e-mail addresses are unique.
    pub fn create_person(&self, new: NewPerson) -> Result<String, ApiError> {
        if new.email.trim().is_empty() || !new.email.contains('@') {
            return Err(ApiError::bad("email must be an e-mail address."));
        }
        if new.display_name.trim().is_empty() {
            return Err(ApiError::bad("displayName must not be empty."));
        }
        let now = self.now();
        let org_id = new
            .org_id
            .unwrap_or_else(|| self.inner.cfg.default_org_id.clone());
        self.write(|s| {
            if s.world.person_by_email(&new.email).is_some() {
                return Err(ApiError::Conflict(format!(
                    "A person with the e-mail address {} already exists.",
                    new.email
                )));
            }
            let id = ids::new_id(Kind::People);
            s.world.people.push(Person {
                id: id.clone(),
                email: new.email,
                display_name: new.display_name,
                org_id,
                kind: new.kind,
                created: now,
            });
            Ok(id)
        })
    }

    /// The id of the person with this e-mail address (case-insensitive).
    pub fn person_id_by_email(&self, email: &str) -> Option<String> {
        self.lock()
            .world
            .person_by_email(email)
            .map(|p| p.id.clone())
    }

    /// A new access token acting as `person_id` (earlier tokens stay valid).
    pub fn issue_token(&self, person_id: &str) -> Result<SecretString, ApiError> {
        self.write(|s| {
            if s.world.person(person_id).is_none() {
                return Err(person_not_found());
            }
            let token = ids::new_token();
            s.world
                .tokens
                .insert(ids::token_digest(&token), person_id.to_owned());
            Ok(SecretString::from(token))
        })
    }

    /// The person a token acts as.
    pub(crate) fn authenticate(&self, token: &str) -> Option<String> {
        let digest = ids::token_digest(token);
        self.lock().world.tokens.get(&digest).cloned()
    }

    pub(crate) fn person_json(&self, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        shared
            .world
            .person(id)
            .map(Person::render)
            .ok_or_else(person_not_found)
    }

    pub(crate) fn people_json(&self, email: Option<&str>) -> Vec<Value> {
        let shared = self.lock();
        shared
            .world
            .people
            .iter()
            .filter(|p| email.is_none_or(|e| p.email.eq_ignore_ascii_case(e)))
            .map(Person::render)
            .collect()
    }

    /// Creates a group room with `creator` (moderator) and `others` as members.
    pub(crate) fn create_group_room(
        &self,
        creator: &str,
        title: &str,
        others: &[String],
    ) -> Result<Value, ApiError> {
        if title.trim().is_empty() {
            return Err(ApiError::bad("title must not be empty."));
        }
        let now = self.now();
        self.write(|s| {
            for p in std::iter::once(creator).chain(others.iter().map(String::as_str)) {
                if s.world.person(p).is_none() {
                    return Err(person_not_found());
                }
            }
            let room = Room {
                id: ids::new_id(Kind::Room),
                title: title.to_owned(),
                kind: RoomType::Group,
                creator_id: creator.to_owned(),
                created: now,
                last_activity: now,
            };
            let room_id = room.id.clone();
            s.world.rooms.push(room);
            let mut members: Vec<&str> = vec![creator];
            for o in others {
                if !members.contains(&o.as_str()) {
                    members.push(o);
                }
            }
            for (i, p) in members.iter().enumerate() {
                s.world.memberships.push(Membership {
                    id: ids::new_id(Kind::Membership),
                    room_id: room_id.clone(),
                    person_id: (*p).to_owned(),
                    is_moderator: i == 0,
                    created: now,
                });
            }
            s.world.next_seq();
            let ev = event(&s.world, "roomCreated", &room_id);
            s.live.push_event(ev);
            let room = s.world.room(&room_id).ok_or_else(room_not_found)?;
            Ok(s.world.render_room(room, creator))
        })
    }

    /// The direct room of two people (created when missing), as `a` sees it.
    pub(crate) fn direct_room_json(&self, a: &str, b: &str) -> Result<Value, ApiError> {
        if a == b {
            return Err(ApiError::bad("A direct room needs two different people."));
        }
        let now = self.now();
        self.write(|s| {
            if s.world.person(a).is_none() || s.world.person(b).is_none() {
                return Err(person_not_found());
            }
            let id = ensure_direct(s, a, b, now)?;
            let room = s.world.room(&id).ok_or_else(room_not_found)?;
            Ok(s.world.render_room(room, a))
        })
    }

    /// Rooms `viewer` is in, most recently active first, optionally of one type.
    pub(crate) fn rooms_json(&self, viewer: &str, kind: Option<RoomType>) -> Vec<Value> {
        let shared = self.lock();
        let w = &shared.world;
        let mut rooms: Vec<&Room> = w
            .rooms
            .iter()
            .filter(|r| w.is_member(&r.id, viewer) && kind.is_none_or(|k| r.kind == k))
            .collect();
        rooms.sort_by_key(|r| std::cmp::Reverse(r.last_activity));
        rooms.iter().map(|r| w.render_room(r, viewer)).collect()
    }

    pub(crate) fn room_json(&self, viewer: &str, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        match w.room(id) {
            Some(r) if w.is_member(id, viewer) => Ok(w.render_room(r, viewer)),
            _ => Err(room_not_found()),
        }
    }

    /// Memberships `viewer` may see: of one room (viewer a member), else the viewer's own.
    pub(crate) fn memberships_json(
        &self,
        viewer: &str,
        room_id: Option<&str>,
        person_id: Option<&str>,
        person_email: Option<&str>,
    ) -> Result<Vec<Value>, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        if let Some(r) = room_id {
            if w.room(r).is_none() || !w.is_member(r, viewer) {
                return Err(room_not_found());
            }
        } else if person_id.is_some() || person_email.is_some() {
            return Err(ApiError::bad(
                "personId and personEmail filters require roomId.",
            ));
        }
        let email_id = person_email.map(|e| w.person_by_email(e).map(|p| p.id.clone()));
        Ok(w.memberships
            .iter()
            .filter(|m| match room_id {
                Some(r) => m.room_id == r,
                None => m.person_id == viewer,
            })
            .filter(|m| person_id.is_none_or(|p| m.person_id == p))
            .filter(|m| match &email_id {
                None => true,
                Some(Some(id)) => &m.person_id == id,
                Some(None) => false,
            })
            .map(|m| w.render_membership(m))
            .collect())
    }

    /// Adds a person to a group room `actor` is in; a second membership is a 409.
    pub(crate) fn add_membership(
        &self,
        actor: &str,
        room_id: &str,
        person: &Dest,
        is_moderator: bool,
    ) -> Result<Value, ApiError> {
        let now = self.now();
        self.write(|s| {
            let w = &s.world;
            let room = match w.room(room_id) {
                Some(r) if w.is_member(room_id, actor) => r,
                _ => return Err(room_not_found()),
            };
            if room.kind == RoomType::Direct {
                return Err(ApiError::bad("People cannot be added to a direct room."));
            }
            let person_id = match person {
                Dest::PersonId(id) => w.person(id).map(|p| p.id.clone()),
                Dest::PersonEmail(e) => w.person_by_email(e).map(|p| p.id.clone()),
                Dest::Room(_) => None,
            }
            .ok_or_else(person_not_found)?;
            if w.is_member(room_id, &person_id) {
                return Err(ApiError::Conflict(
                    "The person is already a member of this room.".into(),
                ));
            }
            let m = Membership {
                id: ids::new_id(Kind::Membership),
                room_id: room_id.to_owned(),
                person_id,
                is_moderator,
                created: now,
            };
            let json = s.world.render_membership(&m);
            s.world.memberships.push(m);
            s.world.next_seq();
            let ev = event(&s.world, "membershipCreated", room_id);
            s.live.push_event(ev);
            Ok(json)
        })
    }

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

    /// A stored file, for a member of the room it was shared in.
    pub(crate) fn file_for(
        &self,
        viewer: &str,
        id: &str,
    ) -> Result<(String, String, bytes::Bytes), ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        match w.file(id) {
            Some(f) if w.is_member(&f.room_id, viewer) => {
                Ok((f.filename.clone(), f.content_type.clone(), f.bytes.clone()))
            }
            _ => Err(ApiError::not_found("file")),
        }
    }

    pub(crate) fn create_webhook(&self, owner: &str, new: NewWebhook) -> Result<Value, ApiError> {
        if new.name.trim().is_empty() {
            return Err(ApiError::bad("name must not be empty."));
        }
        check_target_url(&new.target_url)?;
        if !delivery::supported(&new.resource, &new.event) {
            return Err(ApiError::bad(format!(
                "The simulator does not deliver resource {:?} with event {:?} (it delivers messages created/updated/deleted/all and attachmentActions created/all).",
                new.resource, new.event
            )));
        }
        if let Some(f) = &new.filter {
            let keys = delivery::filter_keys(&new.resource);
            for (k, _) in url::form_urlencoded::parse(f.as_bytes()) {
                if !keys.contains(&k.as_ref()) {
                    return Err(ApiError::bad(format!(
                        "Unsupported filter {k:?} for {}.",
                        new.resource
                    )));
                }
            }
        }
        let now = self.now();
        self.write(|s| {
            let wh = Webhook {
                id: ids::new_id(Kind::Webhook),
                name: new.name,
                target_url: new.target_url,
                resource: new.resource,
                event: new.event,
                filter: new.filter.filter(|f| !f.is_empty()),
                secret: new.secret,
                status: WebhookStatus::Active,
                created: now,
                owner_id: owner.to_owned(),
            };
            let json = wh.render();
            s.world.webhooks.push(wh);
            Ok(json)
        })
    }

    pub(crate) fn webhooks_json(&self, owner: &str) -> Vec<Value> {
        let shared = self.lock();
        shared
            .world
            .webhooks
            .iter()
            .filter(|w| w.owner_id == owner)
            .map(Webhook::render)
            .collect()
    }

    /// Every webhook of every owner, without secrets (control API).
    pub(crate) fn all_webhooks_json(&self) -> Vec<Value> {
        let shared = self.lock();
        shared
            .world
            .webhooks
            .iter()
            .map(|w| {
                let mut v = w.render();
                if let Some(o) = v.as_object_mut() {
                    o.remove("secret");
                }
                v
            })
            .collect()
    }

    pub(crate) fn webhook_json(&self, owner: &str, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        shared
            .world
            .webhooks
            .iter()
            .find(|w| w.id == id && w.owner_id == owner)
            .map(Webhook::render)
            .ok_or_else(|| ApiError::not_found("webhook"))
    }

    pub(crate) fn update_webhook(
        &self,
        owner: &str,
        id: &str,
        update: WebhookUpdate,
    ) -> Result<Value, ApiError> {
        if update.name.trim().is_empty() {
            return Err(ApiError::bad("name must not be empty."));
        }
        check_target_url(&update.target_url)?;
        self.write(|s| {
            let Some(wh) = s
                .world
                .webhooks
                .iter_mut()
                .find(|w| w.id == id && w.owner_id == owner)
            else {
                return Err(ApiError::not_found("webhook"));
            };
            let current = [Some(&wh.resource), Some(&wh.event), wh.filter.as_ref()];
            for (sent, now) in update.unchangeable.iter().zip(current) {
                if sent.as_ref().is_some_and(|s| Some(s) != now) {
                    return Err(ApiError::bad(
                        "Only name, targetUrl, secret and status of a webhook can be changed.",
                    ));
                }
            }
            wh.name = update.name;
            wh.target_url = update.target_url;
            if update.secret.is_some() {
                wh.secret = update.secret;
            }
            if let Some(status) = update.status {
                if status == WebhookStatus::Active && wh.status == WebhookStatus::Inactive {
                    s.live.failures.remove(&wh.id);
                }
                wh.status = status;
            }
            Ok(wh.render())
        })
    }

    pub(crate) fn delete_webhook(&self, owner: &str, id: &str) -> Result<(), ApiError> {
        self.write(|s| {
            let before = s.world.webhooks.len();
            s.world
                .webhooks
                .retain(|w| !(w.id == id && w.owner_id == owner));
            if s.world.webhooks.len() == before {
                return Err(ApiError::not_found("webhook"));
            }
            s.live.failures.remove(id);
            Ok(())
        })
    }

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

    /// Rooms of a person with their members (control API, for the web chat's room list).
    pub(crate) fn person_rooms_json(&self, person: &str) -> Result<Vec<Value>, ApiError> {
        let shared = self.lock();
        let w = &shared.world;
        if w.person(person).is_none() {
            return Err(person_not_found());
        }
        let mut rooms: Vec<&Room> = w
            .rooms
            .iter()
            .filter(|r| w.is_member(&r.id, person))
            .collect();
        rooms.sort_by_key(|r| std::cmp::Reverse(r.last_activity));
        Ok(rooms
            .into_iter()
            .map(|r| {
                let mut v = w.render_room(r, person);
                let members: Vec<Value> = w
                    .members(&r.id)
                    .filter_map(|m| w.person(&m.person_id))
                    .map(Person::render)
                    .collect();
                v["members"] = Value::Array(members);
                v
            })
            .collect())
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

    /// Display names used to build a mention (control API `say`).
    pub(crate) fn first_name(&self, person: &str) -> Result<String, ApiError> {
        let shared = self.lock();
        shared
            .world
            .person(person)
            .map(|p| p.first_name().to_owned())
            .ok_or_else(person_not_found)
    }

    /// Counts a request and applies the fault settings: how long to hold it, and the injected
    /// failure to answer instead, if any.
    pub(crate) fn count_request(
        &self,
        route: String,
        path: &str,
    ) -> (Option<std::time::Duration>, Option<ApiError>) {
        let mut shared = self.lock();
        let live = &mut shared.live;
        *live.stats.requests.entry(route).or_default() += 1;
        let faults = &live.faults;
        if *faults == crate::state::Faults::default() || !faults.matches(path) {
            return (None, None);
        }
        let delay = faults.delay_ms.map(std::time::Duration::from_millis);
        live.fault_count += 1;
        let n = live.fault_count;
        let due = |every: Option<u64>| every.is_some_and(|e| e > 0 && n.is_multiple_of(e));
        let retry_after = || faults.retry_after.clone().unwrap_or_else(|| "1".into());
        let error = if due(faults.rate_limit_every) {
            live.stats.injected_429 += 1;
            Some(ApiError::RateLimited {
                retry_after: retry_after(),
            })
        } else if path.starts_with("/v1/contents/") && due(faults.locked_every) {
            live.stats.injected_423 += 1;
            Some(ApiError::Locked {
                retry_after: retry_after(),
            })
        } else if due(faults.fail_5xx_every) {
            live.stats.injected_5xx += 1;
            Some(ApiError::Unavailable)
        } else {
            None
        };
        (delay, error)
    }

    /// Replaces the fault settings and restarts their request count.
    pub fn set_faults(&self, faults: crate::state::Faults) -> Result<(), ApiError> {
        if faults.rate_limit_every == Some(0) || faults.fail_5xx_every == Some(0) {
            return Err(ApiError::bad(
                "rateLimitEvery and fail5xxEvery must be at least 1.",
            ));
        }
        let mut shared = self.lock();
        shared.live.faults = faults;
        shared.live.fault_count = 0;
        Ok(())
    }

    pub fn faults(&self) -> crate::state::Faults {
        self.lock().live.faults.clone()
    }
}
