//! Adaptive Cards (webex-api.md "Cards") as pure functions: the `help` card, the filter card,
//! the verification of what a card sends back, and when to offer the filter card.
//!
//! Rules every card here follows, checked in code by [`Card::rule_violations`] (and by the
//! tests over every card this module builds): `version` `"1.3"`; at most
//! [`MAX_ACTIONS_PER_SET`] actions per action set (the card's own `actions` included); every
//! input has an `id` and a `label`; the days input is required, bounded and says what is wrong;
//! and a markdown fallback always goes with the card (one card per message).
//!
//! # What a submit carries, and why it is signed
//!
//! Every `Action.Submit` carries a *stamp* in its `data` (Webex merges it into the inputs of
//! the attachment action): which card it is, the recipient's personId, the inventory version
//! the card was built from ([`inventory_version`]), an expiry in unix seconds, the button's
//! command (help card) and an HMAC-SHA256 over all of them keyed by the bot's card secret.
//! [`verify_submit`] refuses a submit whose MAC is wrong (compared in constant time), that
//! someone else pressed, that has expired, or (filter card) whose inventory changed since — its
//! choices might name accounts the person can no longer see, so the bot answers with a fresh
//! card. The help card's buttons name commands, not inventory items, so its inventory field is
//! signed but not compared.
//!
//! The MAC input is `slbot-card/1` followed by each field as `<byte length>:<bytes>` in the
//! order card, person, inventory, expires, action: no field can be shifted into another.
//!
//! Choice values are names with `%` and `,` percent-escaped (`%25`, `%2C`), because a
//! multi-select `Input.ChoiceSet` submits its values joined by commas and names may contain
//! commas. Accounts are chosen by domain, virtual accounts by their trimmed name (filters match
//! trimmed names case-insensitively, so `Lab` and `lab ` are one choice).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use slbot_inventory::{Inventory, ReportBody, ReportKind};

use crate::command::{
    expand, ChartKind, Command, Days, ExportFormat, Filters, Horizon, Kind, COMMANDS,
};
use crate::help::help_markdown;
use crate::markdown::MAX_MARKDOWN_BYTES;
use crate::parse::parse;

mod choices;
mod rules;
mod submit;

pub use choices::inventory_version;
use choices::{account_rows, accounts_and_vas, display, distinct_vas, push_choices};
pub use rules::content_rule_violations;
pub use submit::verify_submit;

/// `contentType` of an Adaptive Card attachment.
pub const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
/// The Adaptive Cards version Webex renders with input validation.
pub const CARD_VERSION: &str = "1.3";
/// Webex shows at most this many actions per action set.
pub const MAX_ACTIONS_PER_SET: usize = 5;
/// At most this many accounts, and as many virtual accounts, are offered on the filter card;
/// a note says how many more exist and how to name them in text.
pub const MAX_CHOICES: usize = 100;
/// How long a card's buttons work unless the bot chooses otherwise.
pub const DEFAULT_CARD_LIFETIME: Duration = Duration::hours(24);
/// The filter card is offered at most once per this interval per person.
pub const FILTER_OFFER_INTERVAL: Duration = Duration::hours(1);

/// Ids of the filter card's inputs.
pub const INPUT_ACCOUNTS: &str = "accounts";
pub const INPUT_VAS: &str = "vas";
pub const INPUT_DAYS: &str = "days";
pub const INPUT_REPORT: &str = "report";

/// Keys of the stamp in a submit's `data`.
const KEY_CARD: &str = "slbot_card";
const KEY_PERSON: &str = "slbot_person";
const KEY_INVENTORY: &str = "slbot_inventory";
const KEY_EXPIRES: &str = "slbot_expires";
const KEY_ACTION: &str = "slbot_action";
const KEY_MAC: &str = "slbot_mac";

/// The filter card's text fallback, also the answer to `filter` where no card can be shown.
pub const FILTER_WITHOUT_CARD: &str = "To narrow a report, add `va:NAME` or `account:NAME` to \
     it, several separated by commas and names with spaces in quotes, for example \
     `expire 90 va:DEFAULT,\"Shared Services\"`. Type `virtual accounts` to see the names.";

/// The `action` of the filter card's one submit button.
const FILTER_ACTION: &str = "run";
const MAC_DOMAIN: &[u8] = b"slbot-card/1";

