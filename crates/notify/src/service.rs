//! The `notify …` chat commands: request in, reply sentence out (parse → apply → reply).
//!
//! The chat grammar parses the text and answers bad input itself (`notify at 25:00`, an
//! unknown time zone, a window out of range); [`NotifyRequest::from_command`] is the one
//! mapping from its [`slbot_chat::Command`] to a request here.
//!
//! `notify test` builds a digest now as if nothing had been announced before (expirations of
//! the last window of days, lines entering the window, every shortage) and returns it as the
//! reply, without recording anything: the scheduled digests are not changed by a test.

use chrono::{DateTime, Duration, Utc};
use slbot_chat::sentences;
use slbot_inventory::Days;

use crate::digest::{digest, AnnouncedSet};
use crate::ports::{InventoryProblem, TokenProblem};
use crate::render::render_within;
use crate::replies;
use crate::schedule::{next_after, Schedule};
use crate::scheduler::{due_at, NotifyDeps};
use crate::store::{NewSubscription, StoreError, Subscription};

/// The look-ahead when the person never set `notify window N` (the grammar's default).
pub const DEFAULT_WINDOW: Days = slbot_chat::command::DEFAULT_NOTIFY_WINDOW;

/// A `notify …` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyRequest {
    /// `notify on [daily|weekly] [at HH:MM] [tz Area/City]`.
    On(Schedule),
    /// `notify off`.
    Off,
    /// `notify status`.
    Status,
    /// `notify window N`.
    Window(Days),
    /// `notify test`.
    Test,
}

impl NotifyRequest {
    /// The request of a chat command; `None` for commands that are not `notify …`.
    pub fn from_command(command: &slbot_chat::Command) -> Option<Self> {
        use slbot_chat::Command;
        Some(match command {
            Command::NotifyOn(schedule) => NotifyRequest::On(*schedule),
            Command::NotifyOff => NotifyRequest::Off,
            Command::NotifyStatus => NotifyRequest::Status,
            Command::NotifyWindow { days } => NotifyRequest::Window(*days),
            Command::NotifyTest => NotifyRequest::Test,
            _ => return None,
        })
    }
}

/// Carries out `notify …` commands.
pub struct NotifyService {
    deps: NotifyDeps,
}

impl NotifyService {
    pub fn new(deps: NotifyDeps) -> Self {
        Self { deps }
    }

    /// The reply (Webex markdown) to `request` from `person_id`, typed in `room_id` (stored
    /// with the subscription and used for token requests, as for any command; digests and
    /// reminders go to the person's 1:1 space whatever the room, see [`crate::Poster`]).
    /// Never fails: every failure is a sentence (and a log line).
    pub async fn handle(
        &self,
        request: &NotifyRequest,
        person_id: &str,
        room_id: &str,
        now: DateTime<Utc>,
    ) -> String {
        let result = match request {
            NotifyRequest::On(schedule) => self.on(schedule, person_id, room_id, now).await,
            NotifyRequest::Off => self.off(person_id).await,
            NotifyRequest::Status => self.status(person_id, now).await,
            NotifyRequest::Window(days) => self.window(*days, person_id).await,
            NotifyRequest::Test => Ok(self.test(person_id, room_id, now).await),
        };
        result.unwrap_or_else(|e| {
            tracing::error!(person_id = %person_id, error = %e, "notify command: the bot store failed");
            replies::STORE_FAILING.to_string()
        })
    }

    async fn on(
        &self,
        schedule: &Schedule,
        person_id: &str,
        room_id: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        self.deps
            .store
            .subscribe(
                &NewSubscription {
                    person_id: person_id.to_string(),
                    room_id: room_id.to_string(),
                    schedule: *schedule,
                    window_days: i64::from(DEFAULT_WINDOW.get()),
                },
                now,
            )
            .await?;
        let sub = self.deps.store.subscription(person_id).await?;
        let window = sub.as_ref().map_or(DEFAULT_WINDOW, window_of);
        let next = sub
            .as_ref()
            .and_then(|s| due_at(s, &self.deps.settings).ok())
            .unwrap_or_else(|| next_after(schedule, now))
            .max(now);
        let mut reply = replies::on(schedule, window, next);
        if let Err(TokenProblem::NotSignedIn) =
            self.deps.tokens.access_token(room_id, person_id).await
        {
            reply.push_str(&replies::sign_in_first(
                &self.deps.tokens.sign_in_link(person_id, now),
            ));
        }
        Ok(reply)
    }

