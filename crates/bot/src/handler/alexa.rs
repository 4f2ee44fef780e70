//! A verified Alexa request, from the linked account to what Alexa says.
//!
//! The order: route the request ([`slbot_alexa::skill::route`]: launch, help, stop and a bad
//! period are answered without anyone's data; a question without a linked account gets the
//! LinkAccount card); ask the backend whose Alexa token this is (signed token API); apply the
//! access policy; then, in a task of its own, read the person's inventory exactly as a chat
//! command does (cache or CSSM, the same "please wait" in their 1:1 space for a slow fetch)
//! and post the chat answer of the same report to their 1:1 space. Alexa waits at most
//! `SLBOT_ALEXA_DEADLINE_MS` (6 s) for that task: a summary when it finished, otherwise a
//! sentence saying the answer will be in Webex, where the task still posts it.

use std::sync::Arc;

use slbot_alexa::model::{RequestEnvelope, ResponseEnvelope};
use slbot_alexa::skill::{self, Ask, Details, Route, CARD_TITLE};
use slbot_alexa::speech::Speech;
use slbot_chat::{Answer, Command};
use slbot_inventory::{Filters, Inventory};
use slbot_signing::TokenError;

use super::{Bot, Context, Failure, PostLog};
use crate::policy::Decision;
use crate::routing::{Privacy, RoomType};

/// How the work behind a question ended.
enum Outcome {
    Answered(Arc<Inventory>, Details),
    Failed(Failure),
}

impl Bot {
    /// The response to a verified Alexa request.
    /// `received`: when the request arrived; the deadline counts from then.
    pub async fn on_alexa(
        self: &Arc<Self>,
        envelope: &RequestEnvelope,
        received: std::time::Instant,
    ) -> ResponseEnvelope {
        let now = self.clock.now();
        let ask = match skill::route(envelope, now.date_naive()) {
            Route::Answer(response) => return response,
            Route::Inventory(ask) => ask,
        };
        let started = std::time::Instant::now();
        let (response, answered) = self.answer_ask(envelope, ask, received).await;
        let took = started.elapsed();
        self.metrics.command(metric_name(ask), answered, took);
        tracing::info!(
            command = metric_name(ask),
            answered,
            ms = took.as_millis() as u64,
            "alexa question handled"
        );
        response
    }

    /// The response, and whether the question was answered (for `/metrics`).
    async fn answer_ask(
        self: &Arc<Self>,
        envelope: &RequestEnvelope,
        ask: Ask,
        received: std::time::Instant,
    ) -> (ResponseEnvelope, bool) {
        // `route` answers a question without a token with the LinkAccount card.
        let Some(alexa_token) = envelope.access_token() else {
            return (skill::link_account(), true);
        };
        let person = match self.tokens.alexa_person(alexa_token).await {
            Ok(person) => person,
            Err(TokenError::NotSignedIn) => return (skill::link_account(), true),
            Err(TokenError::Service { cause }) => {
                tracing::error!(cause = %cause, "the sign-in service failed an Alexa lookup");
                return (tell(SIGN_IN_SERVICE_FAILED), false);
            }
        };
        let ctx = Context {
            room_id: person.room_id,
            room_type: RoomType::Direct,
            parent_id: None,
            person_id: person.person_id,
            posts: PostLog::new("alexa", &slbot_base::random_hex(16)),
        };
        match self.policy.check(&self.webex, &ctx.person_id, None).await {
            Ok(Decision::Allowed) => {}
            Ok(Decision::Refused) => {
                tracing::info!("alexa question refused by the access policy");
                return (tell(NOT_ALLOWED), true);
            }
            Err(e) => {
                tracing::error!(error = %e, tracking_id = e.tracking_id(), "access policy lookup failed");
                return (tell(WEBEX_FAILED), false);
            }
        }

        let (done, outcome) = tokio::sync::oneshot::channel();
        let bot = Arc::clone(self);
        // The task finishes even when Alexa stopped waiting: the details still reach Webex.
        tokio::spawn(async move {
            let outcome = bot.details(ctx, ask).await;
            let _ = done.send(outcome);
        });
        let left = self.alexa_deadline.saturating_sub(received.elapsed());
        match tokio::time::timeout(left, outcome).await {
            Ok(Ok(Outcome::Answered(inventory, details))) => (
                skill::respond(ask, &inventory, self.clock.now(), details),
                true,
            ),
            Ok(Ok(Outcome::Failed(failure))) => (self.spoken_failure(failure), false),
            Ok(Err(_)) => (tell(SOMETHING_WENT_WRONG), false),
            // Answered in Webex when the fetch ends.
            Err(_) => (tell(STILL_READING), true),
        }
    }

