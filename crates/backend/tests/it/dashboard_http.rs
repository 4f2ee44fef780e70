//! The dashboard over HTTP with the clock and CSSM under the test's control: an expired
//! session answers pages, downloads, the JSON API and posts with the sign-in and no data; the
//! progress page while the first fetch is held, then the data; an account CSSM refuses named
//! on the pages in the chat's words; and, with Redis, one inventory shared with the bot's cache
//! in both directions, counted at the simulator.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use secrecy::SecretString;
use slbot_cache::{Fetched, InventoryCache, Lookup};
use slbot_inventory::{Catalog, Inventory};

use crate::dashboard_harness::{serve, tile, Options, Person, Served, CSSM_TOKEN};

/// The CSRF token in a page's forms.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[at..at + 64].to_string()
}

async fn post(d: &Served, who: &Person, url: &str, csrf: &str) -> reqwest::Response {
    d.http
        .post(url)
        .header("cookie", &who.cookie)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_answers_a_page_a_download_the_api_and_a_post_with_the_sign_in_and_no_data(
) {
    let d = serve(Options::default()).await;
    let ana = d.sign_in("P-ANA").await;
    d.until_ready(&ana).await;
    let (status, page) = d.text(&ana, &format!("{}/", ana.base)).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"tile-expired\""), "{page}");
    let token = csrf(&page);

    // The session lives 60 minutes (the default); the clock moves past it.
    d.clock.advance(Duration::minutes(60));

    for path in [
        "/",
        "/report/expired",
        "/report/expired.csv",
        "/report/usage.xlsx",
    ] {
        let r = d.get(&ana, &format!("{}{path}", ana.base)).await;
        assert_eq!(r.status(), 401, "{path}");
        let cleared = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cleared.starts_with("slbot_dashboard=; Max-Age=0"),
            "{cleared}"
        );
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let body = r.text().await.unwrap();
        assert!(body.contains("<h1>Please sign in</h1>"), "{path}: {body}");
        assert!(
            body.contains(&format!("href=\"{}/login\"", d.url)),
            "{path}: {body}"
        );
        assert!(
            !body.contains("<tbody>") && !body.contains("tile-"),
            "{path}"
        );
    }
    // The JSON API answers JSON, for the page's script.
    let r = d
        .get(&ana, &format!("{}/api/report/expired", ana.base))
        .await;
    assert_eq!(r.status(), 401);
    let json: serde_json::Value = r.json().await.unwrap();
    assert_eq!(json["error"], "Please sign in");
    let r = d.get(&ana, &format!("{}/api/progress", ana.base)).await;
    assert_eq!(r.status(), 401);

    // A post with the (formerly right) CSRF token: the session is gone, nothing is done.
    for url in [
        format!("{}/refresh", ana.base),
        format!("{}/dashboard/sign-out", d.url),
    ] {
        let r = post(&d, &ana, &url, &token).await;
        assert_eq!(r.status(), 401, "{url}");
        assert!(r.text().await.unwrap().contains("Please sign in"), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_first_fetch_is_held_the_pages_show_its_progress_and_then_the_data() {
    let d = serve(Options {
        first_fetch_wait: StdDuration::from_millis(100),
        ..Options::default()
    })
    .await;
    d.cssm.close_gate();
    let ana = d.sign_in("P-ANA").await;
    let accounts = d.cssm.accounts().len();

    let (status, page) = d.text(&ana, &format!("{}/", ana.base)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Loading your licenses</h1>"), "{page}");
    assert!(page.contains("<progress id=\"progress\""), "{page}");
    assert!(
        page.contains(&format!(
            "<meta name=\"slbot-progress\" content=\"{}/api/progress\">",
            ana.base
        )),
        "{page}"
    );
    assert!(!page.contains("id=\"tile-expired\""));

    // The progress the script polls: the accounts are known, none is read while the gate holds
    // every licence call.
    let mut progress = serde_json::Value::Null;
    for _ in 0..300 {
        progress = d
            .get(&ana, &format!("{}/api/progress", ana.base))
            .await
            .json()
            .await
            .unwrap();
        if progress["accountsTotal"] == accounts && d.cssm.front.held.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(progress["state"], "loading", "{progress}");
    assert_eq!(progress["accountsTotal"], accounts, "{progress}");
    assert_eq!(progress["accountsDone"], 0, "{progress}");
    assert!(
        d.cssm.front.held.load(Ordering::SeqCst) > 0,
        "the gate held a call"
    );
    // Meanwhile a report page shows the progress too, a download says to try again, the API
    // says it is loading.
    let (_, report) = d.text(&ana, &format!("{}/report/expired", ana.base)).await;
    assert!(report.contains("<h1>Loading your licenses</h1>"));
    let r = d
        .get(&ana, &format!("{}/report/expired.csv", ana.base))
        .await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    let r = d
        .get(&ana, &format!("{}/api/report/expired", ana.base))
        .await;
    assert_eq!(r.status(), 202);

    d.cssm.open_gate();
    d.until_ready(&ana).await;
    let (status, page) = d.text(&ana, &format!("{}/", ana.base)).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"tile-expired\""), "{page}");
    assert!(!page.contains("slbot-progress"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_cssm_refuses_is_named_on_the_pages_in_the_chats_words() {
    let d = serve(Options::default()).await;
    let accounts = d.cssm.accounts();
    let (domain, name) = accounts[1].clone();
    *d.cssm.front.refuse.lock().unwrap() = Some(domain.clone());
    let ana = d.sign_in("P-ANA").await;
    d.until_ready(&ana).await;
    assert!(
        d.cssm.front.refused.load(Ordering::SeqCst) > 0,
        "the fault fired"
    );

    // reports.md §4: `_Partial: N of M accounts could not be read (Acme: why). Try again
    // later._`, here without the chat's italics.
    let want = format!(
        "<p class=\"partial\" role=\"status\"><strong>Partial:</strong> 1 of {} accounts could \
         not be read ({}: CSSM refused access (403)). Try again later.</p>",
        accounts.len(),
        slbot_html::escape(name.trim())
    );
    for path in ["/", "/report/expired", "/report/accounts"] {
        let (status, page) = d.text(&ana, &format!("{}{path}", ana.base)).await;
        assert_eq!(status, 200, "{path}");
        assert!(page.contains(&want), "{path}: {want}\n{page}");
    }
    // The JSON API carries the same accounts, as `slbot report --format json` does.
    let json: serde_json::Value = d
        .get(&ana, &format!("{}/api/report/expired", ana.base))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["partial"], true, "{json}");
    assert_eq!(
        json["missingAccounts"][0]["domain"],
        domain.as_str(),
        "{json}"
    );
}

/// `SLBOT_TEST_REDIS_URL`, or `None` with SKIPPED (a failure under `SLBOT_TEST_REQUIRE_ALL`).
fn redis_url() -> Option<String> {
    let config = slbot_config::Config::load(None).ok()?;
    match config.get("TEST_REDIS_URL").filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => {
            if config.get("TEST_REQUIRE_ALL").as_deref() == Some("1") {
                panic!("SLBOT_TEST_REQUIRE_ALL=1 but SLBOT_TEST_REDIS_URL is not set");
            }
            println!("SKIPPED: SLBOT_TEST_REDIS_URL is not set (no Redis to share a cache in)");
            None
        }
    }
}

/// The bot's inventory cache as `slbot bot` builds it with `SLBOT_CACHE_URL` (crates/bot,
/// `run::inventory_cache`): the tier keyed by the webhook secret with the person-key label,
/// the token hashes keyed by the same secret, the snapshot decoder of `slbot-cache`.
fn bot_cache(
    redis: &str,
    webhook_secret: &str,
    seen: Arc<std::sync::Mutex<Vec<Lookup>>>,
) -> InventoryCache<Inventory> {
    let secret = SecretString::from(webhook_secret.to_string());
    let ttl = StdDuration::from_secs(300);
    let tier = slbot_cache::shared::SharedTier::new(
        slbot_cache::shared::SharedSettings::new(SecretString::from(redis.to_string()), ttl),
        slbot_cache::derive(&secret, b"slbot cache person key v1"),
    )
    .unwrap();
    InventoryCache::shared(
        ttl,
        64 << 20,
        tier,
        &secret,
        slbot_cache::snapshot::snapshot_decoder(Arc::new(Catalog::shipped()), 64 << 20),
    )
    .with_hook(Arc::new(move |l| seen.lock().unwrap().push(l)))
}

/// A fetch as the bot's commands do it: CSSM with the person's token, shared as a snapshot.
async fn bot_fetch(cssm_url: &str) -> Result<Fetched<Inventory>, slbot_cssm::CssmError> {
    let client = slbot_cssm::CssmClient::new(
        &slbot_cssm::Url::parse(cssm_url).unwrap(),
        slbot_cssm::FetchSettings::default(),
        Arc::new(tokio::sync::Semaphore::new(4)),
    )
    .unwrap();
    let token = SecretString::from(CSSM_TOKEN.to_string());
    let snapshot = client
        .fetch_all(&token, &slbot_cssm::FetchOptions::default(), &|_| {})
        .await?;
    Ok(Fetched {
        value: Inventory::from_snapshot(&snapshot, &Catalog::shipped()),
        shared: slbot_cache::snapshot::encode_snapshot(&snapshot),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_the_dashboard_and_the_bot_read_each_others_inventory_without_asking_cssm() {
    let Some(redis) = redis_url() else { return };
    // New for this run: nothing an earlier run left in Redis is read.
    let webhook_secret = format!("dashboard-share-{}", slbot_base::random_hex(16));
    let d = serve(Options {
        cache_url: Some(redis.clone()),
        cache_secret: Some(webhook_secret.clone()),
        ..Options::default()
    })
    .await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let bot = bot_cache(&redis, &webhook_secret, seen.clone());
    let token = SecretString::from(CSSM_TOKEN.to_string());

    // The bot answers Ana first: it fetches from CSSM and stores the inventory in Redis.
    let ana_id = format!("P-ANA-{}", slbot_base::random_hex(6));
    let from_bot = bot
        .get_or_fetch(bot.key(&ana_id, &token), bot_fetch(&d.cssm.url))
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), [Lookup::Fetched]);
    let after_bot = d.cssm.requests();
    assert!(after_bot > 0);
    // Then Ana opens her dashboard: her tiles, and not one more CSSM request.
    let ana = d.sign_in(&ana_id).await;
    let (status, page) = d.text(&ana, &format!("{}/", ana.base)).await;
    assert_eq!(status, 200);
    assert!(!page.contains("slbot-progress"), "{page}");
    let expired = from_bot
        .report_at(
            slbot_inventory::ReportKind::Expired,
            slbot_base::Clock::now(d.clock.as_ref()).timestamp(),
            &Default::default(),
        )
        .unwrap()
        .count();
    assert_eq!(tile(&page, "expired"), expired.to_string());
    assert_eq!(
        d.cssm.requests(),
        after_bot,
        "the dashboard asked CSSM again"
    );

    // The other way: Paul opens his dashboard first (one fetch), then asks the bot, which
    // reads the dashboard's inventory from Redis.
    let paul_id = format!("P-PAUL-{}", slbot_base::random_hex(6));
    let paul = d.sign_in(&paul_id).await;
    d.until_ready(&paul).await;
    let after_dashboard = d.cssm.requests();
    assert!(after_dashboard > after_bot);
    seen.lock().unwrap().clear();
    bot.get_or_fetch::<slbot_cssm::CssmError, _>(bot.key(&paul_id, &token), async {
        panic!("the bot fetched from CSSM instead of reading the dashboard's inventory")
    })
    .await
    .unwrap();
    assert_eq!(*seen.lock().unwrap(), [Lookup::Shared]);
    assert_eq!(d.cssm.requests(), after_dashboard);
}
