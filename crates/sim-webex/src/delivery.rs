//! Webhook delivery: who is notified of what (Webex's rules), the signed envelope, the
//! asynchronous POST, and disabling a webhook after too many failures within the window.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use sha1::Sha1;
use tracing::Instrument;

use crate::model::{
    ts, AttachmentAction, Message, PersonType, RoomType, Webhook, WebhookStatus, World,
};
use crate::state::{DeliveryRecord, SimState};

/// One POST to make.
pub(crate) struct Delivery {
    webhook_id: String,
    target_url: String,
    secret: Option<SecretString>,
    resource: String,
    event: String,
    data_id: String,
    body: Vec<u8>,
}

/// The resources and events the simulator delivers (also what `POST /webhooks` accepts).
pub(crate) fn supported(resource: &str, event: &str) -> bool {
    match resource {
        "messages" => matches!(event, "created" | "updated" | "deleted" | "all"),
        "attachmentActions" => matches!(event, "created" | "all"),
        _ => false,
    }
}

/// Filter keys per resource; a webhook with another key is refused at creation.
pub(crate) fn filter_keys(resource: &str) -> &'static [&'static str] {
    match resource {
        "messages" => &[
            "roomId",
            "roomType",
            "personId",
            "personEmail",
            "mentionedPeople",
        ],
        "attachmentActions" => &["roomId", "messageId", "personId"],
        _ => &[],
    }
}