    async fn off(&self, person_id: &str) -> Result<String, StoreError> {
        self.deps.store.unsubscribe(person_id).await?;
        Ok(replies::OFF.to_string())
    }

    async fn window(&self, days: Days, person_id: &str) -> Result<String, StoreError> {
        Ok(
            if self
                .deps
                .store
                .set_window(person_id, i64::from(days.get()))
                .await?
            {
                replies::window_set(days)
            } else {
                replies::window_without_subscription(days)
            },
        )
    }

    async fn status(&self, person_id: &str, now: DateTime<Utc>) -> Result<String, StoreError> {
        let Some(sub) = self.deps.store.subscription(person_id).await? else {
            return Ok(replies::status_off());
        };
        let schedule = sub.schedule().map_err(|e| e.to_string());
        let next = due_at(&sub, &self.deps.settings).ok().map(|t| t.max(now));
        Ok(replies::status(&replies::StatusLines {
            schedule,
            window: window_of(&sub),
            next,
            last_run_at: sub.last_run_at,
            last_error: sub.last_error.as_deref(),
            reminder_sent: sub.reminder_sent,
            sign_in_link: sub
                .reminder_sent
                .then(|| self.deps.tokens.sign_in_link(person_id, now)),
        }))
    }

    async fn test(&self, person_id: &str, room_id: &str, now: DateTime<Utc>) -> String {
        let window = match self.deps.store.subscription(person_id).await {
            Ok(Some(sub)) => window_of(&sub),
            Ok(None) => DEFAULT_WINDOW,
            Err(e) => {
                tracing::error!(person_id = %person_id, error = %e, "notify test: the bot store failed");
                return replies::STORE_FAILING.to_string();
            }
        };
        let token = match self.deps.tokens.access_token(room_id, person_id).await {
            Ok(t) => t,
            Err(TokenProblem::NotSignedIn) => {
                return sentences::sign_in(&self.deps.tokens.sign_in_link(person_id, now))
            }
            Err(TokenProblem::Service(e)) => {
                let reference = slbot_base::random_hex(4);
                tracing::error!(person_id = %person_id, reference = %reference, error = %e, "notify test: the sign-in service failed");
                return sentences::sign_in_service_failing(&reference);
            }
        };
        let inventory = match self.deps.inventories.inventory(person_id, &token).await {
            Ok(i) => i,
            Err(InventoryProblem::SignInRefused) => {
                return sentences::cssm_refused_sign_in(
                    &self.deps.tokens.sign_in_link(person_id, now),
                )
            }
            Err(InventoryProblem::Failed(e)) => {
                tracing::warn!(person_id = %person_id, error = %e, "notify test: inventory fetch failed");
                return sentences::CSSM_NOT_ANSWERING.to_string();
            }
        };
        let since = now - Duration::days(i64::from(window.get()));
        let d = digest(&inventory, now, window, since, &AnnouncedSet::new());
        if d.is_empty() {
            return replies::test_nothing(window);
        }
        let room = slbot_chat::MAX_MARKDOWN_BYTES - replies::TEST_PREFACE.len() - 2;
        format!("{}\n\n{}", replies::TEST_PREFACE, render_within(&d, room))
    }
}

/// The subscription's window; a stored value out of range (a damaged row) reads as the
/// default here, and the scheduler reports it.
fn window_of(sub: &Subscription) -> Days {
    u32::try_from(sub.window_days)
        .ok()
        .and_then(|d| Days::new(d).ok())
        .unwrap_or(DEFAULT_WINDOW)
}
