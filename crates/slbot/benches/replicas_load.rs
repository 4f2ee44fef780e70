//! Load and fault bench of the scale-out (issue "Scale-out", benchmarks): `slbot bot` replicas
//! as real processes on one PostgreSQL bot store and one Redis cache, the real backend (token
//! API), the Webex and CSSM simulators with CSSM 429/503 and Webex 429 injected, and PEOPLE
//! people each sending the five COMMANDS one after another (the next once the previous is
//! answered). The bench is the load balancer: it signs each delivery and posts it to a replica,
//! trying the next one when a replica does not take it. With three replicas, one is killed with
//! SIGKILL once every person has had a first answer, and restarted two seconds later.
//!
//! Reported: commands answered, duplicates, lost, CSSM fetches (`GET /v2/accounts` answered),
//! reply latency p50/p99, throughput; then the same on one replica for the ratio, and PASS/FAIL
//! against the issue: 5,000 answered, 0 duplicates, 0 lost, 1,000 fetches.
//!
//! `cargo bench -p slbot --bench replicas_load` (PostgreSQL and Redis from
//! `SLBOT_TEST_POSTGRES_URL` / `SLBOT_TEST_REDIS_URL`, defaulting to the local ones;
//! `SLBOT_BENCH_PEOPLE` for another count). Loopback only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};
use slbot_backend::server;

const COMMANDS: [&str; 5] = ["status", "expired", "usage", "expire 90", "shortages"];
/// How long one command may go unanswered before it counts as lost.
const ANSWER_LIMIT: Duration = Duration::from_secs(90);
const BACKEND_SECRET: &str = "bench-backend-secret-0123456789abcdef0123";

#[path = "../tests/common/backend.rs"]
mod backend;
#[path = "../tests/common/replica.rs"]
mod replica;
use backend::serve_backend;
use replica::{start_replica, Replica};

