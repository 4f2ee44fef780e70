//! The token store's behaviour, the same suite on SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::Duration;
use secrecy::ExposeSecret;
use slbot_backend::crypto::CryptoError;
use slbot_backend::refresh::usable_token;
use slbot_backend::store::{OAuthAttempt, PendingSignIn, StoreError, MAX_CONFIRM_ATTEMPTS};

use crate::token_harness::{
    keys, random_token, secret, t0, tokens, FakeRefresher, LockSpy, SsoMode, K1, K2,
};

/// The key id of a key, computed here by hand: first 8 hex of SHA-256 of the 32 key bytes.
fn key_id(hex_key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(hex::decode(hex_key).unwrap()))[..8].to_string()
}

/// AES-256-GCM straight from the aes-gcm crate: `nonce ‖ ciphertext ‖ tag` of `plaintext`
/// under `hex_key` with associated data `aad`.
fn naive_seal(hex_key: &str, aad: &[u8], plaintext: &str) -> Vec<u8> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use aes_gcm::{Aes256Gcm, Key, Nonce};
    let key = hex::decode(hex_key).unwrap();
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
    let nonce = [9u8; 12];
    let mut out = nonce.to_vec();
    out.extend(
        cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad,
                },
            )
            .unwrap(),
    );
    out
}

/// Whether `blob` opens under `hex_key` with associated data `aad`, by hand.
fn naive_opens(hex_key: &str, aad: &[u8], blob: &[u8]) -> bool {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use aes_gcm::{Aes256Gcm, Key, Nonce};
    let key = hex::decode(hex_key).unwrap();
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
    let (nonce, sealed) = blob.split_at(12);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
        .is_ok()
}

/// The associated data before the length prefix: `context ‖ key id`.
fn legacy_aad(context: &str, hex_key: &str) -> Vec<u8> {
    [context.as_bytes(), key_id(hex_key).as_bytes()].concat()
}

/// The current associated data: `u32-BE length of the context ‖ context ‖ key id`.
fn prefixed_aad(context: &str, hex_key: &str) -> Vec<u8> {
    let len = (context.len() as u32).to_be_bytes();
    [&len[..], context.as_bytes(), key_id(hex_key).as_bytes()].concat()
}

both_engines!(
    a_stored_login_reads_back_and_lists_only_ids_and_expiry,
    keys(K1, &[]),
    |ts| {
        let store = &ts.store;
        let exp = t0() + Duration::hours(1);
        store
            .put("P1", Some("R1"), tokens("at-1", Some("rt-1"), exp), t0())
            .await
            .unwrap();
        let got = store.get("P1").await.unwrap().unwrap();
        assert_eq!(got.access_token.expose_secret(), "at-1");
        assert_eq!(got.refresh_token.unwrap().expose_secret(), "rt-1");
        assert_eq!(got.expires_at, exp);
        assert_eq!(got.room_id.as_deref(), Some("R1"));
        assert!(store.get("P2").await.unwrap().is_none());
        let list = store.list().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].person_id, "P1");
        assert_eq!(list[0].expires_at, exp);
        assert_eq!(list[0].key_id, key_id(K1));
        assert!(!format!("{list:?}").contains("at-1"));
    }
);

both_engines!(
    a_new_sign_in_replaces_the_old_tokens_and_keeps_the_room,
    keys(K1, &[]),
    |ts| {
        let store = &ts.store;
        let exp = t0() + Duration::hours(1);
        store
            .put("P1", Some("R1"), tokens("old", None, exp), t0())
            .await
            .unwrap();
        store
            .put("P1", None, tokens("new", Some("rt"), exp), t0())
            .await
            .unwrap();
        let got = store.get("P1").await.unwrap().unwrap();
        assert_eq!(got.access_token.expose_secret(), "new");
        assert_eq!(got.room_id.as_deref(), Some("R1"));
        assert_eq!(store.list().await.unwrap().len(), 1);
    }
);

both_engines!(
    deleting_forgets_the_login_and_hands_back_its_refresh_token,
    keys(K1, &[]),
    |ts| {
        let store = &ts.store;
        store
            .put("P1", Some("R1"), tokens("at", Some("rt-1"), t0()), t0())
            .await
            .unwrap();
        let removed = store.delete("P1").await.unwrap().unwrap();
        assert_eq!(removed.refresh_token.unwrap().expose_secret(), "rt-1");
        assert!(store.get("P1").await.unwrap().is_none());
        assert!(store.delete("P1").await.unwrap().is_none());
    }
);

