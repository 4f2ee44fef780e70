//! The dashboard in headless Chromium: Ana signs in from the demo's page and opens her
//! dashboard; the tiles and a report table equal counts computed from the simulator's data;
//! two accounts and a licence search chosen in the form, the table sorted by end date, its CSV
//! downloaded with the page's cookie and compared with the inventory engine's; then Paul, signed
//! in in the same browser, is refused Ana's URL, a post without the CSRF token is refused, and
//! without a session the dashboard asks to sign in. Screenshots of the overview and a report
//! page go under `target/tmp/screenshots/` (copies in docs/).

use std::time::Duration;

use chrono::Utc;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{browser, save_screenshot, Browser};
use crate::dashboard::{engine_expiring_csv, naive_lines, naive_shortages, narrowing_term, PAUL};
use crate::harness::{options, start, visible_domains, ANA};

const WAIT: Duration = Duration::from_secs(60);

/// Asserts that the first `css` element's text becomes `expected` within [`WAIT`]. It polls
/// rather than reading once: after a click the old page may still be shown, and its elements
/// go stale (or say something else) as the new page replaces it.
async fn assert_text(client: &Client, css: &str, expected: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let text = match client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.ok(),
            Err(_) => None,
        };
        if text.as_deref() == Some(expected) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "`{css}` says {text:?} after {WAIT:?}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sign_in(client: &Client, url: &str, email: &str) {
    client.goto(&format!("{url}/")).await.unwrap();
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
        .for_element(Locator::Css(&format!("button[value='{email}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#open-dashboard"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#tile-expired"))
        .await
        .unwrap();
}

async fn rows(client: &Client) -> usize {
    let n = client
        .execute(
            "return Array.from(document.querySelectorAll('table.report tbody tr'))\
             .filter(tr => !tr.textContent.includes('Nothing matches')).length;",
            vec![],
        )
        .await
        .unwrap();
    n.as_u64().unwrap() as usize
}

#[tokio::test]
async fn in_a_browser_the_dashboard_shows_the_naive_counts_filters_sorts_and_downloads_the_engines_csv(
) {
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
    let opts = options(dir.path());
    client.set_window_size(1280, 1000).await.unwrap();

    sign_in(&client, &demo.url, ANA).await;
    let lines = naive_lines(&opts, demo.cssm_users, ANA);
    let now = Utc::now().timestamp();
    let within = |d: i64| {
        lines
            .iter()
            .filter(|l| now < l.end && l.end < now + d * 86_400)
            .count()
            .to_string()
    };
    let expired = lines.iter().filter(|l| l.end < now).count().to_string();
    assert_text(&client, "#tile-expired .value", &expired).await;
    assert_text(&client, "#tile-expiring-30 .value", &within(30)).await;
    assert_text(&client, "#tile-expiring-90 .value", &within(90)).await;
    assert_text(&client, "#tile-expiring-180 .value", &within(180)).await;
    assert_text(
        &client,
        "#tile-shortages .value",
        &naive_shortages(&opts, demo.cssm_users, ANA).to_string(),
    )
    .await;
    let ana_overview = client.current_url().await.unwrap().to_string();
    save_screenshot(&client, "dashboard-overview.png").await;

    // The expiring page from the navigation, then two accounts, a licence search and 365 days
    // chosen in the form.
    client
        .find(Locator::Css("nav a[href*='/report/expiring']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("table.report"))
        .await
        .unwrap();
    let domains = visible_domains(&opts, demo.cssm_users, ANA);
    let chosen = vec![domains[1].clone(), domains[2].clone()];
    let days = 365;
    let (term, want) = narrowing_term(&lines, &chosen, days);
    client
        .execute(
            "for (const o of document.querySelectorAll('select[name=account] option')) \
             { o.selected = arguments[0].includes(o.value); }",
            vec![json!(chosen)],
        )
        .await
        .unwrap();
    let search = client.find(Locator::Css("input[name=q]")).await.unwrap();
    search.send_keys(term).await.unwrap();
    let days_input = client.find(Locator::Css("input[name=days]")).await.unwrap();
    days_input.clear().await.unwrap();
    days_input.send_keys(&days.to_string()).await.unwrap();
    client
        .find(Locator::XPath("//form[@role='search']//button[.='Apply']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        // The page after the form's GET renders the search as the field's value.
        .for_element(Locator::Css(&format!("input[name=q][value='{term}']")))
        .await
        .unwrap();
    assert_eq!(rows(&client).await, want);

    // Sort by end date (the header is a link, reachable by keyboard), ascending.
    client
        .find(Locator::Css("th[data-key=endDate] a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("th[data-key=endDate][aria-sort=ascending]"))
        .await
        .unwrap();
    assert_eq!(rows(&client).await, want);
    let url = client.current_url().await.unwrap();
    let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    for d in &chosen {
        assert!(q.contains(&("account".into(), d.clone())), "{url}");
    }
    assert!(q.contains(&("sort".into(), "endDate".into())), "{url}");
    save_screenshot(&client, "dashboard-report.png").await;

    // The CSV button's file, fetched with the page's own cookie, against the engine's CSV.
    let csv = client
        .execute(
            "return fetch(document.getElementById('download-csv').href, {credentials: 'same-origin'})\
             .then(r => r.text());",
            vec![],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap().to_string();
    let (header, expected) =
        engine_expiring_csv(&opts, demo.cssm_users, ANA, &chosen, days as u32, term);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader
            .headers()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
            .join(","),
        header
    );
    let got: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(got.len(), want);
    assert_eq!(got, expected);

    // A post without the CSRF token is refused, and the session goes on.
    let status = client
        .execute(
            "return fetch(arguments[0], {method: 'POST', credentials: 'same-origin'}).then(r => r.status);",
            vec![json!(format!("{}/dashboard/sign-out", demo.url))],
        )
        .await
        .unwrap();
    assert_eq!(status, json!(403));
    client.goto(&ana_overview).await.unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#tile-expired"))
        .await
        .unwrap();

    // Paul signs in in the same browser: his cookie, Ana's URL → refused.
    sign_in(&client, &demo.url, PAUL).await;
    client.goto(&ana_overview).await.unwrap();
    assert_text(&client, "h1", "This is not your dashboard").await;
    assert!(client.find(Locator::Css("#tile-expired")).await.is_err());

    // Sign out with the page's button; then the dashboard asks to sign in.
    client
        .find(Locator::LinkText("Open your dashboard"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//button[.='Sign out']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_text(&client, "h1", "You're signed out of the dashboard").await;
    client
        .goto(&format!("{}/dashboard/", demo.url))
        .await
        .unwrap();
    assert_text(&client, "h1", "Please sign in").await;
    client.close().await.unwrap();
}
