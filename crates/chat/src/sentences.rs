//! The fixed sentences of reports.md §4 for everything that is not a report, and the replies to
//! [`ParseError`]s: the one place where these situations become words.

use crate::cards::CardRefusal;
use crate::command::{expand, Days, Schedule, COMMANDS};
use crate::parse::ParseError;

/// Not signed in, or the sign-in expired.
pub fn sign_in(link: &str) -> String {
    format!("To read your licenses I need you to sign in: [Sign in with Cisco]({link})")
}

/// The access policy refused the sender's organization.
pub const NOT_AVAILABLE_TO_ORGANIZATION: &str =
    "Sorry, this bot is not available to your organization.";

/// CSSM answered 401/403 to the user's token.
pub fn cssm_refused_sign_in(link: &str) -> String {
    format!(
        "Cisco Smart Software Manager refused your sign-in. Please sign in again: \
         [Sign in with Cisco]({link})"
    )
}

/// CSSM is slow or failing.
pub const CSSM_NOT_ANSWERING: &str =
    "Cisco Smart Software Manager is not answering right now. Please try again in a few minutes.";

/// The backend (sign-in service) is failing; `ref_id` lets an operator find the log line.
pub fn sign_in_service_failing(ref_id: &str) -> String {
    format!(
        "I can't reach the sign-in service right now. Please try again in a few minutes. \
         (ref {ref_id})"
    )
}

/// No accepted form matched `text`. Without a suggestion the reply lists the commands.
pub fn unknown_command(text: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(suggestion) => format!(
            "Sorry, I didn't understand `{text}`. Did you mean `{suggestion}`? \
             Type `help` for everything I can do."
        ),
        None => {
            // Each command's first form without its optional parts: `notify on`, not the pattern.
            let commands: Vec<String> = COMMANDS
                .iter()
                .filter_map(|spec| spec.forms.first())
                .filter_map(|form| expand(form.text).into_iter().next())
                .map(|words| format!("`{}`", words.join(" ")))
                .collect();
            format!(
                "Sorry, I didn't understand `{text}`. I know {}. \
                 Type `help` for everything I can do.",
                commands.join(", ")
            )
        }
    }
}

/// `expire N` with N outside 1..=3650 days.
pub const DAYS_OUT_OF_RANGE: &str = slbot_inventory::DAYS_RANGE_SENTENCE;

/// `renewals N` with N outside 1..=20 quarters.
pub const QUARTERS_OUT_OF_RANGE: &str = slbot_inventory::QUARTERS_RANGE_SENTENCE;

/// `chart expirations N days|months` out of range: the charts crate's sentence, so there is
/// one wording for the whole project.
pub fn horizon_out_of_range() -> String {
    slbot_charts::HorizonOutOfRange.to_string()
}

/// `notify window N` out of range.
pub const WINDOW_OUT_OF_RANGE: &str = "Notifications can look 1 to 3650 days ahead, for example \
     `notify window 30`.";

/// `notify … at TEXT` where TEXT is not a time of day.
pub fn bad_time(text: &str) -> String {
    format!(
        "`{text}` is not a time of day. Write it as HH:MM on a 24-hour clock, from 00:00 to \
         23:59, for example `notify on at 07:30`."
    )
}

/// `notify … tz TEXT` where TEXT is not a time zone.
pub fn unknown_time_zone(text: &str, suggestion: Option<&str>) -> String {
    let hint = suggestion
        .map(|s| format!(" Did you mean `{s}`?"))
        .unwrap_or_default();
    format!(
        "I don't know the time zone `{text}`.{hint} Write it as Area/City from the time zone \
         database, for example `notify on tz Europe/Paris` (or `tz UTC`)."
    )
}

/// A chart could not be drawn (an internal fault, not the user's).
pub const CHART_FAILED: &str = "Sorry, I couldn't draw this chart. It's not you: please try \
     again later. The same numbers are in `status`, `mix`, `usage` and `expire 365`.";

/// The answer to `filter` where no card can be shown (the text fallback, kept beside the
/// filter card it stands in for).
pub use crate::cards::FILTER_WITHOUT_CARD;

/// The reply to a card submit that is not carried out. For [`CardRefusal::Expired`] and
/// [`CardRefusal::InventoryChanged`] the bot posts a fresh card right after
/// ([`CardRefusal::fresh_card`]).
pub fn card_refusal(refusal: &CardRefusal) -> String {
    match refusal {
        CardRefusal::Unreadable { .. } => "Sorry, I couldn't read what that card sent. Type \
             `filter` or `help` for a fresh card."
            .to_string(),
        CardRefusal::Forged => "Sorry, I can't use that card: it isn't one I made for you. \
             Type `filter` or `help` for a fresh card."
            .to_string(),
        CardRefusal::NotYours => "That card was made for someone else, so I can't run it for \
             you. Type `filter` or `help` to get your own."
            .to_string(),
        CardRefusal::Expired { .. } => "That card has expired. Here is a fresh one.".to_string(),
        CardRefusal::InventoryChanged => "Your accounts changed since I made that card, so its \
             choices may be out of date. Here is a fresh one."
            .to_string(),
        CardRefusal::DaysOutOfRange => "The number of days must be a whole number from 1 to \
             3650. Please try the card again."
            .to_string(),
    }
}

/// `notify on` was carried out: when the messages come and how far ahead they look.
pub fn notify_on(schedule: &Schedule, window: Days) -> String {
    format!(
        "Notifications are on: {schedule}, about licenses that expire in the next {}. Type \
         `notify off` to stop them.",
        count(window.get() as usize, "day", "days")
    )
}

