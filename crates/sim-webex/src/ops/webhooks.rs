//! Webhooks: creating, listing, updating (only the fields Webex lets change) and deleting.

use secrecy::SecretString;
use serde_json::Value;

use crate::delivery;
use crate::error::ApiError;
use crate::ids::{self, Kind};
use crate::model::{Webhook, WebhookStatus};
use crate::state::SimState;

/// Fields of `POST /v1/webhooks`.
#[derive(Debug, Clone)]
pub(crate) struct NewWebhook {
    pub name: String,
    pub target_url: String,
    pub resource: String,
    pub event: String,
    pub filter: Option<String>,
    pub secret: Option<SecretString>,
}

/// Fields of `PUT /v1/webhooks/{id}` (the only ones Webex lets change).
#[derive(Debug, Clone)]
pub(crate) struct WebhookUpdate {
    pub name: String,
    pub target_url: String,
    pub secret: Option<SecretString>,
    pub status: Option<WebhookStatus>,
    /// `resource`, `event`, `filter` as sent: each must be absent or equal to the current value.
    pub unchangeable: [Option<String>; 3],
}

fn check_target_url(url: &str) -> Result<(), ApiError> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(()),
        _ => Err(ApiError::bad(
            "targetUrl must be an absolute http or https URL.",
        )),
    }
}

impl SimState {
    pub(crate) fn create_webhook(&self, owner: &str, new: NewWebhook) -> Result<Value, ApiError> {
        if new.name.trim().is_empty() {
            return Err(ApiError::bad("name must not be empty."));
        }
        check_target_url(&new.target_url)?;
        if !delivery::supported(&new.resource, &new.event) {
            return Err(ApiError::bad(format!(
                "The simulator does not deliver resource {:?} with event {:?} (it delivers messages created/updated/deleted/all and attachmentActions created/all).",
                new.resource, new.event
            )));
        }
        if let Some(f) = &new.filter {
            let keys = delivery::filter_keys(&new.resource);
            for (k, _) in url::form_urlencoded::parse(f.as_bytes()) {
                if !keys.contains(&k.as_ref()) {
                    return Err(ApiError::bad(format!(
                        "Unsupported filter {k:?} for {}.",
                        new.resource
                    )));
                }
            }
        }
        let now = self.now();
        self.write(|s| {
            let wh = Webhook {
                id: ids::new_id(Kind::Webhook),
                name: new.name,
                target_url: new.target_url,
                resource: new.resource,
                event: new.event,
                filter: new.filter.filter(|f| !f.is_empty()),
                secret: new.secret,
                status: WebhookStatus::Active,
                created: now,
                owner_id: owner.to_owned(),
            };
            let json = wh.render();
            s.world.webhooks.push(wh);
            Ok(json)
        })
    }

    pub(crate) fn webhooks_json(&self, owner: &str) -> Vec<Value> {
        let shared = self.lock();
        shared
            .world
            .webhooks
            .iter()
            .filter(|w| w.owner_id == owner)
            .map(Webhook::render)
            .collect()
    }

    /// Every webhook of every owner, without secrets (control API).
    pub(crate) fn all_webhooks_json(&self) -> Vec<Value> {
        let shared = self.lock();
        shared
            .world
            .webhooks
            .iter()
            .map(|w| {
                let mut v = w.render();
                if let Some(o) = v.as_object_mut() {
                    o.remove("secret");
                }
                v
            })
            .collect()
    }

    pub(crate) fn webhook_json(&self, owner: &str, id: &str) -> Result<Value, ApiError> {
        let shared = self.lock();
        shared
            .world
            .webhooks
            .iter()
            .find(|w| w.id == id && w.owner_id == owner)
            .map(Webhook::render)
            .ok_or_else(|| ApiError::not_found("webhook"))
    }

    pub(crate) fn update_webhook(
        &self,
        owner: &str,
        id: &str,
        update: WebhookUpdate,
    ) -> Result<Value, ApiError> {
        if update.name.trim().is_empty() {
            return Err(ApiError::bad("name must not be empty."));
        }
        check_target_url(&update.target_url)?;
        self.write(|s| {
            let Some(wh) = s
                .world
                .webhooks
                .iter_mut()
                .find(|w| w.id == id && w.owner_id == owner)
            else {
                return Err(ApiError::not_found("webhook"));
            };
            let current = [Some(&wh.resource), Some(&wh.event), wh.filter.as_ref()];
            for (sent, now) in update.unchangeable.iter().zip(current) {
                if sent.as_ref().is_some_and(|s| Some(s) != now) {
                    return Err(ApiError::bad(
                        "Only name, targetUrl, secret and status of a webhook can be changed.",
                    ));
                }
            }
            wh.name = update.name;
            wh.target_url = update.target_url;
            if update.secret.is_some() {
                wh.secret = update.secret;
            }
            if let Some(status) = update.status {
                if status == WebhookStatus::Active && wh.status == WebhookStatus::Inactive {
                    s.live.failures.remove(&wh.id);
                }
                wh.status = status;
            }
            Ok(wh.render())
        })
    }

    pub(crate) fn delete_webhook(&self, owner: &str, id: &str) -> Result<(), ApiError> {
        self.write(|s| {
            let before = s.world.webhooks.len();
            s.world
                .webhooks
                .retain(|w| !(w.id == id && w.owner_id == owner));
            if s.world.webhooks.len() == before {
                return Err(ApiError::not_found("webhook"));
            }
            s.live.failures.remove(id);
            Ok(())
        })
    }
}
