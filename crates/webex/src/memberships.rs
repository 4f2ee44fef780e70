//! Memberships: who is in a space (paged) and adding someone to one.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::body::Body;
use crate::client::WebexClient;
use crate::error::WebexError;

/// Page size asked of Webex for membership lists.
const PAGE_SIZE: &str = "100";

/// One person's membership of one space.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub id: String,
    pub room_id: String,
    pub person_id: String,
    pub person_email: Option<String>,
    pub person_display_name: Option<String>,
    pub person_org_id: Option<String>,
    pub is_moderator: Option<bool>,
    pub is_monitor: Option<bool>,
    pub created: Option<String>,
}

/// Who to add to a space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Member {
    #[serde(rename = "personId")]
    PersonId(String),
    #[serde(rename = "personEmail")]
    PersonEmail(String),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewMembership<'a> {
    room_id: &'a str,
    #[serde(flatten)]
    member: &'a Member,
}

impl WebexClient {
    /// `GET /memberships?roomId=…` (every page).
    pub async fn list_memberships(&self, room_id: &str) -> Result<Vec<Membership>, WebexError> {
        let query = [
            ("roomId", room_id.to_string()),
            ("max", PAGE_SIZE.to_string()),
        ];
        self.list_all(&["memberships"], &query).await
    }

    /// `POST /memberships`: add a person to a space. Already a member gives
    /// [`WebexError::Conflict`].
    pub async fn create_membership(
        &self,
        room_id: &str,
        member: &Member,
    ) -> Result<Membership, WebexError> {
        let body = Body::json(&NewMembership { room_id, member })?;
        self.call_json(Method::POST, self.url(&["memberships"]), &body)
            .await
    }
}