fn setting(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// One person: their Webex id and 1:1 room with the bot.
#[derive(Clone)]
struct Person {
    id: String,
    room: String,
}

/// The replies the bot posted, per room: (arrival, is an answer) — the filter card it offers
/// after a report is not an answer.
#[derive(Default)]
struct Seen {
    by_room: HashMap<String, Vec<Instant>>,
}

struct World {
    http: reqwest::Client,
    control: String,
    cssm: String,
    bot_id: String,
    webhook_secret: String,
    env: HashMap<String, String>,
    people: Vec<Person>,
    calibration: Person,
    seen: Arc<Mutex<Seen>>,
    _keep: (
        slbot_sim_webex::SimHandle,
        slbot_sim_cssm::SimHandle,
        tempfile::TempDir,
    ),
}

async fn post(http: &reqwest::Client, url: String, body: Value) -> Value {
    let r = http.post(&url).json(&body).send().await.expect(&url);
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.expect("json")
}

async fn world(people: usize, pg: &str, redis: Option<&str>) -> World {
    let http = reqwest::Client::new();
    let webhook_secret = format!("bench-webhook-secret-{}", slbot_base::random_hex(16));
    let schema = format!("slbot_bench_{}", slbot_base::random_hex(6));
    slbot_notify::store::postgres::PostgresNotifyStore::connect(pg, Some(&schema))
        .await
        .expect("PostgreSQL for the bot store");
    let sep = if pg.contains('?') { '&' } else { '?' };
    let bot_store = format!("{pg}{sep}options[search_path]={schema}");

    let (_, webex) = slbot_sim_webex::spawn(slbot_sim_webex::SimConfig::default())
        .await
        .expect("Webex simulator");
    let control = format!("http://{}", webex.addr());
    let bot = post(
        &http,
        format!("{control}/_sim/people"),
        json!({"email": "licenses@webex.bot", "displayName": "Licenses", "type": "bot"}),
    )
    .await;
    let bot_id = bot["person"]["id"].as_str().expect("id").to_string();

    let tokens: Vec<String> = (0..=people).map(|i| format!("bench-cssm-{i}")).collect();
    let cssm = slbot_sim_cssm::spawn(slbot_sim_cssm::SimConfig {
        data: slbot_sim_cssm::DataSource::Generate(slbot_sim_cssm::GenParams {
            seed: 7,
            accounts: 2,
            virtual_accounts: 2,
            licenses_per_va: 6,
            anchor: Utc::now().date_naive(),
            lines_per_record: None,
        }),
        tokens: tokens
            .iter()
            .map(|t| slbot_sim_cssm::StaticToken::new(t, 0))
            .collect(),
        faults: slbot_sim_cssm::FaultSettings {
            latency_ms: 20,
            fail_every: 97,
            rate_limit_every: 89,
            retry_after_secs: 1,
            ..Default::default()
        },
        ..slbot_sim_cssm::SimConfig::default()
    })
    .await
    .expect("CSSM simulator");

    let dir = tempfile::tempdir().expect("tempdir");
    let listener = server::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("backend port");
    let backend = format!("http://{}", listener.local_addr().expect("addr"));
    let mut env: HashMap<String, String> = [
        ("SLBOT_WEBEX_API_URL", webex.api_url()),
        (
            "SLBOT_WEBEX_BOT_TOKEN",
            bot["token"].as_str().expect("token").to_string(),
        ),
        ("SLBOT_WEBHOOK_SECRET", webhook_secret.clone()),
        ("SLBOT_BACKEND_URL", backend.clone()),
        ("SLBOT_BACKEND_PUBLIC_URL", backend.clone()),
        ("SLBOT_BACKEND_SECRET", BACKEND_SECRET.into()),
        ("SLBOT_CSSM_API_URL", cssm.url()),
        ("SLBOT_BOT_STORE_URL", bot_store),
        ("SLBOT_QUEUE_LEASE_SECS", "5".into()),
        ("SLBOT_BOT_PROGRESS_AFTER_MS", "600000".into()),
        (
            "SLBOT_STORE_URL",
            format!("sqlite://{}/tokens.db?mode=rwc", dir.path().display()),
        ),
        ("SLBOT_STORE_KEY", "ef".repeat(32)),
        ("SLBOT_SSO_CLIENT_ID", "unused".into()),
        ("SLBOT_SSO_CLIENT_SECRET", "unused".into()),
        ("SLBOT_LOGIN_RATE_PER_MINUTE", "100000".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(redis) = redis {
        env.insert("SLBOT_CACHE_URL".into(), redis.to_string());
    }
    // The people, their rooms, and their CSSM tokens in the backend.
    let mut all = Vec::with_capacity(people + 1);
    let mut signed_in = Vec::with_capacity(people + 1);
    for (i, token) in tokens.iter().enumerate() {
        let person = post(
            &http,
            format!("{control}/_sim/people"),
            json!({"email": format!("p{i}@example.com"), "displayName": format!("P{i}")}),
        )
        .await;
        let id = person["person"]["id"].as_str().expect("id").to_string();
        let room = post(
            &http,
            format!("{control}/_sim/direct"),
            json!({"personA": id, "personB": bot_id}),
        )
        .await["id"]
            .as_str()
            .expect("room")
            .to_string();
        signed_in.push((id.clone(), room.clone(), token.clone()));
        all.push(Person { id, room });
    }
    serve_backend(listener, &env, &signed_in).await;
    // Webex refuses every 40th message post with 429 (Retry-After: 1).
    post(
        &http,
        format!("{control}/_sim/faults"),
        json!({"rateLimitEvery": 40, "retryAfter": "1", "paths": "/v1/messages"}),
    )
    .await;

    let calibration = all.pop().expect("one more person");
    let seen = Arc::new(Mutex::new(Seen::default()));
    tokio::spawn(collect(
        http.clone(),
        control.clone(),
        bot_id.clone(),
        Arc::clone(&seen),
    ));
    World {
        http,
        control,
        cssm: cssm.url(),
        bot_id,
        webhook_secret,
        env,
        people: all,
        calibration,
        seen,
        _keep: (webex, cssm, dir),
    }
}

/// Follows the simulator's event stream: every message the bot posts, by room, with its time.
async fn collect(http: reqwest::Client, control: String, bot_id: String, seen: Arc<Mutex<Seen>>) {
    let mut since = 0u64;
    loop {
        let Ok(r) = http
            .get(format!("{control}/_sim/events?since={since}&timeout=5"))
            .send()
            .await
        else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(page) = r.json::<Value>().await else {
            continue;
        };
        let now = Instant::now();
        for e in page["events"].as_array().into_iter().flatten() {
            since = since.max(e["seq"].as_u64().unwrap_or(0));
            let m = &e["message"];
            if e["kind"] != "messageCreated" || m["personId"] != bot_id.as_str() {
                continue;
            }
            let is_filter_card = m["attachments"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|a| a["content"]["body"].as_array().into_iter().flatten())
                .any(|el| el["id"] == "report");
            if is_filter_card {
                continue;
            }
            let room = e["roomId"].as_str().unwrap_or_default().to_string();
            seen.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .by_room
                .entry(room)
                .or_default()
                .push(now);
        }
    }
}

/// The load balancer: the replicas taking deliveries now.
type Balancer = Arc<Mutex<Vec<String>>>;

impl World {
    fn replies(&self, room: &str) -> Vec<Instant> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .by_room
            .get(room)
            .cloned()
            .unwrap_or_default()
    }

    /// `person` says `text`; the signed delivery goes to a replica (the next one on refusal).
    async fn say(&self, person: &Person, text: &str, balancer: &Balancer, turn: usize) {
        let said = post(
            &self.http,
            format!("{}/_sim/say", self.control),
            json!({"personId": person.id, "roomId": person.room, "text": text}),
        )
        .await;
        let body = serde_json::to_vec(&json!({
            "id": "webhook-1", "name": "slbot-messages", "resource": "messages",
            "event": "created", "orgId": "org", "createdBy": self.bot_id, "appId": "app",
            "ownedBy": "creator", "status": "active", "actorId": person.id,
            "data": {"id": said["id"], "roomId": person.room, "roomType": "direct",
                     "personId": person.id},
        }))
        .expect("json");
        let signature = slbot_webex::sign_body(self.webhook_secret.as_bytes(), &body);
        for attempt in 0..100 {
            let targets = balancer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            let url = &targets[(turn + attempt) % targets.len()];
            let sent = self
                .http
                .post(format!("{url}/webhooks/webex"))
                .header("content-type", "application/json")
                .header("x-spark-signature", &signature)
                .body(body.clone())
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            if sent.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no replica took a delivery in 100 tries");
    }

    async fn account_lists(&self) -> u64 {
        let stats: Value = self
            .http
            .get(format!("{}/_sim/stats", self.cssm))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("json");
        stats["accountListsServed"].as_u64().unwrap_or(0)
    }
}

/// The number of replies each command gets, learnt from one person on one replica before the
/// run (a report can come with a file message).
async fn calibrate(world: &World, balancer: &Balancer) -> Vec<usize> {
    let mut per_command = Vec::new();
    for (i, text) in COMMANDS.iter().enumerate() {
        let before = world.replies(&world.calibration.room).len();
        world.say(&world.calibration, text, balancer, i).await;
        // Let everything of this command arrive.
        let start = Instant::now();
        while world.replies(&world.calibration.room).len() == before {
            assert!(
                start.elapsed() < ANSWER_LIMIT,
                "calibration: {text} unanswered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        per_command.push(world.replies(&world.calibration.room).len() - before);
    }
    per_command
}

struct Outcome {
    replicas: usize,
    answered: usize,
    duplicates: usize,
    lost: usize,
    fetches: u64,
    p50: Duration,
    p99: Duration,
    elapsed: Duration,
    killed: bool,
}

async fn run(replicas: usize, people: usize, pg: &str, redis: &str) -> Outcome {
    let world = Arc::new(world(people, pg, Some(redis)).await);
    let env = world.env.clone();
    let mut running: Vec<Option<Replica>> = tokio::task::spawn_blocking(move || {
        (0..replicas)
            .map(|_| Some(start_replica(&env, "error")))
            .collect()
    })
    .await
    .expect("start the replicas");
    let balancer: Balancer = Arc::new(Mutex::new(
        running.iter().flatten().map(|r| r.url.clone()).collect(),
    ));
    let expected = calibrate(&world, &balancer).await;
    let fetches_before = world.account_lists().await;

    let first_answers = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let lost = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, person) in world.people.clone().into_iter().enumerate() {
        let (world, balancer) = (Arc::clone(&world), Arc::clone(&balancer));
        let (first_answers, latencies, lost) = (
            Arc::clone(&first_answers),
            Arc::clone(&latencies),
            Arc::clone(&lost),
        );
        let expected = expected.clone();
        tasks.push(tokio::spawn(async move {
            let mut want = 0;
            for (i, text) in COMMANDS.iter().enumerate() {
                want += expected[i];
                let asked = Instant::now();
                world.say(&person, text, &balancer, n + i).await;
                loop {
                    let replies = world.replies(&person.room);
                    if replies.len() >= want {
                        latencies
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(replies[want - 1].saturating_duration_since(asked));
                        break;
                    }
                    if asked.elapsed() > ANSWER_LIMIT {
                        lost.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                if i == 0 {
                    first_answers.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }

    // With several replicas: SIGKILL one once everybody has had a first answer (no fetch is
    // then in flight), and start it again two seconds later.
    let mut killed = false;
    if replicas > 1 {
        while first_answers.load(Ordering::SeqCst) < people {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let victim = running[1].take().expect("replica 1");
        balancer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|u| *u != victim.url);
        drop(victim);
        killed = true;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let env = world.env.clone();
        let again = tokio::task::spawn_blocking(move || start_replica(&env, "error"))
            .await
            .expect("restart");
        balancer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(again.url.clone());
        running[1] = Some(again);
    }
    for t in tasks {
        t.await.expect("a person's task");
    }
    let elapsed = started.elapsed();
    // Anything late (a second answer) arrives now or never.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let per_person: usize = expected.iter().sum();
    let mut duplicates = 0;
    for person in &world.people {
        duplicates += world.replies(&person.room).len().saturating_sub(per_person);
    }
    let fetches = world.account_lists().await - fetches_before;
    let mut l = latencies
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    l.sort();
    let at = |q: f64| l.get(((l.len() as f64 * q) as usize).min(l.len().saturating_sub(1)));
    let outcome = Outcome {
        replicas,
        answered: l.len(),
        duplicates,
        lost: lost.load(Ordering::SeqCst),
        fetches,
        p50: at(0.50).copied().unwrap_or_default(),
        p99: at(0.99).copied().unwrap_or_default(),
        elapsed,
        killed,
    };
    drop(running);
    outcome
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let people: usize = setting("SLBOT_BENCH_PEOPLE", "1000")
        .parse()
        .expect("a count");
    let pg = setting(
        "SLBOT_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let redis = setting("SLBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let total = people * COMMANDS.len();
    let three = runtime.block_on(run(3, people, &pg, &redis));
    let one = runtime.block_on(run(1, people, &pg, &redis));
    println!(
        "replicas_load: {people} people x {} commands, CSSM 429 every 89th and 503 every 97th \
         call, Webex 429 every 40th message post",
        COMMANDS.len()
    );
    println!("| replicas | killed | answered | duplicates | lost | CSSM fetches | p50 | p99 | throughput |");
    for o in [&three, &one] {
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.0} ms | {:.0} ms | {:.1} commands/s |",
            o.replicas,
            if o.killed { "one, restarted" } else { "no" },
            o.answered,
            o.duplicates,
            o.lost,
            o.fetches,
            o.p50.as_secs_f64() * 1e3,
            o.p99.as_secs_f64() * 1e3,
            o.answered as f64 / o.elapsed.as_secs_f64(),
        );
    }
    let ratio = (three.answered as f64 / three.elapsed.as_secs_f64())
        / (one.answered as f64 / one.elapsed.as_secs_f64());
    println!("throughput 3 replicas / 1 replica: {ratio:.2}x");
    let mut pass = true;
    for o in [&three, &one] {
        let ok =
            o.answered == total && o.duplicates == 0 && o.lost == 0 && o.fetches == people as u64;
        println!(
            "{} replica(s): answered {}/{total}, duplicates {}, lost {}, fetches {}/{people}: {}",
            o.replicas,
            o.answered,
            o.duplicates,
            o.lost,
            o.fetches,
            if ok { "PASS" } else { "FAIL" }
        );
        pass &= ok;
    }
    println!("replicas_load: {}", if pass { "PASS" } else { "FAIL" });
}