fn filter_pairs(filter: &Option<String>) -> Vec<(String, String)> {
    filter
        .as_deref()
        .map(|f| {
            url::form_urlencoded::parse(f.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// The lowercase hex HMAC-SHA1 of `body` with `secret` (the `X-Spark-Signature` value).
pub(crate) fn signature(
    secret: &SecretString,
    body: &[u8],
) -> Result<String, hmac::digest::InvalidLength> {
    // HMAC accepts keys of any length; the error type exists for fixed-key MACs.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.expose_secret().as_bytes())?;
    mac.update(body);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

fn wants(wh: &Webhook, resource: &str, event: &str) -> bool {
    wh.status == WebhookStatus::Active
        && wh.resource == resource
        && (wh.event == event || wh.event == "all")
}

fn build(world: &World, wh: &Webhook, event: &str, actor: &str, data: Value) -> Delivery {
    let owner_org = world
        .person(&wh.owner_id)
        .map(|p| p.org_id.clone())
        .unwrap_or_default();
    let data_id = data["id"].as_str().unwrap_or_default().to_owned();
    let mut envelope = json!({
        "id": wh.id,
        "name": wh.name,
        "targetUrl": wh.target_url,
        "resource": wh.resource,
        "event": event,
        "orgId": owner_org,
        "createdBy": wh.owner_id,
        "appId": world.app_id,
        "ownedBy": "creator",
        "status": "active",
        "created": ts(&wh.created),
        "actorId": actor,
        "data": data,
    });
    if let Some(f) = &wh.filter {
        envelope["filter"] = json!(f);
    }
    Delivery {
        webhook_id: wh.id.clone(),
        target_url: wh.target_url.clone(),
        secret: wh.secret.clone(),
        resource: wh.resource.clone(),
        event: event.to_owned(),
        data_id,
        // Serialising a `Value` cannot fail.
        body: serde_json::to_vec(&envelope).unwrap_or_default(),
    }
}

/// Whether Webex tells `person` of `msg` (by webhook or on their devices' websockets): they did
/// not write it, are in its room, and — for a bot in a group room — are mentioned.
pub(crate) fn message_reaches(world: &World, msg: &Message, person: &str) -> bool {
    let Some(room) = world.room(&msg.room_id) else {
        return false;
    };
    if person == msg.person_id || !world.is_member(&room.id, person) {
        return false;
    }
    let is_bot = world
        .person(person)
        .is_some_and(|p| p.kind == PersonType::Bot);
    let mentioned = msg.mentioned_people.iter().any(|m| m == person);
    !(room.kind == RoomType::Group && is_bot && !mentioned)
}

/// Whether Webex tells `person` of a card submit: they wrote the card, did not submit it
/// themselves, and are still in the room.
pub(crate) fn action_reaches(world: &World, action: &AttachmentAction, person: &str) -> bool {
    world
        .message(&action.message_id)
        .is_some_and(|card| card.person_id == person)
        && person != action.person_id
        && world.is_member(&action.room_id, person)
}

/// Deliveries for a message `event` ("created", "updated", "deleted"): to the webhooks whose
/// owner [`message_reaches`], when their filter matches. The data carries no text.
pub(crate) fn for_message(world: &World, msg: &Message, event: &str) -> Vec<Delivery> {
    let Some(room) = world.room(&msg.room_id) else {
        return Vec::new();
    };
    let author_email = world
        .person(&msg.person_id)
        .map(|p| p.email.clone())
        .unwrap_or_default();
    let mut out = Vec::new();
    for wh in world
        .webhooks
        .iter()
        .filter(|w| wants(w, "messages", event))
    {
        if !message_reaches(world, msg, &wh.owner_id) {
            continue;
        }
        let filter_ok = filter_pairs(&wh.filter)
            .iter()
            .all(|(k, v)| match k.as_str() {
                "roomId" => *v == room.id,
                "roomType" => v == room.kind.as_str(),
                "personId" => *v == msg.person_id,
                "personEmail" => v.eq_ignore_ascii_case(&author_email),
                "mentionedPeople" => v.split(',').all(|p| {
                    let id = if p == "me" { wh.owner_id.as_str() } else { p };
                    msg.mentioned_people.iter().any(|m| m == id)
                }),
                _ => false,
            });
        if !filter_ok {
            continue;
        }
        let mut data = json!({
            "id": msg.id,
            "roomId": room.id,
            "roomType": room.kind.as_str(),
            "personId": msg.person_id,
            "personEmail": author_email,
            "created": ts(&msg.created),
        });
        if !msg.mentioned_people.is_empty() {
            data["mentionedPeople"] = json!(msg.mentioned_people);
        }
        out.push(build(world, wh, event, &msg.person_id, data));
    }
    out
}

/// Deliveries for a card submit: to webhooks whose owner [`action_reaches`], when the filter
/// matches. No inputs in data.
pub(crate) fn for_action(world: &World, action: &AttachmentAction) -> Vec<Delivery> {
    let mut out = Vec::new();
    for wh in world
        .webhooks
        .iter()
        .filter(|w| wants(w, "attachmentActions", "created"))
    {
        if !action_reaches(world, action, &wh.owner_id) {
            continue;
        }
        let filter_ok = filter_pairs(&wh.filter)
            .iter()
            .all(|(k, v)| match k.as_str() {
                "roomId" => *v == action.room_id,
                "messageId" => *v == action.message_id,
                "personId" => *v == action.person_id,
                _ => false,
            });
        if !filter_ok {
            continue;
        }
        let data = json!({
            "id": action.id,
            "type": "submit",
            "messageId": action.message_id,
            "personId": action.person_id,
            "roomId": action.room_id,
            "created": ts(&action.created),
        });
        out.push(build(world, wh, "created", &action.person_id, data));
    }
    out
}

impl SimState {
    /// Starts each delivery on its own task; [`SimState::drain_deliveries`] waits for them.
    pub(crate) fn dispatch(&self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            self.inner.inflight.send_modify(|n| *n += 1);
            let state = self.clone();
            let span = tracing::info_span!(
                "webhook_delivery",
                webhook = %d.webhook_id,
                resource = %d.resource,
                event = %d.event,
                data = %d.data_id,
            );
            tokio::spawn(
                async move {
                    state.deliver(d).await;
                    state.inner.inflight.send_modify(|n| *n -= 1);
                }
                .instrument(span),
            );
        }
    }

    async fn deliver(&self, d: Delivery) {
        let still_active = {
            let shared = self.lock();
            shared
                .world
                .webhooks
                .iter()
                .any(|w| w.id == d.webhook_id && w.status == WebhookStatus::Active)
        };
        if !still_active {
            return;
        }
        let mut request = self
            .inner
            .http
            .post(&d.target_url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(d.body.clone());
        if let Some(secret) = &d.secret {
            match signature(secret, &d.body) {
                Ok(sig) => request = request.header("X-Spark-Signature", sig),
                Err(e) => {
                    self.record(d, None, Some(format!("cannot sign: {e}")), false);
                    return;
                }
            }
        }
        let (status, error) = match request.send().await {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(e.without_url().to_string())),
        };
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        tracing::debug!(?status, error = error.as_deref(), ok, "delivered");
        self.record(d, status, error, ok);
    }

    fn record(&self, d: Delivery, status: Option<u16>, error: Option<String>, ok: bool) {
        let now = self.now();
        let limit = self.inner.cfg.webhook_failure_limit;
        let window = self.inner.cfg.webhook_failure_window;
        self.write(|shared| {
            let live = &mut shared.live;
            live.push_delivery(DeliveryRecord {
                webhook_id: d.webhook_id.clone(),
                resource: d.resource,
                event: d.event,
                data_id: d.data_id,
                status,
                error,
                ok,
                at: ts(&now),
            });
            if ok {
                live.stats.webhook_deliveries_ok += 1;
                return;
            }
            live.stats.webhook_deliveries_failed += 1;
            let failures = live.failures.entry(d.webhook_id.clone()).or_default();
            failures.push_back(now);
            while failures.front().is_some_and(|t| *t <= now - window) {
                failures.pop_front();
            }
            if failures.len() < limit {
                return;
            }
            failures.clear();
            if let Some(wh) = shared
                .world
                .webhooks
                .iter_mut()
                .find(|w| w.id == d.webhook_id && w.status == WebhookStatus::Active)
            {
                wh.status = WebhookStatus::Inactive;
                live.stats.webhooks_disabled += 1;
                tracing::info!(webhook = %wh.id, limit, "webhook disabled after failed deliveries");
            }
        });
    }
}
