//! The request and response JSON of a custom skill (alexa.md §1–2): only what the skill reads
//! and writes. Every field Amazon may leave out is optional, so a request we do not fully
//! understand still gets an answer.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::speech::{Speech, MAX_CARD_CHARS};

/// A request from Alexa.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestEnvelope {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub session: Option<Session>,
    #[serde(default)]
    pub context: Option<Context>,
    pub request: Request,
}

impl fmt::Debug for RequestEnvelope {
    // The access tokens must not reach a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestEnvelope")
            .field("version", &self.version)
            .field("request", &self.request)
            .field("linked", &self.access_token().is_some())
            .finish_non_exhaustive()
    }
}

impl RequestEnvelope {
    /// Parses a request body (already verified).
    pub fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The account-linking access token: `context.System.user.accessToken`, else
    /// `session.user.accessToken`; `None` (also for an empty one) when not linked.
    pub fn access_token(&self) -> Option<&str> {
        let from_context = self
            .context
            .as_ref()
            .and_then(|c| c.system.as_ref())
            .and_then(|s| s.user.as_ref())
            .and_then(|u| u.access_token.as_deref());
        let from_session = self
            .session
            .as_ref()
            .and_then(|s| s.user.as_ref())
            .and_then(|u| u.access_token.as_deref());
        from_context.or(from_session).filter(|t| !t.is_empty())
    }

