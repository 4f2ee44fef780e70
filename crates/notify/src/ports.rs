//! What the scheduler needs from the outside, as traits the bot implements with its clients
//! and tests replace with fakes: the person's CSSM token (backend token API), their inventory
//! (CSSM, or the bot's cache), and posting a message (Webex).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use slbot_inventory::Inventory;

pub use crate::store::BoxFuture;

/// Why no token came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenProblem {
    /// The backend says the person has no usable login (signed out, or the sign-in expired).
    #[error("this person is not signed in")]
    NotSignedIn,
    /// The token service failed; not the person's fault (the text is for logs and status).
    #[error("the sign-in service failed: {0}")]
    Service(String),
}

/// Why no inventory came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryProblem {
    /// CSSM refused the person's token (401/403): they must sign in again.
    #[error("Cisco Smart Software Manager refused the sign-in")]
    SignInRefused,
    /// CSSM failed or is slow (the text is for logs and status).
    #[error("Cisco Smart Software Manager failed: {0}")]
    Failed(String),
}

/// The person's CSSM access token, from the backend's token API.
pub trait TokenSource: Send + Sync {
    /// The token for (room, person), as for any command.
    fn access_token<'a>(
        &'a self,
        room_id: &'a str,
        person_id: &'a str,
    ) -> BoxFuture<'a, Result<SecretString, TokenProblem>>;

    /// A sign-in link for the person (the reminder carries it).
    fn sign_in_link(&self, person_id: &str, now: DateTime<Utc>) -> String;
}

/// The person's inventory for a token.
pub trait InventorySource: Send + Sync {
    fn inventory<'a>(
        &'a self,
        person_id: &'a str,
        token: &'a SecretString,
    ) -> BoxFuture<'a, Result<Arc<Inventory>, InventoryProblem>>;
}

/// Posts a markdown message to a subscriber.
///
/// A digest lists one person's licenses, so it must reach only that person: the production
/// adapter ([`crate::adapters::WebexPoster`]) posts with `toPersonId`, which is always the
/// bot's 1:1 space with them, even when `notify on` was typed in a group room. `room_id` is
/// the room they subscribed from, for adapters that need it.
pub trait Poster: Send + Sync {
    fn post<'a>(
        &'a self,
        room_id: &'a str,
        person_id: &'a str,
        markdown: &'a str,
    ) -> BoxFuture<'a, Result<(), String>>;
}
