//! The cards of [`crate::cards`] over small hand-written inventories: the Webex card rules
//! checked on every card built, each card's JSON pinned, and every way a submit is accepted or
//! refused. Expected MACs and versions are computed here by a naive implementation of the
//! formats documented in the module, never by the code under test.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use slbot_charts::ChartKind;
use slbot_inventory::{Calendar, Catalog, Inventory, ReportKind};

use crate::cards::{
    filter_card, help_card, inventory_version, should_offer_filter_card, verify_submit, Card,
    CardKind, CardRefusal, CardRequest, CardStamp, DEFAULT_CARD_LIFETIME, MAX_CHOICES,
};
use crate::command::{Command, Days, ExportFormat, Filters, Horizon};
use crate::parse::parse;
use crate::sentences;

const PERSON: &str = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ";
const OTHER_PERSON: &str = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ib2I";
const SECRET: &str = "card-secret-for-tests";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn secret() -> SecretString {
    SecretString::from(SECRET.to_string())
}

fn load(snapshot: Value) -> Inventory {
    match Inventory::from_json_slice(snapshot.to_string().as_bytes(), &Catalog::empty()) {
        Ok(inventory) => inventory,
        Err(e) => panic!("the fixture is not a snapshot: {e}"),
    }
}

fn account(name: &str, domain: &str) -> Value {
    json!({"accountName": name, "accountDomain": domain, "accountStatus": "Active",
           "accountType": "CUSTOMER"})
}

fn record(license: &str, va: &str) -> Value {
    json!({"license": license, "virtualAccount": va, "quantity": 10, "inUse": 4,
           "licenseDetails": []})
}

/// Acme (VAs DEFAULT, `Shared, Services`, Lab) and Big Co (DEFAULT, `lab `).
fn two_accounts() -> Inventory {
    load(json!({
        "accounts": [account("Acme", "acme.com"), account(" Big Co ", "big.example")],
        "licenses": {
            "acme.com": [record("A", "DEFAULT"), record("B", "Shared, Services"), record("C", "Lab")],
            "big.example": [record("A", "DEFAULT"), record("D", "lab ")],
        }
    }))
}

/// Acme with `vas` virtual accounts, one record each.
fn acme_with_vas(vas: usize) -> Inventory {
    let records: Vec<Value> = (0..vas).map(|i| record("A", &format!("VA {i}"))).collect();
    load(json!({"accounts": [account("Acme", "acme.com")], "licenses": {"acme.com": records}}))
}

fn no_accounts() -> Inventory {
    load(json!({"accounts": [], "licenses": {}}))
}

fn stamp(inventory: &Inventory) -> CardStamp {
    CardStamp::new(
        PERSON,
        inventory_version(inventory),
        now(),
        DEFAULT_CARD_LIFETIME,
    )
}

/// HMAC-SHA256 of the documented MAC input, written out naively.
fn naive_mac(card: &str, person: &str, inventory: &str, expires: &str, action: &str) -> String {
    let mut input = b"slbot-card/1".to_vec();
    for part in [card, person, inventory, expires, action] {
        input.extend_from_slice(format!("{}:{part}", part.len()).as_bytes());
    }
    let mut mac = match Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()) {
        Ok(mac) => mac,
        Err(e) => panic!("{e}"),
    };
    mac.update(&input);
    hex::encode(mac.finalize().into_bytes())
}

/// What Webex puts in `inputs`: the submit's data merged with the input values.
fn submit_inputs(data: &Value, inputs: &[(&str, Value)]) -> Value {
    let mut merged = data.clone();
    for (key, value) in inputs {
        merged[*key] = value.clone();
    }
    merged
}

fn filter_submit(card: &Card, inputs: &[(&str, Value)]) -> Value {
    submit_inputs(&card.content["actions"][0]["data"], inputs)
}

