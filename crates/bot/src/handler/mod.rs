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

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;
use serde_json::Value;
use slbot_chat::cards::{CardKind, CardRefusal, CardStamp, DEFAULT_CARD_LIFETIME};
use slbot_chat::{sentences, Answer, Command};
use slbot_cssm::{CssmClient, CssmError, ErrorKind, FetchOptions, Progress};
use slbot_inventory::{Catalog, Inventory};
use slbot_notify::{NotifyRequest, NotifyService, Scheduler};
use slbot_signing::{ConfirmOutcome, ServiceCause, SignOutOutcome, TokenClient, TokenError};
use slbot_webex::{
    Destination, FileUpload, MessageEdit, NewFileMessage, NewMessage, WebexClient, WebexError,
};
use tracing::Instrument;

use crate::cache::{CacheKey, InventoryCache, Weighed};
use crate::events::{EventData, Job, Resource};
use crate::mention::{strip_own_mention, Identity};
use crate::policy::{Decision, Policy};
use crate::queue::EventSink;
use crate::routing::{route, Privacy, RoomType, Target, GROUP_NOTE};
use crate::service::Readiness;

/// When the "please wait" message appears and how it is updated.
#[derive(Debug, Clone, Copy)]
pub struct ProgressSettings {
    pub after: Duration,
    pub every: Duration,
    pub max_edits: u32,
}

/// Everything the handler needs, injected.
pub struct Bot {
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
    pub(crate) clock: Arc<dyn slbot_signing::Clock>,
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
}

/// The inventory version a card submit is first checked against: never a real version (those
/// are 32 hex digits), so a genuine filter card reports "inventory changed" and only then is
/// the person's inventory read; the help card's version is not compared.
const INVENTORY_NOT_READ: &str = "not read yet";

/// How many people's last filter-card offer one replica remembers.
pub(crate) const MAX_REMEMBERED_OFFERS: u64 = 100_000;

/// What every command waiting for one fetch shares: the fetch's progress, and whether the
/// "please wait" message was posted (once per fetch, however many commands wait for it).
#[derive(Default)]
pub(crate) struct FetchWatch {
    progress: Mutex<Option<Progress>>,
    announced: AtomicBool,
}

impl Weighed for Inventory {
    fn weight_bytes(&self) -> usize {
        // The inventory's own budget is ≤ 300 bytes per line; records and names add a little.
        4096 + self.line_count() * 300 + self.record_count() * 64
    }

    /// A partial inventory says "try again later": trying again must fetch again.
    fn keep(&self) -> bool {
        !self.partial()
    }
}

/// The sender and the place of one message.
#[derive(Debug, Clone)]
struct Context {
    room_id: String,
    room_type: RoomType,
    parent_id: Option<String>,
    person_id: String,
}

/// Why a personal command could not be answered.
#[derive(Debug)]
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

/// Sentences of the bot that reports.md §4 leaves to us.
pub mod replies {
    pub const SIGNED_OUT: &str =
        "You're signed out: I no longer have access to your licenses. Send me any command to sign in again.";
    pub const NOT_SIGNED_IN: &str = "You weren't signed in, so there was nothing to forget.";
    pub const CONFIRMED: &str = "Thanks, your sign-in is confirmed. Try `expire 30`.";
    pub const SOMETHING_WENT_WRONG: &str =
        "Sorry, something went wrong on my side while answering. It is logged; please try again in a minute.";
    pub const WEBEX_FAILED: &str =
        "I couldn't read your message from Webex. Please send it again in a minute.";
    pub const POLICY_CHECK_FAILED: &str =
        "I couldn't check your organization with Webex right now. Please try again in a minute.";
    pub const PERSONAL_SPACE_FAILED: &str =
        "I couldn't send you the answer in our 1:1 space. Please write to me there directly.";
    pub const CARD_FAILED: &str =
        "I couldn't read what that card sent from Webex. Please press the button again in a minute.";

    pub fn no_pending_sign_in(link: &str) -> String {
        format!(
            "That code doesn't match a sign-in waiting for you (codes last 10 minutes). \
             Please sign in again: [Sign in with Cisco]({link})"
        )
    }

