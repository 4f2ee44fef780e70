//! `POST /alexa` end to end: requests signed by the tests' simulated Alexa (a test CA made in
//! the test binary) to the real bot, which asks the backend's real token API whose Alexa token
//! it is, reads the inventory from the CSSM simulator and posts the details to the person's 1:1
//! space. Expected counts come from [`crate::naive`], never from the code under test.

use serde_json::{json, Value};
use slbot_alexa::sim::{intent, launch, session_ended};

use crate::harness::{now, only, simulated_alexa, spawn_app_with, Options, TestApp};
use crate::naive::headline;

fn alexa_app() -> Options {
    Options {
        alexa: true,
        ..Options::default()
    }
}

/// The text Alexa speaks (SSML without `<speak>`).
fn speech(response: &Value) -> String {
    let ssml = response["response"]["outputSpeech"]["ssml"]
        .as_str()
        .unwrap_or_else(|| panic!("no speech in {response}"));
    ssml.trim_start_matches("<speak>")
        .trim_end_matches("</speak>")
        .replace("&apos;", "'")
}

fn card_type(response: &Value) -> &str {
    response["response"]["card"]["type"].as_str().unwrap_or("")
}

/// A signed-in person (CSSM user 0) whose Alexa is linked; their 1:1 space and Alexa token.
async fn linked(app: &TestApp, name: &str) -> (crate::harness::Person, String, String) {
    let person = app.signed_in(name, 0).await;
    let room = app.direct(&person).await;
    let token = app.link_alexa(&person, &room).await;
    (person, room, token)
}

#[tokio::test]
async fn a_linked_person_asking_how_many_licenses_expired_hears_the_count_and_gets_the_details_in_their_space(
) {
    let app = spawn_app_with(alexa_app()).await;
    let (_, room, token) = linked(&app, "ada").await;
    let expired = app.dataset.expired(0, now());
    assert!(expired > 1, "the dataset must have expired lines");
    let since = app.last_seq().await;

    let (status, response) = app
        .ask_alexa(intent("ExpiredLicensesIntent", &[]), Some(&token))
        .await;

    assert_eq!(status, 200, "{response}");
    let said = speech(&response);
    assert!(
        said.starts_with(&format!("{expired} license lines have expired")),
        "{said}"
    );
    assert!(
        said.ends_with("I've sent the details to your Webex space."),
        "{said}"
    );
    assert_eq!(card_type(&response), "Simple");
    assert_eq!(response["response"]["shouldEndSession"], true);
    let details = app.bot_messages(&room, since).await;
    assert_eq!(only(&details).headline(), headline::expired(expired));
}

#[tokio::test]
async fn expiring_in_three_months_counts_calendar_months_and_the_details_name_the_same_days() {
    let app = spawn_app_with(alexa_app()).await;
    let (_, room, token) = linked(&app, "ada").await;
    // 2026-03-02 + 3 months = 2026-06-02: 31 + 30 + 31 = 92 days.
    let expiring = app.dataset.expiring(0, now(), 92);
    let since = app.last_seq().await;

    let (status, response) = app
        .ask_alexa(
            intent("ExpiringLicensesIntent", &[("period", Some("P3M"))]),
            Some(&token),
        )
        .await;

    assert_eq!(status, 200);
    let said = speech(&response);
    let lines = if expiring == 1 {
        "1 license line expires".to_string()
    } else {
        format!("{expiring} license lines expire")
    };
    assert!(
        said.starts_with(&format!("{lines} in the next 92 days")),
        "{said}"
    );
    let details = app.bot_messages(&room, since).await;
    assert_eq!(only(&details).headline(), headline::expiring(expiring, 92));
}

#[tokio::test]
async fn shortages_and_status_speak_the_counts_of_the_same_reports() {
    let app = spawn_app_with(alexa_app()).await;
    let (_, room, token) = linked(&app, "ada").await;
    let shortages = app.dataset.shortages(0);
    let expired = app.dataset.expired(0, now());
    let expiring = app.dataset.expiring(0, now(), 180);

    let (_, response) = app
        .ask_alexa(intent("ShortagesIntent", &[]), Some(&token))
        .await;
    let said = speech(&response);
    assert!(
        said.starts_with(&format!(
            "{shortages} licenses have more in use than you own."
        )),
        "{said}"
    );

    let since = app.last_seq().await;
    let (_, response) = app
        .ask_alexa(intent("StatusIntent", &[]), Some(&token))
        .await;
    let said = speech(&response);
    assert!(
        said.starts_with(&format!(
            "Here is your status. {expired} license lines have expired, {expiring} expire within 180 days, and {shortages} licenses are short."
        )),
        "{said}"
    );
    let details = app.bot_messages(&room, since).await;
    assert_eq!(only(&details).headline(), headline::STATUS);
    // One fetch served both questions.
    assert_eq!(app.cssm_stats().await["accountListsServed"], 1);
}

#[tokio::test]
async fn a_request_without_a_link_or_with_a_token_the_backend_never_issued_gets_the_link_account_card(
) {
    let app = spawn_app_with(alexa_app()).await;
    for token in [None, Some("never-issued-by-the-backend")] {
        let (status, response) = app.ask_alexa(intent("StatusIntent", &[]), token).await;
        assert_eq!(status, 200);
        assert_eq!(card_type(&response), "LinkAccount", "{response}");
        assert!(speech(&response).contains("link Smart Licensing to your Cisco account"));
    }
    assert_eq!(app.cssm_requests().await, 0);
}

