//! The `notify …` commands as a person types them: parsed by the chat grammar, mapped to a
//! request, answered by the service.

use slbot_chat::sentences;
use slbot_notify::{NotifyRequest, NotifyService};

use crate::harness::*;
use crate::on_both_engines;

const ME: &str = "person-1";
const ROOM: &str = "direct-room-1";

/// Parses `text` with the chat grammar and answers it as the bot would.
async fn say(service: &NotifyService, text: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    match slbot_chat::parse(text) {
        Ok(command) => {
            let request = NotifyRequest::from_command(&command).expect("a notify command");
            service.handle(&request, ME, ROOM, now).await
        }
        Err(e) => slbot_chat::sentences::parse_error_reply(&e),
    }
}

async fn the_commands_answer_with_what_they_did(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let world = World::new();
    let service = world.service(db.open().await);
    // Saturday 2026-11-28 12:00 UTC.
    let now = at(2026, 11, 28, 12, 0);

    let reply = say(&service, "notify status", now).await;
    assert!(reply.starts_with("Notifications are off."), "{reply}");

    // The plain-state sentences are the chat crate's; what follows them is written here.
    let daily = slbot_chat::command::Schedule::default();
    let paris = slbot_chat::parse::time_zone("Europe/Paris").unwrap();
    let weekly = slbot_chat::command::Schedule {
        frequency: slbot_notify::Frequency::Weekly,
        at: chrono::NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
        zone: paris,
    };
    let days = |n| slbot_inventory::Days::new(n).unwrap();
    const ALSO: &str = " Digests also list newly expired licenses and new or growing \
                        shortages, and come only when something changed.";

    let reply = say(&service, "notify on", now).await;
    assert_eq!(
        reply,
        format!(
            "{}{ALSO} The next one is due Sun 2026-11-29 08:00 UTC.",
            sentences::notify_on(&daily, days(30))
        )
    );

    let reply = say(&service, "notify on weekly at 07:30 tz Europe/Paris", now).await;
    assert_eq!(
        reply,
        format!(
            "{}{ALSO} The next one is due Mon 2026-11-30 07:30 Europe/Paris.",
            sentences::notify_on(&weekly, days(30))
        )
    );

    let reply = say(&service, "notify window 90", now).await;
    assert_eq!(reply, sentences::notify_window(days(90), true));

    let reply = say(&service, "notify status", now).await;
    assert_eq!(
        reply,
        format!(
            "{} Next digest: Mon 2026-11-30 07:30 Europe/Paris.",
            sentences::notify_status(Some((&weekly, days(90))))
        )
    );

    assert_eq!(
        say(&service, "notify off", now).await,
        sentences::NOTIFY_OFF
    );
    assert_eq!(
        say(&service, "notify off", now).await,
        sentences::NOTIFY_OFF
    );
    assert_eq!(
        say(&service, "notify status", now).await,
        sentences::notify_status(None)
    );
    assert_eq!(
        say(&service, "notify window 10", now).await,
        "Notifications are off, so there is no window to change. Type `notify on` first, then \
         `notify window 10`."
    );
    db.cleanup().await;
}
on_both_engines!(
    the_commands_answer_with_what_they_did,
    super::the_commands_answer_with_what_they_did
);

#[tokio::test]
async fn bad_times_and_zones_get_a_clear_reply_and_change_nothing() {
    let db = TestDb::new(Engine::Sqlite).await.unwrap();
    let world = World::new();
    let store = db.open().await;
    let service = world.service(store.clone());
    let now = at(2026, 11, 28, 12, 0);
    let reply = say(&service, "notify at 25:00", now).await;
    assert!(reply.contains("`25:00` is not a time of day"), "{reply}");
    let reply = say(&service, "notify on tz Mars/Olympus", now).await;
    assert!(
        reply.contains("I don't know the time zone `Mars/Olympus`"),
        "{reply}"
    );
    let reply = say(&service, "notify window 0", now).await;
    assert!(reply.contains("1 to 3650 days"), "{reply}");
    assert!(store.subscriptions().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_signed_out_person_turning_notifications_on_is_asked_to_sign_in() {
    let db = TestDb::new(Engine::Sqlite).await.unwrap();
    let world = World::new();
    world.tokens.set(ME, Login::SignedOut);
    let service = world.service(db.open().await);
    let now = at(2026, 11, 28, 12, 0);
    let reply = say(&service, "notify on", now).await;
    assert!(reply.starts_with("Notifications are on"), "{reply}");
    assert!(
        reply.ends_with("To read your licenses I need you to sign in first: [Sign in with Cisco](https://backend.test/login?t=link-for-person-1)"),
        "{reply}"
    );
    let reply = say(&service, "notify test", now).await;
    assert_eq!(
        reply,
        "To read your licenses I need you to sign in: [Sign in with Cisco](https://backend.test/login?t=link-for-person-1)"
    );
}

#[tokio::test]
async fn notify_test_shows_a_digest_now_without_recording_it() {
    let db = TestDb::new(Engine::Sqlite).await.unwrap();
    let world = World::new();
    let store = db.open().await;
    let service = world.service(store.clone());
    let now = at(2026, 11, 3, 8, 0);
    world.inventories.set(
        ME,
        &snapshot(
            "acme.com",
            vec![
                // Expired within the last 30 days: shown by the test.
                record("Recent", "DEFAULT", 1, 0, vec![line(1, "2026-10-20")]),
                // Expired long ago: not shown.
                record("Ancient", "DEFAULT", 1, 0, vec![line(1, "2025-01-01")]),
                record("Soon", "DEFAULT", 2, 0, vec![line(2, "2026-11-20")]),
                record("Short", "DEFAULT", 1, 3, vec![]),
            ],
        ),
    );
    say(&service, "notify on", at(2026, 11, 2, 10, 0)).await;
    let reply = say(&service, "notify test", now).await;
    assert!(reply.starts_with("_This is a test"), "{reply}");
    assert_eq!(
        read(&reply).rows,
        rows(&[(EXPIRED, "Recent"), (ENTERING, "Soon"), (SHORT, "Short")])
    );
    // Nothing was recorded: the scheduled digest still announces Soon and Short (Recent
    // expired before the subscription started).
    assert!(store.announced(ME).await.unwrap().is_empty());
    let report = world.scheduler(store.clone()).run_once(now).await.unwrap();
    assert_eq!(report.digests, vec![ME.to_string()]);
    let posts = world.poster.take();
    assert_eq!(posts[0].0, ROOM);
    assert_eq!(
        read(&posts[0].1).rows,
        rows(&[(ENTERING, "Soon"), (SHORT, "Short")])
    );
}

#[tokio::test]
async fn notify_test_with_nothing_to_say_says_so() {
    let db = TestDb::new(Engine::Sqlite).await.unwrap();
    let world = World::new();
    let service = world.service(db.open().await);
    world.inventories.set(ME, &snapshot("acme.com", vec![]));
    let reply = say(&service, "notify test", at(2026, 11, 3, 8, 0)).await;
    assert!(reply.starts_with("Nothing to report right now"), "{reply}");
}
