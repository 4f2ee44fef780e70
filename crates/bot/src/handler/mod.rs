//! Working on one event, from a webhook id to what the person sees.
//!
//! The order of every message: ignore the bot's own; fetch the message; strip the mention;
//! apply the access policy; parse; answer `help` and grammar errors in place; for everything
//! else get the person's token from the backend, then their inventory (cache or CSSM, with a
//! "please wait" message for slow fetches), and post the answer where [`crate::routing`] says.
//! Every failure becomes one of the fixed sentences of reports.md §4 in `Bot::failure_reply`,
//! the one place where errors turn into words; the log gets the cause once.
//!
//! Cards: `help` is answered with the help card (stamped for the asker, in place), `filter`
//! with the filter card built from the person's inventory (personal), and an unfiltered report
//! or chart is followed by the filter card when `slbot_chat::should_offer_filter_card` says so
//! (the last offer per person is remembered for an hour **per replica**: behind a load
//! balancer a person may be offered the card once per replica and hour). A card submit
//! (`attachmentActions`) is verified before anything personal is read: a forged, foreign or
//! expired submit is refused with its sentence where the card was, without asking the backend
//! for anyone's token; only a genuine, in-time filter card needs the person's inventory to
//! check that its choices are still current. An accepted submit runs its command exactly like
//! a typed one (same routing by privacy, same failure sentences).
//!
//! Notifications: `notify …` commands go to the notification service (personal).
//!
//! Alexa: a verified skill request (`alexa`) reads the linked person's inventory as a command
//! does, speaks a summary and posts the details to their 1:1 space.
//!
//! Layout: this file holds [`Bot`], what both kinds of event share (the sender and the access
//! policy, [`Context`], failures and their sentences) and the queue's entry points;
//! `message` works on a message, `card` on a card submit, `progress` loads an inventory with
//! its "please wait" message, `deliver` posts answers, [`replies`] holds our sentences.

mod alexa;
mod card;
mod deliver;
mod message;
mod prices;
mod progress;
pub mod replies;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;
use slbot_chat::{sentences, Answer};
use slbot_cssm::{CssmClient, CssmError, ErrorKind, FetchOptions, Progress};
use slbot_inventory::{Catalog, Inventory};
use slbot_notify::{NotifyService, NotifyStore, Scheduler};
use slbot_signing::{ServiceCause, TokenClient, TokenError};
use slbot_webex::WebexClient;
use tracing::Instrument;

use crate::cache::{CacheKey, Fetched, InventoryCache};
use crate::events::{EventData, Job, Resource};
use crate::mention::Identity;
use crate::policy::{Decision, Policy};
use crate::queue::{EventSink, Handled};
use crate::routing::{route, Privacy, RoomType, Route, Target};
use crate::service::Readiness;
use progress::FetchWatch;

/// When the "please wait" message appears and how it is updated.
#[derive(Debug, Clone, Copy)]
pub struct ProgressSettings {
    pub after: Duration,
    pub every: Duration,
    pub max_edits: u32,
}