fn help_button(card: &Card, title: &str) -> Value {
    let sets = card.content["body"].as_array().cloned().unwrap_or_default();
    for set in sets.iter().filter(|b| b["type"] == "ActionSet") {
        for action in set["actions"].as_array().cloned().unwrap_or_default() {
            if action["title"] == title {
                return action["data"].clone();
            }
        }
    }
    panic!("no button {title:?}")
}

fn verify(inputs: &Value, version: &str, at: DateTime<Utc>) -> Result<CardRequest, CardRefusal> {
    verify_submit(inputs, PERSON, version, at, &secret())
}

fn filters(accounts: &[&str], vas: &[&str]) -> Filters {
    Filters {
        accounts: accounts.iter().map(|s| s.to_string()).collect(),
        vas: vas.iter().map(|s| s.to_string()).collect(),
    }
}

fn days(n: u32) -> Days {
    match Days::new(n) {
        Ok(d) => d,
        Err(e) => panic!("{n}: {e}"),
    }
}

/// Every card this module can build, over every fixture.
fn every_card() -> Vec<(String, Card)> {
    let mut cards = Vec::new();
    for (name, inventory) in [
        ("two accounts", two_accounts()),
        ("one VA", acme_with_vas(1)),
        ("150 VAs", acme_with_vas(150)),
        ("no accounts", no_accounts()),
    ] {
        cards.push((
            format!("filter card, {name}"),
            filter_card(&inventory, &stamp(&inventory), &secret()),
        ));
        cards.push((
            format!("help card, {name}"),
            help_card(&stamp(&inventory), &secret()),
        ));
    }
    cards
}