both_engines!(
    a_ciphertext_copied_to_another_row_does_not_decrypt,
    keys(K1, &[]),
    |ts| {
        let store = &ts.store;
        let exp = t0() + Duration::hours(1);
        store
            .put("ALICE", None, tokens("alice-token", None, exp), t0())
            .await
            .unwrap();
        store
            .put("MALLORY", None, tokens("mallory-token", None, exp), t0())
            .await
            .unwrap();
        ts.raw_exec(
        "UPDATE tokens SET access_token = (SELECT access_token FROM tokens WHERE person_id = 'ALICE') \
         WHERE person_id = 'MALLORY'",
    )
    .await;
        let err = store.get("MALLORY").await.unwrap_err();
        assert!(
            matches!(err, StoreError::Crypto(CryptoError::Decrypt { ref key_id }) if *key_id == super::key_id(K1)),
            "{err:?}"
        );
        assert_eq!(
            store
                .get("ALICE")
                .await
                .unwrap()
                .unwrap()
                .access_token
                .expose_secret(),
            "alice-token"
        );
    }
);

both_engines!(
    rotation_old_keys_decrypt_and_rekey_leaves_only_the_new_key,
    keys(K1, &[]),
    |ts| {
        let exp = t0() + Duration::hours(1);
        for p in ["P1", "P2"] {
            ts.store
                .put(
                    p,
                    Some("R"),
                    tokens(&format!("at-{p}"), Some("rt"), exp),
                    t0(),
                )
                .await
                .unwrap();
        }
        ts.store
            .put_pending(
                PendingSignIn {
                    person_id: "P3".into(),
                    room_id: None,
                    tokens: tokens("at-P3", None, exp),
                    code: "123456".into(),
                    until: t0() + Duration::minutes(10),
                },
                t0(),
            )
            .await
            .unwrap();
        ts.store
            .put_attempt(
                "state-1",
                OAuthAttempt {
                    pkce_verifier: secret("verifier-1"),
                    link_person_id: None,
                    alexa_request: None,
                    expires_at: t0() + Duration::minutes(10),
                },
                t0(),
                100,
            )
            .await
            .unwrap();

        // Without the old key: a clear error naming the missing key id, never garbage.
        let forgetful = ts.reopen(keys(K2, &[])).await;
        let err = forgetful.get("P1").await.unwrap_err().to_string();
        assert!(
            err.contains(&key_id(K1)) && err.contains("SLBOT_STORE_OLD_KEYS"),
            "{err}"
        );

        // With it: reads work, then rekey re-encrypts everything.
        let rotated = ts.reopen(keys(K2, &[K1])).await;
        assert_eq!(
            rotated
                .get("P1")
                .await
                .unwrap()
                .unwrap()
                .access_token
                .expose_secret(),
            "at-P1"
        );
        let report = rotated.rekey(t0()).await.unwrap();
        assert_eq!((report.tokens, report.pending, report.attempts), (2, 1, 1));
        assert!(rotated
            .list()
            .await
            .unwrap()
            .iter()
            .all(|s| s.key_id == key_id(K2)));
        assert_eq!(rotated.rekey(t0()).await.unwrap().tokens, 0);

        // Afterwards the old key is not needed by anything.
        let new_only = ts.reopen(keys(K2, &[])).await;
        assert_eq!(
            new_only
                .get("P2")
                .await
                .unwrap()
                .unwrap()
                .access_token
                .expose_secret(),
            "at-P2"
        );
        assert!(new_only
            .confirm_pending("P3", "R3", "123456", t0())
            .await
            .unwrap());
        assert_eq!(
            new_only
                .get("P3")
                .await
                .unwrap()
                .unwrap()
                .access_token
                .expose_secret(),
            "at-P3"
        );
        let attempt = new_only
            .take_attempt("state-1", t0())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(attempt.pkce_verifier.expose_secret(), "verifier-1");
    }
);