/// Everything the handler needs, injected.
pub struct Bot {
    /// Verifies Alexa requests (`POST /alexa`), when `SLBOT_ALEXA_SKILL_IDS` is set.
    pub(crate) alexa: Option<Arc<slbot_alexa::verify::Verifier>>,
    /// How long an Alexa answer waits for the inventory (`SLBOT_ALEXA_DEADLINE_MS`).
    pub(crate) alexa_deadline: Duration,
    pub(crate) webex: WebexClient,
    pub(crate) me: Identity,
    pub(crate) tokens: TokenClient,
    pub(crate) cssm: CssmClient,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) cache: Arc<InventoryCache<Inventory>>,
    pub(crate) policy: Policy,
    /// The shared backend secret, which also signs sign-in links (signing.md).
    pub(crate) link_secret: SecretString,
    pub(crate) login_url: String,
    pub(crate) progress: ProgressSettings,
    /// "Now" for reports and sign-in links (injected so tests pin it).
    pub(crate) clock: Arc<dyn slbot_base::Clock>,
    /// The fetches being waited for, so one fetch gets one "please wait" message.
    pub(crate) watches: Mutex<HashMap<CacheKey, Arc<FetchWatch>>>,
    /// Keys the MAC of every card button (settings: `SLBOT_CARD_SECRET` or derived).
    pub(crate) card_secret: SecretString,
    /// personId → when the filter card was last posted to them (1 h, this replica only).
    pub(crate) filter_offers: moka::sync::Cache<String, DateTime<Utc>>,
    /// The `notify …` commands.
    pub(crate) notify: NotifyService,
    /// The scheduled digests ([`crate::run::serve`] runs its loop).
    pub(crate) scheduler: Arc<Scheduler>,
    /// The bot store: also the record and queue of accepted webhook events.
    pub(crate) store: Arc<dyn NotifyStore>,
    /// The kept history of each person's inventory (in the bot store).
    pub(crate) history: crate::history::HistoryKeeper,
    /// What `/metrics` shows (shared with the service).
    pub metrics: crate::metrics::SharedMetrics,
}

/// The inventory version a card submit is first checked against: never a real version (those
/// are 32 hex digits), so a genuine filter card reports "inventory changed" and only then is
/// the person's inventory read; the help card's version is not compared.
const INVENTORY_NOT_READ: &str = "not read yet";

/// How many people's last filter-card offer one replica remembers.
pub(crate) const MAX_REMEMBERED_OFFERS: u64 = 100_000;

/// The sender and the place of one message.
#[derive(Debug, Clone)]
struct Context {
    room_id: String,
    room_type: RoomType,
    parent_id: Option<String>,
    person_id: String,
    /// What of this event's answer is posted (shared by every post of this attempt).
    posts: Arc<PostLog>,
}

/// The messages of one event's answer, numbered in the order they are posted, and how many an
/// earlier attempt posted (read once from the bot store): a worker taking over from one that
/// died posts only the rest, so the person does not get the answer twice. Each post is
/// recorded right after Webex confirms it; a crash in that instant is the one window left.
#[derive(Debug)]
pub(crate) struct PostLog {
    key: String,
    earlier: tokio::sync::OnceCell<u32>,
    next: std::sync::atomic::AtomicU32,
}

impl PostLog {
    /// The log of event `key` (its own namespace in the store: `posts:` + kind + id).
    pub(crate) fn new(kind: &str, id: &str) -> Arc<Self> {
        Arc::new(Self {
            key: format!("posts:{kind}:{id}"),
            earlier: tokio::sync::OnceCell::new(),
            next: std::sync::atomic::AtomicU32::new(0),
        })
    }
}

impl Context {
    /// Where an answer of this `privacy` to this sender, here, goes.
    fn plan(&self, privacy: Privacy) -> Route {
        route(
            self.room_type,
            privacy,
            &self.room_id,
            &self.person_id,
            self.parent_id.as_deref(),
        )
    }

    /// Where personal answers (and the progress message of their fetch) go.
    fn personal_target(&self) -> Target {
        self.plan(Privacy::Personal).target
    }
}

/// Why a personal command could not be answered.
#[derive(Debug, Clone)]
enum Failure {
    NotSignedIn,
    SignInService(ServiceCause),
    Cssm(Arc<LoadFailure>),
}

/// Why an inventory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadFailure {
    #[error(transparent)]
    Cssm(#[from] CssmError),
    #[error("building the inventory failed: {0}")]
    Internal(String),
}

impl LoadFailure {
    /// CSSM refused the person's token (401/403): they must sign in again.
    pub(crate) fn refused_sign_in(&self) -> Option<&CssmError> {
        match self {
            LoadFailure::Cssm(e)
                if matches!(e.kind(), ErrorKind::Unauthorized | ErrorKind::Forbidden) =>
            {
                Some(e)
            }
            _ => None,
        }
    }
}

