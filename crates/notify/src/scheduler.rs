//! The scheduler: one pass over the due subscriptions ([`Scheduler::run_once`]) and the loop
//! the bot runs ([`Scheduler::run`]).
//!
//! A subscription is due when its next scheduled time after its last finished pass (or its
//! start) has come. A pass for one subscription ends in one of four ways:
//! - **digest sent**: posted, then recorded as announced (a crash between the two can repeat
//!   that one digest once; nothing else can);
//! - **nothing new**: nothing is sent;
//! - **sign-in needed** (the backend has no login, or CSSM refused the token): one reminder
//!   with a sign-in link, never again until a later pass works; the schedule moves on;
//! - **failed** (backend, CSSM, Webex or the store): the reason is stored for `notify status`,
//!   the details logged, and the subscription retried after [`SchedulerSettings::retry_after`]
//!   (the schedule does not move on, so the digest comes once the failure passes).
//!
//! One subscription's failure never stops the pass: the next one runs.
//! Only one process runs a pass at a time ([`NotifyStore::try_lead`]).

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use slbot_inventory::Days;
use tracing::Instrument;

use slbot_base::Clock;

use crate::digest::{digest, AnnouncedSet};
use crate::ports::{InventoryProblem, InventorySource, Poster, TokenProblem, TokenSource};
use crate::render::render_digest;
use crate::replies::{self, reasons};
use crate::schedule::ScheduleError;
use crate::store::sending::PendingRecord;
use crate::store::{NotifyStore, PassLock, RunState, StoreError, Subscription};

/// The first scheduled run of `sub` strictly after `after`.
pub fn next_run(sub: &Subscription, after: DateTime<Utc>) -> Result<DateTime<Utc>, ScheduleError> {
    Ok(crate::schedule::next_after(&sub.schedule()?, after))
}

/// How often the bot should run a pass ([`Scheduler::run`]): a minute keeps digests within a
/// minute of their local time; a pass with nothing due reads one table.
pub const DEFAULT_PASS_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Tunables of the scheduler.
#[derive(Debug, Clone, Copy)]
pub struct SchedulerSettings {
    /// How long after a failed attempt the subscription is tried again (default 1 hour).
    pub retry_after: Duration,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            retry_after: Duration::hours(1),
        }
    }
}

/// When `sub` should next be attempted: the scheduled time, or for a failed attempt after
/// it, the retry time.
pub fn due_at(
    sub: &Subscription,
    settings: &SchedulerSettings,
) -> Result<DateTime<Utc>, ScheduleError> {
    let scheduled = next_run(sub, sub.schedule_base())?;
    Ok(match (sub.last_error.is_some(), sub.last_attempt_at) {
        (true, Some(attempt)) if attempt >= scheduled => attempt + settings.retry_after,
        _ => scheduled,
    })
}

/// What one pass did (for logs, `slbot notify run-once` and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// False when another process holds the scheduler lock (nothing was done).
    pub led: bool,
    /// Subscriptions that were due.
    pub due: usize,
    /// PersonIds that got a digest.
    pub digests: Vec<String>,
    /// PersonIds with nothing new.
    pub nothing_new: Vec<String>,
    /// PersonIds that got the sign-in reminder.
    pub reminders: Vec<String>,
    /// PersonIds that must sign in again and were already reminded.
    pub still_signed_out: Vec<String>,
    /// (personId, reason) of the subscriptions that failed.
    pub failed: Vec<(String, String)>,
    /// PersonIds told that a digest may not have reached them (a pass stopped mid-send).
    pub missed_notes: Vec<String>,
}

/// The instant a lease extension counts from: the pass's `now` plus how long the pass has run
/// (a long pass would otherwise extend its lease from its start and lose its exclusion).
fn lease_time(now: DateTime<Utc>, ran: std::time::Duration) -> DateTime<Utc> {
    now + Duration::from_std(ran).unwrap_or(Duration::zero())
}

/// How one subscription's pass ended.
enum Outcome {
    Digest,
    /// A stopped pass left a digest half-sent: the person got a note, not a second copy.
    MissedNote,
    NothingNew,
    Reminded,
    AlreadyReminded,
    Failed(String),
}

/// What the scheduler and the `notify …` commands ([`crate::NotifyService`]) both work with:
/// the subscriptions, the person's tokens and inventory, and the settings.
#[derive(Clone)]
pub struct NotifyDeps {
    pub store: Arc<dyn NotifyStore>,
    pub tokens: Arc<dyn TokenSource>,
    pub inventories: Arc<dyn InventorySource>,
    pub settings: SchedulerSettings,
}

/// The scheduler with its ports.
pub struct Scheduler {
    deps: NotifyDeps,
    poster: Arc<dyn Poster>,
    /// Told of every pass this process led (metrics).
    on_pass: Option<PassHook>,
}

/// What a caller wants to know of each pass this process led.
pub type PassHook = Arc<dyn Fn(&PassReport) + Send + Sync>;

impl Scheduler {
    pub fn new(deps: NotifyDeps, poster: Arc<dyn Poster>) -> Self {
        Self {
            deps,
            poster,
            on_pass: None,
        }
    }