both_engines!(
    a_pending_sign_in_becomes_the_login_only_with_the_right_code_in_time,
    keys(K1, &[]),
    |ts| {
        let store = &ts.store;
        let pending = |code: &str| PendingSignIn {
            person_id: "P1".into(),
            room_id: None,
            tokens: tokens("at-pending", Some("rt"), t0() + Duration::hours(1)),
            code: code.into(),
            until: t0() + Duration::minutes(10),
        };
        store.put_pending(pending("123456"), t0()).await.unwrap();
        assert!(
            !store
                .confirm_pending("P2", "R", "123456", t0())
                .await
                .unwrap(),
            "other person"
        );
        assert!(
            !store
                .confirm_pending("P1", "R", "654321", t0())
                .await
                .unwrap(),
            "wrong code"
        );
        assert!(store.get("P1").await.unwrap().is_none());
        assert!(store
            .confirm_pending("P1", "R9", "123456", t0())
            .await
            .unwrap());
        let got = store.get("P1").await.unwrap().unwrap();
        assert_eq!(got.access_token.expose_secret(), "at-pending");
        assert_eq!(got.room_id.as_deref(), Some("R9"));
        assert!(
            !store
                .confirm_pending("P1", "R9", "123456", t0())
                .await
                .unwrap(),
            "used once"
        );

        // Too late.
        store.put_pending(pending("111111"), t0()).await.unwrap();
        let late = t0() + Duration::minutes(10);
        assert!(!store
            .confirm_pending("P1", "R", "111111", late)
            .await
            .unwrap());

        // Guessing: after the allowed wrong attempts even the right code is refused.
        store.put_pending(pending("222222"), t0()).await.unwrap();
        for _ in 0..MAX_CONFIRM_ATTEMPTS {
            assert!(!store
                .confirm_pending("P1", "R", "000000", t0())
                .await
                .unwrap());
        }
        assert!(!store
            .confirm_pending("P1", "R", "222222", t0())
            .await
            .unwrap());
    }
);

both_engines!(
    an_oauth_attempt_can_be_taken_once_and_not_after_it_expires,
    keys(K1, &[]),
    |ts| {
        let store = &ts.store;
        let attempt = |v: &str| OAuthAttempt {
            pkce_verifier: secret(v),
            link_person_id: Some("P1".into()),
            alexa_request: None,
            expires_at: t0() + Duration::minutes(10),
        };
        assert!(store
            .put_attempt("s1", attempt("v1"), t0(), 100)
            .await
            .unwrap());
        let taken = store.take_attempt("s1", t0()).await.unwrap().unwrap();
        assert_eq!(taken.pkce_verifier.expose_secret(), "v1");
        assert_eq!(taken.link_person_id.as_deref(), Some("P1"));
        assert!(store.take_attempt("s1", t0()).await.unwrap().is_none());
        assert!(store
            .put_attempt("s2", attempt("v2"), t0(), 100)
            .await
            .unwrap());
        assert!(store
            .take_attempt("s2", t0() + Duration::minutes(10))
            .await
            .unwrap()
            .is_none());
        assert!(store
            .put_attempt("s3", attempt("v3"), t0(), 100)
            .await
            .unwrap());
        assert_eq!(
            store
                .purge_expired(t0() + Duration::minutes(11))
                .await
                .unwrap(),
            1
        );
        assert!(store.take_attempt("s3", t0()).await.unwrap().is_none());
    }
);

both_engines!(tokens_at_rest_are_never_in_the_clear, keys(K1, &[]), |ts| {
    let (access, access_bytes) = random_token("at-");
    let (refresh, refresh_bytes) = random_token("rt-");
    let (pending, _) = random_token("pt-");
    let exp = t0() + Duration::hours(1);
    ts.store
        .put("P1", Some("R1"), tokens(&access, Some(&refresh), exp), t0())
        .await
        .unwrap();
    ts.store
        .put_pending(
            PendingSignIn {
                person_id: "P2".into(),
                room_id: None,
                tokens: tokens(&pending, None, exp),
                code: "123456".into(),
                until: t0() + Duration::minutes(10),
            },
            t0(),
        )
        .await
        .unwrap();
    let raw = ts.raw_bytes().await;
    assert!(
        raw.len() > 100,
        "{}: nothing read from the engine",
        ts.name()
    );
    let contains = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    use base64::Engine as _;
    for token in [&access, &refresh, &pending] {
        let forms = [
            token.as_bytes().to_vec(),
            hex::encode(token.as_bytes()).into_bytes(),
            base64::engine::general_purpose::STANDARD
                .encode(token.as_bytes())
                .into_bytes(),
        ];
        for form in forms {
            assert!(
                !contains(&form),
                "{}: a token is readable at rest",
                ts.name()
            );
        }
    }
    for bytes in [&access_bytes, &refresh_bytes] {
        assert!(
            !contains(bytes),
            "{}: the token's random bytes are at rest",
            ts.name()
        );
    }
    // The API still hands the token out.
    let got = ts.store.get("P1").await.unwrap().unwrap();
    assert_eq!(got.access_token.expose_secret(), access);
});

