//! The few Webex calls the sign-in flow makes, behind a trait so tests can use a fake and
//! production uses the real client ([`slbot_webex::WebexClient`]).

use slbot_webex::{NewMessage, WebexClient, WebexError};

/// The crate's one boxed-future alias (ports are used as `Arc<dyn …>`).
pub use crate::store::BoxFuture;

/// A person as the sign-in flow needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebexPerson {
    pub id: String,
    pub emails: Vec<String>,
    pub org_id: Option<String>,
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A person's 1:1 space, opened if needed (the e-mail is used in flight only).
    Email(String),
    PersonId(String),
    Room(String),
}

/// A Webex call that failed, with whether trying again later could help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct WebexFailure {
    pub transient: bool,
    /// What happened, safe to show (no token, no e-mail).
    pub message: String,
}

impl From<WebexError> for WebexFailure {
    fn from(e: WebexError) -> Self {
        let transient = e.is_transient();
        let message = match e.status() {
            Some(401) => "Webex rejected the bot's token".to_string(),
            Some(403) => "Webex refused the bot access".to_string(),
            Some(404) => "Webex does not know that person or space".to_string(),
            _ if transient => "Webex is not answering right now".to_string(),
            Some(status) => format!("Webex answered HTTP {status}"),
            None => "Webex could not be reached".to_string(),
        };
        let message = match e.tracking_id() {
            Some(id) => format!("{message} (trackingId {id})"),
            None => message,
        };
        Self { transient, message }
    }
}

/// The Webex operations of the sign-in flow.
pub trait WebexPort: Send + Sync {
    /// `GET /people/me`: the bot itself.
    fn me(&self) -> BoxFuture<'_, Result<WebexPerson, WebexFailure>>;
    /// `GET /people/{id}`.
    fn person<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<WebexPerson, WebexFailure>>;
    /// `POST /messages` with markdown; returns the `roomId` the message landed in.
    fn send_markdown<'a>(
        &'a self,
        to: &'a Recipient,
        markdown: &'a str,
    ) -> BoxFuture<'a, Result<String, WebexFailure>>;
    /// `GET /memberships?roomId=…`: the personIds of the space's members.
    fn members<'a>(&'a self, room_id: &'a str) -> BoxFuture<'a, Result<Vec<String>, WebexFailure>>;
}

fn person(p: slbot_webex::Person) -> WebexPerson {
    WebexPerson {
        id: p.id,
        emails: p.emails,
        org_id: p.org_id,
    }
}

impl WebexPort for WebexClient {
    fn me(&self) -> BoxFuture<'_, Result<WebexPerson, WebexFailure>> {
        Box::pin(async move { Ok(person(WebexClient::me(self).await?)) })
    }

    fn person<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<WebexPerson, WebexFailure>> {
        Box::pin(async move { Ok(person(self.get_person(id).await?)) })
    }

    fn send_markdown<'a>(
        &'a self,
        to: &'a Recipient,
        markdown: &'a str,
    ) -> BoxFuture<'a, Result<String, WebexFailure>> {
        Box::pin(async move {
            let message = match to {
                Recipient::Email(email) => NewMessage::to_person_email(email.clone()),
                Recipient::PersonId(id) => NewMessage::to_person_id(id.clone()),
                Recipient::Room(id) => NewMessage::to_room(id.clone()),
            };
            let sent = self.create_message(&message.markdown(markdown)).await?;
            Ok(sent.room_id)
        })
    }

    fn members<'a>(&'a self, room_id: &'a str) -> BoxFuture<'a, Result<Vec<String>, WebexFailure>> {
        Box::pin(async move {
            Ok(self
                .list_memberships(room_id)
                .await?
                .into_iter()
                .map(|m| m.person_id)
                .collect())
        })
    }
}
