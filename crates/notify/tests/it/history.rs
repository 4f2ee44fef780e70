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

/// The point of a one-account snapshot with `(licence, quantity, inUse)` records in DEFAULT.
fn point(
    records: &[(&str, i64, i64)],
    at: chrono::DateTime<chrono::Utc>,
) -> slbot_inventory::history::Point {
    let records: Vec<serde_json::Value> = records
        .iter()
        .map(|(l, q, u)| serde_json::json!({"license": l, "virtualAccount": "DEFAULT", "quantity": q, "inUse": u}))
        .collect();
    let json = serde_json::json!({
        "accounts": [{"accountName": "Acme", "accountDomain": "acme.com"}],
        "licenses": {"acme.com": records},
    });
    let inv = slbot_inventory::Inventory::from_json_slice(
        &serde_json::to_vec(&json).unwrap(),
        &slbot_inventory::Catalog::shipped(),
    )
    .unwrap();
    inv.history_point(at.timestamp())
}

async fn a_digest_section_says_what_changed_since_the_last_digest(engine: Engine) {
    use slbot_inventory::history::Point;
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let store = db.open().await;
    let (d1, d2, d3) = (
        at(2026, 11, 1, 8, 0),
        at(2026, 11, 8, 8, 0),
        at(2026, 11, 15, 8, 0),
    );
    let long_ago = at(2020, 1, 1, 0, 0);
    // Nov 1: Apex 10/5. Nov 8 (the last digest's time): Apex 10/7. Nov 15: Apex 10/12, Plus 2/0.
    for (records, t) in [
        (&[("Apex", 10, 5)][..], d1),
        (&[("Apex", 10, 7)][..], d2),
        (&[("Apex", 10, 12), ("Plus", 2, 0)][..], d3),
    ] {
        let bytes = point(records, t).encode();
        store
            .keep_point("p1", t, &Point::digest(&bytes), &bytes, long_ago)
            .await
            .unwrap();
    }
    let section = slbot_notify::since::since_last_digest(store.as_ref(), "p1", Some(d2), d3).await;
    // Base Nov 8 (Apex 10/7), latest Nov 15: Plus added; Apex in use 7 → 12 and now short 2.
    assert_eq!(
        section.as_deref(),
        Some(
            "**Since the last digest** (2026-11-08): 1 license added, 0 removed, 1 changed; owned \
             +2, in use +5; 0 new expirations (0 licenses); 1 new shortage, 0 resolved.\n\
             * **Plus** (Acme / DEFAULT): added, owned 0 → 2, in use 0 → 0\n\
             * **Apex** (Acme / DEFAULT): changed, owned 10 → 10, in use 7 → 12"
        )
    );
    // No earlier digest, or no point from before it: no section.
    assert_eq!(
        slbot_notify::since::since_last_digest(store.as_ref(), "p1", None, d3).await,
        None
    );
    assert_eq!(
        slbot_notify::since::since_last_digest(
            store.as_ref(),
            "p1",
            Some(at(2026, 10, 1, 0, 0)),
            d3
        )
        .await,
        None
    );
    db.cleanup().await;
}

on_both_engines!(
    a_digest_says_what_changed_since_the_last_digest,
    super::a_digest_section_says_what_changed_since_the_last_digest
);
