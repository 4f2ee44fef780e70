//! The dashboard's sessions at the store, on SQLite and PostgreSQL, with the clock injected: a
//! session opens until its lifetime ends and not after; purging deletes the expired ones only;
//! signing out in one browser ends that browser's session only; a new sign-in adds a session;
//! deleting the login (chat `sign out`, a refresh token SSO no longer accepts) ends them all
//! (docs/decisions.md, "Dashboard").

use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::http::{HeaderMap, HeaderValue};
use chrono::Duration;
use sha2::{Digest, Sha256};
use slbot_backend::dashboard::session::{SessionKeys, Sessions};
use slbot_backend::refresh::usable_token;
use slbot_base::ManualClock;

use crate::token_harness::{keys, secret, t0, tokens, FakeRefresher, SsoMode, TestStore, K1};

/// Sessions of `ts`'s store that live one hour, on `clock`.
fn sessions(ts: &TestStore, clock: &Arc<ManualClock>) -> Sessions {
    Sessions {
        keys: SessionKeys::new(
            &secret("dashboard-session-test-secret-0123456789"),
            &url::Url::parse("http://127.0.0.1:8082").unwrap(),
            3600,
        ),
        store: ts
            .store
            .dashboard_sessions()
            .expect("both engines keep sessions"),
        clock: clock.clone(),
        ttl: StdDuration::from_secs(3600),
    }
}

/// The session id in a `Set-Cookie` value (`slbot_dashboard=ID; …`).
fn id_of(set_cookie: &HeaderValue) -> String {
    let text = set_cookie.to_str().unwrap();
    let (pair, _) = text.split_once(';').unwrap();
    pair.strip_prefix("slbot_dashboard=").unwrap().to_string()
}

/// The request headers of a browser that holds the session `id`.
fn browser(id: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "cookie",
        HeaderValue::from_str(&format!("slbot_dashboard={id}")).unwrap(),
    );
    h
}

async fn person(s: &Sessions, id: &str) -> Option<String> {
    s.current(&browser(id)).await.unwrap().map(|c| c.person_id)
}

both_engines!(
    a_session_opens_until_its_lifetime_ends_and_not_a_second_after,
    keys(K1, &[]),
    |ts| {
        let clock = Arc::new(ManualClock::new(t0()));
        let s = sessions(ts, &clock);
        let id = id_of(&s.issue("P1").await.unwrap());
        assert_eq!(person(&s, &id).await.as_deref(), Some("P1"));
        clock.advance(Duration::seconds(3599));
        assert_eq!(person(&s, &id).await.as_deref(), Some("P1"));
        clock.advance(Duration::seconds(1));
        assert_eq!(person(&s, &id).await, None);
        // The store holds the SHA-256 of the id (computed here), never the id.
        let hash: String = ts.raw_one("SELECT hash FROM dashboard_sessions").await;
        assert_eq!(hash, hex::encode(Sha256::digest(id.as_bytes())));
    }
);

both_engines!(
    purging_deletes_the_expired_sessions_and_keeps_the_live_ones,
    keys(K1, &[]),
    |ts| {
        let clock = Arc::new(ManualClock::new(t0()));
        let s = sessions(ts, &clock);
        let old = id_of(&s.issue("P1").await.unwrap());
        clock.advance(Duration::minutes(30));
        let young = id_of(&s.issue("P2").await.unwrap());
        assert_eq!(ts.raw_count("dashboard_sessions").await, 2);
        // An hour after the first: it has expired, the second has 30 minutes left.
        clock.advance(Duration::minutes(30));
        let purged = ts
            .store
            .purge_expired(slbot_base::Clock::now(clock.as_ref()))
            .await
            .unwrap();
        assert_eq!(purged, 1);
        assert_eq!(ts.raw_count("dashboard_sessions").await, 1);
        assert_eq!(person(&s, &old).await, None);
        assert_eq!(person(&s, &young).await.as_deref(), Some("P2"));
    }
);

both_engines!(
    signing_out_in_one_browser_ends_that_session_and_a_new_sign_in_adds_one,
    keys(K1, &[]),
    |ts| {
        let clock = Arc::new(ManualClock::new(t0()));
        let s = sessions(ts, &clock);
        let laptop = id_of(&s.issue("P1").await.unwrap());
        // Signing in again (another browser, or the same one later) adds a session.
        let phone = id_of(&s.issue("P1").await.unwrap());
        assert_ne!(laptop, phone);
        assert_eq!(ts.raw_count("dashboard_sessions").await, 2);
        assert!(s.revoke(&laptop).await.unwrap());
        assert_eq!(person(&s, &laptop).await, None);
        assert_eq!(person(&s, &phone).await.as_deref(), Some("P1"));
        assert_eq!(ts.raw_count("dashboard_sessions").await, 1);
        // Signing out twice is not an error; there is nothing left to end.
        assert!(!s.revoke(&laptop).await.unwrap());
    }
);

both_engines!(
    deleting_the_login_in_chat_ends_every_session_of_that_person_only,
    keys(K1, &[]),
    |ts| {
        let clock = Arc::new(ManualClock::new(t0()));
        let s = sessions(ts, &clock);
        let exp = t0() + Duration::hours(8);
        for p in ["P1", "P2"] {
            ts.store
                .put(p, None, tokens("at", Some("rt"), exp), t0())
                .await
                .unwrap();
        }
        let a = id_of(&s.issue("P1").await.unwrap());
        let b = id_of(&s.issue("P1").await.unwrap());
        let other = id_of(&s.issue("P2").await.unwrap());
        ts.store.delete("P1").await.unwrap().unwrap();
        assert_eq!(person(&s, &a).await, None);
        assert_eq!(person(&s, &b).await, None);
        assert_eq!(person(&s, &other).await.as_deref(), Some("P2"));
        assert_eq!(ts.raw_count("dashboard_sessions").await, 1);
    }
);

both_engines!(
    a_refresh_token_sso_no_longer_accepts_ends_the_persons_sessions,
    keys(K1, &[]),
    |ts| {
        let clock = Arc::new(ManualClock::new(t0()));
        let s = sessions(ts, &clock);
        // The access token is about to expire, so the next use refreshes it, and SSO says
        // invalid_grant: the login is dead.
        ts.store
            .put("P1", None, tokens("at", Some("rt"), t0()), t0())
            .await
            .unwrap();
        let id = id_of(&s.issue("P1").await.unwrap());
        let sso = FakeRefresher::new(SsoMode::InvalidGrant);
        let usable = usable_token(ts.store.as_ref(), &sso, "P1", t0())
            .await
            .unwrap();
        assert!(usable.is_none());
        assert_eq!(sso.refreshes(), 1, "the refresh was tried");
        assert_eq!(person(&s, &id).await, None);
        assert_eq!(ts.raw_count("dashboard_sessions").await, 0);
    }
);
