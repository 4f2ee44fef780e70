//! Every sentence the notification feature says, in one place: command replies, the sign-in
//! reminder, and the short reasons stored as `last_error` (shown by `notify status`).
//!
//! Bad `at`/`tz` values never get here: the chat grammar answers those
//! (`slbot_chat::sentences::bad_time`, `unknown_time_zone`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::schedule::{Cadence, Schedule};

/// "daily at 08:00 (UTC)" / "every Monday at 07:30 (Europe/Paris)".
pub fn schedule_phrase(schedule: &Schedule) -> String {
    let when = match schedule.cadence {
        Cadence::Daily => "daily",
        Cadence::Weekly => "every Monday",
    };
    format!("{when} at {} ({})", schedule.at, schedule.tz.name())
}

/// A UTC instant as the person's local date and time: `Mon 2026-11-30 08:00 Europe/Paris`.
pub fn local(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "{} {}",
        at.with_timezone(&tz).format("%a %Y-%m-%d %H:%M"),
        tz.name()
    )
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// `notify on` for a new subscription.
pub fn subscribed(schedule: &Schedule, window_days: i64, next: DateTime<Utc>) -> String {
    format!(
        "Notifications are on: {}, I will tell you about licenses that expired, licenses that \
         will expire in the next {}, and new or growing shortages. Your first digest comes on \
         {}; when nothing has changed I send nothing. Type `notify off` to stop.",
        schedule_phrase(schedule),
        days(window_days),
        local(next, schedule.tz)
    )
}

/// `notify on` when already subscribed.
pub fn rescheduled(schedule: &Schedule, next: DateTime<Utc>) -> String {
    format!(
        "Notifications now come {}. The next digest is on {}.",
        schedule_phrase(schedule),
        local(next, schedule.tz)
    )
}

/// Added to the `notify on` reply when the person is not signed in.
pub fn sign_in_first(link: &str) -> String {
    format!(" To read your licenses I need you to sign in first: [Sign in with Cisco]({link})")
}

/// `notify off` that removed a subscription.
pub const UNSUBSCRIBED: &str =
    "Notifications are off. I forgot your schedule and what I had told you. Type `notify on` to start again.";

/// `notify off` / `notify window` / `notify status` without a subscription.
pub const NOT_SUBSCRIBED: &str = "Notifications are off. Type `notify on` for a daily digest at \
     08:00 UTC of licenses that expired, licenses that will expire in the next 30 days, and new \
     shortages (`notify on weekly at 07:30 tz Europe/Paris` to choose when).";

/// `notify window N`.
pub fn window_set(window_days: i64) -> String {
    format!(
        "Notifications now warn about licenses that will expire in the next {}.",
        days(window_days)
    )
}

/// `notify window N` without a subscription.
pub fn window_without_subscription() -> String {
    format!("{NOT_SUBSCRIBED} Then `notify window N` sets how many days ahead I look.")
}

/// `notify status` for a subscription.
pub struct StatusLines<'a> {
    pub schedule: Result<Schedule, String>,
    pub window_days: i64,
    pub next: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_error: Option<&'a str>,
    pub reminder_sent: bool,
    pub sign_in_link: Option<String>,
}

/// `notify status`.
pub fn status(s: &StatusLines<'_>) -> String {
    let mut out = match &s.schedule {
        Ok(schedule) => format!(
            "Notifications are on: {}, looking {} ahead.",
            schedule_phrase(schedule),
            days(s.window_days)
        ),
        Err(why) => format!(
            "Notifications are on, but your saved schedule cannot be used ({why}). Type \
             `notify on` to set it again."
        ),
    };
    if let (Some(next), Ok(schedule)) = (s.next, &s.schedule) {
        out.push_str(&format!(" Next digest: {}.", local(next, schedule.tz)));
    }
    if let (Some(last), Ok(schedule)) = (s.last_run_at, &s.schedule) {
        out.push_str(&format!(" Last checked: {}.", local(last, schedule.tz)));
    }
    if s.reminder_sent {
        out.push_str(" Paused until you sign in again");
        match &s.sign_in_link {
            Some(link) => out.push_str(&format!(": [Sign in with Cisco]({link})")),
            None => out.push('.'),
        }
    } else if let (Some(error), Ok(_)) = (s.last_error, &s.schedule) {
        out.push_str(&format!(
            " The last attempt did not work: {error}. I will try again; it is not your fault."
        ));
    }
    out
}

/// The one reminder a subscriber gets when they must sign in again.
pub fn reminder(link: &str) -> String {
    format!(
        "Your license notifications are paused: your sign-in has ended. To read your licenses \
         I need you to sign in: [Sign in with Cisco]({link}) (I will not remind you again; \
         digests resume by themselves once you have signed in)."
    )
}

/// `notify test` with nothing to show.
pub fn test_nothing(window_days: i64) -> String {
    format!(
        "Nothing to report right now: no license expired in the last {w}, none will expire in \
         the next {w}, and there are no shortages. A digest is sent only when something changes.",
        w = days(window_days)
    )
}

/// `notify test` that has something to show: a line before the digest.
pub const TEST_PREFACE: &str =
    "_This is a test: here is what a digest would say if I had told you nothing before._";

/// The bot's store failed while handling a command.
pub const STORE_FAILING: &str =
    "I can't reach my notification settings right now. Please try again in a few minutes.";

/// The sign-in service failed while handling `notify test`.
pub const SIGN_IN_SERVICE_FAILING: &str =
    "I can't reach the sign-in service right now. Please try again in a few minutes.";

/// CSSM failed while handling `notify test`.
pub const CSSM_FAILING: &str = "Cisco Smart Software Manager is not answering right now. Please \
     try again in a few minutes.";

/// `notify test` for someone who is not signed in.
pub fn sign_in(link: &str) -> String {
    format!("To read your licenses I need you to sign in: [Sign in with Cisco]({link})")
}

/// Short reasons stored as `last_error` (the log carries the details).
pub mod reasons {
    pub const SIGN_IN_NEEDED: &str = "you need to sign in again";
    pub const TOKEN_SERVICE: &str = "the sign-in service did not answer";
    pub const CSSM: &str = "Cisco Smart Software Manager did not answer";
    pub const POST: &str = "Webex did not accept the message";
    pub const STORE: &str = "my notification store did not answer";

    /// A saved schedule that cannot be used.
    pub fn bad_schedule(why: &str) -> String {
        format!("the saved schedule cannot be used ({why})")
    }
}
