//! The whole journey in headless Chromium through WebDriver: sign in, the welcome in the web
//! chat, `expire 30` with the naive count, `export xlsx` downloaded with the page's session
//! cookie and opened as a workbook; `chart mix` shown as a loaded image; the filter card
//! filled in (one account, 60 days, `expiring`) and submitted, answered with the naive count of
//! that account; how the chat renders markdown, images and cards; screenshots under `target/`.
//!
//! Needs `SLBOT_TEST_CHROMIUM` (the browser) and optionally `SLBOT_TEST_CHROMEDRIVER`
//! (default `/usr/bin/chromedriver`); skipped without the first unless `SLBOT_TEST_REQUIRE_ALL=1`.

use std::io::Cursor;
use std::process::Stdio;
use std::time::Duration;

use calamine::{Reader, Xlsx};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use slbot_demo::DemoHandle;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::{
    expiring_headline, naive_expiring_count, naive_expiring_count_in, options, start,
    visible_domains, Control, ANA,
};

/// How long one page element may take to appear (the first CSSM fetch included).
const WAIT: Duration = Duration::from_secs(60);

pub(crate) struct Browser {
    pub(crate) client: Client,
    pub(crate) _driver: Child,
    pub(crate) _profile: tempfile::TempDir,
}

/// `None` (and a SKIPPED line) when no browser is configured and skips are allowed.
pub(crate) async fn browser() -> Option<Browser> {
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

/// Saves what the browser shows under `target/tmp/screenshots/` (docs/ has a copy of some).
pub(crate) async fn save_screenshot(client: &Client, name: &str) {
    save_png(name, &client.screenshot().await.unwrap());
}

/// Saves one element as the browser draws it, like [`save_screenshot`].
async fn save_element_screenshot(element: &Element, name: &str) {
    save_png(name, &element.screenshot().await.unwrap());
}

fn save_png(name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join(name), png).unwrap();
}

/// The image's natural width once it has loaded or failed (0 when it failed: a broken image).
async fn natural_width(client: &Client, img: &Element) -> u64 {
    let width = client
        .execute(
            "const img = arguments[0]; return img.complete ? img.naturalWidth : \
             new Promise((ok) => { img.onload = () => ok(img.naturalWidth); img.onerror = () => ok(0); });",
            vec![serde_json::to_value(img).unwrap()],
        )
        .await
        .unwrap();
    width.as_u64().unwrap_or(0)
}

async fn scroll_into_view(client: &Client, element: &Element) {
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'start'});",
            vec![serde_json::to_value(element).unwrap()],
        )
        .await
        .unwrap();
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

