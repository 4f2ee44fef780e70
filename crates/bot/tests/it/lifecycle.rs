//! Time and load: the "please wait" message of a slow fetch, the busy answer when the queue
//! is full, and a shutdown that finishes what it accepted.

use serde_json::json;
use slbot_sim_cssm::FaultSettings;

use std::sync::Arc;

use crate::harness::{only, spawn_app_with, Options};
use crate::naive::headline;

const RETRIEVING: &str = "Retrieving your licenses from Cisco Smart Software Manager…";
const BUSY: &str = "I'm busy right now. Please ask again in a minute.";

#[tokio::test]
async fn a_slow_fetch_posts_a_progress_message_edits_it_and_then_answers() {
    let app = spawn_app_with(Options {
        cssm_faults: FaultSettings {
            latency_ms: 120,
            ..FaultSettings::default()
        },
        tweak: |s| {
            s.progress_after = std::time::Duration::from_millis(60);
            s.progress_every = std::time::Duration::from_millis(60);
            s.cssm_concurrency = 1;
        },
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let said = app.post(&alice, &room, "shortages", false, None).await;
    // The first thing the person sees, while the fetch is still running, is the wait message.
    let first = app.next_bot_message(&room, said.seq).await;
    assert!(first.markdown.starts_with(RETRIEVING), "{}", first.markdown);
    app.settle().await;
    let replies = app.bot_messages(&room, said.seq).await;
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert_eq!(replies[0].id, first.id);
    assert!(
        replies[0].markdown.starts_with(RETRIEVING),
        "{}",
        replies[0].markdown
    );
    assert!(
        replies[0].edits >= 1,
        "the progress message was never edited"
    );
    assert!(
        replies[0].markdown.contains(" of "),
        "the edited text shows progress: {}",
        replies[0].markdown
    );
    assert_eq!(
        replies[1].headline(),
        headline::shortages(app.dataset.shortages(0))
    );
}

#[tokio::test]
async fn commands_beyond_what_the_workers_hold_wait_in_the_durable_queue_and_each_is_answered() {
    let app = spawn_app_with(Options {
        cssm_faults: FaultSettings {
            latency_ms: 150,
            ..FaultSettings::default()
        },
        tweak: |s| {
            s.workers = 1;
            s.queue_capacity = 1;
        },
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let first = app.post(&alice, &room, "usage", false, None).await;
    for text in ["expired", "shortages", "accounts"] {
        app.post(&alice, &room, text, false, None).await;
    }
    app.settle().await;
    let replies = app.bot_messages(&room, first.seq).await;
    assert_eq!(
        replies.len(),
        4,
        "every command gets an answer: {replies:#?}"
    );
    assert!(replies.iter().all(|r| r.markdown != BUSY), "{replies:#?}");
    let health = app.health().await;
    assert_eq!(health["events"]["busy"], json!(0), "{health}");
    assert_eq!(health["events"]["refused"], json!(0), "{health}");
    let headlines: Vec<String> = replies.iter().map(|r| r.headline().to_string()).collect();
    let now = crate::harness::now();
    for expected in [
        headline::usage(app.dataset.usage(0)),
        headline::expired(app.dataset.expired(0, now)),
    ] {
        assert!(
            headlines.contains(&expected),
            "{expected} not in {headlines:#?}"
        );
    }
}

#[tokio::test]
async fn a_shutdown_finishes_the_events_it_already_accepted() {
    let mut app = spawn_app_with(Options {
        cssm_faults: FaultSettings {
            latency_ms: 150,
            ..FaultSettings::default()
        },
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let said = app.post(&alice, &room, "expired", false, None).await;
    // Accepted (the delivery was acknowledged), and still working on the slow fetch.
    app.delivered().await;
    assert_eq!(app.pending_events().await, 1);
    app.shut_down().await;
    let replies = app.bot_messages(&room, said.seq).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert_eq!(
        replies[0].headline(),
        headline::expired(app.dataset.expired(0, crate::harness::now()))
    );
}

#[tokio::test]
async fn commands_waiting_for_the_same_slow_fetch_share_one_progress_message_and_one_fetch() {
    let app = spawn_app_with(Options {
        cssm_faults: FaultSettings {
            latency_ms: 120,
            ..FaultSettings::default()
        },
        tweak: |s| {
            s.progress_after = std::time::Duration::from_millis(60);
            s.progress_every = std::time::Duration::from_millis(60);
        },
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let first = app.post(&alice, &room, "usage", false, None).await;
    app.post(&alice, &room, "expired", false, None).await;
    app.post(&alice, &room, "shortages", false, None).await;
    app.settle().await;
    let replies = app.bot_messages(&room, first.seq).await;
    let waiting = replies
        .iter()
        .filter(|r| r.markdown.starts_with(RETRIEVING))
        .count();
    assert_eq!(waiting, 1, "{replies:#?}");
    assert_eq!(
        replies.len(),
        4,
        "one wait message and three answers: {replies:#?}"
    );
    let now = crate::harness::now();
    for expected in [
        headline::usage(app.dataset.usage(0)),
        headline::expired(app.dataset.expired(0, now)),
        headline::shortages(app.dataset.shortages(0)),
    ] {
        assert!(
            replies.iter().any(|r| r.headline() == expected),
            "{expected}"
        );
    }
    // One fetch: the accounts list was asked for once.
    let stats = app.cssm_stats().await;
    let by_token = stats["requestsByToken"].as_object().unwrap();
    assert_eq!(by_token.len(), 1);
    let one_fetch = app.cssm_requests().await;
    app.say(&alice, &room, "refresh").await;
    assert_eq!(app.cssm_requests().await, 2 * one_fetch);
}

#[tokio::test]
async fn a_command_whose_bot_was_killed_mid_fetch_is_answered_once_by_the_restarted_bot() {
    let mut app = spawn_app_with(Options {
        cssm_faults: FaultSettings {
            latency_ms: 400,
            ..FaultSettings::default()
        },
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let said = app.post(&alice, &room, "expired", false, None).await;
    // Acknowledged, taken by a worker, and waiting for the slow CSSM fetch.
    app.delivered().await;
    app.wait_until(|| async { app.cssm_requests().await > 0 })
        .await;
    app.crash_and_restart_bot().await;
    assert!(
        app.bot_messages(&room, said.seq).await.is_empty(),
        "the killed bot answered nothing"
    );

    // The dead worker's lease runs out; the restarted bot takes the command over.
    app.clock.advance(chrono::Duration::seconds(31));
    app.wait_until(|| async { !app.bot_messages(&room, said.seq).await.is_empty() })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let replies = app.bot_messages(&room, said.seq).await;
    let expected = headline::expired(app.dataset.expired(0, crate::harness::now()));
    let answers: Vec<&str> = replies
        .iter()
        .map(|r| r.headline())
        .filter(|h| *h == expected)
        .collect();
    assert_eq!(answers.len(), 1, "answered exactly once: {replies:#?}");
}

#[tokio::test]
async fn a_command_still_running_when_the_shutdown_grace_ends_is_handed_back_and_answered_after_the_restart(
) {
    let mut app = spawn_app_with(Options {
        cssm_faults: FaultSettings {
            latency_ms: 600,
            ..FaultSettings::default()
        },
        tweak: |s| s.shutdown_grace = std::time::Duration::from_millis(100),
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let said = app.post(&alice, &room, "expired", false, None).await;
    app.delivered().await;
    app.wait_until(|| async { app.cssm_requests().await > 0 })
        .await;
    // SIGTERM: the grace (100 ms) ends long before the fetch (600 ms per call) does.
    app.restart_bot().await;
    // Handed back, so taken at once without waiting for a lease to expire (the clock stands).
    app.wait_until(|| async { !app.bot_messages(&room, said.seq).await.is_empty() })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let replies = app.bot_messages(&room, said.seq).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert_eq!(
        replies[0].headline(),
        headline::expired(app.dataset.expired(0, crate::harness::now()))
    );
}

#[tokio::test]
async fn while_the_bot_store_does_not_answer_readiness_fails_and_commands_are_still_answered() {
    let Some(pg) = crate::harness::postgres_url() else {
        return;
    };
    let schema = format!("slbot_ready_{}", slbot_base::random_hex(6));
    slbot_notify::store::postgres::PostgresNotifyStore::connect(&pg, Some(&schema))
        .await
        .unwrap();
    let sep = if pg.contains('?') { '&' } else { '?' };
    let app = spawn_app_with(Options {
        env: vec![(
            "SLBOT_BOT_STORE_URL",
            format!("{pg}{sep}options[search_path]={schema}"),
        )],
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let ready = app.http().get(app.bot_url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);

    // The bot store goes away (its schema is dropped under the running bot).
    let raw = sqlx::PgPool::connect(&pg).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&raw)
        .await
        .unwrap();
    let ready = app.http().get(app.bot_url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(
        ready["reason"],
        "the bot store (SLBOT_BOT_STORE_URL) does not answer"
    );
    // A command still gets its answer: this replica works on it from memory.
    let replies = app.say(&alice, &room, "expired").await;
    assert_eq!(
        crate::harness::only(&replies).headline(),
        headline::expired(app.dataset.expired(0, crate::harness::now()))
    );
    raw.close().await;
}

#[tokio::test]
async fn an_answer_webex_refused_to_take_is_posted_once_when_the_event_is_tried_again() {
    let app = spawn_app_with(Options {
        cssm_faults: FaultSettings {
            latency_ms: 300,
            ..FaultSettings::default()
        },
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let said = app.post(&alice, &room, "expired", false, None).await;
    app.delivered().await;
    // The message was read; while CSSM answers, Webex starts failing every message call.
    app.wait_until(|| async { app.cssm_requests().await > 0 })
        .await;
    app.webex_faults(json!({"fail5xxEvery": 1, "paths": "/v1/messages"}))
        .await;
    let metrics = || async { app.scrape().await };
    app.wait_until(|| async {
        metrics()
            .await
            .contains(r#"slbot_commands_total{command="expired",outcome="answered"} 1"#)
    })
    .await;
    assert!(
        app.bot_messages(&room, said.seq).await.is_empty(),
        "the fault fired"
    );

    // Webex recovers; once the retry's backoff (5 s) has passed the event is tried again.
    app.webex_faults(json!({})).await;
    app.clock.advance(chrono::Duration::seconds(6));
    app.wait_until(|| async { !app.bot_messages(&room, said.seq).await.is_empty() })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let replies = app.bot_messages(&room, said.seq).await;
    assert_eq!(replies.len(), 1, "answered once: {replies:#?}");
    assert_eq!(
        replies[0].headline(),
        headline::expired(app.dataset.expired(0, crate::harness::now()))
    );
}

/// A TCP proxy to PostgreSQL that the test can cut (every connection dropped, new ones
/// refused) and restore: a database outage without touching the shared server.
struct CuttableProxy {
    port: u16,
    up: Arc<std::sync::atomic::AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
}

impl CuttableProxy {
    async fn start(upstream: String) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let cut = Arc::new(tokio::sync::Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::Acquire) {
                    drop(client);
                    continue;
                }
                let (upstream, cut) = (upstream.clone(), cut2.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Self { port, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::Release);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::Release);
    }
}

#[tokio::test]
async fn after_a_database_outage_the_bot_recovers_by_itself_and_answered_every_command_meanwhile() {
    let Some(pg) = crate::harness::postgres_url() else {
        return;
    };
    let schema = format!("slbot_outage_{}", slbot_base::random_hex(6));
    slbot_notify::store::postgres::PostgresNotifyStore::connect(&pg, Some(&schema))
        .await
        .unwrap();
    // The same database, reached through the proxy.
    let url = url::Url::parse(&pg).unwrap();
    let upstream = format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5432)
    );
    let proxy = CuttableProxy::start(upstream).await;
    let mut through = url.clone();
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(proxy.port)).unwrap();
    let sep = if through.query().is_some() { '&' } else { '?' };
    let app = spawn_app_with(Options {
        env: vec![(
            "SLBOT_BOT_STORE_URL",
            format!("{through}{sep}options[search_path]={schema}"),
        )],
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let expected = headline::expired(app.dataset.expired(0, crate::harness::now()));
    let ready = || async {
        app.http()
            .get(app.bot_url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(ready().await, 200);
    assert_eq!(
        only(&app.say(&alice, &room, "expired").await).headline(),
        expected
    );

    proxy.cut();
    app.wait_until(|| async { ready().await == 503 }).await;
    assert_eq!(
        only(&app.say(&alice, &room, "expired").await).headline(),
        expected,
        "answered from memory during the outage"
    );

    proxy.restore();
    app.wait_until(|| async { ready().await == 200 }).await;
    assert_eq!(
        only(&app.say(&alice, &room, "expired").await).headline(),
        expected
    );
    let metrics = app.scrape().await;
    assert!(
        metrics.lines().any(|l| l == "slbot_queue_up 1"),
        "{metrics}"
    );
}