/// The reports the filter card offers, in picker order, with their titles: every command
/// that takes filters, exactly once (a unit test walks [`COMMANDS`](crate::COMMANDS)).
const FILTER_REPORTS: &[(Kind, &str)] = &[
    (
        Kind::Report(ReportKind::Expiring(Days::DEFAULT)),
        "Licenses that expire within the days above",
    ),
    (Kind::Report(ReportKind::Expired), "Expired licenses"),
    (Kind::Report(ReportKind::Status), "High level status"),
    (Kind::Report(ReportKind::Shortages), "Shortages"),
    (Kind::Report(ReportKind::Usage), "Usage"),
    (Kind::Report(ReportKind::Mix), "Architecture mix"),
    (Kind::Export, "Export (CSV file)"),
    (
        Kind::Report(ReportKind::VirtualAccounts),
        "Virtual accounts",
    ),
    (Kind::Report(ReportKind::Accounts), "Smart accounts"),
    (
        Kind::Report(ReportKind::Rebalance),
        "Rebalance advice for shortages",
    ),
    (Kind::Report(ReportKind::AtRisk), "Smart accounts at risk"),
    (Kind::Changes, "Changes over the days above"),
    (
        Kind::Report(ReportKind::Renewals(slbot_inventory::Calendar::DEFAULT)),
        "Renewal calendar (4 quarters)",
    ),
    (
        Kind::Chart(ChartKind::Expirations(Horizon::DEFAULT)),
        "Chart: expirations within the days above",
    ),
    (Kind::Chart(ChartKind::Mix), "Chart: architecture mix"),
    (Kind::Chart(ChartKind::Usage), "Chart: usage"),
    (Kind::Chart(ChartKind::Status), "Chart: high level status"),
];

/// The buttons of the help card: title and the chat command they run.
const HELP_BUTTONS: &[(&str, &str)] = &[
    ("Status", "status"),
    ("Expiring in 30 days", "expire 30"),
    ("Expired", "expired"),
    ("Shortages", "shortages"),
    ("Usage", "usage"),
    ("Architecture mix", "mix"),
    ("Export CSV", "export"),
    ("Export XLSX", "export xlsx"),
    ("Filter…", "filter"),
    ("Notifications", "notify status"),
];

/// Which card a submit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    Help,
    Filter,
}

impl CardKind {
    fn name(self) -> &'static str {
        match self {
            CardKind::Help => "help",
            CardKind::Filter => "filter",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "help" => Some(CardKind::Help),
            "filter" => Some(CardKind::Filter),
            _ => None,
        }
    }
}

/// A card ready to post: the `content` of the attachment and the markdown fallback that must
/// go with it in the same message.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub content: Value,
    pub fallback_markdown: String,
}

impl Card {
    /// The element of `attachments` in `POST /messages`.
    pub fn attachment(&self) -> Value {
        json!({"contentType": CARD_CONTENT_TYPE, "content": self.content})
    }

    /// Every rule of webex-api.md "Cards" (and of this module) the card breaks; empty when it
    /// follows them all.
    pub fn rule_violations(&self) -> Vec<String> {
        let mut problems = content_rule_violations(&self.content);
        if self.fallback_markdown.trim().is_empty() {
            problems.push("the markdown fallback is empty".into());
        }
        if self.fallback_markdown.len() > MAX_MARKDOWN_BYTES {
            problems.push(format!(
                "the markdown fallback is {} bytes, over {MAX_MARKDOWN_BYTES}",
                self.fallback_markdown.len()
            ));
        }
        problems
    }
}

/// Who a card is for and until when its buttons work; signed into every submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardStamp {
    /// The recipient's Webex personId: only they can use the card.
    pub person_id: String,
    /// [`inventory_version`] of the inventory the card was built from (the help card may
    /// carry an empty string when the bot has no inventory at hand).
    pub inventory_version: String,
    /// After this instant the card is refused as expired.
    pub expires_at: DateTime<Utc>,
}

impl CardStamp {
    /// A stamp for `person_id` that expires `lifetime` after `now`.
    pub fn new(
        person_id: impl Into<String>,
        inventory_version: impl Into<String>,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Self {
        CardStamp {
            person_id: person_id.into(),
            inventory_version: inventory_version.into(),
            expires_at: now + lifetime,
        }
    }
}

/// What a verified submit asks for: run `command` through [`crate::answer()`] (or, for
/// `filter` / `notify …`, the bot's own handling) as if the person had typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRequest {
    pub card: CardKind,
    pub command: Command,
}

