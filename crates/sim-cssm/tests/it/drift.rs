//! The drift of the data over days ([`slbot_sim_cssm::advance`]) and `/_sim/advance`. With seed
//! 4813, the draws of the first records are pinned below (grows 2 a week, shrinks 2 a week,
//! flat, flat with a purchase; the first record of the second account grows 2 a week), and
//! every expected figure is worked out by hand from those rules.

use serde_json::{json, Value};
use slbot_cssm::Snapshot;
use slbot_sim_cssm::{advance, drift_of, DataSource, Drift, SimConfig, Usage};

use crate::{params, Sim};

const SEED: u64 = 4813;

fn drift(usage: Usage, per_week: i64, purchase: bool) -> Drift {
    Drift {
        usage,
        per_week,
        purchase,
    }
}

/// Two accounts: `a` with a growing, a shrinking, a flat and a bought record, then two odd
/// ones; `b` with one growing record that has no `available`.
fn tiny() -> Snapshot {
    serde_json::from_str(
        r#"{"accounts":[{"accountDomain":"a.example.com"},{"accountDomain":"b.example.com"}],
            "licenses":{
              "a.example.com":[
                {"license":"Grow","virtualAccount":"DEFAULT","quantity":10,"inUse":4,"available":6},
                {"license":"Shrink","virtualAccount":"DEFAULT","quantity":10,"inUse":3,"available":7},
                {"license":"Flat","virtualAccount":"Lab","quantity":5,"inUse":1,"available":4},
                {"license":"Bought","virtualAccount":"Lab","quantity":20,"inUse":19,"available":1},
                "not even an object",
                {"license":"Odd","quantity":"ten","inUse":2, "available" : 8}],
              "b.example.com":[
                {"license":"Grow B","quantity":8,"inUse":7}]}}"#,
    )
    .unwrap()
}

/// The records of `domain` as texts, exactly as the snapshot holds them.
fn texts(snapshot: &Snapshot, domain: &str) -> Vec<String> {
    snapshot.licenses[domain]
        .iter()
        .map(|r| r.get().to_string())
        .collect()
}

#[test]
fn the_draws_are_fixed_by_the_seed_and_the_position() {
    assert_eq!(drift_of(SEED, 0, 0), drift(Usage::Grows, 2, false));
    assert_eq!(drift_of(SEED, 0, 1), drift(Usage::Shrinks, 2, false));
    assert_eq!(drift_of(SEED, 0, 2), drift(Usage::Flat, 1, false));
    assert_eq!(drift_of(SEED, 0, 3), drift(Usage::Flat, 1, true));
    assert_eq!(drift_of(SEED, 1, 0), drift(Usage::Grows, 2, false));
    assert_ne!(
        (0..20).map(|r| drift_of(SEED, 0, r)).collect::<Vec<_>>(),
        (0..20)
            .map(|r| drift_of(SEED + 1, 0, r))
            .collect::<Vec<_>>()
    );
}

#[test]
fn about_forty_percent_grow_ten_shrink_and_five_see_a_purchase() {
    let draws: Vec<Drift> = (0..20_000).map(|r| drift_of(7, r % 9, r)).collect();
    let share = |f: &dyn Fn(&Drift) -> bool| draws.iter().filter(|d| f(d)).count() as f64 / 200.0;
    let grows = share(&|d| d.usage == Usage::Grows);
    let shrinks = share(&|d| d.usage == Usage::Shrinks);
    let purchases = share(&|d| d.purchase);
    assert!((38.0..42.0).contains(&grows), "{grows}% grow");
    assert!((9.0..11.0).contains(&shrinks), "{shrinks}% shrink");
    assert!((4.0..6.0).contains(&purchases), "{purchases}% purchase");
    assert!(draws.iter().all(|d| (1..=3).contains(&d.per_week)));
}

