//! One person's licenses are never shown to another, and a cached inventory never outlives
//! the login it was fetched with.

use crate::harness::{spawn_app, CSSM_TOKENS};
use crate::naive::headline;

#[tokio::test]
async fn two_people_with_different_accounts_each_see_only_their_own() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 1).await;
    let bob = app.signed_in("bob", 2).await;
    let alice_room = app.direct(&alice).await;
    let bob_room = app.direct(&bob).await;
    let alice_names = app.dataset.account_names(1);
    let bob_names = app.dataset.account_names(2);
    let only_bobs: Vec<&String> = bob_names
        .iter()
        .filter(|n| !alice_names.contains(n))
        .collect();
    let only_alices: Vec<&String> = alice_names
        .iter()
        .filter(|n| !bob_names.contains(n))
        .collect();
    assert!(!only_bobs.is_empty() && !only_alices.is_empty());

    // Alice first (her inventory is now cached), then Bob, then Alice again from the cache.
    let a1 = app.say(&alice, &alice_room, "accounts").await;
    let b = app.say(&bob, &bob_room, "accounts").await;
    let a2 = app.say(&alice, &alice_room, "accounts").await;

    for reply in [&a1[0], &a2[0]] {
        assert_eq!(reply.headline(), headline::accounts(alice_names.len()));
        for name in &only_bobs {
            assert!(
                !reply.markdown.contains(name.as_str()),
                "{name} shown to Alice"
            );
        }
    }
    assert_eq!(b[0].headline(), headline::accounts(bob_names.len()));
    for name in &only_alices {
        assert!(
            !b[0].markdown.contains(name.as_str()),
            "{name} shown to Bob"
        );
    }
}

#[tokio::test]
async fn a_new_login_of_the_same_person_is_never_answered_from_the_old_cache() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 1).await;
    let room = app.direct(&alice).await;
    let first = app.say(&alice, &room, "accounts").await;
    assert_eq!(
        first[0].headline(),
        headline::accounts(app.dataset.account_names(1).len())
    );
    let fetched = app.cssm_requests().await;

    // The same answer again comes from the cache: CSSM is not asked.
    app.say(&alice, &room, "accounts").await;
    assert_eq!(app.cssm_requests().await, fetched);

    // Alice signs in again as another Cisco user: a new fetch, and that user's accounts.
    app.sign_in(&alice, CSSM_TOKENS[2]).await;
    let second = app.say(&alice, &room, "accounts").await;
    assert!(app.cssm_requests().await > fetched);
    let now_names = app.dataset.account_names(2);
    assert_eq!(second[0].headline(), headline::accounts(now_names.len()));
    for name in app.dataset.account_names(1) {
        if !now_names.contains(&name) {
            assert!(
                !second[0].markdown.contains(&name),
                "{name} from the old login"
            );
        }
    }
}

#[tokio::test]
async fn refresh_fetches_again_and_says_how_much_it_read() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    app.say(&alice, &room, "accounts").await;
    let fetched = app.cssm_requests().await;
    let replies = app.say(&alice, &room, "refresh").await;
    let accounts = app.dataset.account_names(0).len();
    let records = app.dataset.records(0).len();
    assert_eq!(
        replies[0].markdown,
        format!("Refreshed: {accounts} accounts, {records} records.")
    );
    assert_eq!(app.cssm_requests().await, 2 * fetched);
}