/// Why a submit is not carried out. Each variant has a sentence
/// ([`crate::sentences::card_refusal`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardRefusal {
    /// A field of the stamp or an input is missing or unreadable.
    #[error("the card submit has no readable `{field}`")]
    Unreadable { field: &'static str },
    /// The MAC does not match: not a card this bot (with this secret) built.
    #[error("the card submit's signature does not match")]
    Forged,
    /// Someone other than the recipient pressed the button.
    #[error("the card was made for another person")]
    NotYours,
    /// The card's lifetime is over; answer with a fresh card of the same kind.
    #[error("the card expired")]
    Expired { card: CardKind },
    /// The person's accounts or virtual accounts changed since the card was built: answer
    /// with a fresh filter card.
    #[error("the inventory changed since the card was built")]
    InventoryChanged,
    /// The days input is not a whole number from 1 to 3650.
    #[error("the days input is out of range")]
    DaysOutOfRange,
}

impl CardRefusal {
    /// The card the bot should post again with the refusal sentence, if any.
    pub fn fresh_card(&self) -> Option<CardKind> {
        match self {
            CardRefusal::Expired { card } => Some(*card),
            CardRefusal::InventoryChanged => Some(CardKind::Filter),
            _ => None,
        }
    }
}

/// The `help` card: the command list from the table, and buttons for the common reports.
/// The fallback is the help markdown.
pub fn help_card(stamp: &CardStamp, secret: &SecretString) -> Card {
    let facts: Vec<Value> = COMMANDS
        .iter()
        .filter_map(|spec| {
            let form = spec.forms.first()?;
            let words = expand(form.text).into_iter().next()?;
            (!words.is_empty()).then(|| json!({"title": words.join(" "), "value": spec.summary}))
        })
        .collect();
    let buttons: Vec<Value> = HELP_BUTTONS
        .iter()
        .map(|(title, command)| {
            json!({
                "type": "Action.Submit",
                "title": title,
                "data": stamp_data(CardKind::Help, stamp, command, secret),
            })
        })
        .collect();
    let mut body = vec![
        json!({"type": "TextBlock", "text": "Here is what I can do", "weight": "Bolder",
               "size": "Medium", "wrap": true}),
        json!({"type": "FactSet", "facts": facts}),
        json!({"type": "TextBlock", "wrap": true,
               "text": "Add va:NAME or account:NAME to a report to narrow it, or press \
                        Filter… to pick them."}),
    ];
    body.extend(
        buttons
            .chunks(MAX_ACTIONS_PER_SET)
            .map(|chunk| json!({"type": "ActionSet", "actions": chunk})),
    );
    Card {
        content: card_content(body, Vec::new()),
        fallback_markdown: help_markdown(),
    }
}

/// The filter card: the person's smart accounts and virtual accounts (multi-select; none
/// picked means all), a days input (1–3650, for `expiring` and the expirations chart) and a
/// report picker, with one submit button. The fallback says how to filter in text.
pub fn filter_card(inventory: &Inventory, stamp: &CardStamp, secret: &SecretString) -> Card {
    let accounts = account_rows(inventory);
    let several_accounts = accounts.len() > 1;
    let mut body = vec![
        json!({"type": "TextBlock", "text": "Narrow a report", "weight": "Bolder",
               "size": "Medium", "wrap": true}),
        json!({"type": "TextBlock", "wrap": true,
               "text": "Pick smart accounts and virtual accounts (none picked means all of \
                        them), then a report."}),
    ];

    let account_choices: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({"title": format!("{} ({})", display(&a.name), display(&a.domain)),
                   "value": escape_value(&a.domain)})
        })
        .collect();
    push_choices(
        &mut body,
        INPUT_ACCOUNTS,
        "Smart accounts",
        ("smart account", "smart accounts", "account:NAME"),
        account_choices,
    );

    let va_choices: Vec<Value> = distinct_vas(&accounts)
        .into_iter()
        .map(|(name, owners)| {
            let title = if several_accounts {
                format!("{} ({})", display(&name), owners.join(", "))
            } else {
                display(&name)
            };
            json!({"title": title, "value": escape_value(&name)})
        })
        .collect();
    push_choices(
        &mut body,
        INPUT_VAS,
        "Virtual accounts",
        ("virtual account", "virtual accounts", "va:NAME"),
        va_choices,
    );

    body.push(json!({
        "type": "Input.Number",
        "id": INPUT_DAYS,
        "label": "Days ahead (for expiring licenses and the expirations chart)",
        "isRequired": true,
        "min": Days::MIN,
        "max": Days::MAX,
        "value": Days::DEFAULT.get(),
        "errorMessage": format!("Enter a whole number of days from {} to {}.", Days::MIN, Days::MAX),
    }));
    let reports: Vec<Value> = FILTER_REPORTS
        .iter()
        .map(|(kind, title)| json!({"title": title, "value": kind.spec().name}))
        .collect();
    body.push(json!({
        "type": "Input.ChoiceSet",
        "id": INPUT_REPORT,
        "label": "Report",
        "isRequired": true,
        "errorMessage": "Pick a report.",
        "style": "compact",
        "value": ReportKind::Expiring(Days::DEFAULT).name(),
        "choices": reports,
    }));
    let submit = json!({
        "type": "Action.Submit",
        "title": "Show the report",
        "data": stamp_data(CardKind::Filter, stamp, FILTER_ACTION, secret),
    });
    Card {
        content: card_content(body, vec![submit]),
        fallback_markdown: filter_fallback_markdown(),
    }
}

