//! The skill's answers: which request needs the person's licences ([`route`]), and the short
//! spoken summary of a report ([`answer`]), computed by the inventory engine's reports, so a
//! spoken count is the count `slbot report` and the chat give.

use chrono::{DateTime, NaiveDate, Utc};
use slbot_inventory::{
    Days, Filters, Inventory, LineRow, LinesSection, RecordRow, ReportBody, ReportKind,
};

use crate::duration::days_from;
use crate::model::{Request, RequestEnvelope, ResponseEnvelope};
use crate::speech::{count, spoken_name, Speech};

/// The intents of the interaction model (docs/alexa/interaction-model.json).
pub mod intents {
    pub const STATUS: &str = "StatusIntent";
    pub const EXPIRING: &str = "ExpiringLicensesIntent";
    pub const EXPIRED: &str = "ExpiredLicensesIntent";
    pub const SHORTAGES: &str = "ShortagesIntent";
    pub const HELP: &str = "AMAZON.HelpIntent";
    pub const STOP: &str = "AMAZON.StopIntent";
    pub const CANCEL: &str = "AMAZON.CancelIntent";
    pub const FALLBACK: &str = "AMAZON.FallbackIntent";
    pub const NAVIGATE_HOME: &str = "AMAZON.NavigateHomeIntent";
    /// The slot of [`EXPIRING`] (AMAZON.DURATION).
    pub const PERIOD_SLOT: &str = "period";
}

/// The title of every card the skill shows.
pub const CARD_TITLE: &str = "Smart Licensing";

/// A question about the person's licences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Status,
    Expiring(Days),
    Expired,
    Shortages,
}

impl Ask {
    /// The report that answers it (the chat command of the details is the same report).
    pub fn report(self) -> ReportKind {
        match self {
            Ask::Status => ReportKind::Status,
            Ask::Expiring(days) => ReportKind::Expiring(days),
            Ask::Expired => ReportKind::Expired,
            Ask::Shortages => ReportKind::Shortages,
        }
    }
}

/// What a request needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// Answered without anyone's data (launch, help, stop, a bad duration, …).
    Answer(ResponseEnvelope),
    /// Needs the linked person's inventory.
    Inventory(Ask),
}

const WHAT_TO_ASK: &str = "You can ask how many licenses expire in the next 30 days, how many \
have expired, whether there are any shortages, or for a status.";
const REPROMPT: &str = "For example, ask: how many licenses expire in the next 90 days?";

/// Where a request goes. `today` is the UTC date durations count from.
pub fn route(envelope: &RequestEnvelope, today: NaiveDate) -> Route {
    let reprompt = Speech::new(REPROMPT);
    match &envelope.request {
        Request::LaunchRequest(_) => Route::Answer(ResponseEnvelope::ask(
            &Speech::new("Welcome to Smart Licensing.")
                .then(WHAT_TO_ASK)
                .then("What would you like to know?"),
            &reprompt,
            CARD_TITLE,
        )),
        Request::SessionEndedRequest { .. } | Request::Other => {
            Route::Answer(ResponseEnvelope::empty())
        }
        Request::IntentRequest { intent, .. } => {
            let route = intent_route(intent, today);
            // Asking about licences needs a linked account; everything else answers anyway.
            match route {
                Route::Inventory(_) if envelope.access_token().is_none() => {
                    Route::Answer(link_account())
                }
                route => route,
            }
        }
    }
}

