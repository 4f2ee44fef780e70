//! Cards as a person meets them: the help card, the filter card, pressing their buttons
//! (through the Webex simulator's `/_sim/submit`), and the submits the bot must refuse.

use serde_json::{json, Value};
use slbot_chat::cards::content_rule_violations;

use crate::harness::{
    now, only, spawn_app, spawn_app_with, Options, Person, Posted, TestApp, CSSM_TOKENS,
};
use crate::naive::headline;

const HELP_HEADLINE: &str = "**Here is what I can do:**";
const GROUP_NOTE: &str = "I sent you the answer in our 1:1 space.";
const NOT_YOURS: &str = "That card was made for someone else, so I can't run it for you. Type \
     `filter` or `help` to get your own.";
const FORGED: &str = "Sorry, I can't use that card: it isn't one I made for you. Type `filter` \
     or `help` for a fresh card.";
const EXPIRED: &str = "That card has expired. Here is a fresh one.";
const CHANGED: &str = "Your accounts changed since I made that card, so its choices may be out \
     of date. Here is a fresh one.";

/// The one message of `messages`, which must carry a card that follows the Webex card rules.
fn only_card(messages: &[Posted]) -> &Posted {
    let message = only(messages);
    let card = message.card.as_ref().expect("a card");
    assert_eq!(content_rule_violations(card), Vec::<String>::new());
    assert!(!message.markdown.trim().is_empty(), "a markdown fallback");
    message
}

/// Says `filter` in a 1:1 space and returns the one message the bot answers with.
async fn filter_card(app: &TestApp, person: &Person, room: &str) -> Posted {
    let said = app.post(person, room, "filter", false, None).await;
    app.settle().await;
    let card = only_card(&app.all_bot_messages(room, said.seq).await).clone();
    assert!(card.is_filter_card(), "{card:#?}");
    card
}

/// The values offered by the card's choice set `id`.
fn choice_values(card: &Posted, id: &str) -> Vec<String> {
    card.card.as_ref().expect("a card")["body"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["id"] == id)
        .flat_map(|e| e["choices"].as_array().cloned().unwrap_or_default())
        .map(|c| c["value"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The `data` of the help card button that runs `command`.
fn help_button(card: &Posted, command: &str) -> Value {
    fn find(v: &Value, command: &str) -> Option<Value> {
        match v {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("Action.Submit")
                    && map["data"]["slbot_action"] == command
                {
                    return map.get("data").cloned();
                }
                map.values().find_map(|v| find(v, command))
            }
            Value::Array(items) => items.iter().find_map(|v| find(v, command)),
            _ => None,
        }
    }
    find(card.card.as_ref().expect("a card"), command).expect("the button")
}

#[tokio::test]
async fn help_is_the_help_card_in_a_one_to_one_space_and_in_place_in_a_group() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let bob = app.person("bob").await;
    let direct = app.direct(&alice).await;

    let replies = app.say(&alice, &direct, "help").await;
    let card = only_card(&replies);
    assert_eq!(
        card.headline(),
        HELP_HEADLINE,
        "the fallback is the help text"
    );

    let group = app.group("Ops", &[&alice, &bob]).await;
    let said = app.say_in_group(&alice, &group, "help").await;
    let card = only_card(&app.all_bot_messages(&group, said.seq).await).clone();
    assert_eq!(card.headline(), HELP_HEADLINE);
    // Nothing personal was read for it.
    assert_eq!(app.cssm_requests().await, 0);
}

#[tokio::test]
async fn filter_posts_the_filter_card_with_the_persons_accounts_in_the_one_to_one_space() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let bob = app.person("bob").await;
    let group = app.group("Ops", &[&alice, &bob]).await;

    let said = app.say_in_group(&alice, &group, "filter").await;
    assert_eq!(
        only(&app.all_bot_messages(&group, said.seq).await).markdown,
        GROUP_NOTE
    );
    let direct = app.direct(&alice).await;
    let card = only_card(&app.all_bot_messages(&direct, 0).await).clone();
    assert!(card.is_filter_card());
    let mut offered = choice_values(&card, "accounts");
    let mut expected: Vec<String> = app
        .dataset
        .accounts_of(0)
        .iter()
        .map(|a| a["accountDomain"].as_str().unwrap().to_string())
        .collect();
    offered.sort();
    expected.sort();
    assert_eq!(offered, expected);
}

#[tokio::test]
async fn a_filter_card_submit_answers_the_chosen_report_in_the_one_to_one_space() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;
    let card = filter_card(&app, &alice, &direct).await;

    let before = app.last_seq().await;
    app.submit(&alice, &card, json!({"report": "expiring", "days": "45"}))
        .await;
    let replies = app.all_bot_messages(&direct, before).await;
    let expected = headline::expiring(app.dataset.expiring(0, now(), 45), 45);
    // No second filter card: one was just posted.
    assert_eq!(only(&replies).headline(), expected);
}

#[tokio::test]
async fn a_help_card_button_in_a_group_runs_its_command_like_a_typed_one() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let bob = app.person("bob").await;
    let group = app.group("Ops", &[&alice, &bob]).await;
    let said = app.say_in_group(&alice, &group, "help").await;
    let card = only_card(&app.all_bot_messages(&group, said.seq).await).clone();

    let before = app.last_seq().await;
    let action = app
        .control_submit(&alice, &card, help_button(&card, "status"))
        .await;
    assert_eq!(action["personId"], alice.id.as_str());
    assert_eq!(
        only(&app.all_bot_messages(&group, before).await).markdown,
        GROUP_NOTE
    );
    let direct = app.direct(&alice).await;
    assert_eq!(
        only(&app.bot_messages(&direct, before).await).headline(),
        headline::STATUS
    );
}