/// What a client that cannot show cards displays instead of the filter card (also the answer
/// to `filter` where no card can be sent, e.g. `slbot ask`).
pub fn filter_fallback_markdown() -> String {
    FILTER_WITHOUT_CARD.to_string()
}

fn card_content(body: Vec<Value>, actions: Vec<Value>) -> Value {
    let mut card = json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    });
    if !actions.is_empty() {
        card["actions"] = Value::Array(actions);
    }
    card
}

/// `%` → `%25`, `,` → `%2C`: a value that survives being joined with commas.
fn escape_value(value: &str) -> String {
    value.replace('%', "%25").replace(',', "%2C")
}

/// The inverse of [`escape_value`]; `None` for a `%` not followed by `25` or `2C`.
fn unescape_value(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3)?;
        out.push(match code {
            "25" => '%',
            "2C" | "2c" => ',',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// The signed stamp of one submit button.
fn stamp_data(kind: CardKind, stamp: &CardStamp, action: &str, secret: &SecretString) -> Value {
    let expires = stamp.expires_at.timestamp().to_string();
    let fields = StampFields {
        card: kind.name(),
        person: &stamp.person_id,
        inventory: &stamp.inventory_version,
        expires: &expires,
        action,
    };
    let mac = keyed_mac(secret, &fields)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    json!({
        KEY_CARD: kind.name(),
        KEY_PERSON: stamp.person_id,
        KEY_INVENTORY: stamp.inventory_version,
        KEY_EXPIRES: expires,
        KEY_ACTION: action,
        KEY_MAC: mac,
    })
}

struct StampFields<'a> {
    card: &'a str,
    person: &'a str,
    inventory: &'a str,
    expires: &'a str,
    action: &'a str,
}

/// HMAC-SHA256 over the stamp fields, length-prefixed. `None` only if the HMAC refused the
/// key, which it never does (HMAC takes keys of any length); a card signed without a MAC is
/// refused as forged, so that impossible case cannot open anything.
fn keyed_mac(secret: &SecretString, fields: &StampFields<'_>) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()).ok()?;
    mac.update(MAC_DOMAIN);
    for part in [
        fields.card,
        fields.person,
        fields.inventory,
        fields.expires,
        fields.action,
    ] {
        mac.update(format!("{}:", part.len()).as_bytes());
        mac.update(part.as_bytes());
    }
    Some(mac)
}

/// Whether to post the filter card after answering `command`: it is an unfiltered report or
/// chart (not the account lists, not `export`), the person has more than one smart account or
/// more than five virtual accounts, and the card was not offered in the last hour.
pub fn should_offer_filter_card(
    inventory: &Inventory,
    command: &Command,
    last_offered: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let unfiltered_report = !matches!(
        command,
        Command::Report {
            report: ReportKind::Accounts | ReportKind::VirtualAccounts,
            ..
        } | Command::Export { .. }
    ) && command.filters().is_some_and(Filters::is_empty);
    if !unfiltered_report {
        return false;
    }
    if last_offered.is_some_and(|at| now - at < FILTER_OFFER_INTERVAL) {
        return false;
    }
    let vas: usize = accounts_and_vas(inventory)
        .iter()
        .map(|(_, v)| v.len())
        .sum();
    inventory.account_count() > 1 || vas > 5
}
