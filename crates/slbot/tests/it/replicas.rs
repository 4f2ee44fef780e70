//! Two `slbot bot` processes on one PostgreSQL bot store, against the Webex and CSSM
//! simulators and a real backend: a delivery reaching both replicas is answered once, and a
//! replica killed with SIGKILL in the middle of a command leaves it to the other, which
//! answers it once. With Redis (`SLBOT_CACHE_URL`), one person's commands spread over both
//! replicas cost one CSSM fetch, and a `refresh` on one is seen by the other; with Redis
//! unreachable, commands are still answered and `/readyz` and `/metrics` say so. On the
//! websocket transport, one replica holds the connection and, killed with SIGKILL mid-command,
//! leaves it and its commands to the other: each answered once. Needs
//! `SLBOT_TEST_POSTGRES_URL` and `SLBOT_TEST_REDIS_URL` (prints SKIPPED without them).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use slbot_backend::server;

const BACKEND_SECRET: &str = "replicas-backend-secret-0123456789abcdef";
const CSSM_TOKEN: &str = "replicas-cssm-token";

/// `SLBOT_TEST_{name}`, or `None` with SKIPPED (a failure under `SLBOT_TEST_REQUIRE_ALL`).
fn test_service(name: &str, what: &str) -> Option<String> {
    let config = slbot_config::Config::load(None).ok()?;
    match config
        .get(&format!("TEST_{name}"))
        .filter(|u| !u.is_empty())
    {
        Some(url) => Some(url),
        None => {
            if config.get("TEST_REQUIRE_ALL").as_deref() == Some("1") {
                panic!("SLBOT_TEST_REQUIRE_ALL=1 but SLBOT_TEST_{name} is not set");
            }
            println!("SKIPPED: SLBOT_TEST_{name} is not set (no {what} for the replicas)");
            None
        }
    }
}

fn postgres_url() -> Option<String> {
    test_service("POSTGRES_URL", "PostgreSQL")
}

fn redis_url() -> Option<String> {
    test_service("REDIS_URL", "Redis")
}

#[path = "../common/backend.rs"]
mod backend;
#[path = "../common/replica.rs"]
mod replica;
use backend::serve_backend;
use replica::{start_replica, Replica};

struct Cluster {
    env: HashMap<String, String>,
    /// New for each cluster: nothing a cluster caches in a shared Redis is read by another.
    webhook_secret: String,
    control: String,
    cssm: String,
    bot_id: String,
    alice: String,
    room: String,
    http: reqwest::Client,
    _keep: (
        slbot_sim_webex::SimHandle,
        slbot_sim_cssm::SimHandle,
        tempfile::TempDir,
    ),
}

