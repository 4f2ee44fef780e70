//! The scheduler with an injected clock moved across days over hand-written snapshots: which
//! digests are sent, when, and what they say. Expected digests are written out by hand.

use std::sync::Arc;

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use slbot_notify::{NotifyRequest, NotifyStore, Schedule};

use crate::harness::*;
use crate::on_both_engines;

const ALICE: &str = "alice";
const ALICE_ROOM: &str = "room-alice";

/// Alice's licences on day `day` of the scenario (the snapshot changes on 11-11, 11-12, 11-13).
fn alice_snapshot(now: DateTime<Utc>) -> serde_json::Value {
    // Beta's use: 25 (short by 5), 28 from 11-11 (short by 8), 15 from 11-12 (resolved),
    // 21 from 11-13 (short by 1 again).
    let beta_in_use = if now >= at(2026, 11, 13, 0, 0) {
        21
    } else if now >= at(2026, 11, 12, 0, 0) {
        15
    } else if now >= at(2026, 11, 11, 0, 0) {
        28
    } else {
        25
    };
    snapshot(
        "acme.com",
        vec![
            record(
                "Alpha License",
                "DEFAULT",
                10,
                5,
                vec![line(10, "2026-11-05")],
            ),
            record(
                "Beta License",
                "DEFAULT",
                20,
                beta_in_use,
                vec![line(20, "2027-06-01")],
            ),
            record("Gamma License", "Lab", 5, 0, vec![line(5, "2026-12-10")]),
            // Expired long before Alice subscribed: history, never announced.
            record("Old License", "DEFAULT", 3, 0, vec![line(3, "2025-01-01")]),
        ],
    )
}

fn daily_0800_utc() -> NotifyRequest {
    NotifyRequest::On(Schedule {
        frequency: slbot_notify::Frequency::Daily,
        at: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        zone: Tz::UTC,
    })
}

/// What Alice must receive, by hand: (when, rows).
fn expected_alice() -> Timeline {
    vec![
        // First digest: Alpha ends within 30 days; Beta is short. Gamma ends 12-10, more
        // than 30 days after 11-03 08:00. Old License expired before the subscription.
        (
            at(2026, 11, 3, 8, 0),
            rows(&[(ENTERING, "Alpha License"), (SHORT, "Beta License")]),
        ),
        // Alpha's end (11-05 00:00) has passed: announced once more, as expired.
        (at(2026, 11, 5, 8, 0), rows(&[(EXPIRED, "Alpha License")])),
        // 12-10 00:00 is now less than 30 days ahead.
        (at(2026, 11, 10, 8, 0), rows(&[(ENTERING, "Gamma License")])),
        // Beta's shortage grew from 5 to 8.
        (at(2026, 11, 11, 8, 0), rows(&[(SHORT, "Beta License")])),
        // 11-12: resolved, nothing sent. 11-13: short again, so new again.
        (at(2026, 11, 13, 8, 0), rows(&[(SHORT, "Beta License")])),
    ]
}

/// Moves the clock every 30 minutes from 11-02 10:00 to 11-14 00:00, running two passes at
/// each instant (a repeated run must not send anything). With `restart_daily`, the store is
/// closed and reopened (a new scheduler too) at each midnight. Returns what Alice received.
async fn run_alice_scenario(
    db: &TestDb,
    world: &World,
    restart_daily: bool,
) -> Vec<(DateTime<Utc>, String)> {
    let mut store = db.open().await;
    let start = at(2026, 11, 2, 10, 0);
    world.inventories.set(ALICE, &alice_snapshot(start));
    let reply = world
        .service(store.clone())
        .handle(&daily_0800_utc(), ALICE, ALICE_ROOM, start)
        .await;
    assert!(reply.starts_with("Notifications are on"), "{reply}");
    let mut scheduler = world.scheduler(store.clone());
    let mut received = Vec::new();
    let mut now = start;
    while now < at(2026, 11, 14, 0, 0) {
        if now.hour() == 0 && now.minute() == 0 {
            world.inventories.set(ALICE, &alice_snapshot(now));
            if restart_daily {
                store = db.open().await;
                scheduler = world.scheduler(store.clone());
            }
        }
        for _ in 0..2 {
            let report = scheduler.run_once(now).await.unwrap();
            assert!(report.led);
            assert!(report.failed.is_empty(), "{:?}", report.failed);
        }
        for (room, markdown) in world.poster.take() {
            assert_eq!(room, ALICE_ROOM);
            received.push((now, markdown));
        }
        now += Duration::minutes(30);
    }
    received
}

