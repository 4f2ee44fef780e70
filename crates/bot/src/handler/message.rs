//! A message event: who sent it and where, the access policy, the command, and its answer
//! (`help` and grammar errors in place, everything else personal).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use slbot_chat::cards::{CardStamp, DEFAULT_CARD_LIFETIME};
use slbot_chat::{sentences, Answer, Command};
use slbot_inventory::Inventory;
use slbot_notify::NotifyRequest;
use slbot_signing::{ConfirmOutcome, SignOutOutcome};

use super::{replies, token_failure, Bot, Context, Failure};
use crate::events::EventData;
use crate::mention::strip_own_mention;
use crate::queue::Handled;
use crate::routing::{Privacy, RoomType, Target};

impl Bot {
    /// Works on one message event to the end.
    pub async fn on_message(&self, data: &EventData) -> Handled {
        if self.is_own(data) {
            return Handled::Done;
        }
        let message = match self.webex.get_message(&data.id).await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "cannot fetch the message");
                self.say_in_room(data, replies::WEBEX_FAILED).await;
                return Handled::Done;
            }
        };
        let Some(person_id) = self.sender(message.person_id.clone(), data, "message") else {
            return Handled::Done;
        };
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
            posts: super::PostLog::new("m", &data.id),
        };
        let email = message
            .person_email
            .clone()
            .or_else(|| data.person_email.clone());
        if !self.admit(&ctx, email.as_deref(), "message").await {
            return Handled::Done;
        }
        let text = strip_own_mention(
            message.text.as_deref().unwrap_or(""),
            message.html.as_deref(),
            &self.me,
        );
        let started = std::time::Instant::now();
        if ctx.room_type == RoomType::Direct && !message.files.is_empty() {
            if let Some(answer) = self.price_upload(&ctx, &message.files).await {
                let undelivered = self.deliver(&ctx, Privacy::Personal, &answer).await;
                let took = started.elapsed();
                self.metrics.command("prices", true, took);
                tracing::info!(
                    event_id = %data.id,
                    command = "prices",
                    ms = took.as_millis() as u64,
                    "price file handled"
                );
                return super::card::retry_when_undelivered(undelivered);
            }
        }
        let public = |answer: Answer| (Privacy::Public, answer);
        let (name, answered, (privacy, answer)) = match slbot_chat::parse(&text) {
            Err(e) => (
                "unknown",
                true,
                public(Answer::text(sentences::parse_error_reply(&e))),
            ),
            Ok(Command::Help) => ("help", true, public(self.help_card(&ctx.person_id))),
            Ok(command) => {
                let (answered, answer) =
                    match self.personal(&command, &ctx, &ctx.personal_target()).await {
                        Ok(answer) => (true, answer),
                        Err(failure) => (false, self.failure_reply(failure, &ctx)),
                    };
                (command.name(), answered, (Privacy::Personal, answer))
            }
        };
        let undelivered = self.deliver(&ctx, privacy, &answer).await;
        let took = started.elapsed();
        self.metrics.command(name, answered, took);
        // One line per command: which, how it ended and how long it took; never its text.
        tracing::info!(
            event_id = %data.id,
            command = name,
            answered,
            ms = took.as_millis() as u64,
            "command handled"
        );
        super::card::retry_when_undelivered(undelivered)
    }

    /// Commands about the person: sign-out, confirm, `notify …` (the notification store), and
    /// those that read their inventory: refresh, `filter` and every report and chart.
    pub(super) async fn personal(
        &self,
        command: &Command,
        ctx: &Context,
        target: &Target,
    ) -> Result<Answer, Failure> {
        match command {
            Command::SignOut => {
                // Whatever the backend says, no replica serves this person's inventory again
                // without a new sign-in and a new fetch.
                self.cache.forget_person(&ctx.person_id).await;
                // And the snapshots kept of their inventory go with the sign-in.
                self.history.forget(&ctx.person_id).await;
                self.forget_prices(&ctx.person_id).await;
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
    pub(super) async fn inventory(
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
    pub(super) async fn answer_with(
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
        // `changes`, `trend` and `status` read the kept history (this person's only).
        let history = if command.reads_history() {
            self.history.points_for(command, person_id, now).await
        } else {
            None
        };
        let prices = self.prices_for(command, person_id).await;
        let (owned_command, owned_inventory) = (command.clone(), Arc::clone(inventory));
        let built = tokio::task::spawn_blocking(move || {
            slbot_chat::answer_with_history(
                &owned_command,
                &owned_inventory,
                history.as_deref(),
                prices.as_ref(),
                now,
            )
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
    pub(super) fn help_card(&self, person_id: &str) -> Answer {
        let stamp = CardStamp::new(person_id, "", self.clock.now(), DEFAULT_CARD_LIFETIME);
        Answer::card(slbot_chat::help_card(&stamp, &self.card_secret))
    }

    /// The filter card for `person_id` over `inventory`; remembers the offer.
    pub(super) fn filter_card(
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
}