both_engines!(
    two_concurrent_refreshes_redeem_the_refresh_token_once,
    keys(K1, &[]),
    |ts| {
        ts.store
            .put(
                "P1",
                Some("R1"),
                tokens("old", Some("rt-0"), t0() + Duration::seconds(60)),
                t0(),
            )
            .await
            .unwrap();
        let (tx, rx) = tokio::sync::watch::channel(0usize);
        let spy: Arc<dyn slbot_backend::store::TokenStore> = Arc::new(LockSpy {
            inner: ts.store.clone(),
            entered: tx,
        });
        let mut fake = FakeRefresher::new(SsoMode::Rotate);
        fake.wait_for_lockers = Some((2, rx));
        let fake = Arc::new(fake);
        let (a, b) = tokio::join!(
            usable_token(spy.as_ref(), fake.as_ref(), "P1", t0()),
            usable_token(spy.as_ref(), fake.as_ref(), "P1", t0()),
        );
        let a = a.unwrap().unwrap().0;
        let b = b.unwrap().unwrap().0;
        assert_eq!(
            fake.refreshes(),
            1,
            "{}: the refresh token was redeemed twice",
            ts.name()
        );
        assert_eq!(a.access_token.expose_secret(), "fresh-1");
        assert_eq!(b.access_token.expose_secret(), "fresh-1");
        let stored = ts.store.get("P1").await.unwrap().unwrap();
        assert_eq!(stored.refresh_token.unwrap().expose_secret(), "rt-1");
        assert_eq!(stored.expires_at, t0() + Duration::hours(1));
    }
);

both_engines!(
    a_token_with_time_left_is_not_refreshed,
    keys(K1, &[]),
    |ts| {
        ts.store
            .put(
                "P1",
                None,
                tokens("at", Some("rt"), t0() + Duration::seconds(121)),
                t0(),
            )
            .await
            .unwrap();
        let fake = FakeRefresher::new(SsoMode::Rotate);
        let got = usable_token(ts.store.as_ref(), &fake, "P1", t0())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.0.access_token.expose_secret(), "at");
        assert_eq!(fake.refreshes(), 0);
    }
);

both_engines!(
    invalid_grant_forgets_the_login_but_a_passing_failure_keeps_it,
    keys(K1, &[]),
    |ts| {
        let soon = t0() + Duration::seconds(30);
        ts.store
            .put("P1", None, tokens("at", Some("rt"), soon), t0())
            .await
            .unwrap();
        let down = FakeRefresher::new(SsoMode::Down);
        let err = usable_token(ts.store.as_ref(), &down, "P1", t0())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("passing"), "{err}");
        assert_eq!(down.refreshes(), 1);
        assert!(
            ts.store.get("P1").await.unwrap().is_some(),
            "the login survives"
        );

        let dead = FakeRefresher::new(SsoMode::InvalidGrant);
        assert!(usable_token(ts.store.as_ref(), &dead, "P1", t0())
            .await
            .unwrap()
            .is_none());
        assert_eq!(dead.refreshes(), 1);
        assert!(
            ts.store.get("P1").await.unwrap().is_none(),
            "the login is gone"
        );
    }
);

both_engines!(
    an_expired_token_without_a_refresh_token_is_not_handed_out,
    keys(K1, &[]),
    |ts| {
        ts.store
            .put("P1", None, tokens("at", None, t0()), t0())
            .await
            .unwrap();
        let fake = FakeRefresher::new(SsoMode::Rotate);
        assert!(usable_token(ts.store.as_ref(), &fake, "P1", t0())
            .await
            .unwrap()
            .is_none());
        assert_eq!(fake.refreshes(), 0);
    }
);

both_engines!(
    another_stores_migrations_in_the_same_schema_do_not_stop_ours,
    keys(K1, &[]),
    |ts| {
        let blob = if ts.name() == "sqlite" {
            "X'00'"
        } else {
            "'\\x00'::bytea"
        };
        ts.raw_exec(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (1, 'notifications', TRUE, {blob}, 0)"
    ))
        .await;
        let reopened = ts.reopen(keys(K1, &[])).await;
        assert!(reopened.list().await.unwrap().is_empty());
    }
);