/// `notify off` was carried out.
pub const NOTIFY_OFF: &str = "Notifications are off. Type `notify on` to turn them back on.";

/// The reply to `notify status`: `None` when notifications are off.
pub fn notify_status(settings: Option<(&Schedule, Days)>) -> String {
    match settings {
        Some((schedule, window)) => format!(
            "Notifications are on: {schedule}, about licenses that expire in the next {}. \
             Type `notify off` to stop them or `notify window N` to look N days ahead.",
            count(window.get() as usize, "day", "days")
        ),
        None => "Notifications are off. Type `notify on` for a message every day at 08:00 UTC, \
                 or for example `notify on weekly at 07:30 tz Europe/Paris`."
            .to_string(),
    }
}

/// `notify window N` was carried out; `on` says whether notifications are on.
pub fn notify_window(window: Days, on: bool) -> String {
    let days = count(window.get() as usize, "day", "days");
    if on {
        format!("Notifications now look {days} ahead.")
    } else {
        format!(
            "Notifications will look {days} ahead once they are on. Type `notify on` to turn \
             them on."
        )
    }
}

/// Too much work in flight for this user or the bot.
pub const BUSY: &str = "I'm busy right now. Please ask again in a minute.";

/// The reply to `refresh` once the inventory was fetched again.
pub fn refreshed(accounts: usize, records: usize) -> String {
    format!(
        "Refreshed: {}, {}.",
        count(accounts, "account", "accounts"),
        count(records, "record", "records")
    )
}

/// The text of the message that carries the full report when the chat message was shortened.
pub const FULL_LIST: &str = "Here is the full list as a CSV file.";

/// A report file could not be written (an internal fault, not the user's).
pub const FILE_FAILED: &str =
    "Sorry, I couldn't build the file for this answer. It's not you: please try again later.";

/// A filter whose value could not be read.
pub fn bad_filter(text: &str) -> String {
    format!(
        "I couldn't read the filter `{text}`. Write it as `va:NAME` or `account:NAME`, with \
         quotes around names that have spaces, for example `expired va:\"Shared Services\"`."
    )
}

/// Filters on a command that takes none.
pub fn filters_not_accepted(command: &str) -> String {
    format!(
        "`{command}` doesn't take `va:` or `account:` filters. Type `help` for everything I can do."
    )
}

/// What `slbot ask` prints for a command that only the bot can carry out (`sign out`,
/// `confirm CODE`); `command` is the form to quote.
pub fn only_in_chat(command: &str) -> String {
    format!("`{command}` only works in the chat with the bot.")
}

/// `changes` / `trend` when the kept history cannot be read (the bot store does not answer).
pub const HISTORY_UNAVAILABLE: &str = "I can't read the history I keep of your licenses right \
     now. It's not you: please try again in a few minutes.";

/// The reply to `changes` with a window that cannot be read.
pub use slbot_inventory::history::WindowError;

/// The reply to a message that did not parse.
pub fn parse_error_reply(error: &ParseError) -> String {
    match error {
        ParseError::Unknown { text, suggestion } => unknown_command(text, suggestion.as_deref()),
        ParseError::DaysOutOfRange => DAYS_OUT_OF_RANGE.to_string(),
        ParseError::HorizonOutOfRange => horizon_out_of_range(),
        ParseError::QuartersOutOfRange => QUARTERS_OUT_OF_RANGE.to_string(),
        ParseError::WindowOutOfRange => WINDOW_OUT_OF_RANGE.to_string(),
        ParseError::BadChangesWindow => WindowError.to_string(),
        ParseError::BadTime { text } => bad_time(text),
        ParseError::UnknownTimeZone { text, suggestion } => unknown_time_zone(text, *suggestion),
        ParseError::BadFilter { text } => bad_filter(text),
        ParseError::FiltersNotAccepted { command } => filters_not_accepted(command),
    }
}

/// `1 account`, `2 accounts`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Frequency;
    use chrono::NaiveTime;

    fn days(n: u32) -> Days {
        match Days::new(n) {
            Ok(d) => d,
            Err(e) => panic!("{n}: {e}"),
        }
    }

    #[test]
    fn notification_replies_say_when_and_how_far_ahead() {
        let paris = Schedule {
            frequency: Frequency::Weekly,
            at: NaiveTime::from_hms_opt(7, 30, 0).unwrap_or(NaiveTime::MIN),
            zone: chrono_tz::Europe::Paris,
        };
        assert_eq!(
            notify_on(&paris, days(30)),
            "Notifications are on: every Monday at 07:30 (Europe/Paris), about licenses that \
             expire in the next 30 days. Type `notify off` to stop them."
        );
        assert_eq!(
            notify_status(Some((&Schedule::default(), days(1)))),
            "Notifications are on: every day at 08:00 (UTC), about licenses that expire in the \
             next 1 day. Type `notify off` to stop them or `notify window N` to look N days ahead."
        );
        assert_eq!(
            notify_status(None),
            "Notifications are off. Type `notify on` for a message every day at 08:00 UTC, or \
             for example `notify on weekly at 07:30 tz Europe/Paris`."
        );
        assert_eq!(
            notify_window(days(60), true),
            "Notifications now look 60 days ahead."
        );
        assert_eq!(
            notify_window(days(60), false),
            "Notifications will look 60 days ahead once they are on. Type `notify on` to turn \
             them on."
        );
    }
}