    /// The skill's application id (context first, as the verifier reads it).
    pub fn application_id(&self) -> Option<&str> {
        let from_context = self
            .context
            .as_ref()
            .and_then(|c| c.system.as_ref())
            .and_then(|s| s.application.as_ref())
            .and_then(|a| a.application_id.as_deref());
        let from_session = self
            .session
            .as_ref()
            .and_then(|s| s.application.as_ref())
            .and_then(|a| a.application_id.as_deref());
        from_context.or(from_session)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    #[serde(default)]
    pub new: Option<bool>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub application: Option<Application>,
    #[serde(default)]
    pub user: Option<User>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Context {
    #[serde(rename = "System", default)]
    pub system: Option<System>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct System {
    #[serde(default)]
    pub application: Option<Application>,
    #[serde(default)]
    pub user: Option<User>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    #[serde(default)]
    pub application_id: Option<String>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// The request itself, by `type`. Types the skill does not handle are [`Request::Other`].
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type")]
pub enum Request {
    LaunchRequest(Common),
    IntentRequest {
        #[serde(flatten)]
        common: Common,
        intent: Intent,
    },
    SessionEndedRequest {
        #[serde(flatten)]
        common: Common,
        #[serde(default)]
        reason: Option<String>,
    },
    #[serde(other)]
    Other,
}

/// Fields every request type has.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Common {
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Intent {
    pub name: String,
    #[serde(default)]
    pub slots: BTreeMap<String, Slot>,
}

impl Intent {
    /// The value of slot `name`, `None` when missing or empty (Alexa's unknown `?` is kept:
    /// the duration parser says it did not catch the period).
    pub fn slot(&self, name: &str) -> Option<&str> {
        self.slots
            .get(name)
            .and_then(|s| s.value.as_deref())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// A slot: `value` may be missing even when the intent matched (alexa.md §1).
#[derive(Debug, Clone, Deserialize)]
pub struct Slot {
    #[serde(default)]
    pub value: Option<String>,
}

/// A response to Alexa.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResponseEnvelope {
    pub version: &'static str,
    pub session_attributes: serde_json::Map<String, serde_json::Value>,
    pub response: Response,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_speech: Option<OutputSpeech>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<Reprompt>,
    pub should_end_session: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type")]
pub enum OutputSpeech {
    #[serde(rename = "SSML")]
    Ssml { ssml: String },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type")]
pub enum Card {
    Simple { title: String, content: String },
    LinkAccount,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Reprompt {
    pub output_speech: OutputSpeech,
}

impl ResponseEnvelope {
    fn with(response: Response) -> Self {
        Self {
            version: "1.0",
            session_attributes: serde_json::Map::new(),
            response,
        }
    }

    /// A one-shot answer: speech and a Simple card of the same text; the session ends.
    pub fn tell(speech: &Speech, card_title: &str) -> Self {
        Self::with(Response {
            output_speech: Some(speech.output()),
            card: Some(simple_card(card_title, speech.plain())),
            reprompt: None,
            should_end_session: true,
        })
    }

    /// An answer that keeps the session open and asks again with `reprompt`.
    pub fn ask(speech: &Speech, reprompt: &Speech, card_title: &str) -> Self {
        Self::with(Response {
            output_speech: Some(speech.output()),
            card: Some(simple_card(card_title, speech.plain())),
            reprompt: Some(Reprompt {
                output_speech: reprompt.output(),
            }),
            should_end_session: false,
        })
    }

    /// Speech and the LinkAccount card, which puts the linking button in the Alexa app.
    pub fn link_account(speech: &Speech) -> Self {
        Self::with(Response {
            output_speech: Some(speech.output()),
            card: Some(Card::LinkAccount),
            reprompt: None,
            should_end_session: true,
        })
    }

    /// The answer to a SessionEndedRequest, which may not speak.
    pub fn empty() -> Self {
        Self::with(Response {
            output_speech: None,
            card: None,
            reprompt: None,
            should_end_session: true,
        })
    }

    /// The JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

fn simple_card(title: &str, content: String) -> Card {
    Card::Simple {
        title: crate::speech::truncate_chars(title, 200),
        content: crate::speech::truncate_chars(&content, MAX_CARD_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_token_is_read_from_the_context_before_the_session_and_an_empty_one_is_no_link() {
        let body = br#"{"version":"1.0",
            "session":{"new":true,"user":{"userId":"u","accessToken":"from-session"}},
            "context":{"System":{"application":{"applicationId":"amzn1.ask.skill.x"},
                                 "user":{"userId":"u","accessToken":"from-context"}}},
            "request":{"type":"LaunchRequest","requestId":"r","timestamp":"2026-12-07T10:00:00Z"}}"#;
        let envelope = RequestEnvelope::from_slice(body).unwrap();
        assert_eq!(envelope.access_token(), Some("from-context"));
        assert_eq!(envelope.application_id(), Some("amzn1.ask.skill.x"));
        assert!(matches!(envelope.request, Request::LaunchRequest(_)));

        let session_only = br#"{"session":{"user":{"accessToken":"from-session"}},
            "request":{"type":"LaunchRequest"}}"#;
        let envelope = RequestEnvelope::from_slice(session_only).unwrap();
        assert_eq!(envelope.access_token(), Some("from-session"));

        let empty = br#"{"context":{"System":{"user":{"accessToken":""}}},
            "request":{"type":"LaunchRequest"}}"#;
        assert_eq!(
            RequestEnvelope::from_slice(empty).unwrap().access_token(),
            None
        );
    }

    #[test]
    fn a_slot_without_a_value_or_with_only_spaces_reads_as_missing() {
        let body =
            br#"{"request":{"type":"IntentRequest","intent":{"name":"ExpiringLicensesIntent",
            "slots":{"period":{"name":"period","confirmationStatus":"NONE"},
                     "other":{"name":"other","value":"  "},
                     "given":{"name":"given","value":"P3M"}}}}}"#;
        let envelope = RequestEnvelope::from_slice(body).unwrap();
        let Request::IntentRequest { intent, .. } = envelope.request else {
            panic!("not an intent request");
        };
        assert_eq!(intent.slot("period"), None);
        assert_eq!(intent.slot("other"), None);
        assert_eq!(intent.slot("given"), Some("P3M"));
        assert_eq!(intent.slot("absent"), None);
    }

    #[test]
    fn an_unknown_request_type_still_parses() {
        let body = br#"{"request":{"type":"Alexa.Presentation.APL.UserEvent"}}"#;
        let envelope = RequestEnvelope::from_slice(body).unwrap();
        assert!(matches!(envelope.request, Request::Other));
    }

    #[test]
    fn the_debug_output_never_shows_an_access_token() {
        let body = br#"{"context":{"System":{"user":{"accessToken":"secret-alexa-token"}}},
            "request":{"type":"LaunchRequest"}}"#;
        let envelope = RequestEnvelope::from_slice(body).unwrap();
        let shown = format!("{envelope:?} {:?}", envelope.context);
        assert!(!shown.contains("secret-alexa-token"), "{shown}");
    }

    #[test]
    fn a_session_ended_request_is_answered_with_no_speech_and_the_session_ended() {
        assert_eq!(
            ResponseEnvelope::empty().to_json(),
            serde_json::json!({"version":"1.0","sessionAttributes":{},
                "response":{"shouldEndSession":true}})
        );
    }
}
