//! Keeping the bot's two webhooks registered, pointed at the right URL and enabled.
//!
//! `slbot webhooks register` runs [`ensure_webhooks`] once; the bot runs it at start and every
//! few minutes, because Webex disables a webhook after 100 failed deliveries in five minutes and
//! never re-enables it by itself.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use url::Url;

use crate::client::WebexClient;
use crate::error::WebexError;
use crate::events::{EVENT_CREATED, RESOURCE_ATTACHMENT_ACTIONS, RESOURCE_MESSAGES};
use crate::webhooks::{NewWebhook, Webhook, WebhookStatus, WebhookUpdate};

/// The path the bot serves webhook deliveries on, appended to its public URL.
pub const WEBHOOK_PATH: &str = "/webhooks/webex";

/// One webhook the bot needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookSpec {
    pub name: &'static str,
    pub resource: &'static str,
    pub event: &'static str,
}

/// New messages (in 1:1 spaces all of them, in group spaces those that mention the bot).
pub const MESSAGES_WEBHOOK: WebhookSpec = WebhookSpec {
    name: "slbot-messages",
    resource: RESOURCE_MESSAGES,
    event: EVENT_CREATED,
};

/// Card submits.
pub const ATTACHMENT_ACTIONS_WEBHOOK: WebhookSpec = WebhookSpec {
    name: "slbot-attachment-actions",
    resource: RESOURCE_ATTACHMENT_ACTIONS,
    event: EVENT_CREATED,
};

/// Both webhooks, in the order they are ensured.
pub const BOT_WEBHOOKS: [WebhookSpec; 2] = [MESSAGES_WEBHOOK, ATTACHMENT_ACTIONS_WEBHOOK];

/// What to do with further webhooks that carry one of the bot's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicates {
    /// Leave them (a warning is logged): each event may then be delivered more than once.
    Keep,
    /// Delete them.
    Prune,
}

/// What [`ensure_webhooks`] did to one webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookAction {
    Created,
    /// The target URL or secret changed (and it is active now, whatever it was before).
    Updated,
    /// Only its status changed: it was not active and now is.
    ReEnabled,
    Unchanged,
    /// A duplicate (same name) was deleted.
    Pruned,
}

impl WebhookAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::ReEnabled => "re-enabled",
            Self::Unchanged => "unchanged",
            Self::Pruned => "pruned",
        }
    }
}

/// One line of the [`ensure_webhooks`] report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookChange {
    pub action: WebhookAction,
    pub id: String,
    pub name: String,
    pub target_url: String,
    /// The status before this run (`None` for a webhook just created).
    pub status_before: Option<WebhookStatus>,
}

impl fmt::Display for WebhookChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({}) -> {}",
            self.action.as_str(),
            self.name,
            self.id,
            self.target_url
        )?;
        if let Some(before) = self.status_before {
            if before != WebhookStatus::Active && self.action != WebhookAction::Pruned {
                write!(f, " (was {})", before.as_str())?;
            }
        }
        Ok(())
    }
}