/// Signs Ana in (the dashboard, the Cisco form, the demo person) and opens the chat on her
/// space with the bot, where the welcome waits.
async fn sign_in_and_open_the_chat(client: &Client, demo: &DemoHandle) {
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
    // Waits for the page after the callback: an `h1` found earlier may be the SSO form's,
    // gone (stale) by the time its text is read.
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//h1[contains(., 'signed in')]"))
        .await
        .unwrap();

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

    sign_in_and_open_the_chat(&client, &demo).await;

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

    // The screenshot shows the headline and the first rows.
    let answer = client
        .find(Locator::XPath(
            "(//li[contains(@class,'from-bot')][.//strong[contains(., 'in the next 30 days')]])[last()]",
        ))
        .await
        .unwrap();
    scroll_into_view(&client, &answer).await;
    save_screenshot(&client, "demo-expire-30.png").await;

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

    // In the group space, a message mentions the bot, and the bot answers there.
    client
        .find(Locator::XPath(
            "//ul[@id='spaces']//button[contains(., 'Licensing team')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//h1[@id='space-title' and .='Licensing team']",
        ))
        .await
        .unwrap();
    send(&client, "help").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//ol[@id='messages']/li[contains(@class,'from-bot')]",
        ))
        .await
        .unwrap();
    let mine = client
        .find(Locator::XPath(
            "//ol[@id='messages']/li[not(contains(@class,'from-bot'))]//span[@class='mention']",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        mine, "Smart",
        "the message mentions the bot by its first name"
    );

    client.close().await.unwrap();
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn in_a_browser_chart_mix_shows_its_image_and_the_filter_card_runs_the_chosen_report() {
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
    sign_in_and_open_the_chat(&client, &demo).await;

    // The chart: a PNG file in the bot's newest message with an image, shown inline and
    // really loaded (with the chat's session cookie), not a broken image.
    send(&client, "chart mix").await;
    const CHART_MESSAGE: &str =
        "(//li[contains(@class,'from-bot')][.//div[@class='file']/img])[last()]";
    let chart = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(&format!("{CHART_MESSAGE}//img")))
        .await
        .unwrap();
    let width = natural_width(&client, &chart).await;
    assert!(width > 0, "the chart loaded: naturalWidth {width}");
    let file = client
        .find(Locator::XPath(&format!(
            "{CHART_MESSAGE}//a[@class='file-link']"
        )))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(file.ends_with(".png"), "{file}");
    // It loaded because of the page's session: without the cookie the file is refused.
    let src = chart
        .attr("src")
        .await
        .unwrap()
        .expect("the image's address");
    let url = if src.starts_with('/') {
        format!("{}{src}", demo.url)
    } else {
        src
    };
    let anonymous = reqwest::get(&url).await.unwrap();
    assert!(
        anonymous.status().is_client_error(),
        "{url} without a session: {}",
        anonymous.status()
    );
    let chart_message = client.find(Locator::XPath(CHART_MESSAGE)).await.unwrap();
    scroll_into_view(&client, &chart_message).await;
    save_screenshot(&client, "demo-chart-mix.png").await;

    // `filter`: the bot answers with the filter card, offering exactly Ana's smart accounts.
    // (An unfiltered report may also be followed by a filter card; any card after the
    // question will do, both are Ana's.)
    send(&client, "filter").await;
    let card_message = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//li[not(contains(@class,'from-bot'))][.//div[@class='content']/p[.='filter']]\
             /following-sibling::li[contains(@class,'from-bot')][.//button[.='Show the report']]",
        ))
        .await
        .unwrap();
    let card_id = card_message
        .attr("data-id")
        .await
        .unwrap()
        .expect("a message id");
    let card_part = |inner: &str| message_xpath(&card_id, inner);
    let opts = options(dir.path());
    let mut offered = Vec::new();
    for checkbox in client
        .find_all(Locator::XPath(&card_part(
            "//div[@data-input-id='accounts']//input[@type='checkbox']",
        )))
        .await
        .unwrap()
    {
        offered.push(checkbox.attr("value").await.unwrap().unwrap_or_default());
    }
    let mut visible = visible_domains(&opts, demo.cssm_users, ANA);
    offered.sort();
    visible.sort();
    assert_eq!(offered, visible, "the card offers Ana's smart accounts");

    // Pick the account with the most lines expiring within 60 days, 60 days and the report.
    let per_account =
        |domain: &str| naive_expiring_count_in(&opts, demo.cssm_users, ANA, 60, Some(domain));
    let account = visible
        .iter()
        .max_by_key(|domain| per_account(domain))
        .unwrap()
        .clone();
    let expected = per_account(&account);
    let everywhere = naive_expiring_count(&opts, demo.cssm_users, ANA, 60);
    assert!(
        expected > 0 && expected < everywhere,
        "the demo data should make the account choice matter: {expected} of {everywhere}"
    );
    client
        .find(Locator::XPath(&card_part(&format!(
            "//div[@data-input-id='accounts']//input[@value='{account}']"
        ))))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let days = client
        .find(Locator::XPath(&card_part(
            "//div[@data-input-id='days']//input",
        )))
        .await
        .unwrap();
    days.clear().await.unwrap();
    days.send_keys("60").await.unwrap();
    client
        .find(Locator::XPath(&card_part(
            "//div[@data-input-id='report']//select",
        )))
        .await
        .unwrap()
        .select_by_value("expiring")
        .await
        .unwrap();
    // The card is taller than the window: grow the window for its picture.
    client.set_window_size(1100, 1300).await.unwrap();
    scroll_into_view(&client, &card_message).await;
    save_element_screenshot(&card_message, "demo-filter-card.png").await;
    client.set_window_size(1100, 760).await.unwrap();

    // Submitted, the card runs `expiring` over 60 days in that account only.
    client
        .find(Locator::XPath(&card_part("//button[.='Show the report']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let headline = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//li[contains(@class,'from-bot')]//strong[contains(., 'in the next 60 days')]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(headline, expiring_headline(expected, 60).trim_matches('*'));
    let submitted = client
        .find(Locator::XPath(&card_part("//div[@data-message-id]")))
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(submitted.contains("submitted"), "{submitted}");

    client.close().await.unwrap();
    demo.shutdown().await.unwrap();
}

/// Posts as the bot through the Webex API (the way the bot itself does); returns the message id.
async fn post_as_bot(
    api: &str,
    token: &str,
    form: Option<reqwest::multipart::Form>,
    body: serde_json::Value,
) -> String {
    let http = reqwest::Client::new();
    let request = http.post(format!("{api}/messages")).bearer_auth(token);
    let request = match form {
        Some(form) => request.multipart(form),
        None => request.json(&body),
    };
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let message: serde_json::Value = response.json().await.unwrap();
    message["id"].as_str().unwrap().to_string()
}

fn message_xpath(id: &str, inner: &str) -> String {
    format!("//li[@data-id='{id}']{inner}")
}

#[tokio::test]
async fn in_a_browser_markdown_stays_text_images_show_inline_and_cards_submit_their_inputs() {
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
    let control = Control::new(&demo);
    let ana = control.person(ANA).await;
    let space = control.space_with_bot(&ana).await;
    let bot = control.person(slbot_demo::BOT_EMAIL).await;
    let token = control.token_for(&bot).await;
    let api = format!("{}/webex/v1", demo.url);

    let markdown = "**Bold** and _italic_ and `code <b>` \
        <img src=x onerror=\"window.pwned=1\"> [bad](javascript:window.pwned=2) \
        [good](https://www.cisco.com/)\n\n- **Acme**\n  - DEFAULT\n    - row one\n";
    let text_id = post_as_bot(
        &api,
        &token,
        None,
        json!({ "roomId": space, "markdown": markdown }),
    )
    .await;
    let form = reqwest::multipart::Form::new()
        .text("roomId", space.clone())
        .text("markdown", "Your chart")
        .part(
            "files",
            reqwest::multipart::Part::bytes(TINY_PNG)
                .file_name("chart.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let image_id = post_as_bot(&api, &token, Some(form), json!(null)).await;
    let card = json!({
        "type": "AdaptiveCard", "version": "1.3",
        "body": [
            { "type": "TextBlock", "text": "**Notify me**", "size": "large", "weight": "bolder" },
            { "type": "FactSet", "facts": [{ "title": "Accounts", "value": "3" }] },
            { "type": "Input.Text", "id": "name", "label": "Name", "isRequired": true,
              "errorMessage": "Give the subscription a name." },
            { "type": "Input.Number", "id": "days", "label": "Days", "value": 30, "min": 1, "max": 3650 },
            { "type": "Input.ChoiceSet", "id": "vas", "label": "Virtual accounts", "isMultiSelect": true,
              "choices": [{ "title": "DEFAULT", "value": "DEFAULT" },
                          { "title": "Lab", "value": "Lab" },
                          { "title": "Production", "value": "Production" }] }
        ],
        "actions": [{ "type": "Action.Submit", "title": "Subscribe", "data": { "action": "subscribe" } }]
    });
    let card_id = post_as_bot(
        &api,
        &token,
        None,
        json!({
            "roomId": space,
            "markdown": "A card (your client cannot show it).",
            "attachments": [{ "contentType": "application/vnd.microsoft.card.adaptive", "content": card }]
        }),
    )
    .await;

    client.goto(&demo.chat_url()).await.unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(&message_xpath(&card_id, "//button")))
        .await
        .unwrap();

    // Markdown: formatting rendered, HTML and unsafe links kept as text, nested lists nested.
    let find = |inner: &str| message_xpath(&text_id, inner);
    for (xpath, text) in [
        (find("//div[@class='content']/p/strong"), "Bold"),
        (find("//em"), "italic"),
        (find("//code"), "code <b>"),
        (find("//a"), "good"),
        (find("//ul/li/ul/li/ul/li"), "row one"),
    ] {
        let got = client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(got, text, "{xpath}");
    }
    let links = client.find_all(Locator::XPath(&find("//a"))).await.unwrap();
    assert_eq!(links.len(), 1, "only the https link is a link");
    assert!(client
        .find_all(Locator::XPath(&find("//img")))
        .await
        .unwrap()
        .is_empty());
    let content = client
        .find(Locator::XPath(&find("//div[@class='content']")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(content.contains("<img src=x"), "{content}");
    assert!(content.contains("[bad](javascript:"), "{content}");
    let pwned = client
        .execute("return window.pwned === undefined;", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, json!(true), "no script ran");

    // The image is shown inline, loaded with the chat's session cookie.
    let loaded = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(&message_xpath(&image_id, "//img")))
        .await
        .unwrap();
    let width = natural_width(&client, &loaded).await;
    assert!(width > 0, "the image loaded: {width}");

    // The card: shown instead of its fallback; a required input blocks the submit, then every
    // input is sent.
    let card_part = |inner: &str| message_xpath(&card_id, inner);
    let shown = client
        .find(Locator::XPath(&card_part("")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("Notify me"), "{shown}");
    assert!(!shown.contains("your client cannot show it"), "{shown}");
    let submit = client
        .find(Locator::XPath(&card_part("//button[.='Subscribe']")))
        .await
        .unwrap();
    submit.clone().click().await.unwrap();
    let error = client
        .find(Locator::XPath(&card_part("//div[@class='error']")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(error, "Give the subscription a name.");
    client
        .find(Locator::XPath(&card_part(
            "//div[@data-input-id='name']//input",
        )))
        .await
        .unwrap()
        .send_keys("Renewals")
        .await
        .unwrap();
    for choice in ["DEFAULT", "Production"] {
        client
            .find(Locator::XPath(&card_part(&format!(
                "//div[@data-input-id='vas']//input[@value='{choice}']"
            ))))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    submit.click().await.unwrap();
    let inputs = control.next_card_submit(&ana, &card_id).await;
    save_screenshot(&client, "demo-card.png").await;
    assert_eq!(
        inputs,
        json!({ "name": "Renewals", "days": "30", "vas": "DEFAULT,Production", "action": "subscribe" })
    );

    client.close().await.unwrap();
    demo.shutdown().await.unwrap();
}

/// A 1×1 PNG.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];
