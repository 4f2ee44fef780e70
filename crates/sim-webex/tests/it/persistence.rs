//! Saving the world and loading it into a new simulator.

use serde_json::{json, Value};
use slbot_sim_webex::{serve, SimConfig, SimState};

use crate::harness::Sim;

#[tokio::test]
async fn a_saved_world_loads_with_its_people_tokens_rooms_messages_files_and_webhooks() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let alice = sim.person("alice@example.com", "Alice").await;
    let hook = sim
        .webhook(&bot, "http://127.0.0.1:9/hook", "messages", Some("k"))
        .await;
    let text: Value = sim
        .post(
            &bot.token,
            "/v1/messages",
            json!({"toPersonId": alice.id, "text": "saved"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let room = text["roomId"].as_str().unwrap().to_owned();
    let form = reqwest::multipart::Form::new()
        .text("roomId", room.clone())
        .part(
            "files",
            reqwest::multipart::Part::bytes(vec![0, 1, 2, 254, 255]).file_name("b.bin"),
        );
    let file_msg: Value = sim
        .http
        .post(sim.url("/v1/messages"))
        .bearer_auth(&bot.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("webex.json");
    sim.state().save(&path).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        !saved.contains(&bot.token),
        "tokens are stored as digests only"
    );
    sim.handle.shutdown().await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = SimState::load(
        &path,
        SimConfig {
            public_base: Some(base.clone()),
            ..SimConfig::default()
        },
    )
    .unwrap();
    let _handle = serve(listener, state).unwrap();
    let http = reqwest::Client::new();

    let me: Value = http
        .get(format!("{base}/v1/people/me"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], alice.id.as_str());
    let listed: Value = http
        .get(format!("{base}/v1/messages?roomId={room}"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(ids, [&file_msg["id"], &text["id"]]);
    // The file URL is rebuilt from the new base.
    let url = listed["items"][0]["files"][0].as_str().unwrap();
    assert!(url.starts_with(&base));
    let bytes = http
        .get(url)
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), [0, 1, 2, 254, 255]);
    let got: Value = http
        .get(format!(
            "{base}/v1/webhooks/{}",
            hook["id"].as_str().unwrap()
        ))
        .bearer_auth(&bot.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["secret"], "k");

    // New messages continue the sequence rather than reuse numbers.
    let said: Value = http
        .post(format!("{base}/_sim/say"))
        .json(&json!({"personId": alice.id, "roomId": room, "text": "after restart"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let history: Value = http
        .get(format!("{base}/_sim/rooms/{room}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seqs: Vec<u64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs.len(), 3);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(seqs[2], said["seq"].as_u64().unwrap());
}

#[tokio::test]
async fn a_state_file_that_is_not_a_simulator_state_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("webex.json");
    std::fs::write(&path, "{\"hello\": 1}").unwrap();
    let err = SimState::load(&path, SimConfig::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot read the simulator state file"),
        "{err}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_saved_state_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::start().await;
    sim.person("alice@example.com", "Alice").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("webex.json");
    sim.handle.state().save(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o077,
        0,
        "mode {mode:o} lets others read webhook secrets and messages"
    );
}
