//! Webhooks: list (paged), read, create, update (how a disabled one is re-enabled), delete.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::body::Body;
use crate::client::WebexClient;
use crate::error::WebexError;

/// Page size asked of Webex for webhook lists.
const PAGE_SIZE: &str = "100";

/// Whether Webex delivers to a webhook. Webex sets `inactive` after 100 failed deliveries in
/// five minutes and never re-enables it by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStatus {
    Active,
    Inactive,
    /// A status this client does not know (never sent back to Webex).
    #[serde(other)]
    Unknown,
}

impl WebhookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Unknown => "unknown",
        }
    }
}

/// A registered webhook. The secret, when Webex returns it, stays a [`SecretString`].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub name: String,
    pub target_url: String,
    pub resource: String,
    pub event: String,
    pub filter: Option<String>,
    pub secret: Option<SecretString>,
    pub status: Option<WebhookStatus>,
    pub created: Option<String>,
    pub owned_by: Option<String>,
    pub org_id: Option<String>,
    pub created_by: Option<String>,
    pub app_id: Option<String>,
}

/// A webhook to create.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub name: String,
    pub target_url: String,
    pub resource: String,
    pub event: String,
    pub filter: Option<String>,
    pub secret: Option<SecretString>,
}

/// The fields `PUT /webhooks/{id}` can change (all are sent; Webex replaces them).
#[derive(Debug, Clone)]
pub struct WebhookUpdate {
    pub name: String,
    pub target_url: String,
    pub secret: Option<SecretString>,
    pub status: WebhookStatus,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewWebhookBody<'a> {
    name: &'a str,
    target_url: &'a str,
    resource: &'a str,
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookUpdateBody<'a> {
    name: &'a str,
    target_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    status: WebhookStatus,
}

impl WebexClient {
    /// `GET /webhooks` (every page): the bot's webhooks.
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, WebexError> {
        self.list_all(&["webhooks"], &[("max", PAGE_SIZE.to_string())])
            .await
    }

    /// `GET /webhooks/{id}`.
    pub async fn get_webhook(&self, id: &str) -> Result<Webhook, WebexError> {
        self.call_json(Method::GET, self.url(&["webhooks", id]), &Body::Empty)
            .await
    }

    /// `POST /webhooks`.
    pub async fn create_webhook(&self, new: &NewWebhook) -> Result<Webhook, WebexError> {
        let body = Body::json(&NewWebhookBody {
            name: &new.name,
            target_url: &new.target_url,
            resource: &new.resource,
            event: &new.event,
            filter: new.filter.as_deref(),
            secret: new.secret.as_ref().map(|s| s.expose_secret()),
        })?;
        self.call_json(Method::POST, self.url(&["webhooks"]), &body)
            .await
    }

    /// `PUT /webhooks/{id}`: change name, target URL, secret or status.
    pub async fn update_webhook(
        &self,
        id: &str,
        update: &WebhookUpdate,
    ) -> Result<Webhook, WebexError> {
        if update.status == WebhookStatus::Unknown {
            return Err(WebexError::InvalidInput(
                "a webhook can only be set active or inactive".into(),
            ));
        }
        let body = Body::json(&WebhookUpdateBody {
            name: &update.name,
            target_url: &update.target_url,
            secret: update.secret.as_ref().map(|s| s.expose_secret()),
            status: update.status,
        })?;
        self.call_json(Method::PUT, self.url(&["webhooks", id]), &body)
            .await
    }

    /// `DELETE /webhooks/{id}`.
    pub async fn delete_webhook(&self, id: &str) -> Result<(), WebexError> {
        self.call(Method::DELETE, self.url(&["webhooks", id]), &Body::Empty)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_webhook_with_a_secret_never_shows_it_in_debug() {
        let w: Webhook = serde_json::from_value(json!({
            "id": "W1", "name": "slbot-messages", "targetUrl": "https://b/webhooks/webex",
            "resource": "messages", "event": "created", "secret": "s3cr3t-value",
            "status": "disabled-by-ops", "created": "2026-01-01T00:00:00.000Z"
        }))
        .unwrap();
        assert_eq!(w.status, Some(WebhookStatus::Unknown));
        let shown = format!("{w:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
    }
}