/// The delivery URL for the bot reachable at `public_url`: `public_url` + [`WEBHOOK_PATH`].
pub fn webhook_target_url(public_url: &str) -> Result<String, WebexError> {
    let trimmed = public_url.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|e| {
        WebexError::InvalidInput(format!("the public URL {public_url:?} is not a URL: {e}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(WebexError::InvalidInput(format!(
            "the public URL {public_url:?} must be an http(s) URL"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(WebexError::InvalidInput(format!(
            "the public URL {public_url:?} must not have a query or fragment"
        )));
    }
    Ok(format!("{trimmed}{WEBHOOK_PATH}"))
}

/// Makes sure both [`BOT_WEBHOOKS`] exist, target `public_url` + [`WEBHOOK_PATH`], use
/// `secret`, and are active; reports what it did, one entry per webhook touched or checked.
///
/// Of several webhooks with the same name, the one already pointing at the target (then an
/// active one, then the first listed) is kept; the others are deleted with
/// [`Duplicates::Prune`]. A same-named webhook for another resource, event or with a filter is
/// never reused (those cannot be changed by `PUT`); it counts as a duplicate.
///
/// When Webex does not return a webhook's secret, the secret is assumed unchanged: a wrong one
/// shows up as refused deliveries, Webex then disables the webhook, and the next run re-enables
/// it with the right secret.
///
/// Two processes running this at the same moment can both create a webhook; the next run with
/// [`Duplicates::Prune`] removes the extra one (deliveries are deduplicated meanwhile).
pub async fn ensure_webhooks(
    client: &WebexClient,
    public_url: &str,
    secret: &SecretString,
    duplicates: Duplicates,
) -> Result<Vec<WebhookChange>, WebexError> {
    let target = webhook_target_url(public_url)?;
    let existing = client.list_webhooks().await?;
    let mut changes = Vec::new();
    for spec in BOT_WEBHOOKS {
        let same_name: Vec<&Webhook> = existing.iter().filter(|w| w.name == spec.name).collect();
        let keeper = same_name
            .iter()
            .copied()
            .filter(|w| reusable(w, spec))
            .min_by_key(|w| {
                (
                    w.target_url != target,
                    w.status != Some(WebhookStatus::Active),
                )
            });
        let kept_id = keeper.map(|w| w.id.clone());
        changes.push(match keeper {
            None => create(client, spec, &target, secret).await?,
            Some(w) => bring_up_to_date(client, w, spec, &target, secret).await?,
        });
        let extra: Vec<&Webhook> = same_name
            .into_iter()
            .filter(|w| Some(&w.id) != kept_id.as_ref())
            .collect();
        match duplicates {
            Duplicates::Prune => {
                for w in extra {
                    changes.push(prune(client, w).await?);
                }
            }
            Duplicates::Keep if !extra.is_empty() => tracing::warn!(
                name = spec.name,
                duplicates = extra.len(),
                "several Webex webhooks share this name; events may be delivered more than once (prune them)"
            ),
            Duplicates::Keep => {}
        }
    }
    Ok(changes)
}

fn reusable(w: &Webhook, spec: WebhookSpec) -> bool {
    w.resource == spec.resource
        && w.event == spec.event
        && w.filter.as_deref().is_none_or(|f| f.trim().is_empty())
}

async fn create(
    client: &WebexClient,
    spec: WebhookSpec,
    target: &str,
    secret: &SecretString,
) -> Result<WebhookChange, WebexError> {
    let created = client
        .create_webhook(&NewWebhook {
            name: spec.name.to_string(),
            target_url: target.to_string(),
            resource: spec.resource.to_string(),
            event: spec.event.to_string(),
            filter: None,
            secret: Some(secret.clone()),
        })
        .await?;
    tracing::info!(name = spec.name, id = %created.id, "created the Webex webhook");
    Ok(WebhookChange {
        action: WebhookAction::Created,
        id: created.id,
        name: spec.name.to_string(),
        target_url: target.to_string(),
        status_before: None,
    })
}

async fn bring_up_to_date(
    client: &WebexClient,
    w: &Webhook,
    spec: WebhookSpec,
    target: &str,
    secret: &SecretString,
) -> Result<WebhookChange, WebexError> {
    let moved = w.target_url != target;
    let rekeyed = w.secret.as_ref().is_some_and(|s| !same_secret(s, secret));
    let disabled = w.status != Some(WebhookStatus::Active);
    let action = if moved || rekeyed {
        WebhookAction::Updated
    } else if disabled {
        WebhookAction::ReEnabled
    } else {
        WebhookAction::Unchanged
    };
    if action != WebhookAction::Unchanged {
        client
            .update_webhook(
                &w.id,
                &WebhookUpdate {
                    name: spec.name.to_string(),
                    target_url: target.to_string(),
                    secret: Some(secret.clone()),
                    status: WebhookStatus::Active,
                },
            )
            .await?;
        if disabled {
            tracing::warn!(
                name = spec.name,
                id = %w.id,
                "re-enabled a Webex webhook that Webex had disabled (deliveries were failing)"
            );
        } else {
            tracing::info!(name = spec.name, id = %w.id, "updated the Webex webhook");
        }
    }
    Ok(WebhookChange {
        action,
        id: w.id.clone(),
        name: spec.name.to_string(),
        target_url: target.to_string(),
        status_before: w.status,
    })
}

async fn prune(client: &WebexClient, w: &Webhook) -> Result<WebhookChange, WebexError> {
    match client.delete_webhook(&w.id).await {
        // Another replica pruned it first: the outcome is the same.
        Ok(()) | Err(WebexError::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    tracing::info!(name = %w.name, id = %w.id, "deleted a duplicate Webex webhook");
    Ok(WebhookChange {
        action: WebhookAction::Pruned,
        id: w.id.clone(),
        name: w.name.clone(),
        target_url: w.target_url.clone(),
        status_before: w.status,
    })
}

fn same_secret(a: &SecretString, b: &SecretString) -> bool {
    a.expose_secret()
        .as_bytes()
        .ct_eq(b.expose_secret().as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_url_appends_the_webhook_path_once() {
        assert_eq!(
            webhook_target_url("https://bot.example.com").unwrap(),
            "https://bot.example.com/webhooks/webex"
        );
        assert_eq!(
            webhook_target_url("https://bot.example.com/slbot/").unwrap(),
            "https://bot.example.com/slbot/webhooks/webex"
        );
    }

    #[test]
    fn a_public_url_that_is_not_http_is_refused() {
        for bad in ["bot.example.com", "ftp://x", "https://x/?a=1", ""] {
            assert!(webhook_target_url(bad).is_err(), "{bad}");
        }
    }
}
