//! Golden tests: each request of `golden/cases.json` and the response the skill must give,
//! over `golden/inventory.json` at 2026-12-07T00:00:00Z, with the details posted to Webex.
//!
//! The expected texts were worked out by hand from the inventory:
//! - expiring within 30 days of 2026-12-07: only the 60 Cisco DNA Advantage ending
//!   2026-12-20 (13 days); within 56 or 90 days also the 30 Webex Calling of 2027-01-15 (39
//!   days); within 365 days also the 40 DNA Advantage of 2027-06-30 (205 days), which is past
//!   status's 180 days;
//! - expired: 10 Cisco ISE Base (2026-11-01, the most recent) and 20 Webex Calling
//!   (2025-12-31); the Meraki MX line is perpetual;
//! - shortages: DNA Advantage 120 in use of 100, ISE Base 12 of 10;
//! - P3M from 2026-12-07 is 2027-03-07: 31 + 31 + 28 = 90 days; P20Y spans 20 × 365 + 5 leap
//!   days (2028, 2032, 2036, 2040, 2044) = 7305 days.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::Value;
use slbot_inventory::{Catalog, Inventory};

use crate::model::RequestEnvelope;
use crate::skill::{respond, route, Details, Route};

const INVENTORY: &str = include_str!("../golden/inventory.json");
const CASES: &str = include_str!("../golden/cases.json");

fn response_to(request: &Value, inventory: &Inventory) -> Value {
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let envelope = RequestEnvelope::from_slice(request.to_string().as_bytes()).unwrap();
    match route(&envelope, today) {
        Route::Answer(response) => response.to_json(),
        Route::Inventory(ask) => respond(ask, inventory, now, Details::Sent).to_json(),
    }
}

#[test]
fn every_golden_request_gets_its_golden_response() {
    let inventory = Inventory::from_json_slice(INVENTORY.as_bytes(), &Catalog::shipped()).unwrap();
    let cases: Value = serde_json::from_str(CASES).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let got = response_to(&case["request"], &inventory);
        if got != case["response"] {
            failures.push(format!(
                "{}:\n  expected {}\n  got      {}",
                case["name"], case["response"], got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_intent_of_the_interaction_model_has_a_golden_case() {
    let cases: Value = serde_json::from_str(CASES).unwrap();
    let asked: Vec<String> = cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let r = &c["request"]["request"];
            r["intent"]["name"]
                .as_str()
                .unwrap_or(r["type"].as_str().unwrap())
                .to_string()
        })
        .collect();
    for name in [
        "LaunchRequest",
        "SessionEndedRequest",
        "StatusIntent",
        "ExpiringLicensesIntent",
        "ExpiredLicensesIntent",
        "ShortagesIntent",
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.NavigateHomeIntent",
    ] {
        assert!(asked.iter().any(|a| a == name), "no golden case for {name}");
    }
}

#[test]
fn a_partial_inventory_says_how_many_accounts_are_left_out_and_a_failed_post_is_admitted() {
    let mut snapshot: Value = serde_json::from_str(INVENTORY).unwrap();
    snapshot["missingAccounts"] = serde_json::json!([
        {"name": "Initech", "domain": "initech.com", "reason": "CSSM answered 503"}
    ]);
    let inventory =
        Inventory::from_json_slice(snapshot.to_string().as_bytes(), &Catalog::shipped()).unwrap();
    assert!(inventory.partial(), "the fixture must load as partial");
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
    let speech = crate::skill::answer(
        crate::skill::Ask::Expired,
        &inventory,
        now,
        Details::NotSent,
    );
    assert_eq!(
        speech.plain(),
        "Some of your accounts could not be read just now, so this leaves out 1 smart account. \
         2 license lines have expired, 30 licenses in all. The most recent is 10 of Cisco ISE \
         Base in Acme, virtual account Lab, which expired on November 1, 2026. I could not send \
         the details to your Webex space this time."
    );
}

#[test]
fn the_shipped_interaction_model_names_exactly_the_intents_the_skill_handles() {
    use crate::skill::intents as i;
    let model: Value =
        serde_json::from_str(include_str!("../../../docs/alexa/interaction-model.json")).unwrap();
    let language = &model["interactionModel"]["languageModel"];
    assert_eq!(language["invocationName"], "smart licensing");
    let mut shipped: Vec<&str> = language["intents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|intent| intent["name"].as_str().unwrap())
        .collect();
    shipped.sort_unstable();
    let mut handled = vec![
        i::STATUS,
        i::EXPIRING,
        i::EXPIRED,
        i::SHORTAGES,
        i::HELP,
        i::STOP,
        i::CANCEL,
        i::FALLBACK,
        i::NAVIGATE_HOME,
    ];
    handled.sort_unstable();
    assert_eq!(shipped, handled);
    let expiring = language["intents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|intent| intent["name"] == i::EXPIRING)
        .unwrap();
    assert_eq!(expiring["slots"][0]["name"], i::PERIOD_SLOT);
    assert_eq!(expiring["slots"][0]["type"], "AMAZON.DURATION");
}
