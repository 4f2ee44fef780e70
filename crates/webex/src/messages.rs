//! Messages: read one, post text/markdown/cards/file URLs (JSON), upload one file (multipart),
//! edit and delete (webex-api.md "Messages").

use reqwest::Method;
use serde::{Deserialize, Serialize, Serializer};

pub use crate::body::FileUpload;

use crate::body::Body;
use crate::client::WebexClient;
use crate::error::WebexError;

/// Longest `text` or `markdown` Webex accepts, in bytes; longer gives [`WebexError::TooLong`].
pub const MAX_MESSAGE_BYTES: usize = 7439;

/// The content type of an Adaptive Card attachment.
pub const ADAPTIVE_CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";

/// Direct (1:1) or group space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomType {
    Direct,
    Group,
    /// A type this client does not know yet.
    #[serde(other)]
    Other,
}

/// A message as `GET /messages/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub room_id: String,
    pub room_type: Option<RoomType>,
    pub parent_id: Option<String>,
    pub text: Option<String>,
    pub markdown: Option<String>,
    pub html: Option<String>,
    #[serde(default)]
    pub files: Vec<String>,
    pub person_id: Option<String>,
    pub person_email: Option<String>,
    #[serde(default)]
    pub mentioned_people: Vec<String>,
    #[serde(default)]
    pub mentioned_groups: Vec<String>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    pub created: Option<String>,
    pub updated: Option<String>,
}

/// A card attached to a message.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub content_type: String,
    pub content: serde_json::Value,
}

impl Attachment {
    /// An Adaptive Card attachment with `card` (the card JSON, `{"type": "AdaptiveCard", …}`).
    pub fn adaptive_card(card: serde_json::Value) -> Self {
        Self {
            content_type: ADAPTIVE_CARD_CONTENT_TYPE.to_string(),
            content: card,
        }
    }
}

/// Where a new message goes: a space, or a person's 1:1 space (created if needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Destination {
    #[serde(rename = "roomId")]
    Room(String),
    #[serde(rename = "toPersonId")]
    PersonId(String),
    #[serde(rename = "toPersonEmail")]
    PersonEmail(String),
}

impl Destination {
    fn field(&self) -> (&'static str, &str) {
        match self {
            Self::Room(id) => ("roomId", id),
            Self::PersonId(id) => ("toPersonId", id),
            Self::PersonEmail(email) => ("toPersonEmail", email),
        }
    }
}

/// A message to post as JSON. Exactly one destination by construction; at most one card and
/// one file URL, as Webex allows.
///
/// ```
/// # use slbot_webex::NewMessage;
/// let m = NewMessage::to_room("ROOM").markdown("**hi**").text("hi").in_thread("PARENT");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMessage {
    #[serde(flatten)]
    pub destination: Destination,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    #[serde(
        rename = "attachments",
        skip_serializing_if = "Option::is_none",
        serialize_with = "one_element_list"
    )]
    pub card: Option<Attachment>,
    #[serde(
        rename = "files",
        skip_serializing_if = "Option::is_none",
        serialize_with = "one_element_list"
    )]
    pub file_url: Option<String>,
}

fn one_element_list<T: Serialize, S: Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.as_slice().serialize(serializer)
}

impl NewMessage {
    pub fn new(destination: Destination) -> Self {
        Self {
            destination,
            parent_id: None,
            text: None,
            markdown: None,
            card: None,
            file_url: None,
        }
    }
    /// To a space the bot is in.
    pub fn to_room(room_id: impl Into<String>) -> Self {
        Self::new(Destination::Room(room_id.into()))
    }
    /// To a person's 1:1 space with the bot (Webex creates it if needed).
    pub fn to_person_id(person_id: impl Into<String>) -> Self {
        Self::new(Destination::PersonId(person_id.into()))
    }
    /// To a person's 1:1 space, by e-mail.
    pub fn to_person_email(email: impl Into<String>) -> Self {
        Self::new(Destination::PersonEmail(email.into()))
    }
    /// Plain text (the fallback when markdown is set too).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
    pub fn markdown(mut self, markdown: impl Into<String>) -> Self {
        self.markdown = Some(markdown.into());
        self
    }
    /// Reply in the thread whose root is `parent_id` (a thread root, never a reply).
    pub fn in_thread(mut self, parent_id: impl Into<String>) -> Self {
        self.parent_id = Some(parent_id.into());
        self
    }
    /// Attach one Adaptive Card (`card` is the card JSON; send a markdown fallback too).
    pub fn card(mut self, card: serde_json::Value) -> Self {
        self.card = Some(Attachment::adaptive_card(card));
        self
    }
    /// Attach the file at a public URL (Webex fetches it).
    pub fn file_url(mut self, url: impl Into<String>) -> Self {
        self.file_url = Some(url.into());
        self
    }
}