#[test]
fn two_weeks_later_usage_grows_and_shrinks_the_purchase_is_made_and_available_follows() {
    let later = advance(&tiny(), SEED, 14);
    let a = texts(&later, "a.example.com");
    // Grow: 4 + 2 × 14 / 7 = 8 in use, 10 − 8 = 2 available; fields keep their order.
    assert_eq!(
        a[0],
        r#"{"license":"Grow","virtualAccount":"DEFAULT","quantity":10,"inUse":8,"available":2}"#
    );
    // Shrink: 3 − 4 would be −1, so 0; 10 available.
    assert_eq!(
        a[1],
        r#"{"license":"Shrink","virtualAccount":"DEFAULT","quantity":10,"inUse":0,"available":10}"#
    );
    // Flat: untouched.
    assert_eq!(
        a[2],
        r#"{"license":"Flat","virtualAccount":"Lab","quantity":5,"inUse":1,"available":4}"#
    );
    // Bought (day 14 ≥ 10): 20 + 20 / 5 = 24, 24 − 19 = 5 available.
    assert_eq!(
        a[3],
        r#"{"license":"Bought","virtualAccount":"Lab","quantity":24,"inUse":19,"available":5}"#
    );
    // b's record grows: 7 + 4 = 11, and gets no `available` it did not have.
    assert_eq!(
        texts(&later, "b.example.com"),
        [r#"{"license":"Grow B","quantity":8,"inUse":11}"#]
    );
}

#[test]
fn two_weeks_earlier_everything_moves_back_and_the_purchase_is_not_made_yet() {
    let earlier = advance(&tiny(), SEED, -14);
    let a = texts(&earlier, "a.example.com");
    assert_eq!(
        a[0],
        r#"{"license":"Grow","virtualAccount":"DEFAULT","quantity":10,"inUse":0,"available":10}"#
    );
    assert_eq!(
        a[1],
        r#"{"license":"Shrink","virtualAccount":"DEFAULT","quantity":10,"inUse":7,"available":3}"#
    );
    // 20 − 4 = 16 bought before, 19 in use: a shortage, so nothing available.
    assert_eq!(
        a[3],
        r#"{"license":"Bought","virtualAccount":"Lab","quantity":16,"inUse":19,"available":0}"#
    );
    assert_eq!(
        texts(&earlier, "b.example.com"),
        [r#"{"license":"Grow B","quantity":8,"inUse":3}"#]
    );
}

#[test]
fn the_purchase_shows_from_day_ten_and_before_day_minus_ten_only() {
    let bought = |days: i64| -> Value {
        serde_json::from_str(advance(&tiny(), SEED, days).licenses["a.example.com"][3].get())
            .unwrap()
    };
    assert_eq!(bought(9)["quantity"], 20);
    assert_eq!(bought(10)["quantity"], 24);
    assert_eq!(bought(-9)["quantity"], 20);
    assert_eq!(bought(-10)["quantity"], 16);
}

#[test]
fn advancing_zero_days_or_too_few_to_move_anything_is_the_identity() {
    let base = tiny();
    for days in [0, 3, -3] {
        let moved = advance(&base, SEED, days);
        for domain in ["a.example.com", "b.example.com"] {
            // 2 a week for 3 days is 6 / 7, less than one.
            assert_eq!(texts(&moved, domain), texts(&base, domain), "{days} days");
        }
        assert_eq!(moved.accounts, base.accounts);
    }
}

#[test]
fn records_that_are_not_objects_or_lack_numbers_survive_byte_for_byte() {
    let base = tiny();
    for days in [-35, 14, 400] {
        let moved = advance(&base, SEED, days);
        let a = texts(&moved, "a.example.com");
        assert_eq!(a[4], r#""not even an object""#);
        assert_eq!(
            a[5],
            r#"{"license":"Odd","quantity":"ten","inUse":2, "available" : 8}"#
        );
    }
}

async fn advance_over_http(sim: &Sim, body: Value) -> reqwest::Response {
    sim.http
        .post(sim.url("/_sim/advance"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn advanced_days(sim: &Sim) -> Value {
    let r = sim.http.get(sim.url("/_sim/advance")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn posting_an_advance_changes_the_served_licences_and_is_an_offset_from_the_base() {
    let gen = params(SEED, 2, 2, 10);
    let sim = Sim::new(SimConfig {
        data: DataSource::Generate(gen),
        ..SimConfig::default()
    })
    .await;
    let domain = "acme-corp.example.com";
    let base = sim.page(domain, 100, 0).await["licenses"].clone();
    assert_eq!(advanced_days(&sim).await, json!({"days": 0}));

    let r = advance_over_http(&sim, json!({"days": 14})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"days": 14}));
    assert_eq!(advanced_days(&sim).await, json!({"days": 14}));
    let later = sim.page(domain, 100, 0).await["licenses"].clone();
    let (b, l) = (&base.as_array().unwrap(), &later.as_array().unwrap());
    assert_eq!(b.len(), l.len());
    let n = |v: &Value, f: &str| v[f].as_i64().unwrap();
    // Record 0 grows 2 a week: +4 in use.
    assert_eq!(n(&l[0], "inUse"), n(&b[0], "inUse") + 4);
    assert_eq!(l[0]["quantity"], b[0]["quantity"]);
    // Record 1 shrinks 2 a week: −4, never below 0.
    assert_eq!(n(&l[1], "inUse"), (n(&b[1], "inUse") - 4).max(0));
    // Record 2 is flat.
    assert_eq!(l[2], b[2]);
    // Record 3 was bought more: + max(quantity / 5, 1).
    let q = n(&b[3], "quantity");
    assert_eq!(n(&l[3], "quantity"), q + (q / 5).max(1));
    for record in [&l[0], &l[1], &l[3]] {
        assert_eq!(
            n(record, "available"),
            (n(record, "quantity") - n(record, "inUse")).max(0)
        );
    }

    // The same advance again is not cumulative.
    advance_over_http(&sim, json!({"days": 14})).await;
    assert_eq!(sim.page(domain, 100, 0).await["licenses"], later);
    // Back to 0 serves the base again.
    advance_over_http(&sim, json!({"days": 0})).await;
    assert_eq!(sim.page(domain, 100, 0).await["licenses"], base);
}

#[tokio::test]
async fn an_advance_that_is_not_a_whole_number_of_days_or_too_far_is_refused() {
    let sim = Sim::new(SimConfig::default()).await;
    for body in [
        json!({"days": 1.5}),
        json!({"weeks": 2}),
        json!({"days": 100_000}),
    ] {
        let r = advance_over_http(&sim, body.clone()).await;
        assert_eq!(r.status(), 400, "{body}");
    }
    assert_eq!(advanced_days(&sim).await, json!({"days": 0}));
}
