//! Webex-shaped identifiers and access tokens.
//!
//! Ids are opaque to clients: unpadded URL-safe base64 of `ciscospark://us/<TYPE>/<uuid>`, as
//! Webex issues them. The simulator compares them, and reads the uuid back out of one only where
//! Webex shows bare uuids: the activities of the device websocket.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The object kinds that appear inside ids.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    People,
    Room,
    Membership,
    Message,
    Webhook,
    AttachmentAction,
    Content,
    Organization,
    Application,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::People => "PEOPLE",
            Kind::Room => "ROOM",
            Kind::Membership => "MEMBERSHIP",
            Kind::Message => "MESSAGE",
            Kind::Webhook => "WEBHOOK",
            Kind::AttachmentAction => "ATTACHMENT_ACTION",
            Kind::Content => "CONTENT",
            Kind::Organization => "ORGANIZATION",
            Kind::Application => "APPLICATION",
        }
    }
}

/// A fresh id of `kind`.
pub(crate) fn new_id(kind: Kind) -> String {
    id_for(kind, &uuid::Uuid::new_v4().to_string())
}

/// The id of `kind` for a fixed `uuid` (stable ids such as the default organisation).
pub(crate) fn id_for(kind: Kind, uuid: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("ciscospark://us/{}/{uuid}", kind.as_str()))
}

/// The uuid inside an id made by [`id_for`] (`None` for anything else).
pub(crate) fn uuid_of(id: &str) -> Option<String> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let rest = text.strip_prefix("ciscospark://us/")?;
    let (_, uuid) = rest.split_once('/')?;
    Some(uuid.to_owned())
}

/// A new random access token (256 bits, URL-safe text).
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the simulator keeps of a token: its SHA-256, so neither memory dumps of the state nor
/// the saved state file hold usable tokens. Looking the digest up in a map leaks nothing useful
/// through timing, since an attacker cannot choose digests.
pub(crate) fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A Webex-style tracking id for one response.
pub(crate) fn tracking_id() -> String {
    format!("SIMWEBEX_{}", uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uuid_comes_back_out_of_an_id_and_nothing_comes_out_of_other_text() {
        // Webex's documented example message id.
        let id = "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvOTJkYjNiZTAtNDNiZC0xMWU2LThhZTktZGQ1YjNkZmM1NjVk";
        assert_eq!(
            uuid_of(id).as_deref(),
            Some("92db3be0-43bd-11e6-8ae9-dd5b3dfc565d")
        );
        assert_eq!(
            id_for(Kind::Message, "92db3be0-43bd-11e6-8ae9-dd5b3dfc565d"),
            id
        );
        assert_eq!(uuid_of("not base64!"), None);
        assert_eq!(uuid_of(&URL_SAFE_NO_PAD.encode("https://x/y")), None);
    }
}
