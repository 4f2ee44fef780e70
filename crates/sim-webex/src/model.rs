//! The simulated world: people, rooms, memberships, messages, files, webhooks and card submits,
//! as stored (and saved to the state file), plus their Webex JSON renderings.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The version written into state files; `load` refuses other versions.
pub(crate) const STATE_VERSION: u32 = 1;

/// Webex timestamps: RFC 3339, UTC, milliseconds.
pub(crate) fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonType {
    Person,
    Bot,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Person {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub org_id: String,
    #[serde(rename = "type")]
    pub kind: PersonType,
    pub created: DateTime<Utc>,
}

impl Person {
    /// What a Webex client shows when mentioning someone: the first word of the display name.
    pub fn first_name(&self) -> &str {
        self.display_name
            .split_whitespace()
            .next()
            .unwrap_or(&self.display_name)
    }

    pub fn render(&self) -> Value {
        json!({
            "id": self.id,
            "emails": [self.email],
            "displayName": self.display_name,
            "nickName": self.first_name(),
            "firstName": self.first_name(),
            "orgId": self.org_id,
            "type": self.kind,
            "created": ts(&self.created),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomType {
    Direct,
    Group,
}

impl RoomType {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomType::Direct => "direct",
            RoomType::Group => "group",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Room {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: RoomType,
    pub creator_id: String,
    pub created: DateTime<Utc>,
    pub last_activity: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Membership {
    pub id: String,
    pub room_id: String,
    pub person_id: String,
    pub is_moderator: bool,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Message {
    pub id: String,
    /// Position in the simulator's event sequence when the message was created.
    pub seq: u64,
    pub room_id: String,
    pub parent_id: Option<String>,
    pub person_id: String,
    pub text: Option<String>,
    pub markdown: Option<String>,
    pub html: Option<String>,
    pub file_ids: Vec<String>,
    pub attachments: Vec<Value>,
    pub mentioned_people: Vec<String>,
    pub mentioned_groups: Vec<String>,
    pub created: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    pub edits: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredFile {
    pub id: String,
    pub room_id: String,
    pub filename: String,
    pub content_type: String,
    #[serde(with = "base64_bytes")]
    pub bytes: bytes::Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStatus {
    Active,
    Inactive,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Webhook {
    pub id: String,
    pub name: String,
    pub target_url: String,
    pub resource: String,
    pub event: String,
    pub filter: Option<String>,
    #[serde(serialize_with = "expose_opt_secret")]
    pub secret: Option<SecretString>,
    pub status: WebhookStatus,
    pub created: DateTime<Utc>,
    pub owner_id: String,
}

impl Webhook {
    /// The Webex object, as its owner reads it (Webex returns the secret to its owner).
    pub fn render(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "targetUrl": self.target_url,
            "resource": self.resource,
            "event": self.event,
            "status": self.status,
            "created": ts(&self.created),
            "ownedBy": "creator",
            "createdBy": self.owner_id,
        });
        if let Some(f) = &self.filter {
            v["filter"] = json!(f);
        }
        if let Some(s) = &self.secret {
            v["secret"] = json!(s.expose_secret());
        }
        v
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttachmentAction {
    pub id: String,
    pub message_id: String,
    pub person_id: String,
    pub room_id: String,
    pub inputs: Value,
    pub created: DateTime<Utc>,
}

impl AttachmentAction {
    pub fn render(&self) -> Value {
        json!({
            "id": self.id,
            "type": "submit",
            "messageId": self.message_id,
            "inputs": self.inputs,
            "personId": self.person_id,
            "roomId": self.room_id,
            "created": ts(&self.created),
        })
    }
}

/// Everything that survives a restart (the state file is this, as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct World {
    pub version: u32,
    pub app_id: String,
    pub seq: u64,
    pub people: Vec<Person>,
    /// SHA-256 of a token (hex) → person id.
    pub tokens: HashMap<String, String>,
    pub rooms: Vec<Room>,
    pub memberships: Vec<Membership>,
    pub messages: Vec<Message>,
    pub files: Vec<StoredFile>,
    pub webhooks: Vec<Webhook>,
    pub actions: Vec<AttachmentAction>,
}

impl World {
    pub fn new(app_id: String) -> Self {
        Self {
            version: STATE_VERSION,
            app_id,
            seq: 0,
            people: Vec::new(),
            tokens: HashMap::new(),
            rooms: Vec::new(),
            memberships: Vec::new(),
            messages: Vec::new(),
            files: Vec::new(),
            webhooks: Vec::new(),
            actions: Vec::new(),
        }
    }

    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    pub fn person_by_email(&self, email: &str) -> Option<&Person> {
        self.people
            .iter()
            .find(|p| p.email.eq_ignore_ascii_case(email))
    }

    pub fn room(&self, id: &str) -> Option<&Room> {
        self.rooms.iter().find(|r| r.id == id)
    }

    pub fn is_member(&self, room_id: &str, person_id: &str) -> bool {
        self.memberships
            .iter()
            .any(|m| m.room_id == room_id && m.person_id == person_id)
    }

    pub fn members<'a>(&'a self, room_id: &'a str) -> impl Iterator<Item = &'a Membership> + 'a {
        self.memberships
            .iter()
            .filter(move |m| m.room_id == room_id)
    }

    pub fn message(&self, id: &str) -> Option<&Message> {
        self.messages.iter().find(|m| m.id == id)
    }

    pub fn file(&self, id: &str) -> Option<&StoredFile> {
        self.files.iter().find(|f| f.id == id)
    }

    /// The direct room of two people, if they have one.
    pub fn direct_room(&self, a: &str, b: &str) -> Option<&Room> {
        self.rooms.iter().find(|r| {
            r.kind == RoomType::Direct && self.is_member(&r.id, a) && self.is_member(&r.id, b)
        })
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A room as `viewer` sees it: a direct room is titled with the other person's name.
    pub fn render_room(&self, room: &Room, viewer: &str) -> Value {
        let title = match room.kind {
            RoomType::Group => room.title.clone(),
            RoomType::Direct => self
                .members(&room.id)
                .find(|m| m.person_id != viewer)
                .and_then(|m| self.person(&m.person_id))
                .map(|p| p.display_name.clone())
                .unwrap_or_else(|| room.title.clone()),
        };
        json!({
            "id": room.id,
            "title": title,
            "type": room.kind.as_str(),
            "isLocked": false,
            "lastActivity": ts(&room.last_activity),
            "creatorId": room.creator_id,
            "created": ts(&room.created),
        })
    }

    pub fn render_membership(&self, m: &Membership) -> Value {
        let person = self.person(&m.person_id);
        json!({
            "id": m.id,
            "roomId": m.room_id,
            "personId": m.person_id,
            "personEmail": person.map(|p| p.email.as_str()).unwrap_or_default(),
            "personDisplayName": person.map(|p| p.display_name.as_str()).unwrap_or_default(),
            "personOrgId": person.map(|p| p.org_id.as_str()).unwrap_or_default(),
            "isModerator": m.is_moderator,
            "isMonitor": false,
            "created": ts(&m.created),
        })
    }

    /// A message as `GET /v1/messages/{id}` returns it; absent fields are left out as Webex does.
    pub fn render_message(&self, m: &Message, public_base: &str) -> Value {
        let mut v = Map::new();
        v.insert("id".into(), json!(m.id));
        if let Some(p) = &m.parent_id {
            v.insert("parentId".into(), json!(p));
        }
        v.insert("roomId".into(), json!(m.room_id));
        if let Some(room) = self.room(&m.room_id) {
            v.insert("roomType".into(), json!(room.kind.as_str()));
        }
        for (key, value) in [
            ("text", &m.text),
            ("markdown", &m.markdown),
            ("html", &m.html),
        ] {
            if let Some(s) = value {
                v.insert(key.into(), json!(s));
            }
        }
        if !m.file_ids.is_empty() {
            let urls: Vec<String> = m
                .file_ids
                .iter()
                .map(|id| content_url(public_base, id))
                .collect();
            v.insert("files".into(), json!(urls));
        }
        if !m.attachments.is_empty() {
            v.insert("attachments".into(), json!(m.attachments));
        }
        v.insert("personId".into(), json!(m.person_id));
        let email = self.person(&m.person_id).map(|p| p.email.clone());
        v.insert("personEmail".into(), json!(email.unwrap_or_default()));
        if !m.mentioned_people.is_empty() {
            v.insert("mentionedPeople".into(), json!(m.mentioned_people));
        }
        if !m.mentioned_groups.is_empty() {
            v.insert("mentionedGroups".into(), json!(m.mentioned_groups));
        }
        v.insert("created".into(), json!(ts(&m.created)));
        if let Some(u) = &m.updated {
            v.insert("updated".into(), json!(ts(u)));
        }
        Value::Object(v)
    }

    /// A message as the control API shows it to the web chat: the Webex fields plus the
    /// author's name, the event sequence number and files as download links with their names.
    pub fn render_sim_message(&self, m: &Message, public_base: &str) -> Value {
        let mut v = self.render_message(m, public_base);
        v["seq"] = json!(m.seq);
        let author = self.person(&m.person_id);
        v["personDisplayName"] = json!(author.map(|p| p.display_name.clone()).unwrap_or_default());
        let files: Vec<Value> = m
            .file_ids
            .iter()
            .filter_map(|id| self.file(id))
            .map(|f| {
                json!({
                    "url": content_url(public_base, &f.id),
                    "filename": f.filename,
                    "contentType": f.content_type,
                    "size": f.bytes.len(),
                })
            })
            .collect();
        v["fileLinks"] = json!(files);
        v["edits"] = json!(m.edits);
        v
    }
}

/// The download URL of a stored file.
pub(crate) fn content_url(public_base: &str, id: &str) -> String {
    format!("{public_base}/v1/contents/{id}")
}

fn expose_opt_secret<S: serde::Serializer>(
    secret: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(v) => s.serialize_some(v.expose_secret()),
        None => s.serialize_none(),
    }
}

mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &bytes::Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bytes::Bytes, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map(bytes::Bytes::from)
            .map_err(serde::de::Error::custom)
    }
}