#[tokio::test]
async fn a_person_who_signs_out_in_webex_is_asked_to_link_again() {
    let app = spawn_app_with(alexa_app()).await;
    let (person, room, token) = linked(&app, "ada").await;
    let (_, response) = app
        .ask_alexa(intent("ShortagesIntent", &[]), Some(&token))
        .await;
    assert_eq!(card_type(&response), "Simple");

    app.say(&person, &room, "sign out").await;
    let (_, response) = app
        .ask_alexa(intent("ShortagesIntent", &[]), Some(&token))
        .await;
    assert_eq!(card_type(&response), "LinkAccount", "{response}");
}

#[tokio::test]
async fn launch_help_stop_and_session_end_are_answered_without_anyones_data() {
    let app = spawn_app_with(alexa_app()).await;
    let (_, launched) = app.ask_alexa(launch(), None).await;
    assert!(speech(&launched).starts_with("Welcome to Smart Licensing."));
    assert_eq!(launched["response"]["shouldEndSession"], false);
    let (_, help) = app.ask_alexa(intent("AMAZON.HelpIntent", &[]), None).await;
    assert_eq!(help["response"]["shouldEndSession"], false);
    let (_, stop) = app.ask_alexa(intent("AMAZON.StopIntent", &[]), None).await;
    assert_eq!(speech(&stop), "Goodbye.");
    let (status, ended) = app.ask_alexa(session_ended(), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        ended,
        json!({"version": "1.0", "sessionAttributes": {}, "response": {"shouldEndSession": true}})
    );
    let (_, far) = app
        .ask_alexa(
            intent("ExpiringLicensesIntent", &[("period", Some("P20Y"))]),
            None,
        )
        .await;
    assert!(speech(&far).contains("too far ahead"), "{far}");
    assert_eq!(app.cssm_requests().await, 0);
}

#[tokio::test]
async fn a_tampered_body_a_missing_signature_or_a_stale_request_is_refused_with_400_and_nothing_is_read(
) {
    let app = spawn_app_with(alexa_app()).await;
    let (_, _, token) = linked(&app, "ada").await;
    let alexa = simulated_alexa();
    let body = alexa.envelope(intent("StatusIntent", &[]), Some(&token), now());
    let headers: Vec<(&str, String)> = alexa.headers(&body).into_iter().collect();

    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'S').unwrap();
    tampered[at] = b'T';
    assert_eq!(app.post_alexa(tampered, &headers).await.0, 400);
    assert_eq!(app.post_alexa(body.clone(), &headers[..1]).await.0, 400);
    let stale = alexa.envelope(
        intent("StatusIntent", &[]),
        Some(&token),
        now() - chrono::Duration::seconds(151),
    );
    let stale_headers: Vec<(&str, String)> = alexa.headers(&stale).into_iter().collect();
    assert_eq!(app.post_alexa(stale, &stale_headers).await.0, 400);

    assert_eq!(app.cssm_requests().await, 0);
    let metrics = app
        .http()
        .get(app.bot_url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("slbot_alexa_requests_total{outcome=\"refused\"} 3"),
        "{metrics}"
    );
    // The genuine request still works.
    assert_eq!(app.post_alexa(body, &headers).await.0, 200);
}

#[tokio::test]
async fn without_skill_ids_the_alexa_endpoint_is_not_there() {
    let app = spawn_app_with(Options::default()).await;
    let (status, _) = app.ask_alexa(launch(), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn when_cssm_does_not_answer_alexa_says_so_and_the_space_says_what_to_do() {
    let app = spawn_app_with(alexa_app()).await;
    let (_, room, token) = linked(&app, "ada").await;
    app.cssm_faults(json!({"failEvery": 1})).await;
    let since = app.last_seq().await;
    let (status, response) = app
        .ask_alexa(intent("ExpiredLicensesIntent", &[]), Some(&token))
        .await;
    assert_eq!(status, 200);
    assert!(
        speech(&response).starts_with("Cisco Smart Software Manager is not answering right now"),
        "{response}"
    );
    let replies = app.bot_messages(&room, since).await;
    assert!(
        only(&replies)
            .markdown
            .starts_with("Cisco Smart Software Manager is not answering"),
        "{replies:?}"
    );
}

#[tokio::test]
async fn a_fetch_slower_than_alexa_waits_is_announced_and_its_details_still_reach_the_space() {
    let app = spawn_app_with(Options {
        alexa: true,
        env: vec![("SLBOT_ALEXA_DEADLINE_MS", "200".to_string())],
        cssm_faults: slbot_sim_cssm::FaultSettings {
            latency_ms: 150,
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    let (_, room, token) = linked(&app, "ada").await;
    let expired = app.dataset.expired(0, now());
    let since = app.last_seq().await;
    let (_, response) = app
        .ask_alexa(intent("ExpiredLicensesIntent", &[]), Some(&token))
        .await;
    assert!(
        speech(&response).starts_with("I'm still reading your licenses"),
        "{response}"
    );
    let details = app.next_bot_message(&room, since).await;
    assert_eq!(details.headline(), headline::expired(expired));
}

#[tokio::test]
async fn a_linked_person_outside_the_allowed_email_domains_is_refused_aloud_and_nothing_is_read() {
    let app = spawn_app_with(Options {
        alexa: true,
        env: vec![(
            "SLBOT_ALLOWED_EMAIL_DOMAINS",
            "elsewhere.example".to_string(),
        )],
        ..Options::default()
    })
    .await;
    let (_, _, token) = linked(&app, "ada").await;
    let (status, response) = app
        .ask_alexa(intent("StatusIntent", &[]), Some(&token))
        .await;
    assert_eq!(status, 200);
    assert!(
        speech(&response).starts_with("Your organization is not on this service's list"),
        "{response}"
    );
    assert_eq!(app.cssm_requests().await, 0);
}
