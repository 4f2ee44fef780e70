//! The whole journey in headless Chromium through WebDriver: sign in, the welcome in the web
//! chat, `expire 30` with the naive count, `export xlsx` downloaded with the page's session
//! cookie and opened as a workbook, and a screenshot under `target/`.
//!
//! Needs `SLBOT_TEST_CHROMIUM` (the browser) and optionally `SLBOT_TEST_CHROMEDRIVER`
//! (default `/usr/bin/chromedriver`); skipped without the first unless `SLBOT_TEST_REQUIRE_ALL=1`.

use std::io::Cursor;
use std::process::Stdio;
use std::time::Duration;

use calamine::{Reader, Xlsx};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::{expiring_headline, naive_expiring_count, options, start, ANA};

/// How long one page element may take to appear (the first CSSM fetch included).
const WAIT: Duration = Duration::from_secs(60);

struct Browser {
    client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

/// `None` (and a SKIPPED line) when no browser is configured and skips are allowed.
async fn browser() -> Option<Browser> {
    let Ok(chromium) = std::env::var("SLBOT_TEST_CHROMIUM") else {
        if std::env::var("SLBOT_TEST_REQUIRE_ALL").as_deref() == Ok("1") {
            panic!("SLBOT_TEST_CHROMIUM is not set and SLBOT_TEST_REQUIRE_ALL=1");
        }
        println!("SKIPPED: SLBOT_TEST_CHROMIUM is not set (the browser test needs Chromium)");
        return None;
    };
    let driver_path = std::env::var("SLBOT_TEST_CHROMEDRIVER")
        .unwrap_or_else(|_| "/usr/bin/chromedriver".to_string());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut driver = Command::new(&driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {driver_path}: {e}"));
    // ChromeDriver says when it listens; read until then instead of sleeping.
    let stdout = driver.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("started successfully") {
                return;
            }
        }
        panic!("chromedriver ended before it was ready");
    })
    .await
    .expect("chromedriver did not start within 20 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let profile = tempfile::tempdir().unwrap();
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--no-first-run",
                "--window-size=1100,760",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    Some(Browser {
        client,
        _driver: driver,
        _profile: profile,
    })
}

async fn send(client: &Client, text: &str) {
    let composer = client.find(Locator::Css("#composer")).await.unwrap();
    composer.send_keys(text).await.unwrap();
    client
        .find(Locator::Css("#send"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn in_a_browser_a_person_signs_in_asks_expire_30_and_downloads_the_xlsx_export() {
    let Some(Browser {
        client,
        _driver,
        _profile,
    }) = browser().await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;

    // Sign in: the dashboard, the Cisco form, the demo person.
    client.goto(&format!("{}/", demo.url)).await.unwrap();
    client
        .find(Locator::LinkText("Sign in with Cisco"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!("button[value='{ANA}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let title = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(title.contains("signed in"), "{title}");

    // The chat opens on Ana's space with the bot, where the welcome waits.
    client.goto(&demo.chat_url()).await.unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//li[contains(@class,'from-bot')]//strong[contains(., 'Welcome to the Smart Licensing Bot')]",
        ))
        .await
        .unwrap();

    send(&client, "expire 30").await;
    let headline = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//li[contains(@class,'from-bot')]//strong[contains(., 'in the next 30 days')]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let expected = naive_expiring_count(&options(dir.path()), demo.cssm_users, ANA, 30);
    let expected = expiring_headline(expected, 30);
    assert_eq!(headline, expected.trim_matches('*'));

    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("demo-expire-30.png"), &png).unwrap();

    send(&client, "export xlsx").await;
    let link = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//a[contains(@class,'file-link') and contains(., '.xlsx')]",
        ))
        .await
        .unwrap();
    let href = link.attr("href").await.unwrap().expect("the file link");
    let cookie = client
        .get_named_cookie("sim_webex_token")
        .await
        .expect("the chat's session cookie");
    let url = if href.starts_with('/') {
        format!("{}{href}", demo.url)
    } else {
        href
    };
    let download = reqwest::Client::new()
        .get(&url)
        .header("Cookie", format!("sim_webex_token={}", cookie.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200, "{url}");
    let bytes = download.bytes().await.unwrap();
    let mut workbook = Xlsx::new(Cursor::new(bytes.to_vec())).expect("a valid XLSX file");
    let sheet = workbook.sheet_names().first().cloned().expect("a sheet");
    let range = workbook.worksheet_range(&sheet).unwrap();
    assert!(range.height() > 1, "a header and rows");
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header.first().map(String::as_str), Some("account"));

    client.close().await.unwrap();
    demo.shutdown().await.unwrap();
}
