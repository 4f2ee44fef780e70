//! People: the bot itself (`/people/me`) and message senders (`/people/{id}`).

use reqwest::Method;
use serde::Deserialize;

use crate::body::Body;
use crate::client::WebexClient;
use crate::error::WebexError;

/// A person or bot as `GET /people/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    #[serde(default)]
    pub emails: Vec<String>,
    pub display_name: Option<String>,
    pub nick_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The organisation id: what access policy checks.
    pub org_id: Option<String>,
    /// `person`, `bot` or `appuser`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub created: Option<String>,
}

impl WebexClient {
    /// `GET /people/me`: the bot's own id (to ignore its own messages) and e-mail (for links).
    pub async fn me(&self) -> Result<Person, WebexError> {
        self.call_json(Method::GET, self.url(&["people", "me"]), &Body::Empty)
            .await
    }

    /// `GET /people/{id}`: a sender's organisation and names.
    pub async fn get_person(&self, id: &str) -> Result<Person, WebexError> {
        self.call_json(Method::GET, self.url(&["people", id]), &Body::Empty)
            .await
    }
}
