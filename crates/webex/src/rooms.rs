//! Rooms (spaces): read one, create a group space, list the spaces the bot is in.

use reqwest::Method;
use serde::Deserialize;

use crate::body::Body;
use crate::client::WebexClient;
use crate::error::WebexError;
use crate::messages::RoomType;

/// A space as `GET /rooms/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Room {
    pub id: String,
    pub title: Option<String>,
    #[serde(rename = "type")]
    pub room_type: Option<RoomType>,
    pub is_locked: Option<bool>,
    pub team_id: Option<String>,
    pub creator_id: Option<String>,
    pub last_activity: Option<String>,
    pub created: Option<String>,
}

impl WebexClient {
    /// `GET /rooms/{id}`.
    pub async fn get_room(&self, id: &str) -> Result<Room, WebexError> {
        self.call_json(Method::GET, self.url(&["rooms", id]), &Body::Empty)
            .await
    }

    /// `POST /rooms {title}`: a new group space with the bot in it.
    pub async fn create_room(&self, title: &str) -> Result<Room, WebexError> {
        let body = Body::json(&serde_json::json!({ "title": title }))?;
        self.call_json(Method::POST, self.url(&["rooms"]), &body)
            .await
    }

    /// `GET /rooms` (every page): the spaces the bot is in, optionally only one type.
    pub async fn list_rooms(&self, only: Option<RoomType>) -> Result<Vec<Room>, WebexError> {
        let mut query = vec![("max", "100".to_string())];
        match only {
            Some(RoomType::Direct) => query.push(("type", "direct".into())),
            Some(RoomType::Group) => query.push(("type", "group".into())),
            Some(RoomType::Other) | None => {}
        }
        self.list_all(&["rooms"], &query).await
    }
}
