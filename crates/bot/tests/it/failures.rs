//! Everything that can go wrong on the way to an answer ends in a sentence the person can act
//! on (reports.md §4), never in silence.

use secrecy::SecretString;
use serde_json::json;

use crate::harness::{
    now, only, spawn_app, spawn_app_with, Backend, Options, BACKEND_SECRET, UNKNOWN_CSSM_TOKEN,
};
use crate::naive::headline;

const SIGN_IN: &str = "To read your licenses I need you to sign in: [Sign in with Cisco](";
const CSSM_REFUSED: &str =
    "Cisco Smart Software Manager refused your sign-in. Please sign in again: [Sign in with Cisco](";
const CSSM_DOWN: &str =
    "Cisco Smart Software Manager is not answering right now. Please try again in a few minutes.";
const SERVICE_DOWN: &str =
    "I can't reach the sign-in service right now. Please try again in a few minutes. (ref ";

/// The `t=` of the link at the end of a sign-in sentence, checked with the signing crate.
fn link_person(reply: &str) -> String {
    let link = reply
        .rsplit_once("](")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no link in {reply}"));
    let token = link
        .strip_prefix("https://signin.example.com/login?t=")
        .unwrap_or_else(|| panic!("unexpected link {link}"));
    slbot_signing::verify_login_token(
        &SecretString::from(BACKEND_SECRET.to_string()),
        token,
        now(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_person_who_is_not_signed_in_gets_a_link_bound_to_them_and_no_fetch_happens() {
    let app = spawn_app().await;
    let eve = app.person("eve").await;
    let room = app.direct(&eve).await;
    let replies = app.say(&eve, &room, "expire 30").await;
    let reply = &only(&replies).markdown;
    assert!(reply.starts_with(SIGN_IN), "{reply}");
    assert_eq!(link_person(reply), eve.id);
    assert_eq!(app.cssm_requests().await, 0);
}

#[tokio::test]
async fn a_sign_in_service_that_is_down_refuses_us_or_signs_badly_is_reported_with_a_ref_and_no_fetch(
) {
    for backend in [
        Backend::Down,
        Backend::OtherSecret,
        Backend::BadResponseSignature,
    ] {
        let app = spawn_app_with(Options {
            backend,
            ..Options::default()
        })
        .await;
        let alice = app.signed_in("alice", 0).await;
        let room = app.direct(&alice).await;
        let replies = app.say(&alice, &room, "usage").await;
        let reply = &only(&replies).markdown;
        let reference = reply
            .strip_prefix(SERVICE_DOWN)
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{backend:?}: {reply}"));
        assert!(
            !reference.is_empty() && reference.bytes().all(|b| b.is_ascii_hexdigit()),
            "{backend:?}: {reply}"
        );
        assert_eq!(app.cssm_requests().await, 0, "{backend:?}");
    }
}

#[tokio::test]
async fn a_token_that_cssm_refuses_gets_the_sign_in_again_sentence() {
    let app = spawn_app().await;
    let alice = app.person("alice").await;
    app.sign_in(&alice, UNKNOWN_CSSM_TOKEN).await;
    let room = app.direct(&alice).await;
    let replies = app.say(&alice, &room, "expired").await;
    let reply = &only(&replies).markdown;
    assert!(reply.starts_with(CSSM_REFUSED), "{reply}");
    assert_eq!(link_person(reply), alice.id);
    assert!(app.cssm_requests().await > 0);
}

#[tokio::test]
async fn cssm_failing_every_request_gets_the_not_answering_sentence() {
    let app = spawn_app().await;
    app.cssm_faults(json!({"failEvery": 1})).await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let replies = app.say(&alice, &room, "shortages").await;
    assert_eq!(only(&replies).markdown, CSSM_DOWN);
    // Every request was retried before giving up.
    assert!(app.cssm_requests().await >= 2);
}

#[tokio::test]
async fn a_rate_limit_storm_while_replying_delays_the_reply_but_does_not_lose_it() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    app.webex_faults(json!({"rateLimitEvery": 2, "retryAfter": "0", "paths": "/v1/messages"}))
        .await;
    let replies = app.say(&alice, &room, "usage").await;
    assert_eq!(
        only(&replies).headline(),
        headline::usage(app.dataset.usage(0))
    );
    let stats = app.webex.state().stats();
    assert!(stats.injected_429 >= 1, "{stats:?}");
    assert!(!app.clock.waits().is_empty());
}

#[tokio::test]
async fn sign_out_forgets_the_login_and_says_so() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let replies = app.say(&alice, &room, "sign out").await;
    assert_eq!(
        only(&replies).markdown,
        "You're signed out: I no longer have access to your licenses. Send me any command to sign in again."
    );
    let replies = app.say(&alice, &room, "expired").await;
    assert!(only(&replies).markdown.starts_with(SIGN_IN));
    let replies = app.say(&alice, &room, "log out").await;
    assert_eq!(
        only(&replies).markdown,
        "You weren't signed in, so there was nothing to forget."
    );
}

#[tokio::test]
async fn confirm_with_a_wrong_code_sends_a_new_link_and_the_right_code_completes_the_sign_in() {
    let app = spawn_app().await;
    let alice = app.person("alice").await;
    app.pending_sign_in(&alice, crate::harness::CSSM_TOKENS[0], "482913")
        .await;
    let room = app.direct(&alice).await;

    let replies = app.say(&alice, &room, "confirm 111111").await;
    let reply = &only(&replies).markdown;
    assert!(
        reply.starts_with("That code doesn't match a sign-in waiting for you"),
        "{reply}"
    );
    assert_eq!(link_person(reply), alice.id);

    let replies = app.say(&alice, &room, "confirm 482913").await;
    assert_eq!(
        only(&replies).markdown,
        "Thanks, your sign-in is confirmed. Try `expire 30`."
    );
    let replies = app.say(&alice, &room, "accounts").await;
    assert_eq!(
        only(&replies).headline(),
        headline::accounts(app.dataset.account_names(0).len())
    );
}

#[tokio::test]
async fn a_person_outside_the_allowed_domains_is_refused_in_place_without_a_fetch() {
    let app = spawn_app_with(Options {
        env: vec![("SLBOT_ALLOWED_EMAIL_DOMAINS", "partner.example".to_string())],
        ..Options::default()
    })
    .await;
    let outsider = app.person("mallory@elsewhere.example").await;
    app.sign_in(&outsider, crate::harness::CSSM_TOKENS[0]).await;
    let room = app.direct(&outsider).await;
    let replies = app.say(&outsider, &room, "accounts").await;
    assert_eq!(
        only(&replies).markdown,
        "Sorry, this bot is not available to your organization."
    );
    assert_eq!(app.cssm_requests().await, 0);

    let insider = app.person("pat@partner.example").await;
    app.sign_in(&insider, crate::harness::CSSM_TOKENS[1]).await;
    let room = app.direct(&insider).await;
    let replies = app.say(&insider, &room, "accounts").await;
    assert_eq!(
        only(&replies).headline(),
        headline::accounts(app.dataset.account_names(1).len())
    );
}