impl Bot {
    /// Whether the event is the bot's own (answering it would loop).
    fn is_own(&self, data: &EventData) -> bool {
        data.person_id.as_deref() == Some(self.me.person_id.as_str())
    }

    /// The sender of an event: the one Webex reports for the fetched `what` (`message`, `card
    /// submit`), else the webhook's; `None` (logged) when there is none or it is the bot.
    fn sender(&self, from_webex: Option<String>, data: &EventData, what: &str) -> Option<String> {
        let Some(person_id) = from_webex.or_else(|| data.person_id.clone()) else {
            tracing::warn!("a {what} without a sender: ignored");
            return None;
        };
        (person_id != self.me.person_id).then_some(person_id)
    }

    /// Applies the access policy to the sender (`email`: the one the event carried). When the
    /// sender is refused, or Webex cannot tell, says so where they wrote and returns false.
    async fn admit(&self, ctx: &Context, email: Option<&str>, what: &str) -> bool {
        let refusal = match self.policy.check(&self.webex, &ctx.person_id, email).await {
            Ok(Decision::Allowed) => return true,
            Err(e) => {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "access policy lookup failed");
                replies::POLICY_CHECK_FAILED
            }
            Ok(Decision::Refused) => {
                tracing::info!("{what} refused by the access policy");
                sentences::NOT_AVAILABLE_TO_ORGANIZATION
            }
        };
        self.deliver(ctx, Privacy::Public, &Answer::text(refusal))
            .await;
        false
    }

    /// One pass of the notification scheduler at `now` (what [`crate::run::serve`] runs every
    /// `notify_pass_every`): every due subscriber gets their digest or reminder. Test-only
    /// (feature `test-support`): production passes run from the scheduler loop.
    #[cfg(any(test, feature = "test-support"))]
    pub async fn notification_pass(
        &self,
        now: DateTime<Utc>,
    ) -> Result<slbot_notify::PassReport, slbot_notify::StoreError> {
        self.scheduler.run_once(now).await
    }

    /// The one place where a failure becomes a sentence (and a log line, once).
    fn failure_reply(&self, failure: Failure, ctx: &Context) -> Answer {
        match failure {
            Failure::NotSignedIn => {
                Answer::text(sentences::sign_in(&self.sign_in_link(&ctx.person_id)))
            }
            Failure::SignInService(cause) => {
                let reference = slbot_base::random_hex(4);
                tracing::error!(reference = %reference, cause = %cause, "the sign-in service failed");
                Answer::text(sentences::sign_in_service_failing(&reference))
            }
            Failure::Cssm(load) => match load.refused_sign_in() {
                Some(e) => {
                    tracing::warn!(error = %e, "CSSM refused the person's token");
                    Answer::text(sentences::cssm_refused_sign_in(
                        &self.sign_in_link(&ctx.person_id),
                    ))
                }
                None => {
                    tracing::error!(error = %load, "loading the inventory failed");
                    Answer::text(sentences::CSSM_NOT_ANSWERING)
                }
            },
        }
    }

    /// A sign-in link bound to this person (signing.md "Sign-in links").
    fn sign_in_link(&self, person_id: &str) -> String {
        let token = slbot_signing::sign_login_token(&self.link_secret, person_id, self.clock.now());
        let sep = if self.login_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}t={token}", self.login_url)
    }

    /// The overflow path: tell the person the bot is busy.
    pub async fn on_busy(&self, data: &EventData) {
        self.say_in_room(data, sentences::BUSY).await;
    }

    /// Handling the event failed unexpectedly (a panic, logged by the queue): say so.
    pub async fn on_failed(&self, data: &EventData) {
        self.say_in_room(data, replies::SOMETHING_WENT_WRONG).await;
    }
}

