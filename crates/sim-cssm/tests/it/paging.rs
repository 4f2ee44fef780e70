//! The licence, account and VA calls: page caps, totals, filters and error answers.

use serde_json::{json, Value};
use slbot_sim_cssm::{generate, DataSource, SimConfig};

use crate::{params, Sim, API};

/// Every record of `domain` in the snapshot, as JSON values, in order.
fn records_of(snapshot: &slbot_cssm::Snapshot, domain: &str) -> Vec<Value> {
    snapshot.licenses[domain]
        .iter()
        .map(|r| serde_json::from_str(r.get()).unwrap())
        .collect()
}

fn from_snapshot(snapshot: slbot_cssm::Snapshot, max_page: usize, omit_total: bool) -> SimConfig {
    SimConfig {
        data: DataSource::Snapshot(snapshot),
        max_page,
        omit_total,
        ..SimConfig::default()
    }
}

const DOMAIN: &str = "globex-corporation.example.com";

#[tokio::test]
async fn pages_are_capped_at_the_maximum_whatever_limit_is_asked_and_total_every_record() {
    let gen = params(21, 3, 3, 20);
    let expected = records_of(&generate(&gen), DOMAIN);
    assert!(expected.len() > 20, "fixture too small: {}", expected.len());
    let sim = Sim::new(from_snapshot(generate(&gen), 7, false)).await;

    let mut got = Vec::new();
    let mut offset = 0;
    loop {
        let page = sim.page(DOMAIN, 50, offset).await;
        assert_eq!(page["totalRecords"], expected.len());
        let records = page["licenses"].as_array().unwrap();
        assert!(records.len() <= 7);
        offset += records.len() as u64;
        got.extend(records.iter().cloned());
        if offset >= expected.len() as u64 {
            break;
        }
    }
    assert_eq!(got, expected);
    let stats = sim.stats().await;
    assert_eq!(stats["largestPage"], 7);
    assert_eq!(stats["pagesServed"], expected.len().div_ceil(7));
}

#[tokio::test]
async fn without_totals_a_short_page_is_not_the_end_and_an_empty_one_is() {
    let gen = params(22, 3, 3, 20);
    let expected = records_of(&generate(&gen), DOMAIN);
    let sim = Sim::new(from_snapshot(generate(&gen), 5, true)).await;

    let mut got = Vec::new();
    let mut offset = 0;
    loop {
        let page = sim.page(DOMAIN, 8, offset).await;
        assert!(page.get("totalRecords").is_none(), "{page}");
        let records = page["licenses"].as_array().unwrap();
        if records.is_empty() {
            break;
        }
        assert!(records.len() <= 5);
        offset += records.len() as u64;
        got.extend(records.iter().cloned());
    }
    assert_eq!(got, expected);
}

#[tokio::test]
async fn a_virtual_account_filter_returns_only_that_virtual_account() {
    let gen = params(23, 2, 3, 10);
    let snapshot = generate(&gen);
    let expected: Vec<Value> = records_of(&snapshot, DOMAIN)
        .into_iter()
        .filter(|r| r["virtualAccount"] == "DEFAULT")
        .collect();
    let sim = Sim::new(from_snapshot(snapshot, 1000, false)).await;
    let r = sim
        .licenses(
            "t",
            DOMAIN,
            json!({"virtualAccounts": ["DEFAULT"], "limit": 1000, "offset": 0}),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["licenses"].as_array().unwrap(), &expected);
    assert_eq!(body["totalRecords"], expected.len());
    assert_eq!(body["status"], "SUCCESS");
}