fn intent_route(intent: &crate::model::Intent, today: NaiveDate) -> Route {
    use intents as i;
    let reprompt = Speech::new(REPROMPT);
    match intent.name.as_str() {
        i::STATUS => Route::Inventory(Ask::Status),
        i::EXPIRED => Route::Inventory(Ask::Expired),
        i::SHORTAGES => Route::Inventory(Ask::Shortages),
        i::EXPIRING => match expiring_days(intent.slot(i::PERIOD_SLOT), today) {
            Ok(days) => Route::Inventory(Ask::Expiring(days)),
            Err(sentence) => Route::Answer(ResponseEnvelope::tell(
                &Speech::new(sentence)
                    .then("Try again with a period of 1 to 3650 days, for example 90 days."),
                CARD_TITLE,
            )),
        },
        i::HELP => Route::Answer(ResponseEnvelope::ask(
            &Speech::new(
                "Smart Licensing reads the licenses of your Cisco Smart Accounts, and sends \
                     the details to your Webex space.",
            )
            .then(WHAT_TO_ASK)
            .then("What would you like to know?"),
            &reprompt,
            CARD_TITLE,
        )),
        i::STOP | i::CANCEL | i::NAVIGATE_HOME => {
            Route::Answer(ResponseEnvelope::tell(&Speech::new("Goodbye."), CARD_TITLE))
        }
        // FallbackIntent and any intent this version does not know.
        _ => Route::Answer(ResponseEnvelope::ask(
            &Speech::new("Sorry, I can't help with that.").then(WHAT_TO_ASK),
            &reprompt,
            CARD_TITLE,
        )),
    }
}

/// The days of the ExpiringLicenses intent: 30 without a period; a sentence to speak for a
/// period that cannot be read or lies outside 1 to 3650 days.
fn expiring_days(period: Option<&str>, today: NaiveDate) -> Result<Days, String> {
    let Some(period) = period else {
        return Ok(Days::DEFAULT);
    };
    let days = days_from(period, today).map_err(|e| e.to_string())?;
    Days::new(days).map_err(|_| {
        if days == 0 {
            "Sorry, I can only look ahead by at least one day.".to_string()
        } else {
            format!(
                "Sorry, {} is too far ahead: I can look at most {} days, just under ten years, ahead.",
                count(days as usize, "day", "days"),
                Days::MAX
            )
        }
    })
}

/// Whether the details reached the person's Webex space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Details {
    /// Posted to the person's 1:1 space.
    Sent,
    /// Posting failed: the person is told so.
    NotSent,
}

/// The whole answer to `ask`: [`answer`] spoken, with a Simple card of the same text.
pub fn respond(
    ask: Ask,
    inventory: &Inventory,
    now: DateTime<Utc>,
    details: Details,
) -> ResponseEnvelope {
    ResponseEnvelope::tell(&answer(ask, inventory, now, details), CARD_TITLE)
}