async fn post(http: &reqwest::Client, url: String, body: Value) -> Value {
    let r = http.post(url).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

async fn cluster(pg: &str) -> Cluster {
    let http = reqwest::Client::new();
    let webhook_secret = format!("replicas-webhook-secret-{}", slbot_base::random_hex(16));
    // The bot store: a fresh schema, created (and migrated) once; the replicas use it by URL.
    let schema = format!("slbot_replicas_{}", slbot_base::random_hex(6));
    slbot_notify::store::postgres::PostgresNotifyStore::connect(pg, Some(&schema))
        .await
        .unwrap();
    let sep = if pg.contains('?') { '&' } else { '?' };
    let bot_store = format!("{pg}{sep}options[search_path]={schema}");

    let (_, webex) = slbot_sim_webex::spawn(slbot_sim_webex::SimConfig::default())
        .await
        .unwrap();
    let control = format!("http://{}", webex.addr());
    let bot = post(
        &http,
        format!("{control}/_sim/people"),
        json!({"email": "licenses@webex.bot", "displayName": "Licenses", "type": "bot"}),
    )
    .await;
    let alice = post(
        &http,
        format!("{control}/_sim/people"),
        json!({"email": "alice@example.com", "displayName": "Alice"}),
    )
    .await;
    let (bot_id, alice_id) = (
        bot["person"]["id"].as_str().unwrap().to_string(),
        alice["person"]["id"].as_str().unwrap().to_string(),
    );
    let room = post(
        &http,
        format!("{control}/_sim/direct"),
        json!({"personA": alice_id, "personB": bot_id}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Every CSSM call takes 300 ms: a command is mid-fetch for a while.
    let cssm = slbot_sim_cssm::spawn(slbot_sim_cssm::SimConfig {
        tokens: vec![slbot_sim_cssm::StaticToken::new(CSSM_TOKEN, 0)],
        faults: slbot_sim_cssm::FaultSettings {
            latency_ms: 300,
            ..Default::default()
        },
        ..slbot_sim_cssm::SimConfig::default()
    })
    .await
    .unwrap();

    // The backend, on SQLite, with Alice signed in.
    let dir = tempfile::tempdir().unwrap();
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let backend = format!("http://{}", listener.local_addr().unwrap());
    let env: HashMap<String, String> = [
        ("SLBOT_WEBEX_API_URL", webex.api_url()),
        (
            "SLBOT_WEBEX_BOT_TOKEN",
            bot["token"].as_str().unwrap().to_string(),
        ),
        ("SLBOT_WEBHOOK_SECRET", webhook_secret.clone()),
        ("SLBOT_BACKEND_URL", backend.clone()),
        ("SLBOT_BACKEND_PUBLIC_URL", backend.clone()),
        ("SLBOT_BACKEND_SECRET", BACKEND_SECRET.into()),
        ("SLBOT_CSSM_API_URL", cssm.url()),
        ("SLBOT_BOT_STORE_URL", bot_store),
        ("SLBOT_QUEUE_LEASE_SECS", "3".into()),
        // No "please wait" message: each reply counted below is an answer.
        ("SLBOT_BOT_PROGRESS_AFTER_MS", "600000".into()),
        (
            "SLBOT_STORE_URL",
            format!("sqlite://{}/tokens.db?mode=rwc", dir.path().display()),
        ),
        ("SLBOT_STORE_KEY", "ef".repeat(32)),
        ("SLBOT_SSO_CLIENT_ID", "unused".into()),
        ("SLBOT_SSO_CLIENT_SECRET", "unused".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    serve_backend(
        listener,
        &env,
        &[(alice_id.clone(), room.clone(), CSSM_TOKEN.to_string())],
    )
    .await;
    Cluster {
        env,
        webhook_secret,
        control,
        cssm: cssm.url(),
        bot_id,
        alice: alice_id,
        room,
        http,
        _keep: (webex, cssm, dir),
    }
}

impl Cluster {
    /// Alice writes `text`; returns the message id and its sequence number. No webhook is
    /// registered: the test delivers the event to the replicas it chooses.
    async fn alice_says(&self, text: &str) -> (String, u64) {
        let said = post(
            &self.http,
            format!("{}/_sim/say", self.control),
            json!({"personId": self.alice, "roomId": self.room, "text": text}),
        )
        .await;
        (
            said["id"].as_str().unwrap().to_string(),
            said["seq"].as_u64().unwrap(),
        )
    }

    /// The signed `messages:created` delivery of message `id`, as Webex posts it.
    fn delivery(&self, id: &str) -> (Vec<u8>, String) {
        let body = serde_json::to_vec(&json!({
            "id": "webhook-1", "name": "slbot-messages", "resource": "messages",
            "event": "created", "orgId": "org", "createdBy": self.bot_id, "appId": "app",
            "ownedBy": "creator", "status": "active", "actorId": self.alice,
            "data": {"id": id, "roomId": self.room, "roomType": "direct", "personId": self.alice},
        }))
        .unwrap();
        let signature = slbot_webex::sign_body(self.webhook_secret.as_bytes(), &body);
        (body, signature)
    }

    async fn deliver(&self, replica: &Replica, id: &str) -> u16 {
        let (body, signature) = self.delivery(id);
        self.http
            .post(format!("{}/webhooks/webex", replica.url))
            .header("content-type", "application/json")
            .header("x-spark-signature", signature)
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// What the bot posted in Alice's space after `since`, as markdown.
    async fn bot_replies(&self, since: u64) -> Vec<String> {
        let listed: Value = self
            .http
            .get(format!(
                "{}/_sim/rooms/{}/messages",
                self.control, self.room
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["seq"].as_u64().unwrap_or(0) > since && m["personId"] == self.bot_id)
            // Not the filter card the bot offers after a report (its input `report`).
            .filter(|m| {
                !m["attachments"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|a| a["content"]["body"].as_array().into_iter().flatten())
                    .any(|e| e["id"] == "report")
            })
            .map(|m| {
                m["markdown"]
                    .as_str()
                    .or(m["text"].as_str())
                    .unwrap_or("[card]")
                    .to_string()
            })
            .collect()
    }

    async fn cssm_requests(&self) -> u64 {
        let stats: Value = self
            .http
            .get(format!("{}/_sim/stats", self.cssm))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stats["requestsTotal"].as_u64().unwrap()
    }

    /// Waits (up to `limit`) until Alice has `n` bot replies after `since`.
    async fn until_replies(&self, since: u64, n: usize, limit: Duration) -> Vec<String> {
        let start = Instant::now();
        loop {
            let replies = self.bot_replies(since).await;
            if replies.len() >= n || start.elapsed() > limit {
                return replies;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_answer_a_delivery_that_reached_both_once_and_a_killed_one_leaves_its_command_to_the_other(
) {
    let Some(pg) = postgres_url() else { return };
    let mut cluster = cluster(&pg).await;
    // With the shared cache too: the killed replica's fetch lock must expire for b to fetch.
    if let Some(redis) = redis_url() {
        cluster.env.insert("SLBOT_CACHE_URL".into(), redis);
    }
    let env = cluster.env.clone();
    let (a, b) = tokio::task::spawn_blocking(move || {
        (start_replica(&env, "warn"), start_replica(&env, "warn"))
    })
    .await
    .unwrap();

    // The same delivery reaches both replicas at once: acknowledged by both, answered once.
    let (help, since) = cluster.alice_says("help").await;
    let (at_a, at_b) = tokio::join!(cluster.deliver(&a, &help), cluster.deliver(&b, &help));
    assert_eq!((at_a, at_b), (200, 200));
    let replies = cluster
        .until_replies(since, 1, Duration::from_secs(20))
        .await;
    let health = |r: &Replica| {
        let url = format!("{}/healthz", r.url);
        let http = cluster.http.clone();
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(
        replies.len(),
        1,
        "{replies:#?} a: {} b: {} room: {}",
        health(&a).await,
        health(&b).await,
        cluster
            .http
            .get(format!(
                "{}/_sim/rooms/{}/messages",
                cluster.control, cluster.room
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(cluster.bot_replies(since).await.len(), 1, "still once");

    // A command acknowledged by replica a, which is killed while it fetches from CSSM.
    let (expired, since) = cluster.alice_says("expired").await;
    let before = cluster.cssm_requests().await;
    assert_eq!(cluster.deliver(&a, &expired).await, 200);
    let start = Instant::now();
    while cluster.cssm_requests().await == before {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "replica a never fetched"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(a); // SIGKILL
    assert!(
        cluster.bot_replies(since).await.is_empty(),
        "the killed replica had not answered"
    );
    // Its lease (3 s) runs out; replica b takes the command over and answers it once.
    let replies = cluster
        .until_replies(since, 1, Duration::from_secs(30))
        .await;
    assert!(!replies.is_empty(), "nobody answered after the kill");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let replies = cluster.bot_replies(since).await;
    // One answer: the headline with the list, and the long list as a CSV file.
    let count = |start: &str| replies.iter().filter(|r| r.starts_with(start)).count();
    assert_eq!(
        count("**There are "),
        1,
        "answered exactly once: {replies:#?}"
    );
    assert_eq!(count("Here is the full list"), 1, "{replies:#?}");
    assert_eq!(replies.len(), 2, "{replies:#?}");
    drop(b);
}

impl Cluster {
    /// Alice's `text`, delivered to `replica`, and the bot's replies once there are `n`.
    async fn ask(&self, replica: &Replica, text: &str, n: usize) -> Vec<String> {
        let (id, since) = self.alice_says(text).await;
        assert_eq!(self.deliver(replica, &id).await, 200);
        let replies = self.until_replies(since, n, Duration::from_secs(30)).await;
        assert!(replies.len() >= n, "{text:?} got {replies:#?}");
        replies
    }

    /// Waits until the shared queue holds no event (none waiting, none leased), read from
    /// `replica`'s scrape: every command asked so far has been worked on to its end.
    async fn settled(&self, replica: &Replica) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (_, scrape) = self.get(format!("{}/metrics", replica.url)).await;
            let held =
                metric(&scrape, "slbot_queue_waiting").zip(metric(&scrape, "slbot_queue_leased"));
            if held == Some((0.0, 0.0)) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the queue never emptied: {held:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn get(&self, url: String) -> (u16, String) {
        let r = self.http.get(url).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// The value of the metric line starting with `name` (labels included) in a scrape.
fn metric(scrape: &str, name: &str) -> Option<f64> {
    scrape
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_sharing_redis_fetch_a_persons_inventory_once_and_see_each_others_refresh() {
    let Some(pg) = postgres_url() else { return };
    let Some(redis) = redis_url() else { return };
    let mut cluster = cluster(&pg).await;
    cluster.env.insert("SLBOT_CACHE_URL".into(), redis);
    let env = cluster.env.clone();
    let (a, b) = tokio::task::spawn_blocking(move || {
        (start_replica(&env, "warn"), start_replica(&env, "warn"))
    })
    .await
    .unwrap();

    // Every replica takes events from the one queue, so the other replica is paused while
    // one is asked: that one alone works on the command.
    // The first command fetches (on replica a)…
    b.pause();
    let before = cluster.cssm_requests().await;
    let replies = cluster.ask(&a, "summary", 1).await;
    assert!(!replies[0].contains("sign in"), "{replies:#?}");
    let one_fetch = cluster.cssm_requests().await - before;
    assert!(one_fetch > 0);

    // …and commands on replica b are answered from it: no CSSM call at all.
    cluster.settled(&a).await;
    b.resume();
    a.pause();
    let before = cluster.cssm_requests().await;
    cluster.ask(&b, "summary", 1).await;
    cluster.ask(&b, "expired", 1).await;
    assert_eq!(cluster.cssm_requests().await, before, "b fetched again");
    let (_, scrape) = cluster.get(format!("{}/metrics", b.url)).await;
    assert_eq!(
        metric(&scrape, "slbot_inventory_fetches_total"),
        Some(0.0),
        "{scrape}"
    );
    assert_eq!(
        metric(&scrape, r#"slbot_inventory_cache_total{outcome="shared"}"#),
        Some(1.0),
        "{scrape}"
    );
    assert_eq!(metric(&scrape, "slbot_shared_cache_up"), Some(1.0));
    assert_eq!(cluster.get(format!("{}/readyz", b.url)).await.0, 200);

    // `refresh` on b fetches once; a then answers from b's fresh fetch.
    let before = cluster.cssm_requests().await;
    cluster.ask(&b, "refresh", 1).await;
    assert_eq!(cluster.cssm_requests().await - before, one_fetch);
    cluster.settled(&b).await;
    a.resume();
    b.pause();
    cluster.ask(&a, "summary", 1).await;
    assert_eq!(
        cluster.cssm_requests().await - before,
        one_fetch,
        "a served its old copy or fetched again"
    );
    let (_, scrape) = cluster.get(format!("{}/metrics", a.url)).await;
    assert_eq!(
        metric(&scrape, r#"slbot_inventory_cache_total{outcome="shared"}"#),
        Some(1.0),
        "{scrape}"
    );
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_unreachable_a_replica_still_answers_and_readyz_and_metrics_say_the_cache_is_down(
) {
    let Some(pg) = postgres_url() else { return };
    let mut cluster = cluster(&pg).await;
    // Nothing listens on port 1.
    cluster
        .env
        .insert("SLBOT_CACHE_URL".into(), "redis://127.0.0.1:1".into());
    let env = cluster.env.clone();
    let a = tokio::task::spawn_blocking(move || start_replica(&env, "warn"))
        .await
        .unwrap();
    let replies = cluster.ask(&a, "summary", 1).await;
    assert!(
        replies[0].starts_with("**"),
        "an answer, not an apology: {replies:#?}"
    );
    assert!(!replies
        .iter()
        .any(|r| r.contains("Redis") || r.contains("cache")));
    let before = cluster.cssm_requests().await;
    cluster.ask(&a, "expired", 1).await;
    assert_eq!(
        cluster.cssm_requests().await,
        before,
        "its own cache served it"
    );

    let (status, body) = cluster.get(format!("{}/readyz", a.url)).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("shared cache"), "{body}");
    let (_, scrape) = cluster.get(format!("{}/metrics", a.url)).await;
    assert_eq!(
        metric(&scrape, "slbot_shared_cache_up"),
        Some(0.0),
        "{scrape}"
    );
    assert_eq!(
        metric(
            &scrape,
            r#"slbot_inventory_cache_total{outcome="degraded"}"#
        ),
        Some(2.0),
        "{scrape}"
    );
}

impl Cluster {
    /// What `replica`'s `/readyz` says its websocket is doing (`connected`, `standby`, …).
    async fn websocket_state(&self, replica: &Replica) -> String {
        let ready: Value = self
            .http
            .get(format!("{}/readyz", replica.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null);
        ready["websocket"]["state"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The Webex simulator's websocket record (devices, connections, faults fired).
    async fn websocket_record(&self) -> Value {
        self.http
            .get(format!("{}/_sim/websocket", self.control))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_websocket_one_replica_holds_the_connection_and_when_it_is_killed_mid_command_the_other_takes_over_and_each_command_is_answered_once(
) {
    let Some(pg) = postgres_url() else { return };
    let mut cluster = cluster(&pg).await;
    cluster
        .env
        .insert("SLBOT_TRANSPORT".into(), "websocket".into());
    cluster.env.insert(
        "SLBOT_WEBEX_U2C_URL".into(),
        format!("{}/u2c/api/v1", cluster.control),
    );
    let env = cluster.env.clone();
    let (a, b) = tokio::task::spawn_blocking(move || {
        (start_replica(&env, "warn"), start_replica(&env, "warn"))
    })
    .await
    .unwrap();

    // Exactly one replica holds the websocket; the other stands by.
    let start = Instant::now();
    let (holder, standby) = loop {
        let states = (
            cluster.websocket_state(&a).await,
            cluster.websocket_state(&b).await,
        );
        match (states.0.as_str(), states.1.as_str()) {
            ("connected", "standby") => break (a, b),
            ("standby", "connected") => break (b, a),
            _ => {
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "no replica holds the websocket: {states:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let record = cluster.websocket_record().await;
    let devices = record["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "one registration for both: {record}");

    // A command comes in over the websocket; the holder is killed while it is being fetched
    // (by whichever replica's worker took it from the shared queue).
    let (_, since) = cluster.alice_says("expired").await;
    let before = cluster.cssm_requests().await;
    let start = Instant::now();
    while cluster.cssm_requests().await == before {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nobody fetched for the command"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(holder); // SIGKILL
                  // Written while nobody holds the websocket: Webex keeps it for the device.
    cluster.alice_says("help").await;

    // The other replica takes the websocket over (PostgreSQL frees the dead one's lock).
    let start = Instant::now();
    while cluster.websocket_state(&standby).await != "connected" {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the standby replica never took the websocket over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Both commands answered: "expired" (headline and the full list as CSV) and "help".
    let replies = cluster
        .until_replies(since, 3, Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let replies_later = cluster.bot_replies(since).await;
    assert_eq!(replies, replies_later, "nothing more came later");
    let count = |start: &str| replies.iter().filter(|r| r.starts_with(start)).count();
    assert_eq!(
        count("**There are "),
        1,
        "expired answered exactly once: {replies:#?}"
    );
    assert_eq!(count("Here is the full list"), 1, "{replies:#?}");
    assert_eq!(replies.len(), 3, "and help once: {replies:#?}");
    let record = cluster.websocket_record().await;
    assert!(
        record["connections"].as_u64().unwrap() >= 2,
        "the second replica opened its own connection: {record}"
    );
    assert_eq!(
        record["devices"].as_array().unwrap().len(),
        1,
        "and reused the registration: {record}"
    );
    drop(standby);
}
