//! A card submit read back: its signed stamp verified, the picked inputs turned into the command.

use super::*;

/// Checks a card submit (`inputs` of `GET /attachment/actions/{id}`) and turns it into the
/// command to run. Refuses, in this order: a missing or unreadable stamp, a MAC that does not
/// match (constant-time comparison), another person than `expected_person` (the submit's
/// `personId`), an expired card, a filter card built from another inventory version than
/// `current_inventory_version`, then unreadable inputs or days out of range.
pub fn verify_submit(
    inputs: &Value,
    expected_person: &str,
    current_inventory_version: &str,
    now: DateTime<Utc>,
    secret: &SecretString,
) -> Result<CardRequest, CardRefusal> {
    let card_name = text_field(inputs, KEY_CARD)?;
    let person = text_field(inputs, KEY_PERSON)?;
    let inventory = text_field(inputs, KEY_INVENTORY)?;
    let expires_text = number_field(inputs, KEY_EXPIRES)?;
    let action = text_field(inputs, KEY_ACTION)?;
    let mac_hex = text_field(inputs, KEY_MAC)?;

    let fields = StampFields {
        card: card_name,
        person,
        inventory,
        expires: &expires_text,
        action,
    };
    let given = hex::decode(mac_hex).map_err(|_| CardRefusal::Forged)?;
    keyed_mac(secret, &fields)
        .ok_or(CardRefusal::Forged)?
        .verify_slice(&given)
        .map_err(|_| CardRefusal::Forged)?;

    // Signed by us from here on: the fields are as we wrote them.
    let card = CardKind::from_name(card_name).ok_or(CardRefusal::Unreadable { field: KEY_CARD })?;
    if person != expected_person {
        return Err(CardRefusal::NotYours);
    }
    let expires: i64 = expires_text
        .parse()
        .map_err(|_| CardRefusal::Unreadable { field: KEY_EXPIRES })?;
    if now.timestamp() > expires {
        return Err(CardRefusal::Expired { card });
    }
    match card {
        CardKind::Help => {
            let command =
                parse(action).map_err(|_| CardRefusal::Unreadable { field: KEY_ACTION })?;
            Ok(CardRequest { card, command })
        }
        CardKind::Filter => {
            if inventory != current_inventory_version {
                return Err(CardRefusal::InventoryChanged);
            }
            Ok(CardRequest {
                card,
                command: filter_command(inputs)?,
            })
        }
    }
}

/// The filter card's inputs → the command: the picked report over the picked accounts and
/// VAs, with the days for `expiring` and the expirations chart.
fn filter_command(inputs: &Value) -> Result<Command, CardRefusal> {
    let report = text_field(inputs, INPUT_REPORT)?;
    let kind = FILTER_REPORTS
        .iter()
        .map(|(kind, _)| *kind)
        .find(|kind| kind.spec().name == report)
        .ok_or(CardRefusal::Unreadable {
            field: INPUT_REPORT,
        })?;
    let days =
        Days::parse(&number_field(inputs, INPUT_DAYS)?).map_err(|_| CardRefusal::DaysOutOfRange)?;
    let filters = Filters {
        accounts: choices(inputs, INPUT_ACCOUNTS)?,
        vas: choices(inputs, INPUT_VAS)?,
    };
    match kind {
        Kind::Report(report) => Ok(Command::Report {
            report: report.with_days(days),
            filters,
        }),
        Kind::Export => Ok(Command::Export {
            format: ExportFormat::Csv,
            filters,
        }),
        Kind::Chart(chart) => Ok(Command::Chart {
            chart: chart.with_horizon(Horizon::Days(days)),
            filters,
        }),
        Kind::Changes => Ok(Command::Changes {
            window: slbot_inventory::history::Window::Days(days.get()),
            filters,
        }),
        Kind::Help
        | Kind::Trend
        | Kind::Filter
        | Kind::NotifyOn
        | Kind::NotifyOff
        | Kind::NotifyStatus
        | Kind::NotifyWindow
        | Kind::NotifyTest
        | Kind::Refresh
        | Kind::SignOut
        | Kind::Confirm => Err(CardRefusal::Unreadable {
            field: INPUT_REPORT,
        }),
    }
}

/// A string field.
fn text_field<'a>(inputs: &'a Value, key: &'static str) -> Result<&'a str, CardRefusal> {
    inputs
        .get(key)
        .and_then(Value::as_str)
        .ok_or(CardRefusal::Unreadable { field: key })
}

/// A field Webex may send as a string (`"30"`) or a number (`30`), as trimmed text.
fn number_field(inputs: &Value, key: &'static str) -> Result<String, CardRefusal> {
    match inputs.get(key) {
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(CardRefusal::Unreadable { field: key }),
    }
}

/// A multi-select's values: absent or empty means none picked.
fn choices(inputs: &Value, key: &'static str) -> Result<Vec<String>, CardRefusal> {
    let text = match inputs.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(CardRefusal::Unreadable { field: key }),
    };
    text.split(',')
        .filter(|v| !v.is_empty())
        .map(|v| unescape_value(v).ok_or(CardRefusal::Unreadable { field: key }))
        .collect()
}
