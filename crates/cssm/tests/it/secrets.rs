//! The token never shows up in an error's `Display` or `Debug`, nor in the client's `Debug`.

use std::sync::Arc;
use std::time::Duration;

use slbot_cssm::wire::LicenseQuery;
use slbot_cssm::{CssmError, FetchOptions, FetchSettings};

use crate::support::*;

fn assert_clean(err: &CssmError) {
    for text in [format!("{err}"), format!("{err:?}"), err.reason()] {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
        assert!(!text.contains("SECRET"), "part of the token leaked: {text}");
    }
}

#[tokio::test]
async fn no_error_shows_the_token() {
    type MakeReply = fn() -> Reply;
    let replies: Vec<(&str, MakeReply)> = vec![
        ("401", || Reply::status(401)),
        ("403", || Reply::status(403)),
        ("429", || Reply::status_with_retry_after(429, 99)),
        ("503", || Reply::status(503)),
        ("404", || Reply::status(404)),
        ("html", || Reply::Raw(200, vec![], "<html>".into())),
        ("garbage", || {
            Reply::Raw(200, vec![], "{\"licenses\": [1,".into())
        }),
        ("error", || {
            Reply::ok(serde_json::json!({"status": "ERROR", "statusMessage": "nope"}))
        }),
        ("hang", || Reply::Hang),
    ];
    let mut fired = 0;
    for (name, reply) in replies {
        let fake = serve(move |_| reply()).await;
        let h = harness(
            &fake,
            FetchSettings {
                request_timeout: Duration::from_millis(100),
                attempts: 2,
                ..FetchSettings::default()
            },
        );
        let query = LicenseQuery {
            virtual_accounts: vec![],
            limit: 10,
            offset: 0,
        };
        let err = h
            .client
            .license_page(&token(), "acme.com", &query)
            .await
            .expect_err(name);
        assert_clean(&err);
        let err = h
            .client
            .fetch_all(&token(), &FetchOptions::default(), &slbot_cssm::no_progress)
            .await
            .expect_err(name);
        assert_clean(&err);
        fired += 1;
    }
    assert_eq!(fired, 9);
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_is_refused_without_being_shown() {
    let fake = serve(|_| Reply::status(200)).await;
    let h = harness(&fake, FetchSettings::default());
    let bad = secrecy::SecretString::from(format!("{TOKEN}\nX-Injected: 1"));
    let err = h.client.accounts(&bad).await.unwrap_err();
    assert!(matches!(err, CssmError::Unauthorized { .. }), "{err:?}");
    assert_clean(&err);
    assert!(fake.seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn the_client_debug_output_has_no_secret() {
    let fake = serve(|_| Reply::status(200)).await;
    let h = harness(&fake, FetchSettings::default());
    let refresher: slbot_cssm::TokenRefresher =
        Arc::new(|| Box::pin(async { Some(secrecy::SecretString::from(TOKEN)) }));
    let client = h.client.with_token_refresher(refresher);
    let text = format!("{client:?}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(
        text.contains("/services/api/smart-accounts-and-licensing"),
        "{text}"
    );
}
