//! The history contract, on both engines: a point is kept once while nothing changes, old
//! rows go after the retention, `sign out` forgets everything, and rows survive a restart.

use crate::harness::*;
use crate::on_both_engines;

async fn a_person_s_points_are_kept_deduplicated_trimmed_and_forgotten(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let store = db.open().await;
    let (d1, d2) = (at(2026, 1, 1, 8, 0), at(2026, 1, 8, 8, 0));
    let long_ago = at(2025, 1, 1, 0, 0);
    use slbot_notify::Kept;
    assert_eq!(
        store
            .keep_point("p1", d1, "aaa", b"one", long_ago)
            .await
            .unwrap(),
        Kept::New
    );
    // The same content a day later moves seen_until; nothing new is stored.
    let d1b = at(2026, 1, 2, 8, 0);
    assert_eq!(
        store
            .keep_point("p1", d1b, "aaa", b"one", long_ago)
            .await
            .unwrap(),
        Kept::Unchanged
    );
    assert_eq!(
        store
            .keep_point("p1", d2, "bbb", b"two", long_ago)
            .await
            .unwrap(),
        Kept::New
    );
    // Another person's history is apart.
    store
        .keep_point("p2", d1, "aaa", b"one", long_ago)
        .await
        .unwrap();

    // A restart (a new pool) still has them.
    let store = db.open().await;
    let times = store.point_times("p1").await.unwrap();
    let pairs: Vec<_> = times.iter().map(|t| (t.taken_at, t.seen_until)).collect();
    assert_eq!(pairs, [(d1, d1b), (d2, d2)]);
    let all = store.points("p1", None).await.unwrap();
    let bytes: Vec<&[u8]> = all.iter().map(|p| p.bytes.as_slice()).collect();
    assert_eq!(bytes, [b"one".as_slice(), b"two".as_slice()]);
    let one = store
        .points("p1", Some(&[d2, at(2026, 3, 1, 0, 0)]))
        .await
        .unwrap();
    assert_eq!(one.len(), 1, "a time no row has is skipped");
    assert_eq!(one[0].bytes, b"two");

    // The retention: keeping a point on 2026-02-01 with a cutoff of 2026-01-05 deletes the
    // row last seen on 2026-01-02 and keeps the one of 2026-01-08.
    let d3 = at(2026, 2, 1, 8, 0);
    store
        .keep_point("p1", d3, "ccc", b"three", at(2026, 1, 5, 0, 0))
        .await
        .unwrap();
    let taken: Vec<_> = store
        .point_times("p1")
        .await
        .unwrap()
        .iter()
        .map(|t| t.taken_at)
        .collect();
    assert_eq!(taken, [d2, d3]);

    // Sign out forgets p1 only.
    assert_eq!(store.forget_history("p1").await.unwrap(), 2);
    assert!(store.point_times("p1").await.unwrap().is_empty());
    assert_eq!(store.point_times("p2").await.unwrap().len(), 1);
    db.cleanup().await;
}

on_both_engines!(
    a_persons_points_are_kept_deduplicated_trimmed_and_forgotten,
    super::a_person_s_points_are_kept_deduplicated_trimmed_and_forgotten
);