fn seen(received: &[(DateTime<Utc>, String)]) -> Timeline {
    received.iter().map(|(t, m)| (*t, read(m).rows)).collect()
}

async fn each_item_is_announced_once_when_it_enters_a_category(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let world = World::new();
    let received = run_alice_scenario(&db, &world, false).await;
    assert_eq!(seen(&received), expected_alice());
    // The grown shortage says what it was; the first one does not.
    assert!(
        received[0].1.contains("short by 5: 25 in use, 20 held"),
        "{}",
        received[0].1
    );
    assert!(
        received[3].1.contains("short by 8 (was 5)"),
        "{}",
        received[3].1
    );
    assert!(
        received[1].1.contains("expired on 2026/11/05"),
        "{}",
        received[1].1
    );
    assert!(
        received[2].1.contains("Expiring in the next 30 days"),
        "{}",
        received[2].1
    );
    db.cleanup().await;
}
on_both_engines!(
    each_item_is_announced_once_when_it_enters_a_category,
    super::each_item_is_announced_once_when_it_enters_a_category
);

async fn restarting_every_day_sends_exactly_the_same_digests(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let world = World::new();
    let received = run_alice_scenario(&db, &world, true).await;
    assert_eq!(seen(&received), expected_alice());
    db.cleanup().await;
}
on_both_engines!(
    restarting_every_day_sends_exactly_the_same_digests,
    super::restarting_every_day_sends_exactly_the_same_digests
);

/// One pass at each instant of `times`; returns (instant, room, markdown) of every post.
async fn passes(
    world: &World,
    store: &Arc<dyn NotifyStore>,
    times: &[DateTime<Utc>],
) -> Vec<(DateTime<Utc>, String, String)> {
    let scheduler = world.scheduler(store.clone());
    let mut out = Vec::new();
    for &now in times {
        scheduler.run_once(now).await.unwrap();
        for (room, markdown) in world.poster.take() {
            out.push((now, room, markdown));
        }
    }
    out
}

fn daily_runs(from_day: u32, to_day: u32) -> Vec<DateTime<Utc>> {
    (from_day..=to_day).map(|d| at(2026, 11, d, 8, 0)).collect()
}

async fn a_signed_out_subscriber_is_reminded_once_until_a_run_works(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let world = World::new();
    let store = db.open().await;
    world
        .inventories
        .set(ALICE, &alice_snapshot(at(2026, 11, 2, 0, 0)));
    world
        .service(store.clone())
        .handle(&daily_0800_utc(), ALICE, ALICE_ROOM, at(2026, 11, 2, 10, 0))
        .await;
    world.tokens.set(ALICE, Login::SignedOut);

    let posts = passes(&world, &store, &daily_runs(3, 5)).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].0, at(2026, 11, 3, 8, 0));
    assert!(posts[0]
        .2
        .contains("[Sign in with Cisco](https://backend.test/login?t=link-for-alice)"));
    let status = world
        .service(store.clone())
        .handle(
            &NotifyRequest::Status,
            ALICE,
            ALICE_ROOM,
            at(2026, 11, 5, 9, 0),
        )
        .await;
    assert!(
        status.contains("Paused until you sign in again"),
        "{status}"
    );

    // Signed in again: the next run sends the digest and clears the reminder.
    world.tokens.set(ALICE, Login::SignedIn);
    let posts = passes(&world, &store, &daily_runs(6, 6)).await;
    assert_eq!(posts.len(), 1);
    assert_eq!(
        read(&posts[0].2).rows,
        rows(&[(EXPIRED, "Alpha License"), (SHORT, "Beta License")])
    );
    let status = world
        .service(store.clone())
        .handle(
            &NotifyRequest::Status,
            ALICE,
            ALICE_ROOM,
            at(2026, 11, 6, 9, 0),
        )
        .await;
    assert!(!status.contains("Paused"), "{status}");
    assert!(!status.contains("did not work"), "{status}");

    // Signed out once more: one new reminder, not one per run.
    world.tokens.set(ALICE, Login::SignedOut);
    let posts = passes(&world, &store, &daily_runs(7, 9)).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(posts[0].2.contains("Sign in with Cisco"));
    db.cleanup().await;
}
on_both_engines!(
    a_signed_out_subscriber_is_reminded_once_until_a_run_works,
    super::a_signed_out_subscriber_is_reminded_once_until_a_run_works
);