both_engines!(
    the_shared_replay_window_accepts_a_nonce_once_per_600_seconds,
    keys(K1, &[]),
    |ts| {
        let n = ts.nonces.as_ref();
        let a = "0123456789abcdef0123456789abcdef";
        let b = "fedcba9876543210fedcba9876543210";
        assert!(n.check_and_record(a, t0()).await.unwrap());
        assert!(!n
            .check_and_record(a, t0() + Duration::seconds(1))
            .await
            .unwrap());
        assert!(!n
            .check_and_record(a, t0() + Duration::seconds(599))
            .await
            .unwrap());
        assert!(n
            .check_and_record(b, t0() + Duration::seconds(599))
            .await
            .unwrap());
        // After the window the date check refuses a replay anyway; the slot is reusable.
        assert!(n
            .check_and_record(a, t0() + Duration::seconds(600))
            .await
            .unwrap());
        assert!(!n
            .check_and_record(a, t0() + Duration::seconds(601))
            .await
            .unwrap());
    }
);

both_engines!(
    two_replicas_sharing_the_database_share_the_replay_window,
    keys(K1, &[]),
    |ts| {
        // A second store over the same data stands for a second backend replica.
        let other = match &ts.engine {
            crate::token_harness::Engine::Sqlite { url, .. } => Arc::new(
                slbot_backend::store::sqlite::SqliteStore::connect(url, keys(K1, &[]))
                    .await
                    .unwrap(),
            )
                as Arc<dyn slbot_signing::NonceStore>,
            crate::token_harness::Engine::Postgres { url, schema, .. } => Arc::new(
                slbot_backend::store::postgres::PostgresStore::connect_in_schema(
                    url,
                    Some(schema),
                    keys(K1, &[]),
                )
                .await
                .unwrap(),
            )
                as Arc<dyn slbot_signing::NonceStore>,
        };
        let nonce = "00112233445566778899aabbccddeeff";
        assert!(ts.nonces.check_and_record(nonce, t0()).await.unwrap());
        assert!(!other
            .check_and_record(nonce, t0() + Duration::seconds(2))
            .await
            .unwrap());
    }
);

both_engines!(
    the_shared_replay_window_forgets_nonces_older_than_the_window,
    keys(K1, &[]),
    |ts| {
        let n = ts.nonces.as_ref();
        for i in 0..10 {
            assert!(n
                .check_and_record(&format!("{i:032x}"), t0())
                .await
                .unwrap());
        }
        let later = t0() + Duration::seconds(601);
        // The purge runs every 256 calls; these fresh nonces take the count past it.
        for i in 10..300 {
            assert!(n
                .check_and_record(&format!("{i:032x}"), later)
                .await
                .unwrap());
        }
        assert_eq!(
            ts.raw_count("seen_nonces").await,
            290,
            "{}: old nonces were kept",
            ts.name()
        );
    }
);

both_engines!(
    a_stored_code_hash_cannot_be_matched_by_a_plain_sha256_of_the_code,
    keys(K1, &[]),
    |ts| {
        use sha2::{Digest, Sha256};
        ts.store
            .put_pending(
                PendingSignIn {
                    person_id: "P1".into(),
                    room_id: None,
                    tokens: tokens("at", None, t0() + Duration::hours(1)),
                    code: "123456".into(),
                    until: t0() + Duration::minutes(10),
                },
                t0(),
            )
            .await
            .unwrap();
        let stored: String = ts
            .raw_one("SELECT code_hash FROM pending_signins WHERE person_id = 'P1'")
            .await;
        // What a dump of the 2019-style store would let anyone check a million codes against.
        for plain in ["P1\n123456", "123456", "P1123456"] {
            let sha = hex::encode(Sha256::digest(plain.as_bytes()));
            assert!(
                !stored.contains(&sha),
                "{}: the code hash is a plain SHA-256 of {plain:?}",
                ts.name()
            );
        }
        // The keyed hash still confirms the right code.
        assert!(ts
            .store
            .confirm_pending("P1", "R1", "123456", t0())
            .await
            .unwrap());
    }
);

