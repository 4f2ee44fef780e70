//! The store contract, on both engines: what `notify on` keeps, what `notify off` forgets,
//! announcements round-trip, and nothing but ids, schedule and hashes is stored.

use slbot_notify::digest::{Announcement, Category};
use slbot_notify::store::{NewSubscription, RunState};
use slbot_notify::{Frequency, ItemKey, Schedule};

use crate::harness::*;
use crate::on_both_engines;

fn sub(person: &str, room: &str, frequency: Frequency, h: u32) -> NewSubscription {
    NewSubscription {
        person_id: person.into(),
        room_id: room.into(),
        schedule: Schedule {
            frequency,
            at: chrono::NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
            zone: chrono_tz::Tz::Europe__Paris,
        },
        window_days: 30,
    }
}

async fn subscriptions_and_announcements_round_trip(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let store = db.open().await;
    let t0 = at(2026, 11, 2, 10, 0);
    assert!(!store
        .subscribe(&sub("p1", "r1", Frequency::Daily, 8), t0)
        .await
        .unwrap());
    assert!(store.set_window("p1", 90).await.unwrap());
    // A second `notify on` changes the schedule and room, keeps window and start.
    assert!(store
        .subscribe(
            &sub("p1", "r2", Frequency::Weekly, 9),
            at(2026, 11, 5, 0, 0)
        )
        .await
        .unwrap());
    let s = store.subscription("p1").await.unwrap().unwrap();
    assert_eq!(
        (
            s.room_id.as_str(),
            s.cadence.as_str(),
            s.local_time.as_str(),
            s.tz.as_str()
        ),
        ("r2", "weekly", "09:00", "Europe/Paris")
    );
    assert_eq!((s.window_days, s.created_at), (90, t0));
    assert_eq!(
        (s.last_run_at, s.last_error.as_deref(), s.reminder_sent),
        (None, None, false)
    );

    let state = RunState {
        last_run_at: Some(at(2026, 11, 6, 8, 0)),
        last_attempt_at: Some(at(2026, 11, 6, 9, 0)),
        last_error: Some("why".into()),
        reminder_sent: true,
    };
    store.set_run_state("p1", &state).await.unwrap();
    let s = store.subscription("p1").await.unwrap().unwrap();
    assert_eq!(
        RunState {
            last_run_at: s.last_run_at,
            last_attempt_at: s.last_attempt_at,
            last_error: s.last_error.clone(),
            reminder_sent: s.reminder_sent,
        },
        state
    );

    let k = |s: &str| ItemKey::from_stored(s.repeat(64));
    let items = vec![
        Announcement {
            category: Category::Expired,
            key: k("a"),
            value: 10,
        },
        Announcement {
            category: Category::Shortage,
            key: k("b"),
            value: 5,
        },
        Announcement {
            category: Category::Shortage,
            key: k("c"),
            value: 2,
        },
    ];
    store
        .record_announcements("p1", &items, &[], t0)
        .await
        .unwrap();
    // Grown shortage b, forget resolved c.
    let grown = vec![Announcement {
        category: Category::Shortage,
        key: k("b"),
        value: 8,
    }];
    store
        .record_announcements("p1", &grown, &[k("c")], t0)
        .await
        .unwrap();
    let set = store.announced("p1").await.unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(set.get(Category::Expired, &k("a")), Some(10));
    assert_eq!(set.get(Category::Shortage, &k("b")), Some(8));
    assert_eq!(set.get(Category::Shortage, &k("c")), None);
    assert!(store.announced("someone-else").await.unwrap().is_empty());

    // `notify off` forgets the subscription and what was announced.
    store
        .subscribe(&sub("p2", "r3", Frequency::Daily, 8), t0)
        .await
        .unwrap();
    assert!(store.unsubscribe("p1").await.unwrap());
    assert!(!store.unsubscribe("p1").await.unwrap());
    assert!(store.announced("p1").await.unwrap().is_empty());
    let left: Vec<String> = store
        .subscriptions()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.person_id)
        .collect();
    assert_eq!(left, vec!["p2"]);
    assert!(!store.set_window("p1", 10).await.unwrap());
    // A pass that ends after `notify off` records nothing for that person.
    store
        .record_announcements("p1", &items, &[], t0)
        .await
        .unwrap();
    assert!(store.announced("p1").await.unwrap().is_empty());
    db.cleanup().await;
}
on_both_engines!(
    subscriptions_and_announcements_round_trip,
    super::subscriptions_and_announcements_round_trip
);

#[tokio::test]
async fn an_unknown_store_url_is_refused_with_the_accepted_schemes() {
    let err = slbot_notify::open("mysql://db/bot")
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("sqlite:// or postgres://"),
        "{err}"
    );
}

async fn the_store_shares_its_database_with_another_features_migrations(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let store = db.open().await;
    let t0 = at(2026, 11, 2, 10, 0);
    store
        .subscribe(&sub("p1", "r1", Frequency::Daily, 8), t0)
        .await
        .unwrap();
    db.run_other_migrator().await;
    // Reopening (a restart) neither fails nor loses anything, and the other feature's
    // migrator still finds its own history intact.
    let store = db.open().await;
    assert!(store.subscription("p1").await.unwrap().is_some());
    db.run_other_migrator().await;
    db.cleanup().await;
}
on_both_engines!(
    the_store_shares_its_database_with_another_features_migrations,
    super::the_store_shares_its_database_with_another_features_migrations
);

