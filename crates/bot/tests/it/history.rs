//! The kept history as a person meets it: every complete fetch kept in the bot store,
//! `changes` and `trend` over them, the forecast in `status`, one person's history never
//! another's, and `sign out` forgetting it.

use std::collections::BTreeMap;

use chrono::Duration;
use serde_json::{json, Value};

use crate::harness::{spawn_app, TestApp};

/// (domain, VA, licence) → (quantity, inUse) summed, of the accounts user 0 sees, read
/// straight from snapshot JSON (no inventory code).
fn figures(app: &TestApp, json: &Value) -> BTreeMap<(String, String, String), (i64, i64)> {
    let mut out = BTreeMap::new();
    for account in app.dataset.accounts_of(0) {
        let domain = account["accountDomain"].as_str().unwrap_or("").to_string();
        for r in json["licenses"][&domain].as_array().into_iter().flatten() {
            let (Some(va), Some(license)) = (r["virtualAccount"].as_str(), r["license"].as_str())
            else {
                continue;
            };
            let e = out
                .entry((domain.clone(), va.to_string(), license.to_string()))
                .or_insert((0, 0));
            e.0 += r["quantity"].as_i64().unwrap_or(0);
            e.1 += r["inUse"].as_i64().unwrap_or(0);
        }
    }
    out
}

async fn advance_cssm(app: &TestApp, days: i64) {
    let response = app
        .http()
        .post(format!("{}/_sim/advance", app.cssm.url()))
        .json(&json!({"days": days}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

async fn kept_points(app: &TestApp, person: &str) -> usize {
    let store = slbot_notify::store::open(&app.bot_store_url())
        .await
        .unwrap();
    store.point_times(person).await.unwrap().len()
}

#[tokio::test]
async fn two_weeks_of_fetches_answer_changes_with_what_the_simulator_changed_and_sign_out_forgets_them(
) {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let bob = app.signed_in("bob", 1).await;
    let room = app.direct(&alice).await;

    // The first command fetches: one snapshot kept, nothing to compare yet.
    let replies = app.say(&alice, &room, "changes").await;
    assert_eq!(
        replies[0].markdown,
        "I have one snapshot of your licenses so far (2026-03-02). `changes` needs two: ask \
         again after the next fetch (`refresh` fetches now)."
    );
    assert_eq!(kept_points(&app, &alice.id).await, 1);

    // Two weeks on, CSSM has moved; `refresh` fetches and keeps a second snapshot.
    let base_json = app.dataset.json.clone();
    advance_cssm(&app, 14).await;
    app.clock.advance(Duration::days(14));
    app.say(&alice, &room, "refresh").await;
    assert_eq!(kept_points(&app, &alice.id).await, 2);

    // What changed, read from the two datasets without the inventory code.
    let seed = app.cssm.state.drift_seed();
    let base: slbot_cssm::Snapshot = serde_json::from_value(base_json.clone()).unwrap();
    let later = serde_json::to_value(slbot_sim_cssm::advance(&base, seed, 14)).unwrap();
    let (before, after) = (figures(&app, &base_json), figures(&app, &later));
    let changed = before
        .iter()
        .filter(|(k, v)| after.get(*k).is_some_and(|a| a != *v))
        .count();
    let in_use_delta: i64 =
        after.values().map(|v| v.1).sum::<i64>() - before.values().map(|v| v.1).sum::<i64>();
    assert!(changed > 0, "the simulator must have moved something");

    let replies = app.say(&alice, &room, "changes 14d").await;
    let text = &replies[0].markdown;
    assert!(
        text.starts_with(
            "**Changes over the last 14 days** (snapshots of 2026-03-02 and 2026-03-16)\n"
        ),
        "{text}"
    );
    let signed = if in_use_delta > 0 {
        format!("+{in_use_delta}")
    } else {
        in_use_delta.to_string()
    };
    assert!(
        text.contains(&format!(
            "0 licenses added, 0 removed, {changed} changed; owned "
        )) && text.contains(&format!(", in use {signed};")),
        "expected {changed} changed and in use {signed}: {text}"
    );

    // Bob's history is his own: one snapshot of his, none of Alice's.
    let bob_room = app.direct(&bob).await;
    let replies = app.say(&bob, &bob_room, "changes 14d").await;
    assert!(
        replies[0].markdown.starts_with("I have one snapshot"),
        "{}",
        replies[0].markdown
    );

    // A trend of a licence Alice has, from her two snapshots: not enough for a forecast.
    let (_, _, license) = before.keys().next().unwrap().clone();
    let replies = app
        .say(&alice, &room, &format!("trend {}", license.trim()))
        .await;
    assert!(
        replies[0]
            .markdown
            .contains("Not enough history for a forecast"),
        "{}",
        replies[0].markdown
    );
    assert!(
        replies
            .iter()
            .any(|r| r.files.iter().any(|f| f.2 == "text/csv")),
        "the series as CSV"
    );

    // Sign out forgets the history with the sign-in.
    app.say(&alice, &room, "sign out").await;
    assert_eq!(kept_points(&app, &alice.id).await, 0);
    assert_eq!(kept_points(&app, &bob.id).await, 1);
}
