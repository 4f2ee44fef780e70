//! The journey without a browser: sign-in over HTTP, `expire 30` through the control API,
//! the same after a restart on the same data folder, and a taken listen address.

use crate::harness::{
    expiring_headline, naive_expiring_count, options, sign_in_over_http, start, Control, ANA,
};

#[tokio::test]
async fn a_person_signed_in_over_http_gets_the_expiring_headline_with_the_naive_count() {
    expiring_journey(slbot_bot::Transport::Webhook).await;
}

#[tokio::test]
async fn the_same_journey_works_when_the_bot_takes_its_events_from_the_websocket() {
    expiring_journey(slbot_bot::Transport::Websocket).await;
}

/// Sign-in, the welcome, `expire 30` and its headline, with the bot on `transport`.
async fn expiring_journey(transport: slbot_bot::Transport) {
    let dir = tempfile::tempdir().unwrap();
    let demo = slbot_demo::start(slbot_demo::DemoOptions {
        transport,
        ..options(dir.path())
    })
    .await
    .unwrap();
    let page = sign_in_over_http(&demo.url, ANA).await;
    assert!(page.contains("signed in"), "{page}");

    let control = Control::new(&demo);
    let ana = control.person(ANA).await;
    let space = control.space_with_bot(&ana).await;
    let history = control.messages(&space).await;
    assert!(
        history.iter().any(|m| m["markdown"]
            .as_str()
            .is_some_and(|md| md.contains("Welcome to the Smart Licensing Bot"))),
        "the welcome is in Ana's space with the bot"
    );

    let asked = control.say(&ana, &space, "expire 30").await;
    let answer = control.next_bot_answer(&ana, &space, asked).await;
    let expected = naive_expiring_count(&options(dir.path()), demo.cssm_users, ANA, 30);
    assert!(
        expected > 0,
        "the demo data should have lines expiring within 30 days"
    );
    let headline = answer.lines().next().unwrap_or_default();
    assert_eq!(headline, expiring_headline(expected, 30));
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn after_a_restart_on_the_same_data_dir_the_person_is_still_signed_in_with_their_history() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("demo");
    let demo = start(&dir).await;
    sign_in_over_http(&demo.url, ANA).await;
    let control = Control::new(&demo);
    let ana = control.person(ANA).await;
    let space = control.space_with_bot(&ana).await;
    let before = control.messages(&space).await;
    demo.shutdown().await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "the data folder the demo created");
        assert_eq!(mode(&dir.join("secrets.json")), 0o600);
        assert_eq!(
            mode(&dir.join("sso-sim.json")),
            0o600,
            "it holds SSO tokens"
        );
    }

    let demo = start(&dir).await;
    let control = Control::new(&demo);
    assert_eq!(control.person(ANA).await, ana, "the same Webex person");
    assert_eq!(control.space_with_bot(&ana).await, space, "the same space");
    let after = control.messages(&space).await;
    let ids = |ms: &[serde_json::Value]| -> Vec<String> {
        ms.iter().map(|m| m["id"].to_string()).collect()
    };
    assert_eq!(ids(&after), ids(&before), "the history survives");

    let asked = control.say(&ana, &space, "expire 30").await;
    let answer = control.next_bot_answer(&ana, &space, asked).await;
    let expected = naive_expiring_count(&options(&dir), demo.cssm_users, ANA, 30);
    assert_eq!(
        answer.lines().next().unwrap_or_default(),
        expiring_headline(expected, 30),
        "answered without a new sign-in"
    );
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_listen_address_in_use_is_refused_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.listen = addr;
    let err = slbot_demo::start(opts).await.unwrap_err();
    assert!(err.is_input(), "{err}");
    let text = err.to_string();
    assert!(text.contains(&addr.to_string()), "{text}");
    assert!(text.contains("in use"), "{text}");
}

#[tokio::test]
async fn a_demo_person_asks_changes_trend_and_status_and_each_reads_five_weeks_of_history() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    sign_in_over_http(&demo.url, ANA).await;
    let control = Control::new(&demo);
    let ana = control.person(ANA).await;
    let space = control.space_with_bot(&ana).await;

    let asked = control.say(&ana, &space, "changes 30d").await;
    let answer = control.next_bot_answer(&ana, &space, asked).await;
    let headline = answer.lines().next().unwrap_or_default();
    assert!(
        headline.starts_with("**Changes over the last 30 days** (snapshots of "),
        "{answer}"
    );
    assert!(
        !answer.contains("Nothing changed"),
        "the simulator moved: {answer}"
    );

    let license = demo.growing_license.clone().expect("a growing licence");
    let asked = control.say(&ana, &space, &format!("trend {license}")).await;
    let answer = control.next_bot_answer(&ana, &space, asked).await;
    assert!(answer.starts_with("**Trend of "), "{answer}");
    assert!(answer.contains("Runs out around **"), "{answer}");

    let asked = control.say(&ana, &space, "status").await;
    // The trend's chart may still be on its way: it is not the status.
    let answer = control
        .next_bot_answer_but(&ana, &space, asked, |md| md.starts_with("**Trend of "))
        .await;
    assert!(answer.contains("**Run-out forecast**: "), "{answer}");
    assert!(!answer.contains("not enough history"), "{answer}");
    demo.shutdown().await.unwrap();
}