#[tokio::test]
async fn an_empty_selection_gets_the_no_data_found_answer() {
    // The last VA of account 0 is always empty (see the generator's doc).
    let snapshot = generate(&params(24, 2, 3, 10));
    let domain = snapshot.accounts[0]["accountDomain"]
        .as_str()
        .unwrap()
        .to_string();
    let vas = &snapshot.virtual_accounts.as_ref().unwrap()[&domain];
    let last = vas.last().unwrap()["name"].as_str().unwrap().to_string();
    let sim = Sim::new(from_snapshot(snapshot, 100, false)).await;
    let r = sim
        .licenses(
            "t",
            &domain,
            json!({"virtualAccounts": [last], "limit": 10, "offset": 0}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message_code"], "NO DATA FOUND");
    assert_eq!(body["totalRecords"], 0);
    assert!(body.get("licenses").is_none());
}

#[tokio::test]
async fn virtual_accounts_are_served_under_the_account_type() {
    // Account 2 is HOLDING, the others CUSTOMER.
    let snapshot = generate(&params(25, 3, 3, 5));
    let holding = "initech.example.com";
    let expected = snapshot.virtual_accounts.as_ref().unwrap()[holding].clone();
    let sim = Sim::new(from_snapshot(snapshot, 100, false)).await;
    let get = |kind: &str| {
        sim.http
            .get(sim.url(&format!(
                "{API}/v1/accounts/{holding}/{kind}/virtual-accounts"
            )))
            .bearer_auth("t")
            .send()
    };
    let r = get("HOLDING").await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["virtualAccounts"], Value::Array(expected));
    assert_eq!(body["virtualAccounts"][0]["isDefault"], "true");
    assert_eq!(get("CUSTOMER").await.unwrap().status(), 404);
}

#[tokio::test]
async fn an_unknown_account_is_404_and_a_bad_body_is_400_both_in_json() {
    let sim = Sim::new(from_snapshot(generate(&params(26, 2, 2, 5)), 100, false)).await;
    let r = sim
        .licenses("t", "nobody.example.com", json!({"limit": 10, "offset": 0}))
        .await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ERROR");

    let r = sim
        .http
        .post(sim.url(&format!("{API}/v1/accounts/{DOMAIN}/licenses")))
        .bearer_auth("t")
        .header("Content-Type", "application/json")
        .body("{\"limit\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ERROR");
}

#[tokio::test]
async fn a_snapshot_is_served_record_for_record_even_odd_records() {
    let snapshot: slbot_cssm::Snapshot = serde_json::from_str(
        r#"{"accounts":[{"accountName":"Solo","accountDomain":"solo.example.com","accountType":"CUSTOMER"}],
            "licenses":{"solo.example.com":[{"license":"A ","virtualAccount":"DEFAULT","quantity":1},
                                             {"weird":true}]}}"#,
    )
    .unwrap();
    let sim = Sim::new(from_snapshot(snapshot, 100, false)).await;
    let page = sim.page("solo.example.com", 10, 0).await;
    assert_eq!(
        page["licenses"],
        json!([{"license":"A ","virtualAccount":"DEFAULT","quantity":1},{"weird":true}])
    );
}

#[tokio::test]
async fn subscriptions_are_the_lines_with_an_id_labelled_against_now() {
    let snapshot = generate(&params(27, 2, 3, 20));
    let now = crate::anchor().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let mut expired = Vec::new();
    let mut active = 0;
    for record in records_of(&snapshot, DOMAIN) {
        for line in record["licenseDetails"].as_array().unwrap() {
            if !line["subscriptionId"].is_string() {
                continue;
            }
            match line["endDate"].as_str() {
                Some(end) if crate::dataset::parse(end) < now => {
                    expired.push(line["subscriptionId"].clone())
                }
                _ => active += 1,
            }
        }
    }
    assert!(!expired.is_empty() && active > 0);
    let sim = Sim::new(SimConfig {
        now,
        ..from_snapshot(snapshot, 1000, false)
    })
    .await;
    let ask = |status: Value| {
        sim.http
            .post(sim.url(&format!("{API}/v1/accounts/{DOMAIN}/license-subscriptions")))
            .bearer_auth("t")
            .json(&json!({"status": status, "virtualAccounts": [], "limit": 1000, "offset": 0}))
            .send()
    };
    let body: Value = ask(json!(["Expired"])).await.unwrap().json().await.unwrap();
    let rows = body["licenseSubscriptions"].as_array().unwrap();
    let ids: Vec<Value> = rows.iter().map(|r| r["subscriptionId"].clone()).collect();
    assert_eq!(ids, expired);
    assert!(rows.iter().all(|r| r["status"] == "Expired"));
    let body: Value = ask(json!([])).await.unwrap().json().await.unwrap();
    assert_eq!(body["totalRecords"], expired.len() + active);
}