#[test]
fn every_card_follows_the_webex_card_rules() {
    for (name, card) in every_card() {
        assert_eq!(card.rule_violations(), Vec::<String>::new(), "{name}");
        assert_eq!(card.content["version"], "1.3", "{name}");
        assert!(!card.fallback_markdown.is_empty(), "{name}");
        assert_eq!(
            card.attachment()["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card.attachment()["content"], card.content);
        // One submit per filter card; every submit carries a signed stamp.
        let text = card.content.to_string();
        let submits = text.matches("\"Action.Submit\"").count();
        let macs = text.matches("\"slbot_mac\"").count();
        assert_eq!(submits, macs, "{name}");
    }
}

#[test]
fn the_rule_checker_catches_each_broken_rule() {
    let good = || Card {
        content: json!({"type": "AdaptiveCard", "version": "1.3", "body": [
            {"type": "Input.Number", "id": "days", "label": "Days", "isRequired": true,
             "min": 1, "max": 3650, "errorMessage": "1 to 3650"}],
            "actions": [{"type": "Action.Submit", "title": "Go", "data": {}}]}),
        fallback_markdown: "text".into(),
    };
    assert!(good().rule_violations().is_empty());
    type Breakage = Box<dyn Fn(&mut Card)>;
    let broken: Vec<(&str, Breakage)> = vec![
        ("version", Box::new(|c| c.content["version"] = json!("1.2"))),
        (
            "six actions",
            Box::new(|c| {
                let submit = json!({"type": "Action.Submit", "title": "Go", "data": {}});
                c.content["actions"] = json!(vec![submit; 6]);
            }),
        ),
        (
            "no id",
            Box::new(|c| {
                if let Some(o) = c.content["body"][0].as_object_mut() {
                    o.remove("id");
                }
            }),
        ),
        (
            "no label",
            Box::new(|c| c.content["body"][0]["label"] = json!("")),
        ),
        (
            "not required",
            Box::new(|c| c.content["body"][0]["isRequired"] = json!(false)),
        ),
        (
            "no max",
            Box::new(|c| {
                if let Some(o) = c.content["body"][0].as_object_mut() {
                    o.remove("max");
                }
            }),
        ),
        (
            "no error message",
            Box::new(|c| c.content["body"][0]["errorMessage"] = Value::Null),
        ),
        (
            "submit without data",
            Box::new(|c| c.content["actions"][0]["data"] = json!("x")),
        ),
        (
            "no fallback",
            Box::new(|c| c.fallback_markdown = " ".into()),
        ),
        (
            "fallback too long",
            Box::new(|c| c.fallback_markdown = "x".repeat(7440)),
        ),
        (
            "repeated id",
            Box::new(|c| {
                let input = c.content["body"][0].clone();
                c.content["body"] = json!([input.clone(), input]);
            }),
        ),
    ];
    for (name, breaks) in broken {
        let mut card = good();
        breaks(&mut card);
        assert_eq!(
            card.rule_violations().len(),
            1,
            "{name}: {:?}",
            card.rule_violations()
        );
    }
}

#[test]
fn the_filter_card_for_a_small_inventory_is_exactly_this_json() {
    let inventory = two_accounts();
    let version = inventory_version(&inventory);
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let expires = "1795953600"; // 2026-11-29T12:00:00Z
    let expected = json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.3",
        "body": [
            {"type": "TextBlock", "text": "Narrow a report", "weight": "Bolder",
             "size": "Medium", "wrap": true},
            {"type": "TextBlock", "wrap": true,
             "text": "Pick smart accounts and virtual accounts (none picked means all of them), then a report."},
            {"type": "Input.ChoiceSet", "id": "accounts", "label": "Smart accounts",
             "isMultiSelect": true, "style": "expanded", "choices": [
                {"title": "Acme (acme.com)", "value": "acme.com"},
                {"title": "Big Co (big.example)", "value": "big.example"}]},
            {"type": "Input.ChoiceSet", "id": "vas", "label": "Virtual accounts",
             "isMultiSelect": true, "style": "expanded", "choices": [
                {"title": "DEFAULT (Acme, Big Co)", "value": "DEFAULT"},
                {"title": "Shared, Services (Acme)", "value": "Shared%2C Services"},
                {"title": "Lab (Acme, Big Co)", "value": "Lab"}]},
            {"type": "Input.Number", "id": "days",
             "label": "Days ahead (for expiring licenses and the expirations chart)",
             "isRequired": true, "min": 1, "max": 3650, "value": 30,
             "errorMessage": "Enter a whole number of days from 1 to 3650."},
            {"type": "Input.ChoiceSet", "id": "report", "label": "Report", "isRequired": true,
             "errorMessage": "Pick a report.", "style": "compact", "value": "expiring",
             "choices": [
                {"title": "Licenses that expire within the days above", "value": "expiring"},
                {"title": "Expired licenses", "value": "expired"},
                {"title": "High level status", "value": "status"},
                {"title": "Shortages", "value": "shortages"},
                {"title": "Usage", "value": "usage"},
                {"title": "Architecture mix", "value": "mix"},
                {"title": "Export (CSV file)", "value": "export"},
                {"title": "Virtual accounts", "value": "virtual-accounts"},
                {"title": "Smart accounts", "value": "accounts"},
                {"title": "Rebalance advice for shortages", "value": "rebalance"},
                {"title": "Smart accounts at risk", "value": "at-risk"},
                {"title": "Changes over the days above", "value": "changes"},
                {"title": "Renewal calendar (4 quarters)", "value": "renewals"},
                {"title": "Chart: expirations within the days above", "value": "chart-expirations"},
                {"title": "Chart: architecture mix", "value": "chart-mix"},
                {"title": "Chart: usage", "value": "chart-usage"},
                {"title": "Chart: high level status", "value": "status-chart"}]}
        ],
        "actions": [{"type": "Action.Submit", "title": "Show the report", "data": {
            "slbot_card": "filter",
            "slbot_person": PERSON,
            "slbot_inventory": version,
            "slbot_expires": expires,
            "slbot_action": "run",
            "slbot_mac": naive_mac("filter", PERSON, &version, expires, "run"),
        }}]
    });
    assert_eq!(card.content, expected);
    assert_eq!(card.fallback_markdown, sentences::FILTER_WITHOUT_CARD);
}

