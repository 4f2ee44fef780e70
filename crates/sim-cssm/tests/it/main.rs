//! Integration tests of the CSSM simulator: generated data, the served API, users and tokens,
//! and fault injection. Servers bind 127.0.0.1:0; expected values come from the snapshot data
//! read naively in the test, never from the simulator's own helpers.

mod auth;
mod dataset;
mod drift;
mod faults;
mod paging;

use chrono::NaiveDate;
use reqwest::{Client, Response};
use serde_json::{json, Value};
use slbot_sim_cssm::{spawn, DataSource, GenParams, SimConfig, SimHandle};

pub const API: &str = "/services/api/smart-accounts-and-licensing";

pub fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()
}

pub fn params(seed: u64, accounts: usize, vas: usize, licenses: usize) -> GenParams {
    GenParams {
        seed,
        accounts,
        virtual_accounts: vas,
        licenses_per_va: licenses,
        anchor: anchor(),
        lines_per_record: None,
    }
}

pub fn config(params: GenParams) -> SimConfig {
    SimConfig {
        data: DataSource::Generate(params),
        ..SimConfig::default()
    }
}

pub async fn start(config: SimConfig) -> SimHandle {
    spawn(config).await.unwrap()
}

/// A thin typed client of the simulator.
pub struct Sim {
    pub handle: SimHandle,
    pub http: Client,
}

impl Sim {
    pub async fn new(config: SimConfig) -> Self {
        Self {
            handle: start(config).await,
            http: Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.url())
    }

    pub async fn accounts(&self, token: &str) -> Response {
        self.http
            .get(self.url(&format!("{API}/v2/accounts")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn licenses(&self, token: &str, domain: &str, body: Value) -> Response {
        self.http
            .post(self.url(&format!("{API}/v1/accounts/{domain}/licenses")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn page(&self, domain: &str, limit: u64, offset: u64) -> Value {
        let r = self
            .licenses(
                "t",
                domain,
                json!({"virtualAccounts": [], "limit": limit, "offset": offset}),
            )
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn stats(&self) -> Value {
        self.http
            .get(self.url("/_sim/stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// The account domains of a `/v2/accounts` answer, in order.
pub async fn domains(response: Response) -> Vec<String> {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["accountDomain"].as_str().unwrap().to_string())
        .collect()
}