    /// Reads the inventory and posts the chat answer of `ask`'s report to the 1:1 space.
    async fn details(&self, ctx: Context, ask: Ask) -> Outcome {
        let target = ctx.personal_target();
        let inventory = match self.inventory(&ctx, &target, false).await {
            Ok(inventory) => inventory,
            Err(failure) => {
                // The chat says what failed too, so the person can act on it there.
                let reply = match &failure {
                    Failure::NotSignedIn => None,
                    _ => Some(self.failure_reply(failure.clone(), &ctx)),
                };
                if let Some(reply) = reply {
                    self.deliver(&ctx, Privacy::Personal, &reply).await;
                }
                return Outcome::Failed(failure);
            }
        };
        let command = Command::Report {
            report: ask.report(),
            filters: Filters::none(),
        };
        let answer: Answer = self.answer_with(&command, &inventory, &ctx.person_id).await;
        let undelivered = self.deliver(&ctx, Privacy::Personal, &answer).await;
        let details = match undelivered {
            None => Details::Sent,
            Some(reason) => {
                tracing::warn!(reason = %reason, "could not post an Alexa answer's details");
                Details::NotSent
            }
        };
        Outcome::Answered(inventory, details)
    }

    /// The one place where a failure behind an Alexa question becomes speech.
    fn spoken_failure(&self, failure: Failure) -> ResponseEnvelope {
        match failure {
            Failure::NotSignedIn => skill::link_account(),
            // Logged once already, where the chat's sentence was made.
            Failure::SignInService(_) => tell(SIGN_IN_SERVICE_FAILED),
            Failure::Cssm(load) if load.refused_sign_in().is_some() => skill::link_account(),
            Failure::Cssm(_) => tell(CSSM_FAILED),
        }
    }
}

fn metric_name(ask: Ask) -> &'static str {
    match ask {
        Ask::Status => "alexa status",
        Ask::Expiring(_) => "alexa expiring",
        Ask::Expired => "alexa expired",
        Ask::Shortages => "alexa shortages",
    }
}

fn tell(sentence: &str) -> ResponseEnvelope {
    ResponseEnvelope::tell(&Speech::new(sentence), CARD_TITLE)
}

const SIGN_IN_SERVICE_FAILED: &str = "Smart Licensing's sign-in service is not answering right \
now. This is not your fault; please try again in a few minutes.";
const NOT_ALLOWED: &str = "Your organization is not on this service's list of allowed users, so \
I can't answer. Ask your administrator if you think this is wrong.";
const WEBEX_FAILED: &str = "I could not check your Webex account just now. Please try again in a \
few minutes.";
const CSSM_FAILED: &str = "Cisco Smart Software Manager is not answering right now, so I could \
not read your licenses. Please try again in a few minutes.";
const STILL_READING: &str = "I'm still reading your licenses from Cisco, which takes a moment the \
first time. I'll send the answer to your Webex space as soon as it's ready; ask me again in a \
minute to hear it.";
const SOMETHING_WENT_WRONG: &str = "Sorry, something went wrong on my side. Please try again.";
