//! Notifications through the bot: the `notify …` commands and scheduled digests, with the
//! bot store in a temporary SQLite file and the bot's clock pinned.

use std::time::Duration;

use chrono::TimeZone;

use crate::harness::{now, only, spawn_app, spawn_app_with, Options};

const GROUP_NOTE: &str = "I sent you the answer in our 1:1 space.";
/// The digest's headline (the notification crate's render module), written out again.
const DIGEST_HEADLINE: &str = "**Your license digest: here is what changed.**";

/// `now()` is Monday 2026-03-02 12:00 UTC, so 08:00 daily is next due Tuesday 08:00.
const ON_REPLY: &str = "Notifications are on: every day at 08:00 (UTC), about licenses that \
     expire in the next 30 days. Type `notify off` to stop them. Digests also list newly \
     expired licenses and new or growing shortages, and come only when something changed. The \
     next one is due Tue 2026-03-03 08:00 UTC.";
const STATUS_REPLY: &str = "Notifications are on: every day at 08:00 (UTC), about licenses \
     that expire in the next 30 days. Type `notify off` to stop them or `notify window N` to \
     look N days ahead. Next digest: Tue 2026-03-03 08:00 UTC.";

fn tuesday_at(hour: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc
        .with_ymd_and_hms(2026, 3, 3, hour, 0, 0)
        .single()
        .unwrap()
}

#[tokio::test]
async fn notify_on_daily_at_eight_says_when_the_first_digest_comes_and_status_repeats_it() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;
    assert_eq!(now().to_rfc3339(), "2026-03-02T12:00:00+00:00");

    let replies = app.say(&alice, &direct, "notify on daily at 08:00").await;
    assert_eq!(only(&replies).markdown, ON_REPLY);
    let replies = app.say(&alice, &direct, "notify status").await;
    assert_eq!(only(&replies).markdown, STATUS_REPLY);
}

#[tokio::test]
async fn a_subscriber_from_a_group_gets_the_reply_and_the_digest_in_their_one_to_one_space() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let bob = app.person("bob").await;
    let group = app.group("Ops", &[&alice, &bob]).await;

    let said = app
        .say_in_group(&alice, &group, "notify on daily at 08:00")
        .await;
    assert_eq!(
        only(&app.bot_messages(&group, said.seq).await).markdown,
        GROUP_NOTE
    );
    let direct = app.direct(&alice).await;
    assert_eq!(only(&app.bot_messages(&direct, 0).await).markdown, ON_REPLY);
    let before = app.last_seq().await;

    // Not due yet at 07:00, due at 08:00 the next day.
    let early = app
        .bot_handle
        .notification_pass(tuesday_at(7))
        .await
        .unwrap();
    assert_eq!(early.due, 0);
    let pass = app
        .bot_handle
        .notification_pass(tuesday_at(8))
        .await
        .unwrap();
    assert_eq!(pass.digests, vec![alice.id.clone()], "{pass:?}");
    let digest = only(&app.bot_messages(&direct, before).await).clone();
    assert_eq!(digest.headline(), DIGEST_HEADLINE);
    // Nothing of Alice's reaches the group.
    assert_eq!(app.bot_messages(&group, said.seq).await.len(), 1);
}

#[tokio::test]
async fn the_scheduler_the_bot_serves_sends_the_digest_when_the_clock_reaches_it() {
    let app = spawn_app_with(Options {
        // Not much shorter: a pass that writes while `notify on` runs can make the notify
        // crate's SQLite store answer "busy" (its read-then-write transactions are deferred).
        tweak: |s| s.notify_pass_every = Duration::from_millis(100),
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;
    let replies = app.say(&alice, &direct, "notify on daily at 08:00").await;
    assert_eq!(only(&replies).markdown, ON_REPLY);
    let before = app.last_seq().await;

    app.clock.set(tuesday_at(8));
    let digest = app.next_bot_message(&direct, before).await;
    assert_eq!(digest.headline(), DIGEST_HEADLINE);
    // `/metrics` counts it once the pass is over.
    let line = r#"slbot_notify_subscriptions_total{outcome="digest"} 1"#;
    app.wait_until(|| async {
        let text = app.scrape().await;
        text.lines().any(|l| l == line)
    })
    .await;
}

#[tokio::test]
async fn notify_on_without_a_sign_in_says_to_sign_in_first() {
    let app = spawn_app().await;
    let carol = app.person("carol").await;
    let direct = app.direct(&carol).await;

    let replies = app.say(&carol, &direct, "notify on").await;
    let reply = &only(&replies).markdown;
    assert!(
        reply.starts_with("Notifications are on: every day at 08:00 (UTC)"),
        "{reply}"
    );
    assert!(
        reply.contains(
            "I need you to sign in first: [Sign in with Cisco](https://signin.example.com/login?t="
        ),
        "{reply}"
    );
}

#[tokio::test]
async fn notify_test_reads_the_inventory_the_last_command_fetched_without_asking_cssm_again() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let direct = app.direct(&alice).await;
    app.say(&alice, &direct, "expired").await;
    let requests = app.cssm_requests().await;

    let replies = app.say(&alice, &direct, "notify test").await;
    let reply = &only(&replies).markdown;
    assert!(reply.starts_with("_This is a test: "), "{reply}");
    assert!(reply.contains(DIGEST_HEADLINE), "{reply}");
    assert_eq!(app.cssm_requests().await, requests, "served from the cache");
}