    /// The same scheduler telling `hook` of every pass it leads.
    pub fn with_pass_hook(mut self, hook: PassHook) -> Self {
        self.on_pass = Some(hook);
        self
    }

    /// One pass at `now` over every due subscription. Fails only when the store cannot list
    /// the subscriptions or the lock cannot be asked for; per-subscription failures are in
    /// the report.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<PassReport, StoreError> {
        let Some(lock) = self.deps.store.try_lead(now).await? else {
            tracing::debug!("another process is running the notification pass");
            return Ok(PassReport::default());
        };
        let result = self.pass(now, lock.as_ref()).await;
        lock.release().await;
        if let (Ok(report), Some(hook)) = (&result, &self.on_pass) {
            hook(report);
        }
        result
    }

    async fn pass(
        &self,
        now: DateTime<Utc>,
        lock: &dyn PassLock,
    ) -> Result<PassReport, StoreError> {
        let mut report = PassReport {
            led: true,
            ..PassReport::default()
        };
        let started = std::time::Instant::now();
        for sub in self.deps.store.subscriptions().await? {
            let outcome = match due_at(&sub, &self.deps.settings) {
                Ok(at) if at > now => continue,
                Ok(_) => {
                    lock.keep_alive(lease_time(now, started.elapsed())).await;
                    self.one(&sub, now).await
                }
                // A damaged row is reported once per retry period, not on every pass.
                Err(_)
                    if sub
                        .last_attempt_at
                        .is_some_and(|t| t + self.deps.settings.retry_after > now) =>
                {
                    continue
                }
                Err(e) => Outcome::Failed(reasons::bad_schedule(&e.to_string())),
            };
            report.due += 1;
            let person = sub.person_id.clone();
            let state = match &outcome {
                Outcome::Digest | Outcome::MissedNote | Outcome::NothingNew => RunState {
                    last_run_at: Some(now),
                    last_attempt_at: Some(now),
                    last_error: None,
                    reminder_sent: false,
                },
                Outcome::Reminded | Outcome::AlreadyReminded => RunState {
                    last_run_at: Some(now),
                    last_attempt_at: Some(now),
                    last_error: Some(reasons::SIGN_IN_NEEDED.to_string()),
                    reminder_sent: true,
                },
                Outcome::Failed(reason) => RunState {
                    last_run_at: sub.last_run_at,
                    last_attempt_at: Some(now),
                    last_error: Some(reason.clone()),
                    reminder_sent: sub.reminder_sent,
                },
            };
            if let Err(e) = self.deps.store.set_run_state(&person, &state).await {
                tracing::error!(person_id = %person, error = %e, "cannot store the outcome of a notification pass");
            }
            match outcome {
                Outcome::Digest => report.digests.push(person),
                Outcome::MissedNote => report.missed_notes.push(person),
                Outcome::NothingNew => report.nothing_new.push(person),
                Outcome::Reminded => report.reminders.push(person),
                Outcome::AlreadyReminded => report.still_signed_out.push(person),
                Outcome::Failed(reason) => {
                    tracing::warn!(person_id = %person, reason = %reason, "a notification pass failed; it will be retried");
                    report.failed.push((person, reason));
                }
            }
        }
        Ok(report)
    }

    /// One due subscription.
    async fn one(&self, sub: &Subscription, now: DateTime<Utc>) -> Outcome {
        let span = tracing::info_span!("notify_pass", person_id = %sub.person_id);
        self.one_inner(sub, now).instrument(span).await
    }

    async fn one_inner(&self, sub: &Subscription, now: DateTime<Utc>) -> Outcome {
        let window = match u32::try_from(sub.window_days)
            .ok()
            .and_then(|d| Days::new(d).ok())
        {
            Some(w) => w,
            None => {
                return Outcome::Failed(reasons::bad_schedule(&format!(
                    "window of {} days",
                    sub.window_days
                )))
            }
        };
        let token = match self
            .deps
            .tokens
            .access_token(&sub.room_id, &sub.person_id)
            .await
        {
            Ok(t) => t,
            Err(TokenProblem::NotSignedIn) => return self.sign_in_needed(sub, now).await,
            Err(TokenProblem::Service(e)) => {
                tracing::warn!(person_id = %sub.person_id, error = %e, "token service failed");
                return Outcome::Failed(reasons::TOKEN_SERVICE.into());
            }
        };
        let inventory = match self
            .deps
            .inventories
            .inventory(&sub.person_id, &token)
            .await
        {
            Ok(i) => i,
            Err(InventoryProblem::SignInRefused) => return self.sign_in_needed(sub, now).await,
            Err(InventoryProblem::Failed(e)) => {
                tracing::warn!(person_id = %sub.person_id, error = %e, "inventory fetch failed");
                return Outcome::Failed(reasons::CSSM.into());
            }
        };
        let already: AnnouncedSet = match self.deps.store.announced(&sub.person_id).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(person_id = %sub.person_id, error = %e, "cannot read announcements");
                return Outcome::Failed(reasons::STORE.into());
            }
        };
        let d = digest(&inventory, now, window, sub.created_at, &already);
        let mut outcome = if d.is_empty() {
            Outcome::NothingNew
        } else {
            Outcome::Digest
        };
        let mut record = PendingRecord {
            items: d.announcements(),
            forget: d.resolved_shortages.clone(),
        };
        if !d.is_empty() {
            // Marked before the post and unmarked with the record (one transaction): a stop
            // in between leaves the mark, and the next pass sends a note, not a second copy.
            let (text, ours) = match self
                .deps
                .store
                .mark_sending(&sub.person_id, now, &record)
                .await
            {
                Ok(None) => {
                    let mut text = render_digest(&d);
                    let since = crate::since::since_last_digest(
                        self.deps.store.as_ref(),
                        &sub.person_id,
                        sub.last_run_at,
                        now,
                    )
                    .await;
                    if let Some(section) = since {
                        if text.len() + section.len() + 2 <= slbot_chat::MAX_MARKDOWN_BYTES {
                            text.push_str("\n\n");
                            text.push_str(&section);
                        }
                    }
                    (text, true)
                }
                Ok(Some((since, stopped))) => {
                    tracing::warn!(person_id = %sub.person_id, %since, "a digest was left half-sent: sending a note instead of a second copy");
                    outcome = Outcome::MissedNote;
                    // What the stopped digest held counts as announced; anything newer comes
                    // in the next digest.
                    record = stopped;
                    let tz = sub.schedule().map(|s| s.zone).unwrap_or(chrono_tz::UTC);
                    (replies::may_have_missed(&replies::local(since, tz)), false)
                }
                Err(e) => {
                    tracing::warn!(person_id = %sub.person_id, error = %e, "cannot mark the digest as being sent");
                    return Outcome::Failed(reasons::STORE.into());
                }
            };
            if let Err(e) = self.poster.post(&sub.room_id, &sub.person_id, &text).await {
                tracing::warn!(person_id = %sub.person_id, error = %e, "cannot post the digest");
                // Our digest reached nobody: the next pass sends it. A stopped pass's mark
                // stays: its digest may have arrived, so the next pass tries the note again.
                if ours {
                    if let Err(e) = self.deps.store.clear_sending(&sub.person_id).await {
                        tracing::warn!(person_id = %sub.person_id, error = %e, "cannot clear the sending mark; the next pass will send a note");
                    }
                }
                return Outcome::Failed(reasons::POST.into());
            }
        }
        if !d.is_empty() || !d.resolved_shortages.is_empty() {
            if let Err(e) = self
                .deps
                .store
                .record_announcements(&sub.person_id, &record.items, &record.forget, now)
                .await
            {
                // Posted but not recorded: the mark makes the next pass send a note.
                tracing::error!(person_id = %sub.person_id, error = %e, "digest posted but not recorded");
                return Outcome::Failed(reasons::STORE.into());
            }
        }
        if matches!(outcome, Outcome::Digest) {
            tracing::info!(person_id = %sub.person_id, items = d.item_count(), "digest sent");
        }
        outcome
    }

    async fn sign_in_needed(&self, sub: &Subscription, now: DateTime<Utc>) -> Outcome {
        if sub.reminder_sent {
            return Outcome::AlreadyReminded;
        }
        let text = replies::reminder(&self.deps.tokens.sign_in_link(&sub.person_id, now));
        match self.poster.post(&sub.room_id, &sub.person_id, &text).await {
            Ok(()) => Outcome::Reminded,
            Err(e) => {
                tracing::warn!(person_id = %sub.person_id, error = %e, "cannot post the sign-in reminder");
                Outcome::Failed(reasons::POST.into())
            }
        }
    }

    /// Runs a pass every `every` (at once, then on each tick) until `shutdown` completes; a
    /// pass in progress finishes first. Store failures are logged and the loop goes on.
    pub async fn run(
        &self,
        clock: Arc<dyn Clock>,
        every: std::time::Duration,
        shutdown: impl Future<Output = ()>,
    ) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                _ = &mut shutdown => return,
                _ = tick.tick() => {}
            }
            match self.run_once(clock.now()).await {
                Ok(r) if r.led && r.due > 0 => tracing::info!(
                    due = r.due,
                    digests = r.digests.len(),
                    nothing_new = r.nothing_new.len(),
                    reminders = r.reminders.len(),
                    failed = r.failed.len(),
                    "notification pass"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "notification pass could not run"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_lease_is_extended_from_the_passs_time_plus_how_long_it_has_run() {
        let now = Utc.with_ymd_and_hms(2026, 11, 3, 8, 0, 0).unwrap();
        assert_eq!(lease_time(now, std::time::Duration::ZERO), now);
        // 40 minutes into a pass (longer than the 30-minute lease): extended from 08:40.
        assert_eq!(
            lease_time(now, std::time::Duration::from_secs(40 * 60)),
            Utc.with_ymd_and_hms(2026, 11, 3, 8, 40, 0).unwrap()
        );
    }
}