#[test]
fn the_help_card_lists_every_command_and_has_ten_buttons_in_two_sets_of_five() {
    let inventory = two_accounts();
    let version = inventory_version(&inventory);
    let card = help_card(&stamp(&inventory), &secret());
    let expires = "1795953600";
    let body = card.content["body"].as_array().cloned().unwrap_or_default();
    assert_eq!(body.len(), 5);
    assert_eq!(
        body[0],
        json!({"type": "TextBlock", "text": "Here is what I can do", "weight": "Bolder",
               "size": "Medium", "wrap": true})
    );
    let titles: Vec<&str> = body[1]["facts"]
        .as_array()
        .map(|facts| facts.iter().filter_map(|f| f["title"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        titles,
        [
            "help",
            "status",
            "accounts",
            "virtual accounts",
            "expired",
            "expire N",
            "shortages",
            "usage",
            "mix",
            "export",
            "rebalance",
            "at risk",
            "renewals",
            "changes",
            "trend LICENSE",
            "chart mix",
            "chart expirations",
            "chart usage",
            "status chart",
            "filter",
            "notify on",
            "notify off",
            "notify status",
            "notify window N",
            "notify test",
            "refresh",
            "sign out",
            "confirm CODE"
        ]
    );
    let button = |title: &str, command: &str| {
        json!({"type": "Action.Submit", "title": title, "data": {
            "slbot_card": "help", "slbot_person": PERSON, "slbot_inventory": version,
            "slbot_expires": expires, "slbot_action": command,
            "slbot_mac": naive_mac("help", PERSON, &version, expires, command)}})
    };
    assert_eq!(
        body[3],
        json!({"type": "ActionSet", "actions": [
            button("Status", "status"),
            button("Expiring in 30 days", "expire 30"),
            button("Expired", "expired"),
            button("Shortages", "shortages"),
            button("Usage", "usage")]})
    );
    assert_eq!(
        body[4],
        json!({"type": "ActionSet", "actions": [
            button("Architecture mix", "mix"),
            button("Export CSV", "export"),
            button("Export XLSX", "export xlsx"),
            button("Filter…", "filter"),
            button("Notifications", "notify status")]})
    );
    assert!(card.content.get("actions").is_none());
    assert_eq!(card.fallback_markdown, crate::help::help_markdown());
}

#[test]
fn a_long_list_of_virtual_accounts_is_capped_with_a_note() {
    let inventory = acme_with_vas(150);
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let body = card.content["body"].as_array().cloned().unwrap_or_default();
    let vas = body
        .iter()
        .find(|b| b["id"] == "vas")
        .cloned()
        .unwrap_or_default();
    assert_eq!(vas["choices"].as_array().map(Vec::len), Some(MAX_CHOICES));
    assert_eq!(vas["style"], "compact");
    // One account: VA titles carry no account name.
    assert_eq!(vas["choices"][0], json!({"title": "VA 0", "value": "VA 0"}));
    assert!(body.iter().any(|b| b["text"]
        == "Showing the first 100 of your 150 virtual accounts. For the others, type the \
            report with va:NAME."));
}

#[test]
fn a_card_for_nobody_with_accounts_offers_only_days_and_report() {
    let inventory = no_accounts();
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let ids: Vec<&str> = card.content["body"]
        .as_array()
        .map(|b| b.iter().filter_map(|i| i["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["days", "report"]);
}

#[test]
fn a_valid_filter_submit_becomes_the_picked_report_over_the_picked_names() {
    let inventory = two_accounts();
    let version = inventory_version(&inventory);
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let inputs = filter_submit(
        &card,
        &[
            ("accounts", json!("acme.com")),
            ("vas", json!("Shared%2C Services,Lab")),
            ("days", json!("90")),
            ("report", json!("expiring")),
        ],
    );
    assert_eq!(
        verify(&inputs, &version, now()),
        Ok(CardRequest {
            card: CardKind::Filter,
            command: Command::Report {
                report: ReportKind::Expiring(days(90)),
                filters: filters(&["acme.com"], &["Shared, Services", "Lab"]),
            },
        })
    );
    // Nothing picked means everything; days may come as a number.
    let inputs = filter_submit(
        &card,
        &[
            ("accounts", json!("")),
            ("days", json!(45)),
            ("report", json!("chart-expirations")),
        ],
    );
    assert_eq!(
        verify(&inputs, &version, now()).map(|r| r.command),
        Ok(Command::Chart {
            chart: ChartKind::Expirations(Horizon::Days(days(45))),
            filters: Filters::none(),
        })
    );
    // The filtered command answers like the typed one.
    let typed = parse("expire 90 account:acme.com va:\"Shared, Services\",Lab");
    let inputs = filter_submit(
        &card,
        &[
            ("accounts", json!("acme.com")),
            ("vas", json!("Shared%2C Services,Lab")),
            ("days", json!("90")),
            ("report", json!("expiring")),
        ],
    );
    match typed {
        Ok(typed) => assert_eq!(
            verify(&inputs, &version, now()).map(|r| r.command),
            Ok(typed)
        ),
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn every_report_the_picker_offers_runs_as_that_command() {
    let inventory = two_accounts();
    let version = inventory_version(&inventory);
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let picks: Vec<String> = card.content["body"][5]["choices"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["value"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(picks.len(), 17);
    let f = || filters(&["big.example"], &[]);
    for pick in picks {
        let inputs = filter_submit(
            &card,
            &[
                ("accounts", json!("big.example")),
                ("days", json!("7")),
                ("report", json!(pick)),
            ],
        );
        let expected = match pick.as_str() {
            "expiring" => Command::Report {
                report: ReportKind::Expiring(days(7)),
                filters: f(),
            },
            "expired" => Command::report(ReportKind::Expired, f()),
            "status" => Command::report(ReportKind::Status, f()),
            "shortages" => Command::report(ReportKind::Shortages, f()),
            "usage" => Command::report(ReportKind::Usage, f()),
            "mix" => Command::report(ReportKind::Mix, f()),
            "export" => Command::Export {
                format: ExportFormat::Csv,
                filters: f(),
            },
            "virtual-accounts" => Command::report(ReportKind::VirtualAccounts, f()),
            "accounts" => Command::report(ReportKind::Accounts, f()),
            "rebalance" => Command::report(ReportKind::Rebalance, f()),
            "at-risk" => Command::report(ReportKind::AtRisk, f()),
            "changes" => Command::Changes {
                window: slbot_inventory::history::Window::Days(7),
                filters: f(),
            },
            "renewals" => Command::report(ReportKind::Renewals(Calendar::DEFAULT), f()),
            "chart-expirations" => Command::Chart {
                chart: ChartKind::Expirations(Horizon::Days(days(7))),
                filters: f(),
            },
            "chart-mix" => Command::chart(ChartKind::Mix, f()),
            "chart-usage" => Command::chart(ChartKind::Usage, f()),
            "status-chart" => Command::chart(ChartKind::Status, f()),
            other => panic!("unexpected report {other}"),
        };
        assert_eq!(
            verify(&inputs, &version, now()).map(|r| r.command),
            Ok(expected),
            "{pick}"
        );
    }
}

#[test]
fn a_help_button_runs_its_command() {
    let inventory = two_accounts();
    let version = inventory_version(&inventory);
    let card = help_card(&stamp(&inventory), &secret());
    for (title, command) in [
        (
            "Expiring in 30 days",
            Command::Report {
                report: ReportKind::Expiring(days(30)),
                filters: Filters::none(),
            },
        ),
        (
            "Export XLSX",
            Command::Export {
                format: ExportFormat::Xlsx,
                filters: Filters::none(),
            },
        ),
        ("Filter…", Command::Filter),
        ("Notifications", Command::NotifyStatus),
    ] {
        assert_eq!(
            verify(&help_button(&card, title), &version, now()),
            Ok(CardRequest {
                card: CardKind::Help,
                command
            }),
            "{title}"
        );
    }
    // The help card names no inventory items, so a changed inventory does not matter.
    assert_eq!(
        verify(&help_button(&card, "Status"), "another-version", now()).map(|r| r.command),
        Ok(Command::report(ReportKind::Status, Filters::none()))
    );
}

#[test]
fn forged_or_tampered_submits_are_refused() {
    let inventory = two_accounts();
    let version = inventory_version(&inventory);
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let valid = filter_submit(
        &card,
        &[("days", json!("30")), ("report", json!("expired"))],
    );
    assert!(verify(&valid, &version, now()).is_ok());

    let mut flipped = valid.clone();
    let mac = valid["slbot_mac"].as_str().unwrap_or_default();
    let last = if mac.ends_with('0') { "1" } else { "0" };
    flipped["slbot_mac"] = json!(format!("{}{last}", &mac[..mac.len() - 1]));
    assert_eq!(verify(&flipped, &version, now()), Err(CardRefusal::Forged));

    let mut not_hex = valid.clone();
    not_hex["slbot_mac"] = json!("zz");
    assert_eq!(verify(&not_hex, &version, now()), Err(CardRefusal::Forged));

    let mut short = valid.clone();
    short["slbot_mac"] = json!(&mac[..32]);
    assert_eq!(verify(&short, &version, now()), Err(CardRefusal::Forged));

    // Moving the card to another person, a later expiry or another card kind breaks the MAC.
    for (key, value) in [
        ("slbot_person", json!(OTHER_PERSON)),
        ("slbot_expires", json!("1893456000")),
        ("slbot_card", json!("help")),
        ("slbot_inventory", json!("0000")),
        ("slbot_action", json!("status")),
    ] {
        let mut tampered = valid.clone();
        tampered[key] = value;
        assert_eq!(
            verify_submit(&tampered, OTHER_PERSON, &version, now(), &secret()),
            Err(CardRefusal::Forged),
            "{key}"
        );
    }

    // Signed with another secret.
    let other = filter_card(
        &inventory,
        &stamp(&inventory),
        &SecretString::from("other".to_string()),
    );
    let inputs = filter_submit(
        &other,
        &[("days", json!("30")), ("report", json!("expired"))],
    );
    assert_eq!(verify(&inputs, &version, now()), Err(CardRefusal::Forged));
}

#[test]
fn a_card_pressed_by_someone_else_is_refused() {
    let inventory = two_accounts();
    let version = inventory_version(&inventory);
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let inputs = filter_submit(
        &card,
        &[("days", json!("30")), ("report", json!("expired"))],
    );
    assert_eq!(
        verify_submit(&inputs, OTHER_PERSON, &version, now(), &secret()),
        Err(CardRefusal::NotYours)
    );
    let help = help_card(&stamp(&inventory), &secret());
    assert_eq!(
        verify_submit(
            &help_button(&help, "Status"),
            OTHER_PERSON,
            &version,
            now(),
            &secret()
        ),
        Err(CardRefusal::NotYours)
    );
}

#[test]
fn a_card_works_until_its_expiry_and_not_a_second_later() {
    let inventory = two_accounts();
    let version = inventory_version(&inventory);
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let inputs = filter_submit(
        &card,
        &[("days", json!("30")), ("report", json!("expired"))],
    );
    let expiry = now() + Duration::hours(24);
    assert!(verify(&inputs, &version, expiry).is_ok());
    let refused = verify(&inputs, &version, expiry + Duration::seconds(1));
    assert_eq!(
        refused,
        Err(CardRefusal::Expired {
            card: CardKind::Filter
        })
    );
    assert_eq!(
        refused.err().and_then(|r| r.fresh_card()),
        Some(CardKind::Filter)
    );
    let help = help_card(&stamp(&inventory), &secret());
    assert_eq!(
        verify(
            &help_button(&help, "Usage"),
            &version,
            expiry + Duration::seconds(1)
        ),
        Err(CardRefusal::Expired {
            card: CardKind::Help
        })
    );
}

#[test]
fn a_filter_card_from_before_the_inventory_changed_asks_for_a_fresh_card() {
    let old = two_accounts();
    let card = filter_card(&old, &stamp(&old), &secret());
    let inputs = filter_submit(
        &card,
        &[("days", json!("30")), ("report", json!("expired"))],
    );
    let new = acme_with_vas(3);
    let refused = verify(&inputs, &inventory_version(&new), now());
    assert_eq!(refused, Err(CardRefusal::InventoryChanged));
    assert_eq!(
        refused.err().and_then(|r| r.fresh_card()),
        Some(CardKind::Filter)
    );
}

#[test]
fn missing_or_unreadable_fields_are_refused_naming_the_field() {
    let inventory = two_accounts();
    let version = inventory_version(&inventory);
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let valid = filter_submit(
        &card,
        &[("days", json!("30")), ("report", json!("expired"))],
    );
    for key in [
        "slbot_card",
        "slbot_person",
        "slbot_inventory",
        "slbot_expires",
        "slbot_action",
        "slbot_mac",
        "report",
        "days",
    ] {
        let mut missing = valid.clone();
        if let Some(o) = missing.as_object_mut() {
            o.remove(key);
        }
        let expected = CardRefusal::Unreadable { field: key };
        assert_eq!(verify(&missing, &version, now()), Err(expected), "{key}");
    }
    assert_eq!(
        verify(&json!("not an object"), &version, now()),
        Err(CardRefusal::Unreadable {
            field: "slbot_card"
        })
    );
    let with = |key: &str, value: Value| {
        let mut inputs = valid.clone();
        inputs[key] = value;
        verify(&inputs, &version, now())
    };
    assert_eq!(with("days", json!("0")), Err(CardRefusal::DaysOutOfRange));
    assert_eq!(
        with("days", json!("3651")),
        Err(CardRefusal::DaysOutOfRange)
    );
    assert_eq!(with("days", json!("2.5")), Err(CardRefusal::DaysOutOfRange));
    assert_eq!(with("days", json!("")), Err(CardRefusal::DaysOutOfRange));
    assert_eq!(
        with("report", json!("refresh")),
        Err(CardRefusal::Unreadable { field: "report" })
    );
    assert_eq!(
        with("vas", json!("Lab%zz")),
        Err(CardRefusal::Unreadable { field: "vas" })
    );
    assert_eq!(
        with("accounts", json!(["acme.com"])),
        Err(CardRefusal::Unreadable { field: "accounts" })
    );
}

#[test]
fn every_refusal_has_a_sentence_that_says_what_to_do() {
    let table = [
        (
            CardRefusal::Unreadable { field: "days" },
            "Sorry, I couldn't read what that card sent. Type `filter` or `help` for a fresh card.",
        ),
        (
            CardRefusal::Forged,
            "Sorry, I can't use that card: it isn't one I made for you. Type `filter` or `help` \
             for a fresh card.",
        ),
        (
            CardRefusal::NotYours,
            "That card was made for someone else, so I can't run it for you. Type `filter` or \
             `help` to get your own.",
        ),
        (
            CardRefusal::Expired {
                card: CardKind::Help,
            },
            "That card has expired. Here is a fresh one.",
        ),
        (
            CardRefusal::InventoryChanged,
            "Your accounts changed since I made that card, so its choices may be out of date. \
             Here is a fresh one.",
        ),
        (
            CardRefusal::DaysOutOfRange,
            "The number of days must be a whole number from 1 to 3650. Please try the card again.",
        ),
    ];
    for (refusal, sentence) in table {
        assert_eq!(sentences::card_refusal(&refusal), sentence);
    }
}

/// SHA-256 over the documented fields, first 16 bytes in hex.
fn naive_version(records: u64, accounts: &[(&str, &[&str])]) -> String {
    let mut bytes = b"slbot-inventory/1".to_vec();
    bytes.extend_from_slice(&records.to_be_bytes());
    for (domain, vas) in accounts {
        bytes.extend_from_slice(&(domain.len() as u64).to_be_bytes());
        bytes.extend_from_slice(domain.as_bytes());
        bytes.extend_from_slice(&(vas.len() as u64).to_be_bytes());
        for va in *vas {
            bytes.extend_from_slice(&(va.len() as u64).to_be_bytes());
            bytes.extend_from_slice(va.as_bytes());
        }
    }
    hex::encode(&Sha256::digest(&bytes)[..16])
}

#[test]
fn the_inventory_version_is_a_hash_of_domains_vas_and_record_count() {
    assert_eq!(
        inventory_version(&two_accounts()),
        naive_version(
            5,
            &[
                ("acme.com", &["DEFAULT", "Shared, Services", "Lab"]),
                ("big.example", &["DEFAULT", "lab "]),
            ]
        )
    );
    assert_eq!(
        inventory_version(&two_accounts()),
        inventory_version(&two_accounts())
    );
    assert_eq!(inventory_version(&two_accounts()).len(), 32);
    assert_ne!(
        inventory_version(&acme_with_vas(2)),
        inventory_version(&acme_with_vas(3))
    );
    assert_eq!(inventory_version(&no_accounts()), naive_version(0, &[]));
}

#[test]
fn the_filter_card_is_offered_after_an_unfiltered_report_at_most_hourly_to_people_with_much() {
    let many = two_accounts(); // two accounts
    let six = acme_with_vas(6);
    let five = acme_with_vas(5);
    let report = Command::report(ReportKind::Expired, Filters::none());
    let t = now();
    let hour = Duration::hours(1);
    type Case<'a> = (&'a str, &'a Inventory, Command, Option<DateTime<Utc>>, bool);
    let table: Vec<Case<'_>> = vec![
        (
            "two accounts, never offered",
            &many,
            report.clone(),
            None,
            true,
        ),
        ("six VAs in one account", &six, report.clone(), None, true),
        (
            "five VAs in one account",
            &five,
            report.clone(),
            None,
            false,
        ),
        (
            "offered 59 minutes ago",
            &many,
            report.clone(),
            Some(t - hour + Duration::minutes(1)),
            false,
        ),
        (
            "offered an hour ago",
            &many,
            report.clone(),
            Some(t - hour),
            true,
        ),
        (
            "filtered",
            &many,
            Command::report(ReportKind::Expired, filters(&[], &["Lab"])),
            None,
            false,
        ),
        (
            "chart",
            &many,
            Command::chart(ChartKind::Mix, Filters::none()),
            None,
            true,
        ),
        (
            "status",
            &many,
            Command::report(ReportKind::Status, Filters::none()),
            None,
            true,
        ),
        (
            "accounts list",
            &many,
            Command::report(ReportKind::Accounts, Filters::none()),
            None,
            false,
        ),
        (
            "VA list",
            &many,
            Command::report(ReportKind::VirtualAccounts, Filters::none()),
            None,
            false,
        ),
        (
            "export",
            &many,
            Command::Export {
                format: ExportFormat::Csv,
                filters: Filters::none(),
            },
            None,
            false,
        ),
        ("help", &many, Command::Help, None, false),
        ("filter", &many, Command::Filter, None, false),
        ("notify", &many, Command::NotifyStatus, None, false),
    ];
    for (name, inventory, command, last, expected) in table {
        assert_eq!(
            should_offer_filter_card(inventory, &command, last, t),
            expected,
            "{name}"
        );
    }
}

#[test]
fn the_picker_offers_every_command_that_takes_filters_exactly_once() {
    let inventory = two_accounts();
    let card = filter_card(&inventory, &stamp(&inventory), &secret());
    let picks: Vec<&str> = card.content["body"][5]["choices"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["value"].as_str()).collect())
        .unwrap_or_default();
    // `trend` takes filters but also a license name, which the card has no field for.
    let pickable = || {
        crate::COMMANDS
            .iter()
            .filter(|s| s.takes_filters && s.name != "trend")
    };
    for spec in pickable() {
        let offered = picks.iter().filter(|p| **p == spec.name).count();
        assert_eq!(offered, 1, "{}", spec.name);
    }
    assert_eq!(picks.len(), pickable().count());
}