both_engines!(
    values_sealed_in_the_legacy_format_still_open_and_are_resealed_in_the_new_one_at_start,
    keys(K1, &[]),
    |ts| {
        // Rows as the store wrote them before the length prefix: sealed by hand, marked 1.
        let exp = (t0() + Duration::hours(1)).timestamp();
        let access = naive_seal(K1, &legacy_aad("P1", K1), "at-legacy");
        let refresh = naive_seal(K1, &legacy_aad("P1", K1), "rt-legacy");
        let pending = naive_seal(K1, &legacy_aad("P2", K1), "at-pending");
        let verifier = naive_seal(K1, &legacy_aad("state-1", K1), "verifier-1");
        let (id, now) = (key_id(K1), t0().timestamp());
        ts.raw_exec(&format!(
            "INSERT INTO tokens (person_id, room_id, access_token, refresh_token, expires_at, \
             key_id, seal_format, created_at, updated_at) VALUES ('P1', 'R1', {}, {}, {exp}, \
             '{id}', 1, {now}, {now})",
            ts.blob_literal(&access),
            ts.blob_literal(&refresh),
        ))
        .await;
        ts.raw_exec(&format!(
            "INSERT INTO pending_signins (person_id, room_id, code_hash, attempts, access_token, \
             refresh_token, expires_at, key_id, seal_format, created_at, pending_until) \
             VALUES ('P2', NULL, 'x', 0, {}, NULL, {exp}, '{id}', 1, {now}, {exp})",
            ts.blob_literal(&pending),
        ))
        .await;
        ts.raw_exec(&format!(
            "INSERT INTO oauth_attempts (state, pkce_verifier, link_person_id, key_id, \
             seal_format, created_at, expires_at) VALUES ('state-1', {}, NULL, '{id}', 1, \
             {now}, {exp})",
            ts.blob_literal(&verifier),
        ))
        .await;

        // A start (a store opened over the same data) re-seals them.
        let started = ts.reopen(keys(K1, &[])).await;
        for (table, key) in [
            ("tokens", "person_id = 'P1'"),
            ("pending_signins", "person_id = 'P2'"),
            ("oauth_attempts", "state = 'state-1'"),
        ] {
            let format: i64 = ts
                .raw_one(&format!("SELECT seal_format FROM {table} WHERE {key}"))
                .await;
            assert_eq!(
                format,
                2,
                "{}: {table} still in the legacy format",
                ts.name()
            );
        }
        let sealed: Vec<u8> = ts
            .raw_one("SELECT access_token FROM tokens WHERE person_id = 'P1'")
            .await;
        assert!(naive_opens(K1, &prefixed_aad("P1", K1), &sealed));
        assert!(!naive_opens(K1, &legacy_aad("P1", K1), &sealed));
        let sealed: Vec<u8> = ts
            .raw_one("SELECT pkce_verifier FROM oauth_attempts WHERE state = 'state-1'")
            .await;
        assert!(naive_opens(K1, &prefixed_aad("state-1", K1), &sealed));
        assert!(!naive_opens(K1, &legacy_aad("state-1", K1), &sealed));

        // And every value still reads back.
        let got = started.get("P1").await.unwrap().unwrap();
        assert_eq!(got.access_token.expose_secret(), "at-legacy");
        assert_eq!(got.refresh_token.unwrap().expose_secret(), "rt-legacy");
        let attempt = started
            .take_attempt("state-1", t0())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(attempt.pkce_verifier.expose_secret(), "verifier-1");
        assert_eq!(started.rekey(t0()).await.unwrap(), Default::default());
    }
);

both_engines!(
    the_store_refuses_an_attempt_beyond_the_live_maximum_and_expired_ones_do_not_count,
    keys(K1, &[]),
    |ts| {
        let attempt = |minutes: i64| OAuthAttempt {
            pkce_verifier: secret("v"),
            link_person_id: None,
            alexa_request: None,
            expires_at: t0() + Duration::minutes(minutes),
        };
        // Two that expire at once, one that lives ten minutes: the cap of 3 is reached.
        for (state, minutes) in [("a", 1), ("b", 1), ("c", 10)] {
            assert!(ts
                .store
                .put_attempt(state, attempt(minutes), t0(), 3)
                .await
                .unwrap());
        }
        for state in ["d", "e", "f"] {
            assert!(
                !ts.store
                    .put_attempt(state, attempt(10), t0(), 3)
                    .await
                    .unwrap(),
                "{}: {state} was stored beyond the cap",
                ts.name()
            );
        }
        assert_eq!(ts.raw_count("oauth_attempts").await, 3, "{}", ts.name());
        // Two minutes later "a" and "b" are expired and no longer count.
        let later = t0() + Duration::minutes(2);
        assert!(ts
            .store
            .put_attempt("g", attempt(12), later, 3)
            .await
            .unwrap());
        assert!(ts
            .store
            .put_attempt("h", attempt(12), later, 3)
            .await
            .unwrap());
        assert!(!ts
            .store
            .put_attempt("i", attempt(12), later, 3)
            .await
            .unwrap());
        assert!(ts.store.take_attempt("c", later).await.unwrap().is_some());
        assert!(ts.store.take_attempt("d", later).await.unwrap().is_none());
    }
);