async fn one_failing_subscription_does_not_stop_the_others(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let world = World::new();
    let store = db.open().await;
    let service = world.service(store.clone());
    let created = at(2026, 11, 2, 10, 0);
    for person in ["alice", "bob", "carol"] {
        world.inventories.set(person, &alice_snapshot(created));
        service
            .handle(
                &daily_0800_utc(),
                person,
                &format!("room-{person}"),
                created,
            )
            .await;
    }
    world.tokens.set("bob", Login::BackendDown);

    let scheduler = world.scheduler(store.clone());
    let report = scheduler.run_once(at(2026, 11, 3, 8, 0)).await.unwrap();
    assert_eq!(report.due, 3);
    assert_eq!(
        report.digests,
        vec!["alice".to_string(), "carol".to_string()]
    );
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, "bob");
    let rooms: Vec<String> = world.poster.take().into_iter().map(|(r, _)| r).collect();
    assert_eq!(rooms, vec!["room-alice", "room-carol"]);
    // Each digest is addressed to its subscriber (the Webex adapter posts `toPersonId`).
    assert_eq!(*world.poster.people.lock().unwrap(), vec!["alice", "carol"]);

    let status = service
        .handle(
            &NotifyRequest::Status,
            "bob",
            "room-bob",
            at(2026, 11, 3, 8, 5),
        )
        .await;
    assert!(
        status.contains("The last attempt did not work: the sign-in service did not answer"),
        "{status}"
    );

    // Within the retry delay bob is left alone; after it, and with the backend back, he
    // gets the digest he missed, once.
    let report = scheduler.run_once(at(2026, 11, 3, 8, 30)).await.unwrap();
    assert_eq!(report.due, 0);
    world.tokens.set("bob", Login::SignedIn);
    let report = scheduler.run_once(at(2026, 11, 3, 9, 0)).await.unwrap();
    assert_eq!(report.digests, vec!["bob".to_string()]);
    let posts = world.poster.take();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        read(&posts[0].1).rows,
        rows(&[(ENTERING, "Alpha License"), (SHORT, "Beta License")])
    );
    let status = service
        .handle(
            &NotifyRequest::Status,
            "bob",
            "room-bob",
            at(2026, 11, 3, 9, 5),
        )
        .await;
    assert!(!status.contains("did not work"), "{status}");
    db.cleanup().await;
}
on_both_engines!(
    one_failing_subscription_does_not_stop_the_others,
    super::one_failing_subscription_does_not_stop_the_others
);

async fn a_damaged_schedule_is_reported_and_the_others_carry_on(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let world = World::new();
    let store = db.open().await;
    let service = world.service(store.clone());
    let created = at(2026, 11, 2, 10, 0);
    for person in ["alice", "bob"] {
        world.inventories.set(person, &alice_snapshot(created));
        service
            .handle(
                &daily_0800_utc(),
                person,
                &format!("room-{person}"),
                created,
            )
            .await;
    }
    db.execute("UPDATE notify_subscriptions SET tz = 'Mars/Olympus' WHERE person_id = 'bob'")
        .await;

    let report = world
        .scheduler(store.clone())
        .run_once(at(2026, 11, 3, 8, 0))
        .await
        .unwrap();
    assert_eq!(report.digests, vec!["alice".to_string()]);
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].1.contains("Mars/Olympus"),
        "{:?}",
        report.failed
    );
    let status = service
        .handle(
            &NotifyRequest::Status,
            "bob",
            "room-bob",
            at(2026, 11, 3, 9, 0),
        )
        .await;
    assert!(status.contains("saved schedule cannot be used"), "{status}");
    assert!(status.contains("`notify on`"), "{status}");
    db.cleanup().await;
}
on_both_engines!(
    a_damaged_schedule_is_reported_and_the_others_carry_on,
    super::a_damaged_schedule_is_reported_and_the_others_carry_on
);