#[tokio::test]
async fn someone_else_pressing_a_card_is_refused_and_sees_nothing_of_the_recipient() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let bob = app.signed_in("bob", 1).await;
    let group = app.group("Ops", &[&alice, &bob]).await;
    let said = app.say_in_group(&alice, &group, "help").await;
    let card = only_card(&app.all_bot_messages(&group, said.seq).await).clone();

    let before = app.last_seq().await;
    app.control_submit(&bob, &card, help_button(&card, "status"))
        .await;
    assert_eq!(
        only(&app.all_bot_messages(&group, before).await).markdown,
        NOT_YOURS
    );
    for person in [&alice, &bob] {
        let direct = app.direct(person).await;
        assert_eq!(app.all_bot_messages(&direct, before).await.len(), 0);
    }
    // Refused before anyone's licenses were read.
    assert_eq!(app.cssm_requests().await, 0);
}

#[tokio::test]
async fn a_card_with_a_tampered_stamp_is_refused_as_not_made_by_the_bot() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;
    let card = filter_card(&app, &alice, &direct).await;
    let requests = app.cssm_requests().await;

    let before = app.last_seq().await;
    app.submit(
        &alice,
        &card,
        json!({"report": "expired", "days": "30", "slbot_expires": "9999999999"}),
    )
    .await;
    assert_eq!(
        only(&app.all_bot_messages(&direct, before).await).markdown,
        FORGED
    );
    assert_eq!(app.cssm_requests().await, requests);
}

#[tokio::test]
async fn a_filter_card_from_before_the_accounts_changed_is_replaced_by_a_fresh_one() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;
    let stale = filter_card(&app, &alice, &direct).await;

    // Alice signs in again with another login: other accounts.
    app.sign_in(&alice, CSSM_TOKENS[1]).await;
    let before = app.last_seq().await;
    app.submit(&alice, &stale, json!({"report": "expired", "days": "30"}))
        .await;

    let replies = app.all_bot_messages(&direct, before).await;
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert_eq!(replies[0].markdown, CHANGED);
    let fresh = only_card(&replies[1..]);
    assert!(fresh.is_filter_card());
    let mut offered = choice_values(fresh, "accounts");
    let mut expected: Vec<String> = app
        .dataset
        .accounts_of(1)
        .iter()
        .map(|a| a["accountDomain"].as_str().unwrap().to_string())
        .collect();
    offered.sort();
    expected.sort();
    assert_eq!(offered, expected);
    // The stale card is gone from the space.
    assert!(app.messages(&direct).await.iter().all(|m| m.id != stale.id));
}

#[tokio::test]
async fn an_unfiltered_report_is_followed_by_the_filter_card_at_most_once_an_hour() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;

    let said = app.post(&alice, &direct, "expired", false, None).await;
    app.settle().await;
    let replies = app.all_bot_messages(&direct, said.seq).await;
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert_eq!(
        replies[0].headline(),
        headline::expired(app.dataset.expired(0, now()))
    );
    assert!(replies[1].is_filter_card());

    let said = app.post(&alice, &direct, "shortages", false, None).await;
    app.settle().await;
    let replies = app.all_bot_messages(&direct, said.seq).await;
    assert_eq!(
        only(&replies).headline(),
        headline::shortages(app.dataset.shortages(0))
    );
}

#[tokio::test]
async fn chart_mix_arrives_as_a_png_file_in_the_one_to_one_space() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;

    let replies = app.say(&alice, &direct, "chart mix").await;
    let chart = only(&replies);
    assert!(chart.markdown.starts_with("**"), "{}", chart.markdown);
    assert_eq!(chart.files.len(), 1, "{chart:#?}");
    let (url, filename, content_type) = &chart.files[0];
    assert_eq!(content_type, "image/png");
    assert!(filename.ends_with(".png"), "{filename}");
    let bytes = app.download(url, &alice).await;
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
}

#[tokio::test]
async fn an_expired_help_card_is_replaced_by_a_fresh_one_and_runs_nothing() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;
    let old = only_card(&app.say(&alice, &direct, "help").await).clone();

    // Cards work for 24 hours.
    app.clock.advance(chrono::Duration::hours(25));
    let before = app.last_seq().await;
    app.control_submit(&alice, &old, help_button(&old, "status"))
        .await;

    let replies = app.all_bot_messages(&direct, before).await;
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert_eq!(replies[0].markdown, EXPIRED);
    assert_eq!(only_card(&replies[1..]).headline(), HELP_HEADLINE);
    assert!(app.messages(&direct).await.iter().all(|m| m.id != old.id));
    assert_eq!(app.cssm_requests().await, 0, "no report was run");
}

#[tokio::test]
async fn under_an_email_domain_policy_a_card_submit_of_an_allowed_person_is_answered() {
    // Card submits carry no e-mail (webex-api.md), so the bot must look the person up rather
    // than refuse everyone.
    let app = spawn_app_with(Options {
        env: vec![("SLBOT_ALLOWED_EMAIL_DOMAINS", "example.com".to_string())],
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;
    let card = filter_card(&app, &alice, &direct).await;

    let before = app.last_seq().await;
    app.submit(&alice, &card, json!({"report": "expiring", "days": "45"}))
        .await;
    let replies = app.all_bot_messages(&direct, before).await;
    let expected = headline::expiring(app.dataset.expiring(0, now(), 45), 45);
    assert_eq!(only(&replies).headline(), expected);
}