/// The spoken summary of `ask` over the whole inventory at `now`.
pub fn answer(ask: Ask, inventory: &Inventory, now: DateTime<Utc>, details: Details) -> Speech {
    let mut speech = Speech::default();
    if inventory.partial() {
        speech = speech.then(format!(
            "Some of your accounts could not be read just now, so this leaves out {}.",
            count(
                inventory.missing_accounts().len(),
                "smart account",
                "smart accounts"
            )
        ));
    }
    // No filters can fail: the whole inventory is read.
    let body = match inventory.report(ask.report(), now, &Filters::none()) {
        Ok(report) => report.body,
        Err(_) => return speech.then("Sorry, I could not read your licenses."),
    };
    speech = match body {
        ReportBody::Expiring(days, section) => {
            let days_text = count(days.get() as usize, "day", "days");
            if section.count == 0 {
                speech.then(format!("No licenses expire in the next {days_text}."))
            } else {
                let first = section.items.first().map(|row| {
                    format!(
                        "The first is {}, on {}.",
                        line_phrase(row),
                        spoken_date(row)
                    )
                });
                speech
                    .then(format!(
                        "{} in the next {days_text}, {} in all.",
                        lines_verb(section.count, "expires", "expire"),
                        count(quantity(&section), "license", "licenses"),
                    ))
                    .then(first.unwrap_or_default())
            }
        }
        ReportBody::Expired(section) => {
            if section.count == 0 {
                speech.then("None of your licenses have expired.")
            } else {
                let latest = section.items.first().map(|row| {
                    format!(
                        "The most recent is {}, which expired on {}.",
                        line_phrase(row),
                        spoken_date(row)
                    )
                });
                speech
                    .then(format!(
                        "{} expired, {} in all.",
                        lines_verb(section.count, "has", "have"),
                        count(quantity(&section), "license", "licenses"),
                    ))
                    .then(latest.unwrap_or_default())
            }
        }
        ReportBody::Shortages(section) => {
            if section.count == 0 {
                speech.then("You have no license shortages: nothing is used beyond what you own.")
            } else {
                let mut s = speech.then(format!(
                    "{} more in use than you own.",
                    match section.count {
                        1 => "1 license has".to_string(),
                        n => format!("{n} licenses have"),
                    }
                ));
                for (i, row) in section.items.iter().take(2).enumerate() {
                    let lead = if i == 0 { "The largest" } else { "Next" };
                    s = s.then(format!("{lead}: {}.", shortage_phrase(row)));
                }
                s
            }
        }
        ReportBody::Status(status) => {
            let expiring = &status.expiring;
            let s = speech
                .then(format!(
                    "Here is your status. {} expired, {} within 180 days, and {}.",
                    lines_verb(status.expired.count, "has", "have"),
                    match expiring.count {
                        1 => "1 expires".to_string(),
                        n => format!("{n} expire"),
                    },
                    match status.shortages.count {
                        0 => "no license is short".to_string(),
                        1 => "1 license is short".to_string(),
                        n => format!("{n} licenses are short"),
                    }
                ))
                .then(
                    status
                        .shortages
                        .items
                        .first()
                        .map(|row| format!("The largest shortage: {}.", shortage_phrase(row)))
                        .unwrap_or_default(),
                );
            s.then(
                expiring
                    .items
                    .first()
                    .map(|row| {
                        format!(
                            "The next to expire is {}, on {}.",
                            line_phrase(row),
                            spoken_date(row)
                        )
                    })
                    .unwrap_or_default(),
            )
        }
        // `Ask` names only the four reports above.
        _ => speech,
    };
    match details {
        Details::Sent => speech.then("I've sent the details to your Webex space."),
        Details::NotSent => {
            speech.then("I could not send the details to your Webex space this time.")
        }
    }
}

/// The answer when the skill is not linked, or the link no longer works.
pub fn link_account() -> ResponseEnvelope {
    ResponseEnvelope::link_account(&Speech::new(
        "To hear about your licenses, link Smart Licensing to your Cisco account. I've put a \
         link card in your Alexa app.",
    ))
}

/// `n` entitlement lines with the verb for one or many ("3 license lines have").
fn lines_verb(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 license line {one}"),
        n => format!("{n} license lines {many}"),
    }
}

fn quantity(section: &LinesSection<'_>) -> usize {
    usize::try_from(section.quantity.max(0)).unwrap_or(usize::MAX)
}

/// "50 of Cisco DNA Advantage in Acme, virtual account DEFAULT".
fn line_phrase(row: &LineRow<'_>) -> String {
    format!(
        "{} of {} in {}, virtual account {}",
        row.quantity,
        spoken_name(row.license),
        spoken_name(row.account),
        spoken_name(row.virtual_account)
    )
}

/// "Cisco ISE Base in Acme, virtual account Lab: 12 in use, 10 owned".
fn shortage_phrase(row: &RecordRow<'_>) -> String {
    format!(
        "{} in {}, virtual account {}, with {} in use and {} owned",
        spoken_name(row.license),
        spoken_name(row.account),
        spoken_name(row.virtual_account),
        row.in_use,
        row.quantity
    )
}

/// "December 12, 2026" (UTC, as the reports count days).
fn spoken_date(row: &LineRow<'_>) -> String {
    row.end_date
        .seconds()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .map(|d| d.format("%B %-d, %Y").to_string())
        .unwrap_or_else(|| "an unknown date".to_string())
}