async fn a_failed_post_is_retried_and_nothing_is_lost(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let world = World::new();
    let store = db.open().await;
    world
        .inventories
        .set(ALICE, &alice_snapshot(at(2026, 11, 2, 0, 0)));
    world
        .service(store.clone())
        .handle(&daily_0800_utc(), ALICE, ALICE_ROOM, at(2026, 11, 2, 10, 0))
        .await;
    *world.poster.failing.lock().unwrap() = true;
    let scheduler = world.scheduler(store.clone());
    let report = scheduler.run_once(at(2026, 11, 3, 8, 0)).await.unwrap();
    assert_eq!(report.failed.len(), 1);
    *world.poster.failing.lock().unwrap() = false;
    scheduler.run_once(at(2026, 11, 3, 9, 0)).await.unwrap();
    let posts = world.poster.take();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        read(&posts[0].1).rows,
        rows(&[(ENTERING, "Alpha License"), (SHORT, "Beta License")])
    );
    db.cleanup().await;
}
on_both_engines!(
    a_failed_post_is_retried_and_nothing_is_lost,
    super::a_failed_post_is_retried_and_nothing_is_lost
);

async fn a_pass_stopped_between_posting_and_recording_a_digest_sends_a_note_not_a_second_copy(
    engine: Engine,
) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let world = World::new();
    let store = db.open().await;
    world
        .inventories
        .set(ALICE, &alice_snapshot(at(2026, 11, 2, 0, 0)));
    world
        .service(store.clone())
        .handle(&daily_0800_utc(), ALICE, ALICE_ROOM, at(2026, 11, 2, 10, 0))
        .await;
    // The digest reaches Webex, then the process stops before recording it.
    *world.poster.stop_after_post.lock().unwrap() = true;
    let stopped = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        world
            .scheduler(store.clone())
            .run_once(at(2026, 11, 3, 8, 0)),
    )
    .await;
    assert!(stopped.is_err(), "the pass was stopped mid-send");
    let first = world.poster.take();
    assert_eq!(first.len(), 1);
    assert_eq!(
        read(&first[0].1).rows,
        rows(&[(ENTERING, "Alpha License"), (SHORT, "Beta License")])
    );
    drop(store);

    // Another process, after the stopped one's lease. Meanwhile Delta License entered the
    // window, and Webex fails the first try.
    *world.poster.stop_after_post.lock().unwrap() = false;
    let mut with_delta = alice_snapshot(at(2026, 11, 3, 0, 0));
    with_delta["licenses"]["acme.com"]
        .as_array_mut()
        .unwrap()
        .push(record(
            "Delta License",
            "DEFAULT",
            4,
            0,
            vec![line(4, "2026-11-20")],
        ));
    world.inventories.set(ALICE, &with_delta);
    *world.poster.failing.lock().unwrap() = true;
    let restarted = db.open().await;
    let scheduler = world.scheduler(restarted.clone());
    let failed = scheduler.run_once(at(2026, 11, 3, 9, 0)).await.unwrap();
    assert_eq!(failed.failed.len(), 1);
    assert!(world.poster.take().is_empty());

    // The retry: still a note (the failed note kept the mark), never the first digest again.
    *world.poster.failing.lock().unwrap() = false;
    let report = scheduler.run_once(at(2026, 11, 3, 10, 0)).await.unwrap();
    assert_eq!(report.missed_notes, vec![ALICE.to_string()]);
    let second = world.poster.take();
    assert_eq!(second.len(), 1, "{second:?}");
    assert_eq!(
        second[0].1,
        "A license digest may not have reached you (Tue 2026-11-03 08:00 UTC): I stopped while \
         sending it. Send `expire 30` or `status` to see where things stand; the next digests \
         come as usual."
    );
    // What the stopped digest held counts as announced; Delta, new since, comes next day.
    scheduler.run_once(at(2026, 11, 4, 8, 0)).await.unwrap();
    let third = world.poster.take();
    assert_eq!(third.len(), 1, "{third:?}");
    assert_eq!(read(&third[0].1).rows, rows(&[(ENTERING, "Delta License")]));
    db.cleanup().await;
}
on_both_engines!(
    a_pass_stopped_between_posting_and_recording_a_digest_sends_a_note_not_a_second_copy,
    super::a_pass_stopped_between_posting_and_recording_a_digest_sends_a_note_not_a_second_copy
);

