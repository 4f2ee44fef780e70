//! The demo's simulated Alexa: linking the skill through the backend in a browser-like client
//! (cookies, redirects, the SSO form), then a signed request to the bot through the panel,
//! whose spoken count and the details in the 1:1 space match a naive count of the demo data.

use serde_json::{json, Value};

use crate::harness::{
    expiring_headline, naive_expiring_count, options, start, submit_sso_form, Control, ANA,
};

#[tokio::test]
async fn a_demo_person_links_the_simulated_alexa_and_hears_how_many_licenses_expire() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let panel = browser.get(demo.alexa_url()).send().await.unwrap();
    assert!(panel.status().is_success());
    let state: Value = browser
        .get(format!("{}/state", demo.alexa_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["linked"], false);

    // Not linked yet: Alexa asks to link.
    let ask = |intent: &str, period: Option<&str>| {
        let body = json!({"intent": intent, "period": period});
        let request = browser
            .post(format!("{}/ask", demo.alexa_url()))
            .json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let unlinked = ask("StatusIntent", None).await;
    assert_eq!(unlinked["status"], 200, "{unlinked}");
    assert_eq!(
        unlinked["response"]["response"]["card"]["type"],
        "LinkAccount"
    );

    // Linking: the panel → the backend's /alexa/authorize → Cisco (simulated) → back.
    let form_page = browser
        .get(format!("{}/link", demo.alexa_url()))
        .send()
        .await
        .unwrap();
    let back = submit_sso_form(&browser, form_page, ANA).await;
    assert!(back.status().is_success(), "{}", back.status());
    assert_eq!(back.url().query(), Some("linking=linked"), "{}", back.url());

    let control = Control::new(&demo);
    let ana = control.person(ANA).await;
    let space = control.space_with_bot(&ana).await;
    let since = control
        .messages(&space)
        .await
        .iter()
        .filter_map(|m| m["seq"].as_u64())
        .max()
        .unwrap_or(0);

    let answer = ask("ExpiringLicensesIntent", Some("P30D")).await;
    assert_eq!(answer["status"], 200, "{answer}");
    let ssml = answer["response"]["response"]["outputSpeech"]["ssml"]
        .as_str()
        .unwrap()
        .to_string();
    let expected = naive_expiring_count(&options(dir.path()), demo.cssm_users, ANA, 30);
    assert!(
        expected > 1,
        "the demo data should have lines expiring within 30 days"
    );
    assert!(
        ssml.starts_with(&format!(
            "<speak>{expected} license lines expire in the next 30 days"
        )),
        "{ssml}"
    );
    // The shown request never carries the link's token.
    let shown = answer["request"].to_string();
    assert!(shown.contains("[the linked access token]"), "{shown}");

    let details = control.next_bot_answer(&ana, &space, since).await;
    assert_eq!(
        details.lines().next().unwrap_or_default(),
        expiring_headline(expected, 30)
    );
    demo.shutdown().await.unwrap();
}