/// A full CSSM fetch of the person's inventory, reporting progress to `report`; shared by
/// commands (with a progress message) and the notification scheduler. With `share`, the
/// snapshot is also encoded for the shared cache tier ([`slbot_cache::snapshot::encode_snapshot`]).
pub(crate) async fn fetch_inventory(
    cssm: CssmClient,
    catalog: Arc<Catalog>,
    token: SecretString,
    report: Arc<dyn Fn(Progress) + Send + Sync>,
    share: bool,
    keep: Option<crate::history::KeepFor>,
) -> Result<Fetched<Inventory>, LoadFailure> {
    let snapshot = cssm
        .fetch_all(&token, &FetchOptions::default(), report.as_ref())
        .await?;
    let taken_at = keep.as_ref().map(|k| k.clock.now().timestamp());
    let (fetched, point) = tokio::task::spawn_blocking(move || {
        let value = Inventory::from_snapshot(&snapshot, &catalog);
        let shared = if share {
            slbot_cache::snapshot::encode_snapshot(&snapshot)
        } else {
            None
        };
        // Only a complete fetch is history: a partial one would show accounts as removed.
        let point = taken_at
            .filter(|_| !value.partial())
            .map(|at| value.history_point(at));
        (Fetched { value, shared }, point)
    })
    .await
    .map_err(|e| LoadFailure::Internal(e.to_string()))?;
    if let (Some(keep), Some(point)) = (keep, point) {
        keep.keeper.keep(&keep.person_id, &point).await;
    }
    Ok(fetched)
}

fn token_failure(e: TokenError) -> Failure {
    match e {
        TokenError::NotSignedIn => Failure::NotSignedIn,
        TokenError::Service { cause } => Failure::SignInService(cause),
    }
}

impl EventSink for Bot {
    fn handle(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
        let work = self.handle_once(job);
        Box::pin(async move {
            work.await;
        })
    }

    fn handle_once(self: Arc<Self>, job: Job) -> BoxFuture<'static, Handled> {
        let span = tracing::info_span!("event", id = %job.data.id, resource = ?job.resource);
        Box::pin(
            async move {
                match job.resource {
                    Resource::Message => self.on_message(&job.data).await,
                    Resource::AttachmentAction => self.on_card_submit(&job.data).await,
                }
            }
            .instrument(span),
        )
    }

    fn busy(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
        Box::pin(async move { self.on_busy(&job.data).await })
    }

    fn failed(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
        Box::pin(async move { self.on_failed(&job.data).await })
    }
}

/// How long `/readyz` waits for Webex (probes give up after a few seconds; the Webex client
/// alone may retry for longer).
const READINESS_TIMEOUT: Duration = Duration::from_secs(3);

impl Readiness for Bot {
    fn shared_cache_up(&self) -> Option<bool> {
        self.cache.shared_up()
    }

    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            match tokio::time::timeout(READINESS_TIMEOUT, self.store.depth(self.clock.now())).await
            {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "readiness: the bot store does not answer");
                    return Err("the bot store (SLBOT_BOT_STORE_URL) does not answer".to_string());
                }
                Err(_) => {
                    return Err(format!(
                        "the bot store did not answer within {} s",
                        READINESS_TIMEOUT.as_secs()
                    ))
                }
            }
            if let Some(Err(_)) = self.cache.shared_ready().await {
                return Err("the shared cache (SLBOT_CACHE_URL) does not answer".to_string());
            }
            match tokio::time::timeout(READINESS_TIMEOUT, self.webex.me()).await {
                Ok(Ok(me)) if me.id == self.me.person_id => Ok(()),
                Ok(Ok(_)) => Err("the bot token now belongs to another identity".to_string()),
                Ok(Err(e)) => {
                    // The probe answers on the public port: the detail goes to the log only.
                    tracing::warn!(error = %e, tracking_id = e.tracking_id(), "readiness: Webex is not reachable");
                    Err("Webex is not reachable".to_string())
                }
                Err(_) => Err(format!(
                    "Webex did not answer within {} s",
                    READINESS_TIMEOUT.as_secs()
                )),
            }
        })
    }
}
