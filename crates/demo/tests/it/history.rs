//! The past the demo writes into the bot store: five weekly points per demo person, taken
//! 35, 28, 21, 14 and 7 days before the start, written once per data folder.

use chrono::{DateTime, Duration, Utc};
use slbot_demo::DEMO_PEOPLE;
use slbot_inventory::history::{ChangesReport, Point, TrendReport, Window};
use slbot_inventory::Filters;
use slbot_notify::PointTimes;

use crate::harness::{start, Control};

/// Each demo person's Webex id and kept point times (and bytes), read from the demo's bot store.
async fn history(demo: &slbot_demo::DemoHandle) -> Vec<(Vec<PointTimes>, Vec<Vec<u8>>)> {
    let control = Control::new(demo);
    let url = format!("sqlite://{}", demo.data_dir.join("bot.db").display());
    let store = slbot_notify::open(&url).await.unwrap();
    let mut out = Vec::new();
    for person in DEMO_PEOPLE {
        let id = control.person(person.email).await;
        let times = store.point_times(&id).await.unwrap();
        let bytes = store
            .points(&id, None)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.bytes)
            .collect();
        out.push((times, bytes));
    }
    out
}

#[tokio::test]
async fn after_start_each_demo_person_has_five_weekly_points_and_a_restart_adds_none() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("demo");
    // Point times are whole seconds.
    let before: DateTime<Utc> = Utc::now() - Duration::seconds(1);
    let demo = start(&dir).await;
    let after = Utc::now();
    let first = history(&demo).await;
    for ((times, bytes), person) in first.iter().zip(DEMO_PEOPLE) {
        assert_eq!(times.len(), 5, "{}", person.email);
        for (t, days) in times.iter().zip([35, 28, 21, 14, 7]) {
            let at = t.taken_at;
            assert!(
                before - Duration::days(days) <= at && at <= after - Duration::days(days),
                "{}: {at} is not {days} days before the start",
                person.email
            );
            assert_eq!(t.seen_until, at);
        }
        for pair in times.windows(2) {
            assert_eq!(pair[1].taken_at - pair[0].taken_at, Duration::days(7));
        }
        let mut distinct = bytes.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), 5, "the data moves from week to week");
    }
    assert_ne!(
        first[0].1, first[1].1,
        "each person sees their own accounts"
    );

    // Ana's past reads as history: things changed over the four weeks, and the suggested
    // licence rises every week.
    let (times, bytes) = &first[0];
    let points: Vec<Point> = times
        .iter()
        .zip(bytes)
        .map(|(t, b)| {
            let at = t.taken_at.timestamp();
            Point::decode(b, at, at, 64 << 20).unwrap()
        })
        .collect();
    let now = after.timestamp();
    let changes = ChangesReport::between(
        &points[0],
        &points[4],
        Window::parse_days("30d").unwrap(),
        true,
        now,
        &Filters::default(),
    )
    .unwrap();
    assert!(changes.totals.changed > 0, "{:?}", changes.totals);
    assert!(
        changes.totals.quantity_delta > 0,
        "a purchase: {:?}",
        changes.totals
    );
    let license = demo.growing_license.clone().expect("a growing licence");
    let trend = TrendReport::of(&points, &license, &Filters::default()).unwrap();
    let in_use: Vec<i64> = trend.series.iter().map(|p| p.in_use).collect();
    assert_eq!(in_use.len(), 5, "{license}");
    assert!(
        in_use.windows(2).all(|w| w[0] < w[1]),
        "{license}: {in_use:?}"
    );
    demo.shutdown().await.unwrap();

    let demo = start(&dir).await;
    let again = history(&demo).await;
    for ((times, _), (times_before, _)) in again.iter().zip(&first) {
        assert_eq!(times, times_before, "nothing is written twice");
    }
    demo.shutdown().await.unwrap();
}