/// `notify on` (read, then write) while a scheduler pass records announcements: on SQLite a
/// transaction that reads before it writes must wait for the writer, not fail "database is
/// locked" (found by the bot's tests, about one run in ten).
async fn concurrent_writers_wait_for_each_other_instead_of_failing(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let store = db.open().await;
    let t0 = at(2026, 11, 2, 10, 0);
    store
        .subscribe(&sub("pass", "r", Frequency::Daily, 8), t0)
        .await
        .unwrap();
    let writer = {
        let store = std::sync::Arc::clone(&store);
        tokio::spawn(async move {
            for i in 0..40 {
                let items = vec![Announcement {
                    category: Category::Expired,
                    key: ItemKey::from_stored(format!("{i:064x}")),
                    value: i,
                }];
                store.record_announcements("pass", &items, &[], t0).await?;
            }
            Ok::<_, slbot_notify::StoreError>(())
        })
    };
    for i in 0..40 {
        let person = format!("p{}", i % 5);
        store
            .subscribe(&sub(&person, "r", Frequency::Weekly, 9), t0)
            .await
            .unwrap_or_else(|e| panic!("subscribe {i} failed while a pass was writing: {e}"));
    }
    writer.await.unwrap().unwrap();
    assert_eq!(store.announced("pass").await.unwrap().len(), 40);
    db.cleanup().await;
}

on_both_engines!(
    concurrent_writers_wait_for_each_other_instead_of_failing,
    super::concurrent_writers_wait_for_each_other_instead_of_failing
);

async fn a_webhook_event_is_first_once_within_a_day_across_store_handles(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let day = chrono::Duration::hours(24);
    let t0 = at(2026, 11, 2, 10, 0);
    let replica_a = db.open().await;
    let replica_b = db.open().await;
    let key = "messages:created:Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ";
    assert!(replica_a.first_delivery(key, t0, day).await.unwrap());
    // The same event again: at the same replica, at another one, and after a "restart".
    assert!(!replica_a.first_delivery(key, t0, day).await.unwrap());
    assert!(!replica_b
        .first_delivery(key, t0 + chrono::Duration::minutes(30), day)
        .await
        .unwrap());
    drop(replica_a);
    let restarted = db.open().await;
    assert!(!restarted
        .first_delivery(key, t0 + chrono::Duration::hours(23), day)
        .await
        .unwrap());
    // Another event of the same message (another resource or event) is its own delivery.
    assert!(restarted
        .first_delivery(
            "attachmentActions:created:Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ",
            t0,
            day
        )
        .await
        .unwrap());
    // Past the retention the key counts as new again, once.
    let later = t0 + day + chrono::Duration::seconds(1);
    assert!(restarted.first_delivery(key, later, day).await.unwrap());
    assert!(!replica_b.first_delivery(key, later, day).await.unwrap());
}

on_both_engines!(
    a_webhook_event_is_first_once_within_a_day_across_store_handles,
    super::a_webhook_event_is_first_once_within_a_day_across_store_handles
);

async fn of_concurrent_deliveries_of_one_event_exactly_one_is_first(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let day = chrono::Duration::hours(24);
    let t0 = at(2026, 11, 2, 10, 0);
    let mut replicas = Vec::new();
    for _ in 0..4 {
        replicas.push(db.open().await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, store) in replicas.into_iter().enumerate() {
        for _ in 0..5 {
            let store = store.clone();
            tasks.spawn(async move {
                store
                    .first_delivery("messages:created:M-race", t0, day)
                    .await
                    .unwrap_or_else(|e| panic!("replica {i}: {e}"))
            });
        }
    }
    let mut firsts = 0;
    while let Some(first) = tasks.join_next().await {
        firsts += usize::from(first.unwrap());
    }
    assert_eq!(firsts, 1);
}

on_both_engines!(
    of_concurrent_deliveries_of_one_event_exactly_one_is_first,
    super::of_concurrent_deliveries_of_one_event_exactly_one_is_first
);

async fn a_persons_price_file_is_replaced_by_the_next_and_forgotten_on_request(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let store = db.open().await;
    let t0 = at(2026, 12, 7, 9, 0);
    assert_eq!(store.prices("alice").await.unwrap(), None);
    store
        .save_prices("alice", "license,unitPrice\nApex,10\n", t0)
        .await
        .unwrap();
    store
        .save_prices("bob", "license,unitPrice\nApex,99\n", t0)
        .await
        .unwrap();
    store
        .save_prices("alice", "license,unitPrice\nApex,12\n", t0)
        .await
        .unwrap();
    assert_eq!(
        store.prices("alice").await.unwrap().as_deref(),
        Some("license,unitPrice\nApex,12\n")
    );
    assert!(store.forget_prices("alice").await.unwrap());
    assert!(!store.forget_prices("alice").await.unwrap());
    assert_eq!(store.prices("alice").await.unwrap(), None);
    assert_eq!(
        store.prices("bob").await.unwrap().as_deref(),
        Some("license,unitPrice\nApex,99\n")
    );
    db.cleanup().await;
}

on_both_engines!(
    price_files,
    super::a_persons_price_file_is_replaced_by_the_next_and_forgotten_on_request
);