/// A message with one uploaded file (multipart), optionally with text or markdown.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFileMessage {
    pub destination: Destination,
    pub parent_id: Option<String>,
    pub text: Option<String>,
    pub markdown: Option<String>,
    pub file: FileUpload,
}

impl NewFileMessage {
    pub fn new(destination: Destination, file: FileUpload) -> Self {
        Self {
            destination,
            parent_id: None,
            text: None,
            markdown: None,
            file,
        }
    }
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
    pub fn markdown(mut self, markdown: impl Into<String>) -> Self {
        self.markdown = Some(markdown.into());
        self
    }
    pub fn in_thread(mut self, parent_id: impl Into<String>) -> Self {
        self.parent_id = Some(parent_id.into());
        self
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let (name, value) = self.destination.field();
        let mut fields = vec![(name, value.to_string())];
        let optional = [
            ("parentId", &self.parent_id),
            ("text", &self.text),
            ("markdown", &self.markdown),
        ];
        fields.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.as_ref().map(|v| (name, v.clone()))),
        );
        fields
    }
}

/// New content for an existing message: markdown (with an optional text fallback) or text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageEdit {
    pub room_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

impl MessageEdit {
    pub fn markdown(room_id: impl Into<String>, markdown: impl Into<String>) -> Self {
        Self {
            room_id: room_id.into(),
            text: None,
            markdown: Some(markdown.into()),
        }
    }
    pub fn text(room_id: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            room_id: room_id.into(),
            text: Some(text.into()),
            markdown: None,
        }
    }
}

/// A file of a message's `files`, downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedFile {
    /// The name from `Content-Disposition`, when the server gave one.
    pub filename: Option<String>,
    /// `Content-Type`, when given.
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// The `filename="…"` of a `Content-Disposition` header (the ASCII form).
fn disposition_filename(value: &str) -> Option<String> {
    value.split(';').find_map(|part| {
        let (key, name) = part.trim().split_once('=')?;
        (key.trim().eq_ignore_ascii_case("filename"))
            .then(|| name.trim().trim_matches('"').to_string())
    })
}

