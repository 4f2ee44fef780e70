//! Files: multipart upload, download for members only, the web chat's session cookie, and a
//! router nested under a prefix that generates URLs from `public_base`.

use reqwest::StatusCode;
use serde_json::{json, Value};
use slbot_sim_webex::{router, SimConfig, SimState};

use crate::harness::Sim;

fn report_bytes() -> Vec<u8> {
    // Every byte value, so any re-encoding would show.
    (0..=255u8).cycle().take(3000).collect()
}

async fn upload(sim: &Sim, token: &str, room: &str) -> Value {
    let form = reqwest::multipart::Form::new()
        .text("roomId", room.to_owned())
        .text("markdown", "Your **report**")
        .part(
            "files",
            reqwest::multipart::Part::bytes(report_bytes())
                .file_name("licenses.xlsx")
                .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .unwrap(),
        );
    let r = sim
        .http
        .post(sim.url("/v1/messages"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_multipart_file_is_stored_and_members_download_the_same_bytes_with_name_and_type() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let mallory = sim.person("mallory@example.com", "Mallory").await;
    let room = sim
        .control_ok("direct", json!({"personA": bot.id, "personB": alice.id}))
        .await;
    let msg = upload(&sim, &bot.token, room["id"].as_str().unwrap()).await;

    let url = msg["files"][0].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/v1/contents/", sim.base())),
        "{url}"
    );
    let r = sim
        .http
        .get(url)
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("filename=\"licenses.xlsx\""));
    assert_eq!(r.bytes().await.unwrap().to_vec(), report_bytes());

    let outsider = sim
        .http
        .get(url)
        .bearer_auth(&mallory.token)
        .send()
        .await
        .unwrap();
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    let anonymous = sim.http.get(url).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sim.stats().await["filesStored"], 1);

    // The web chat: a session for Alice sets a cookie that downloads work with.
    let session = sim
        .http
        .post(sim.url("/_sim/sessions"))
        .json(&json!({"personId": alice.id}))
        .send()
        .await
        .unwrap();
    let cookie = session.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("sim_webex_token="));
    let r = sim
        .http
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), report_bytes());
}

#[tokio::test]
async fn a_second_file_part_is_refused() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let form = reqwest::multipart::Form::new()
        .text("toPersonId", alice.id.clone())
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"1".to_vec()).file_name("a.txt"),
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"2".to_vec()).file_name("b.txt"),
        );
    let r = sim
        .http
        .post(sim.url("/v1/messages"))
        .bearer_auth(&bot.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn nested_under_a_prefix_the_simulator_builds_file_and_link_urls_from_its_public_base() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}/webex");
    let state = SimState::new(SimConfig {
        public_base: Some(base.clone()),
        ..SimConfig::default()
    })
    .unwrap();
    let app = axum::Router::new().nest("/webex", router(state));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();

    let create = |email: &str, name: &str| {
        let http = http.clone();
        let url = format!("{base}/_sim/people");
        let body = json!({"email": email, "displayName": name});
        async move {
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let a = create("a@example.com", "A").await;
    let b = create("b@example.com", "B").await;
    let c = create("c@example.com", "C").await;
    let token = a["token"].as_str().unwrap();
    let room = http
        .post(format!("{base}/_sim/rooms"))
        .json(&json!({"title": "t", "memberIds": [a["person"]["id"], b["person"]["id"], c["person"]["id"]]}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let room_id = room["id"].as_str().unwrap();

    let r = http
        .get(format!("{base}/v1/memberships?roomId={room_id}&max=2"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("<{base}/v1/memberships?cursor=")),
        "{link}"
    );

    let form = reqwest::multipart::Form::new()
        .text("roomId", room_id.to_owned())
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"hello".to_vec())
                .file_name("h.txt")
                .mime_str("text/plain")
                .unwrap(),
        );
    let msg: Value = http
        .post(format!("{base}/v1/messages"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = msg["files"][0].as_str().unwrap();
    assert!(url.starts_with(&format!("{base}/v1/contents/")), "{url}");
    let got = http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"hello");

    let stats: Value = http
        .get(format!("{base}/_sim/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["GET /v1/memberships"], 1);
    assert_eq!(stats["requests"]["POST /v1/messages"], 1);
}
