//! The durable intake queue on both engines: accepted once, taken by one worker, a dead
//! worker's event taken again after its lease, retries, dead letters and hand-backs.

use chrono::Duration;
use slbot_notify::QueueDepth;

use crate::harness::{at, Engine, TestDb};
use crate::on_both_engines;

const DAY: Duration = Duration::hours(24);
const LEASE: Duration = Duration::seconds(30);

async fn an_accepted_event_is_queued_once_and_taken_by_one_worker(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let t0 = at(2026, 11, 2, 10, 0);
    let (a, b) = (db.open().await, db.open().await);
    assert!(a
        .accept("messages:created:M1", r#"{"id":"M1"}"#, t0, DAY)
        .await
        .unwrap());
    // The same delivery at another replica: recorded as a repeat, nothing queued.
    assert!(!b
        .accept("messages:created:M1", r#"{"id":"M1"}"#, t0, DAY)
        .await
        .unwrap());
    assert_eq!(
        a.depth(t0).await.unwrap(),
        QueueDepth {
            waiting: 1,
            leased: 0,
            dead: 0,
            oldest: Some(t0)
        }
    );

    let taken = a.take("worker-a", t0, t0 + LEASE).await.unwrap().unwrap();
    assert_eq!(taken.key, "messages:created:M1");
    assert_eq!(taken.payload, r#"{"id":"M1"}"#);
    assert_eq!(taken.attempts, 1);
    assert_eq!(
        b.take("worker-b", t0, t0 + LEASE).await.unwrap(),
        None,
        "leased to a"
    );
    assert_eq!(a.depth(t0).await.unwrap().leased, 1);
    // Only the owner can finish it.
    assert!(!b.finish(&taken.key, "worker-b").await.unwrap());
    assert!(a.finish(&taken.key, "worker-a").await.unwrap());
    assert_eq!(a.depth(t0).await.unwrap(), QueueDepth::default());
}
on_both_engines!(
    an_accepted_event_is_queued_once_and_taken_by_one_worker,
    super::an_accepted_event_is_queued_once_and_taken_by_one_worker
);

async fn the_event_of_a_worker_that_died_is_taken_by_another_once_its_lease_expires(
    engine: Engine,
) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let t0 = at(2026, 11, 2, 10, 0);
    let (a, b) = (db.open().await, db.open().await);
    a.accept("messages:created:M1", "{}", t0, DAY)
        .await
        .unwrap();
    a.take("dead-replica", t0, t0 + LEASE)
        .await
        .unwrap()
        .unwrap();
    drop(a);
    // Renewed leases keep it; 29 s later it is still the dead replica's.
    assert_eq!(
        b.take("b", t0 + Duration::seconds(29), t0 + LEASE)
            .await
            .unwrap(),
        None
    );
    let again = b
        .take("b", t0 + LEASE, t0 + LEASE + LEASE)
        .await
        .unwrap()
        .expect("free once the lease expired");
    assert_eq!(again.attempts, 2);
    // The dead replica's late writes cannot touch it any more.
    let late = db.open().await;
    assert!(!late.finish(&again.key, "dead-replica").await.unwrap());
    assert!(!late
        .renew(&again.key, "dead-replica", t0 + LEASE * 3)
        .await
        .unwrap());
    assert!(b.renew(&again.key, "b", t0 + LEASE * 3).await.unwrap());
    assert!(b.finish(&again.key, "b").await.unwrap());
}
on_both_engines!(
    the_event_of_a_worker_that_died_is_taken_by_another_once_its_lease_expires,
    super::the_event_of_a_worker_that_died_is_taken_by_another_once_its_lease_expires
);

async fn a_failed_attempt_waits_its_backoff_a_buried_event_is_never_taken_and_a_released_one_is_free_at_once(
    engine: Engine,
) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let t0 = at(2026, 11, 2, 10, 0);
    let q = db.open().await;
    q.accept("k:retry", "{}", t0, DAY).await.unwrap();
    q.accept("k:handback", "{}", t0 + Duration::seconds(1), DAY)
        .await
        .unwrap();

    let first = q.take("w", t0, t0 + LEASE).await.unwrap().unwrap();
    assert_eq!(first.key, "k:retry", "oldest first");
    assert!(q
        .retry("k:retry", "w", t0 + Duration::seconds(4), "Webex 503")
        .await
        .unwrap());
    let t1 = t0 + Duration::seconds(1);
    let second = q.take("w", t1, t1 + LEASE).await.unwrap().unwrap();
    assert_eq!(
        second.key, "k:handback",
        "the retried one waits its backoff"
    );
    // Shutdown hands it back: free at once and the attempt not counted.
    assert!(q.release("k:handback", "w").await.unwrap());
    let again = q.take("w2", t1, t1 + LEASE).await.unwrap().unwrap();
    assert_eq!((again.key.as_str(), again.attempts), ("k:handback", 1));
    q.finish("k:handback", "w2").await.unwrap();

    let retried = q
        .take("w", t0 + Duration::seconds(4), t0 + LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((retried.key.as_str(), retried.attempts), ("k:retry", 2));
    assert!(q
        .bury("k:retry", "w", t0 + Duration::seconds(5), "gave up")
        .await
        .unwrap());
    let later = t0 + Duration::hours(1);
    assert_eq!(q.take("w", later, later + LEASE).await.unwrap(), None);
    assert_eq!(
        q.depth(later).await.unwrap(),
        QueueDepth {
            waiting: 0,
            leased: 0,
            dead: 1,
            oldest: None
        }
    );
}
on_both_engines!(
    a_failed_attempt_waits_its_backoff_a_buried_event_is_never_taken_and_a_released_one_is_free_at_once,
    super::a_failed_attempt_waits_its_backoff_a_buried_event_is_never_taken_and_a_released_one_is_free_at_once
);

async fn concurrent_workers_of_several_replicas_take_every_event_exactly_once(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let t0 = at(2026, 11, 2, 10, 0);
    let q = db.open().await;
    for i in 0..40 {
        q.accept(&format!("k:{i:02}"), "{}", t0, DAY).await.unwrap();
    }
    let mut tasks = tokio::task::JoinSet::new();
    for r in 0..4 {
        let store = db.open().await;
        tasks.spawn(async move {
            let owner = format!("replica-{r}");
            let mut mine = Vec::new();
            while let Some(e) = store.take(&owner, t0, t0 + LEASE).await.unwrap() {
                assert!(store.finish(&e.key, &owner).await.unwrap());
                mine.push(e.key);
            }
            mine
        });
    }
    let mut all = Vec::new();
    while let Some(mine) = tasks.join_next().await {
        all.extend(mine.unwrap());
    }
    all.sort();
    let expected: Vec<String> = (0..40).map(|i| format!("k:{i:02}")).collect();
    assert_eq!(all, expected);
}
on_both_engines!(
    concurrent_workers_of_several_replicas_take_every_event_exactly_once,
    super::concurrent_workers_of_several_replicas_take_every_event_exactly_once
);

async fn a_delivery_repeated_after_the_retention_while_its_dead_letter_is_kept_is_not_queued(
    engine: Engine,
) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let t0 = at(2026, 11, 2, 10, 0);
    let q = db.open().await;
    assert!(q.accept("k:dead", "{}", t0, DAY).await.unwrap());
    q.take("w", t0, t0 + LEASE).await.unwrap().unwrap();
    q.bury("k:dead", "w", t0, "gave up").await.unwrap();
    // Two days later the same delivery again: past the dedup retention, but its dead letter
    // is still kept, so nothing is queued and it is a repeat.
    let later = t0 + Duration::days(2);
    assert!(!q.accept("k:dead", "{}", later, DAY).await.unwrap());
    assert_eq!(q.take("w", later, later + LEASE).await.unwrap(), None);
}
on_both_engines!(
    a_delivery_repeated_after_the_retention_while_its_dead_letter_is_kept_is_not_queued,
    super::a_delivery_repeated_after_the_retention_while_its_dead_letter_is_kept_is_not_queued
);