impl WebexClient {
    /// `GET` one URL of a message's `files` (`{base}/contents/{id}`) with the bot token.
    /// Only URLs on the API's own scheme, host and port are fetched, so the token is never
    /// sent anywhere else ([`WebexError::InvalidInput`] otherwise).
    pub async fn download_file(&self, file_url: &str) -> Result<DownloadedFile, WebexError> {
        let url = reqwest::Url::parse(file_url.trim())
            .map_err(|e| WebexError::InvalidInput(format!("the file URL is not a URL: {e}")))?;
        let base = self.base_url();
        if url.scheme() != base.scheme()
            || url.host_str() != base.host_str()
            || url.port_or_known_default() != base.port_or_known_default()
        {
            return Err(WebexError::InvalidInput(
                "the file URL is not on the Webex API's host".into(),
            ));
        }
        let success = self.call(Method::GET, url, &Body::Empty).await?;
        let header = |name: reqwest::header::HeaderName| {
            success
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Ok(DownloadedFile {
            filename: header(reqwest::header::CONTENT_DISPOSITION)
                .as_deref()
                .and_then(disposition_filename),
            content_type: header(reqwest::header::CONTENT_TYPE),
            bytes: success.body.to_vec(),
        })
    }

    /// `GET /messages/{id}`: the text of a message a webhook announced.
    pub async fn get_message(&self, id: &str) -> Result<Message, WebexError> {
        self.call_json(Method::GET, self.url(&["messages", id]), &Body::Empty)
            .await
    }

    /// `POST /messages` (JSON): text, markdown, one card or one file URL.
    pub async fn create_message(&self, message: &NewMessage) -> Result<Message, WebexError> {
        if message.text.is_none()
            && message.markdown.is_none()
            && message.card.is_none()
            && message.file_url.is_none()
        {
            return Err(WebexError::InvalidInput(
                "a message needs text, markdown, a card or a file".into(),
            ));
        }
        self.call_json(Method::POST, self.url(&["messages"]), &Body::json(message)?)
            .await
    }

    /// `POST /messages` (multipart): one uploaded file, optionally with text or markdown.
    pub async fn create_message_with_file(
        &self,
        message: &NewFileMessage,
    ) -> Result<Message, WebexError> {
        let body = Body::Multipart {
            fields: message.fields(),
            file: message.file.clone(),
        };
        self.call_json(Method::POST, self.url(&["messages"]), &body)
            .await
    }

    /// `PUT /messages/{id}`: replace the text of a message (at most 10 edits; messages with
    /// files or cards cannot be edited).
    pub async fn edit_message(&self, id: &str, edit: &MessageEdit) -> Result<Message, WebexError> {
        self.call_json(Method::PUT, self.url(&["messages", id]), &Body::json(edit)?)
            .await
    }

    /// `DELETE /messages/{id}`.
    pub async fn delete_message(&self, id: &str) -> Result<(), WebexError> {
        self.call(Method::DELETE, self.url(&["messages", id]), &Body::Empty)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_filename_of_a_download_is_read_from_content_disposition() {
        assert_eq!(
            disposition_filename(
                "attachment; filename=\"prices.csv\"; filename*=UTF-8''prices.csv"
            ),
            Some("prices.csv".into())
        );
        assert_eq!(disposition_filename("attachment"), None);
    }

    #[tokio::test]
    async fn a_file_url_on_another_host_is_refused_so_the_token_stays_with_webex() {
        let client = WebexClient::new(
            "https://webexapis.com/v1",
            secrecy::SecretString::from("bot-token".to_string()),
            crate::ClientSettings::default(),
        )
        .unwrap();
        for url in [
            "https://evil.example/v1/contents/1",
            "http://webexapis.com/v1/contents/1",
            "https://webexapis.com:8443/v1/contents/1",
            "not a url",
        ] {
            assert!(
                matches!(
                    client.download_file(url).await,
                    Err(WebexError::InvalidInput(_))
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn a_new_message_serialises_to_webex_field_names_with_one_card_and_one_file() {
        let m = NewMessage::to_person_email("a@example.com")
            .markdown("**hi**")
            .text("hi")
            .in_thread("P1")
            .card(json!({"type": "AdaptiveCard", "version": "1.3"}))
            .file_url("https://example.com/r.csv");
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({
                "toPersonEmail": "a@example.com",
                "parentId": "P1",
                "text": "hi",
                "markdown": "**hi**",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {"type": "AdaptiveCard", "version": "1.3"}
                }],
                "files": ["https://example.com/r.csv"]
            })
        );
    }

    #[test]
    fn unset_optional_fields_are_left_out() {
        let m = NewMessage::to_room("R1").text("hello");
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"roomId": "R1", "text": "hello"})
        );
        let m = NewMessage::to_person_id("U1").markdown("x");
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"toPersonId": "U1", "markdown": "x"})
        );
    }

    #[test]
    fn a_message_with_unknown_fields_and_missing_optionals_still_reads() {
        let m: Message = serde_json::from_value(json!({
            "id": "M1", "roomId": "R1", "roomType": "channel", "text": "hi",
            "somethingNew": {"x": 1}
        }))
        .unwrap();
        assert_eq!(m.id, "M1");
        assert_eq!(m.room_type, Some(RoomType::Other));
        assert!(m.files.is_empty() && m.attachments.is_empty());
        assert_eq!(m.person_id, None);
    }

    #[test]
    fn an_edit_carries_the_room_and_exactly_the_content_given() {
        assert_eq!(
            serde_json::to_value(MessageEdit::markdown("R1", "*new*")).unwrap(),
            json!({"roomId": "R1", "markdown": "*new*"})
        );
        assert_eq!(
            serde_json::to_value(MessageEdit::text("R1", "new")).unwrap(),
            json!({"roomId": "R1", "text": "new"})
        );
    }

    #[test]
    fn file_message_fields_name_the_destination_and_only_the_set_options() {
        let m = NewFileMessage::new(
            Destination::PersonId("U1".into()),
            FileUpload::new("a.csv", "text/csv", &b"x"[..]),
        )
        .markdown("here");
        assert_eq!(
            m.fields(),
            vec![
                ("toPersonId", "U1".to_string()),
                ("markdown", "here".to_string())
            ]
        );
    }
}
