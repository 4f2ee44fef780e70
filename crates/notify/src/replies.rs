//! Every sentence of the notification feature, in one place: command replies, the sign-in
//! reminder, and the short reasons stored as `last_error` (shown by `notify status`).
//!
//! The sentences for the plain states (on, off, window) come from the chat crate
//! (`slbot_chat::sentences::notify_*`), next to every other chat sentence; this module adds
//! what only the scheduler knows (when the next digest is due, what went wrong last time,
//! that a sign-in is awaited) and the sentences no command of the grammar produces (the
//! reminder, `notify test`). Bad `at`/`tz`/window values never get here: the chat grammar
//! answers those.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use slbot_chat::sentences;
use slbot_inventory::Days;

use crate::schedule::Schedule;

/// A UTC instant as the person's local date and time: `Mon 2026-11-30 08:00 Europe/Paris`.
pub fn local(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "{} {}",
        at.with_timezone(&tz).format("%a %Y-%m-%d %H:%M"),
        tz.name()
    )
}

/// What a digest holds besides the window the chat sentence names.
const ALSO: &str = " Digests also list newly expired licenses and new or growing shortages, \
     and come only when something changed.";

/// `notify on` (first time or not): the chat sentence, what digests hold, the next one.
pub fn on(schedule: &Schedule, window: Days, next: DateTime<Utc>) -> String {
    format!(
        "{}{ALSO} The next one is due {}.",
        sentences::notify_on(schedule, window),
        local(next, schedule.zone)
    )
}

/// Added to the `notify on` reply when the person is not signed in.
pub fn sign_in_first(link: &str) -> String {
    format!(" To read your licenses I need you to sign in first: [Sign in with Cisco]({link})")
}

/// `notify off` (whether or not notifications were on).
pub const OFF: &str = sentences::NOTIFY_OFF;

/// `notify window N` for a subscriber.
pub fn window_set(window: Days) -> String {
    sentences::notify_window(window, true)
}

/// `notify window N` without a subscription: the window belongs to a subscription, so there
/// is nothing to set yet.
pub fn window_without_subscription(window: Days) -> String {
    format!(
        "Notifications are off, so there is no window to change. Type `notify on` first, then \
         `notify window {}`.",
        window.get()
    )
}

/// `notify status` without a subscription.
pub fn status_off() -> String {
    sentences::notify_status(None)
}

/// What `notify status` says about a subscription.
#[derive(Debug)]
pub struct StatusLines<'a> {
    /// The schedule, or why the stored one cannot be used.
    pub schedule: Result<Schedule, String>,
    pub window: Days,
    pub next: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_error: Option<&'a str>,
    pub reminder_sent: bool,
    pub sign_in_link: Option<String>,
}

/// `notify status` with a subscription.
pub fn status(s: &StatusLines<'_>) -> String {
    let schedule = match &s.schedule {
        Ok(schedule) => schedule,
        Err(why) => {
            return format!(
                "Notifications are on, but your saved schedule cannot be used ({why}). Type \
                 `notify on` to set it again."
            )
        }
    };
    let mut out = sentences::notify_status(Some((schedule, s.window)));
    if let Some(next) = s.next {
        out.push_str(&format!(" Next digest: {}.", local(next, schedule.zone)));
    }
    if let Some(last) = s.last_run_at {
        out.push_str(&format!(" Last checked: {}.", local(last, schedule.zone)));
    }
    if s.reminder_sent {
        out.push_str(" Paused until you sign in again");
        match &s.sign_in_link {
            Some(link) => out.push_str(&format!(": [Sign in with Cisco]({link})")),
            None => out.push('.'),
        }
    } else if let Some(error) = s.last_error {
        out.push_str(&format!(
            " The last attempt did not work: {error}. I will try again; it is not your fault."
        ));
    }
    out
}

/// The one reminder a subscriber gets when they must sign in (again).
pub fn reminder(link: &str) -> String {
    format!(
        "Your license notifications are paused. {} I won't remind you again; digests resume \
         by themselves once you have signed in.",
        sentences::sign_in(link)
    )
}

/// Instead of a digest that a stopped pass may or may not have sent at `when` (never a second
/// copy).
pub fn may_have_missed(when: &str) -> String {
    format!(
        "A license digest may not have reached you ({when}): I stopped while sending it. \
         Send `expire 30` or `status` to see where things stand; the next digests come as usual."
    )
}

/// `notify test` with nothing to show.
pub fn test_nothing(window: Days) -> String {
    let days = match window.get() {
        1 => "1 day".to_string(),
        n => format!("{n} days"),
    };
    format!(
        "Nothing to report right now: no license expired in the last {days}, none will expire \
         in the next {days}, and there are no shortages. A digest is sent only when something \
         changes."
    )
}

/// `notify test` that has something to show: a line before the digest.
pub const TEST_PREFACE: &str =
    "_This is a test: here is what a digest would say if I had told you nothing before._";

/// The bot's store failed while handling a command.
pub const STORE_FAILING: &str =
    "I can't reach my notification settings right now. Please try again in a few minutes.";

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