async fn weekly_digests_come_on_mondays_at_local_time_across_the_dst_change(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let world = World::new();
    let store = db.open().await;
    // Europe/Paris leaves summer time on Sunday 2026-10-25 (UTC+2 → UTC+1).
    let created = at(2026, 10, 19, 12, 0);
    let snap = snapshot(
        "acme.com",
        vec![record(
            "Delta License",
            "DEFAULT",
            4,
            0,
            vec![line(4, "2026-10-28")],
        )],
    );
    world.inventories.set(ALICE, &snap);
    let on = NotifyRequest::On(Schedule {
        frequency: slbot_notify::Frequency::Weekly,
        at: chrono::NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
        zone: Tz::Europe__Paris,
    });
    world
        .service(store.clone())
        .handle(&on, ALICE, ALICE_ROOM, created)
        .await;
    let mut times = Vec::new();
    let mut now = created;
    while now < at(2026, 11, 10, 0, 0) {
        times.push(now);
        now += Duration::minutes(30);
    }
    let posts = passes(&world, &store, &times).await;
    let got: Timeline = posts.iter().map(|(t, _, m)| (*t, read(m).rows)).collect();
    assert_eq!(
        got,
        vec![
            // Monday 10-26 07:30 CET = 06:30 UTC: Delta ends 10-28, within 30 days.
            (
                at(2026, 10, 26, 6, 30),
                rows(&[(ENTERING, "Delta License")])
            ),
            // Monday 11-02 07:30 CET: Delta has expired.
            (at(2026, 11, 2, 6, 30), rows(&[(EXPIRED, "Delta License")])),
            // Monday 11-09: nothing new, nothing sent.
        ]
    );
    db.cleanup().await;
}
on_both_engines!(
    weekly_digests_come_on_mondays_at_local_time_across_the_dst_change,
    super::weekly_digests_come_on_mondays_at_local_time_across_the_dst_change
);

async fn only_one_process_runs_a_pass_at_a_time(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let first = db.open().await;
    let second = db.open().await;
    let now = at(2026, 11, 3, 8, 0);
    let lock = first
        .try_lead(now)
        .await
        .unwrap()
        .expect("the first process leads");
    assert!(second.try_lead(now).await.unwrap().is_none());
    // A pass of the second process while the first holds the lock does nothing.
    let world = World::new();
    let report = world.scheduler(second.clone()).run_once(now).await.unwrap();
    assert!(!report.led);
    lock.release().await;
    let again = second
        .try_lead(now)
        .await
        .unwrap()
        .expect("free once released");
    again.release().await;
    db.cleanup().await;
}
on_both_engines!(
    only_one_process_runs_a_pass_at_a_time,
    super::only_one_process_runs_a_pass_at_a_time
);

#[tokio::test]
async fn a_crashed_sqlite_leaders_lease_expires_after_its_last_extension() {
    let db = TestDb::new(Engine::Sqlite).await.unwrap();
    let first = db.open().await;
    let second = db.open().await;
    let now = at(2026, 11, 3, 8, 0);
    // The first process takes the lease and "crashes" (never releases it).
    std::mem::forget(first.try_lead(now).await.unwrap().unwrap());
    assert!(second
        .try_lead(now + Duration::minutes(29))
        .await
        .unwrap()
        .is_none());
    let lock = second
        .try_lead(now + slbot_notify::store::sqlite::LEASE)
        .await
        .unwrap()
        .expect("the lease has expired");
    lock.release().await;
}

#[tokio::test]
async fn the_bot_loop_runs_passes_with_the_injected_clock_until_shutdown() {
    let db = TestDb::new(Engine::Sqlite).await.unwrap();
    let world = World::new();
    let store = db.open().await;
    world
        .inventories
        .set(ALICE, &alice_snapshot(at(2026, 11, 2, 0, 0)));
    world
        .service(store.clone())
        .handle(&daily_0800_utc(), ALICE, ALICE_ROOM, at(2026, 11, 2, 10, 0))
        .await;
    let clock = Arc::new(slbot_base::ManualClock::new(at(2026, 11, 3, 8, 0)));
    let scheduler = Arc::new(world.scheduler(store.clone()));
    let poster = world.poster.clone();
    // Spawned, so the loop's future is known to be Send (the bot spawns it).
    let running = tokio::spawn(async move {
        scheduler
            .run(clock, std::time::Duration::from_millis(1), async move {
                poster.posted.notified().await
            })
            .await
    });
    running.await.unwrap();
    let posts = world.poster.take();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        read(&posts[0].1).rows,
        rows(&[(ENTERING, "Alpha License"), (SHORT, "Beta License")])
    );
}