    pub fn retrieving(done: Option<(usize, usize, usize, Option<usize>)>) -> String {
        let base = "Retrieving your licenses from Cisco Smart Software Manager…";
        match done {
            None | Some((_, 0, _, _)) => base.to_string(),
            Some((accounts, total, pages, Some(total_pages))) => {
                format!("{base} {accounts} of {total} accounts, {pages} of {total_pages} pages.")
            }
            Some((accounts, total, pages, None)) => {
                format!("{base} {accounts} of {total} accounts, {pages} pages so far.")
            }
        }
    }
}

impl Bot {
    /// Works on one message event to the end.
    pub async fn on_message(&self, data: &EventData) {
        if data.person_id.as_deref() == Some(self.me.person_id.as_str()) {
            return;
        }
        let message = match self.webex.get_message(&data.id).await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "cannot fetch the message");
                self.say_in_room(data, replies::WEBEX_FAILED).await;
                return;
            }
        };
        let Some(person_id) = message.person_id.clone().or_else(|| data.person_id.clone()) else {
            tracing::warn!("a message without a sender: ignored");
            return;
        };
        if person_id == self.me.person_id {
            return;
        }
        let room_type = match message.room_type {
            Some(slbot_webex::RoomType::Direct) => RoomType::Direct,
            Some(_) => RoomType::Group,
            None => RoomType::from_webex(data.room_type.as_deref()),
        };
        let ctx = Context {
            room_id: message.room_id.clone(),
            room_type,
            parent_id: message.parent_id.clone(),
            person_id,
        };
        let email = message
            .person_email
            .clone()
            .or_else(|| data.person_email.clone());
        let text = strip_own_mention(
            message.text.as_deref().unwrap_or(""),
            message.html.as_deref(),
            &self.me,
        );

        let public = |answer: Answer| (Privacy::Public, answer);
        let (privacy, answer) = match self
            .policy
            .check(&self.webex, &ctx.person_id, email.as_deref())
            .await
        {
            Err(e) => {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "access policy lookup failed");
                public(Answer::text(replies::POLICY_CHECK_FAILED))
            }
            Ok(Decision::Refused) => {
                tracing::info!("refused by the access policy");
                public(Answer::text(sentences::NOT_AVAILABLE_TO_ORGANIZATION))
            }
            Ok(Decision::Allowed) => match slbot_chat::parse(&text) {
                Err(e) => public(Answer::text(sentences::parse_error_reply(&e))),
                Ok(Command::Help) => public(self.help_card(&ctx.person_id)),
                Ok(command) => {
                    let plan = route(
                        room_type,
                        Privacy::Personal,
                        &ctx.room_id,
                        &ctx.person_id,
                        ctx.parent_id.as_deref(),
                    );
                    let answer = match self.personal(&command, &ctx, &plan.target).await {
                        Ok(answer) => answer,
                        Err(failure) => self.failure_reply(failure, &ctx),
                    };
                    (Privacy::Personal, answer)
                }
            },
        };
        self.deliver(&ctx, privacy, &answer).await;
    }

    /// Commands about the person: sign-out, confirm, `notify …` (the notification store), and
    /// those that read their inventory: refresh, `filter` and every report and chart.
    async fn personal(
        &self,
        command: &Command,
        ctx: &Context,
        target: &Target,
    ) -> Result<Answer, Failure> {
        match command {
            Command::SignOut => {
                return match self.tokens.sign_out(&ctx.room_id, &ctx.person_id).await {
                    Ok(SignOutOutcome::Forgotten) => Ok(Answer::text(replies::SIGNED_OUT)),
                    Ok(SignOutOutcome::NothingToForget) => Ok(Answer::text(replies::NOT_SIGNED_IN)),
                    Err(e) => Err(token_failure(e)),
                };
            }
            Command::Confirm { code } => {
                return match self
                    .tokens
                    .confirm(&ctx.room_id, &ctx.person_id, code)
                    .await
                {
                    Ok(ConfirmOutcome::Confirmed) => Ok(Answer::text(replies::CONFIRMED)),
                    Ok(ConfirmOutcome::NoSuchPending) => Ok(Answer::text(
                        replies::no_pending_sign_in(&self.sign_in_link(&ctx.person_id)),
                    )),
                    Err(e) => Err(token_failure(e)),
                };
            }
            _ => {}
        }
        if let Some(request) = NotifyRequest::from_command(command) {
            let reply = self
                .notify
                .handle(&request, &ctx.person_id, &ctx.room_id, self.clock.now())
                .await;
            return Ok(Answer::text(reply));
        }
        let inventory = self
            .inventory(ctx, target, matches!(command, Command::Refresh))
            .await?;
        Ok(self.answer_with(command, &inventory, &ctx.person_id).await)
    }

    /// The person's inventory: token from the backend, then the cache or CSSM (forgetting
    /// the cached one first when `fresh`).
    async fn inventory(
        &self,
        ctx: &Context,
        target: &Target,
        fresh: bool,
    ) -> Result<Arc<Inventory>, Failure> {
        let token = self
            .tokens
            .access_token(&ctx.room_id, &ctx.person_id)
            .await
            .map_err(token_failure)?;
        let key = self.cache.key(&ctx.person_id, &token.token);
        if fresh {
            self.cache.forget(&key).await;
        }
        self.load_inventory(key, token.token, target)
            .await
            .map_err(Failure::Cssm)
    }

    /// The answer to a command over the person's inventory: `filter` is the filter card, and
    /// an unfiltered report or chart is followed by the filter card when it is time to offer
    /// it.
    async fn answer_with(
        &self,
        command: &Command,
        inventory: &Arc<Inventory>,
        person_id: &str,
    ) -> Answer {
        let now = self.clock.now();
        if matches!(command, Command::Filter) {
            return Answer::card(self.filter_card(inventory, person_id, now));
        }
        // XLSX exports and PNG charts take hundreds of milliseconds of CPU: build answers on
        // the blocking pool so they never stall webhook acknowledgements.
        let (owned_command, owned_inventory) = (command.clone(), Arc::clone(inventory));
        let built = tokio::task::spawn_blocking(move || {
            slbot_chat::answer(&owned_command, &owned_inventory, now)
        })
        .await;
        let mut answer = match built {
            Ok(answer) => answer,
            Err(e) => {
                tracing::error!(error = %e, command = command.name(), "building the answer failed");
                Answer::text(replies::SOMETHING_WENT_WRONG)
            }
        };
        let last_offered = self.filter_offers.get(person_id);
        if slbot_chat::should_offer_filter_card(inventory, command, last_offered, now) {
            let card = self.filter_card(inventory, person_id, now);
            answer.messages.push(slbot_chat::Message::card(card));
        }
        answer
    }

    /// The help card for `person_id` (its buttons name commands, so no inventory is needed).
    fn help_card(&self, person_id: &str) -> Answer {
        let stamp = CardStamp::new(person_id, "", self.clock.now(), DEFAULT_CARD_LIFETIME);
        Answer::card(slbot_chat::help_card(&stamp, &self.card_secret))
    }

    /// The filter card for `person_id` over `inventory`; remembers the offer.
    fn filter_card(
        &self,
        inventory: &Inventory,
        person_id: &str,
        now: DateTime<Utc>,
    ) -> slbot_chat::Card {
        let stamp = CardStamp::new(
            person_id,
            slbot_chat::inventory_version(inventory),
            now,
            DEFAULT_CARD_LIFETIME,
        );
        self.filter_offers.insert(person_id.to_string(), now);
        slbot_chat::filter_card(inventory, &stamp, &self.card_secret)
    }

    /// Works on one card submit (`attachmentActions` event) to the end.
    pub async fn on_card_submit(&self, data: &EventData) {
        if data.person_id.as_deref() == Some(self.me.person_id.as_str()) {
            return;
        }
        let action = match self.webex.get_attachment_action(&data.id).await {
            Ok(action) => action,
            Err(e) => {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "cannot fetch the card submit");
                self.say_in_room(data, replies::CARD_FAILED).await;
                return;
            }
        };
        let Some(person_id) = action.person_id.clone().or_else(|| data.person_id.clone()) else {
            tracing::warn!("a card submit without a sender: ignored");
            return;
        };
        if person_id == self.me.person_id {
            return;
        }
        let Some(room_id) = action.room_id.clone().or_else(|| data.room_id.clone()) else {
            tracing::warn!("a card submit without a space: ignored");
            return;
        };
        let room_type = match self.webex.get_room(&room_id).await {
            Ok(room) => match room.room_type {
                Some(slbot_webex::RoomType::Direct) => RoomType::Direct,
                _ => RoomType::Group,
            },
            Err(e) => {
                // A group is the safe reading: personal answers then go to the 1:1 space.
                tracing::warn!(error = %e, "cannot read the space of a card submit: treated as a group");
                RoomType::Group
            }
        };
        let ctx = Context {
            room_id,
            room_type,
            parent_id: None,
            person_id,
        };
        let card_message = action
            .message_id
            .clone()
            .or_else(|| data.message_id.clone());
        let inputs = Value::Object(action.inputs);

        match self
            .policy
            .check(&self.webex, &ctx.person_id, data.person_email.as_deref())
            .await
        {
            Err(e) => {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "access policy lookup failed");
                self.deliver(
                    &ctx,
                    Privacy::Public,
                    &Answer::text(replies::POLICY_CHECK_FAILED),
                )
                .await;
                return;
            }
            Ok(Decision::Refused) => {
                tracing::info!("card submit refused by the access policy");
                let answer = Answer::text(sentences::NOT_AVAILABLE_TO_ORGANIZATION);
                self.deliver(&ctx, Privacy::Public, &answer).await;
                return;
            }
            Ok(Decision::Allowed) => {}
        }

        let now = self.clock.now();
        let checked = slbot_chat::verify_submit(
            &inputs,
            &ctx.person_id,
            INVENTORY_NOT_READ,
            now,
            &self.card_secret,
        );
        let plan = route(
            ctx.room_type,
            Privacy::Personal,
            &ctx.room_id,
            &ctx.person_id,
            None,
        );
        match checked {
            Ok(request) => {
                tracing::info!(command = request.command.name(), "card submit accepted");
                let answer = match self.personal(&request.command, &ctx, &plan.target).await {
                    Ok(answer) => answer,
                    Err(failure) => self.failure_reply(failure, &ctx),
                };
                self.deliver(&ctx, Privacy::Personal, &answer).await;
            }
            // A genuine filter card of this person, in time: are its choices still current?
            Err(CardRefusal::InventoryChanged) => {
                let inventory = match self.inventory(&ctx, &plan.target, false).await {
                    Ok(inventory) => inventory,
                    Err(failure) => {
                        let answer = self.failure_reply(failure, &ctx);
                        self.deliver(&ctx, Privacy::Personal, &answer).await;
                        return;
                    }
                };
                let version = slbot_chat::inventory_version(&inventory);
                match slbot_chat::verify_submit(
                    &inputs,
                    &ctx.person_id,
                    &version,
                    now,
                    &self.card_secret,
                ) {
                    Ok(request) => {
                        tracing::info!(command = request.command.name(), "filter card accepted");
                        let answer = self
                            .answer_with(&request.command, &inventory, &ctx.person_id)
                            .await;
                        self.deliver(&ctx, Privacy::Personal, &answer).await;
                    }
                    Err(refusal) => {
                        self.refuse_card(&refusal, &ctx, card_message.as_deref(), Some(inventory))
                            .await
                    }
                }
            }
            Err(refusal) => {
                self.refuse_card(&refusal, &ctx, card_message.as_deref(), None)
                    .await
            }
        }
    }

    /// A refused card submit: the sentence where the card was (it names nothing personal),
    /// and for a stale card (expired, or built from another inventory) the old card deleted
    /// and a fresh one of its kind sent to the submitter, who is then known to be its
    /// recipient.
    async fn refuse_card(
        &self,
        refusal: &CardRefusal,
        ctx: &Context,
        card_message: Option<&str>,
        inventory: Option<Arc<Inventory>>,
    ) {
        tracing::info!(refusal = %refusal, "card submit refused");
        self.deliver(
            ctx,
            Privacy::Public,
            &Answer::text(sentences::card_refusal(refusal)),
        )
        .await;
        let Some(kind) = refusal.fresh_card() else {
            return;
        };
        if let Some(id) = card_message {
            if let Err(e) = self.webex.delete_message(id).await {
                tracing::warn!(error = %e, "cannot delete the stale card; posting a fresh one anyway");
            }
        }
        let answer = match kind {
            CardKind::Help => self.help_card(&ctx.person_id),
            CardKind::Filter => {
                let plan = route(
                    ctx.room_type,
                    Privacy::Personal,
                    &ctx.room_id,
                    &ctx.person_id,
                    None,
                );
                let inventory = match inventory {
                    Some(inventory) => Ok(inventory),
                    None => self.inventory(ctx, &plan.target, false).await,
                };
                match inventory {
                    Ok(inventory) => {
                        Answer::card(self.filter_card(&inventory, &ctx.person_id, self.clock.now()))
                    }
                    Err(failure) => self.failure_reply(failure, ctx),
                }
            }
        };
        self.deliver(ctx, Privacy::Personal, &answer).await;
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

    /// The cached inventory, or a CSSM fetch with a progress message when it takes a while.
    async fn load_inventory(
        &self,
        key: CacheKey,
        token: SecretString,
        target: &Target,
    ) -> Result<Arc<Inventory>, Arc<LoadFailure>> {
        let watch = self.watch(&key);
        let result = self
            .wait_for_inventory(key.clone(), token, target, &watch)
            .await;
        self.unwatch(&key, &watch);
        result
    }

    /// The shared watch of the fetch for `key` (created by the first command that waits).
    fn watch(&self, key: &CacheKey) -> Arc<FetchWatch> {
        let mut watches = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(watches.entry(key.clone()).or_default())
    }

    /// Forgets the watch once its fetch is over (unless a newer fetch has its own already).
    fn unwatch(&self, key: &CacheKey, watch: &Arc<FetchWatch>) {
        let mut watches = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        if watches.get(key).is_some_and(|w| Arc::ptr_eq(w, watch)) {
            watches.remove(key);
        }
    }

    async fn wait_for_inventory(
        &self,
        key: CacheKey,
        token: SecretString,
        target: &Target,
        watch: &Arc<FetchWatch>,
    ) -> Result<Arc<Inventory>, Arc<LoadFailure>> {
        let fetch = {
            let watch = Arc::clone(watch);
            let report = move |p: Progress| {
                if let Ok(mut cell) = watch.progress.lock() {
                    *cell = Some(p);
                }
            };
            fetch_inventory(
                self.cssm.clone(),
                Arc::clone(&self.catalog),
                token,
                Arc::new(report),
            )
        };
        let work = self.cache.get_or_fetch(key, fetch);
        tokio::pin!(work);
        if let Ok(result) = tokio::time::timeout(self.progress.after, &mut work).await {
            return result;
        }
        if watch.announced.swap(true, Ordering::AcqRel) {
            // Another command of this person already shows the progress of this very fetch.
            return work.await;
        }
        let progress = &watch.progress;
        let snapshot_of = |cell: &Mutex<Option<Progress>>| {
            cell.lock().ok().and_then(|p| *p).map(|p| {
                (
                    p.accounts_done,
                    p.accounts_total,
                    p.pages_done,
                    p.pages_total,
                )
            })
        };
        let mut shown = replies::retrieving(snapshot_of(progress));
        let posted = self
            .post_one(target, &slbot_chat::Message::text(shown.clone()))
            .await;
        let mut editable = posted.ok();
        let mut edits = 0;
        loop {
            if let Ok(result) = tokio::time::timeout(self.progress.every, &mut work).await {
                return result;
            }
            let Some(message) = editable.as_ref() else {
                continue;
            };
            let now_text = replies::retrieving(snapshot_of(progress));
            if now_text == shown || edits >= self.progress.max_edits {
                continue;
            }
            match self
                .webex
                .edit_message(
                    &message.id,
                    &MessageEdit::markdown(message.room_id.clone(), now_text.clone()),
                )
                .await
            {
                Ok(_) => {
                    edits += 1;
                    shown = now_text;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot edit the progress message: no more edits");
                    editable = None;
                }
            }
        }
    }

    /// The one place where a failure becomes a sentence (and a log line, once).
    fn failure_reply(&self, failure: Failure, ctx: &Context) -> Answer {
        match failure {
            Failure::NotSignedIn => {
                Answer::text(sentences::sign_in(&self.sign_in_link(&ctx.person_id)))
            }
            Failure::SignInService(cause) => {
                let reference = slbot_signing::random_hex(4);
                tracing::error!(reference = %reference, cause = %cause, "the sign-in service failed");
                Answer::text(sentences::sign_in_service_failing(&reference))
            }
            Failure::Cssm(load) => match load.as_ref() {
                LoadFailure::Cssm(e)
                    if matches!(e.kind(), ErrorKind::Unauthorized | ErrorKind::Forbidden) =>
                {
                    tracing::warn!(error = %e, "CSSM refused the person's token");
                    Answer::text(sentences::cssm_refused_sign_in(
                        &self.sign_in_link(&ctx.person_id),
                    ))
                }
                other => {
                    tracing::error!(error = %other, "loading the inventory failed");
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

    /// Posts an answer where it belongs, and the note in the group when it went elsewhere.
    async fn deliver(&self, ctx: &Context, privacy: Privacy, answer: &Answer) {
        let plan = route(
            ctx.room_type,
            privacy,
            &ctx.room_id,
            &ctx.person_id,
            ctx.parent_id.as_deref(),
        );
        let delivered = self.post_all(&plan.target, answer).await;
        if let Some(note) = plan.group_note {
            let text = if delivered {
                GROUP_NOTE
            } else {
                replies::PERSONAL_SPACE_FAILED
            };
            self.post_all(&note, &Answer::text(text)).await;
        }
    }

    /// Posts every message of an answer in order; false when one could not be posted.
    async fn post_all(&self, target: &Target, answer: &Answer) -> bool {
        for message in &answer.messages {
            if let Err(e) = self.post_one(target, message).await {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "cannot post a reply");
                return false;
            }
        }
        true
    }

    async fn post_one(
        &self,
        target: &Target,
        message: &slbot_chat::Message,
    ) -> Result<slbot_webex::Message, WebexError> {
        let (destination, parent) = match target {
            Target::Room { room_id, parent_id } => {
                (Destination::Room(room_id.clone()), parent_id.clone())
            }
            Target::Person { person_id } => (Destination::PersonId(person_id.clone()), None),
        };
        if let Some(card) = &message.card {
            // One card per message, never edited; the markdown is its fallback.
            let mut new = NewMessage::new(destination)
                .markdown(message.markdown.clone())
                .card(card.content.clone());
            if let Some(parent) = parent {
                new = new.in_thread(parent);
            }
            return self.webex.create_message(&new).await;
        }
        match &message.attachment {
            None => {
                let mut new = NewMessage::new(destination).markdown(message.markdown.clone());
                if let Some(parent) = parent {
                    new = new.in_thread(parent);
                }
                self.webex.create_message(&new).await
            }
            Some(file) => {
                let upload = FileUpload::new(
                    file.filename.clone(),
                    file.content_type.clone(),
                    file.bytes.clone(),
                );
                let mut new =
                    NewFileMessage::new(destination, upload).markdown(message.markdown.clone());
                if let Some(parent) = parent {
                    new = new.in_thread(parent);
                }
                self.webex.create_message_with_file(&new).await
            }
        }
    }

    /// The overflow path: tell the person the bot is busy.
    pub async fn on_busy(&self, data: &EventData) {
        self.say_in_room(data, sentences::BUSY).await;
    }

    /// Handling the event failed unexpectedly (a panic, logged by the queue): say so.
    pub async fn on_failed(&self, data: &EventData) {
        self.say_in_room(data, replies::SOMETHING_WENT_WRONG).await;
    }

    /// A sentence that reveals nothing personal, in the space of the event (not the bot's own).
    async fn say_in_room(&self, data: &EventData, sentence: &str) {
        if data.person_id.as_deref() == Some(self.me.person_id.as_str()) {
            return;
        }
        if let Some(room_id) = &data.room_id {
            let target = Target::Room {
                room_id: room_id.clone(),
                parent_id: None,
            };
            self.post_all(&target, &Answer::text(sentence)).await;
        }
    }
}

/// A full CSSM fetch of the person's inventory, reporting progress to `report`; shared by
/// commands (with a progress message) and the notification scheduler.
pub(crate) async fn fetch_inventory(
    cssm: CssmClient,
    catalog: Arc<Catalog>,
    token: SecretString,
    report: Arc<dyn Fn(Progress) + Send + Sync>,
) -> Result<Inventory, LoadFailure> {
    let snapshot = cssm
        .fetch_all(&token, &FetchOptions::default(), report.as_ref())
        .await?;
    tokio::task::spawn_blocking(move || Inventory::from_snapshot(&snapshot, &catalog))
        .await
        .map_err(|e| LoadFailure::Internal(e.to_string()))
}

fn token_failure(e: TokenError) -> Failure {
    match e {
        TokenError::NotSignedIn => Failure::NotSignedIn,
        TokenError::Service { cause } => Failure::SignInService(cause),
    }
}

impl EventSink for Bot {
    fn handle(self: Arc<Self>, job: Job) -> BoxFuture<'static, ()> {
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
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
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