async fn each_singleton_job_has_one_leader_and_the_jobs_do_not_block_each_other(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    use slbot_notify::Singleton;
    let (a, b) = (db.open().await, db.open().await);
    let now = at(2026, 11, 3, 8, 0);
    let webhooks = a
        .try_lead_for(Singleton::Webhooks, now)
        .await
        .unwrap()
        .expect("a leads the webhook job");
    assert!(b
        .try_lead_for(Singleton::Webhooks, now)
        .await
        .unwrap()
        .is_none());
    // The notification pass is another job: b may run it meanwhile.
    let pass = b.try_lead(now).await.unwrap().expect("b leads the pass");
    assert!(a.try_lead(now).await.unwrap().is_none());
    webhooks.release().await;
    let taken = b
        .try_lead_for(Singleton::Webhooks, now)
        .await
        .unwrap()
        .expect("free once released");
    taken.release().await;
    pass.release().await;
    db.cleanup().await;
}
on_both_engines!(
    each_singleton_job_has_one_leader_and_the_jobs_do_not_block_each_other,
    super::each_singleton_job_has_one_leader_and_the_jobs_do_not_block_each_other
);

#[tokio::test]
async fn a_crashed_sqlite_replicas_webhook_lease_is_free_after_a_minute() {
    use slbot_notify::Singleton;
    let db = TestDb::new(Engine::Sqlite).await.unwrap();
    let (first, second) = (db.open().await, db.open().await);
    let now = at(2026, 11, 3, 8, 0);
    std::mem::forget(
        first
            .try_lead_for(Singleton::Webhooks, now)
            .await
            .unwrap()
            .unwrap(),
    );
    let later = now + Duration::seconds(59);
    assert!(second
        .try_lead_for(Singleton::Webhooks, later)
        .await
        .unwrap()
        .is_none());
    let lock = second
        .try_lead_for(Singleton::Webhooks, now + Duration::minutes(1))
        .await
        .unwrap()
        .expect("the crashed replica's lease has expired");
    lock.release().await;
}

#[tokio::test]
async fn when_the_postgresql_leaders_session_is_killed_another_replica_sends_the_digest_once() {
    let Some(db) = TestDb::new(Engine::Postgres).await else {
        return;
    };
    let TestDb::Postgres { url, schema } = &db else {
        unreachable!("a PostgreSQL test database");
    };
    let world = World::new();
    let (leader, other) = (db.open().await, db.open().await);
    world
        .inventories
        .set(ALICE, &alice_snapshot(at(2026, 11, 2, 0, 0)));
    world
        .service(other.clone())
        .handle(&daily_0800_utc(), ALICE, ALICE_ROOM, at(2026, 11, 2, 10, 0))
        .await;
    let now = at(2026, 11, 3, 8, 0);
    // The leader holds the pass and hangs there; the other replica may not run it.
    std::mem::forget(
        leader
            .try_lead(now)
            .await
            .unwrap()
            .expect("the first leads"),
    );
    let scheduler = world.scheduler(other.clone());
    assert!(!scheduler.run_once(now).await.unwrap().led);
    assert!(world.poster.take().is_empty());

    // The leader's process dies: PostgreSQL ends its session, and its lock with it.
    let key = slbot_notify::store::postgres::lock_key(Some(schema));
    let raw = sqlx::PgPool::connect(url).await.unwrap();
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_locks \
         WHERE locktype = 'advisory' AND granted \
         AND classid::bigint = $1 AND objid::bigint = $2) AS t",
    )
    .bind((key >> 32) & 0xffff_ffff)
    .bind(key & 0xffff_ffff)
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(
        killed, 1,
        "the fault was injected: the leader's session was ended"
    );
    raw.close().await;

    let mut report = scheduler.run_once(now).await.unwrap();
    for _ in 0..50 {
        if report.led {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        report = scheduler.run_once(now).await.unwrap();
    }
    assert!(
        report.led,
        "the other replica leads once the dead session is gone"
    );
    assert_eq!(report.digests, vec![ALICE.to_string()]);
    assert_eq!(world.poster.take().len(), 1);
    // And once only.
    scheduler.run_once(at(2026, 11, 3, 9, 0)).await.unwrap();
    assert!(world.poster.take().is_empty());
    drop(leader);
    db.cleanup().await;
}
