//! Lists: `max` and a `Link: <…>; rel="next"` that keeps only `cursor` and `max`.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::Sim;

fn next_link(r: &reqwest::Response) -> Option<String> {
    let link = r.headers().get("link")?.to_str().unwrap();
    let start = link.find('<')? + 1;
    let end = link.find('>')?;
    assert!(link[end..].contains("rel=\"next\""), "{link}");
    Some(link[start..end].to_owned())
}

#[tokio::test]
async fn memberships_page_by_max_and_the_next_link_must_be_rebuilt_with_the_room_id() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    let mut people = vec![];
    for i in 0..6 {
        people.push(
            sim.person(&format!("p{i}@example.com"), &format!("P{i}"))
                .await,
        );
    }
    let mut members = vec![&bot];
    members.extend(people.iter());
    let room = sim.group("Seven", &members).await;
    // Another room the bot is in, so an unfiltered list would differ.
    sim.group("Other", &[&bot, &people[0]]).await;

    let expected: BTreeSet<String> = members.iter().map(|p| p.id.clone()).collect();
    let mut seen = BTreeSet::new();
    let mut sizes = vec![];
    let mut url = sim.url(&format!("/v1/memberships?roomId={room}&max=3"));
    loop {
        let r = sim
            .http
            .get(&url)
            .bearer_auth(&bot.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let next = next_link(&r);
        let body: Value = r.json().await.unwrap();
        let items = body["items"].as_array().unwrap();
        sizes.push(items.len());
        for m in items {
            assert_eq!(m["roomId"], room.as_str());
            seen.insert(m["personId"].as_str().unwrap().to_owned());
        }
        let Some(next) = next else { break };
        assert!(
            !next.contains("roomId"),
            "the link keeps only cursor and max: {next}"
        );
        assert!(next.contains("max=3"));
        // Followed verbatim, the link is refused: the client must repeat its parameters.
        let verbatim = sim
            .http
            .get(&next)
            .bearer_auth(&bot.token)
            .send()
            .await
            .unwrap();
        assert_eq!(verbatim.status(), StatusCode::BAD_REQUEST);
        url = format!("{next}&roomId={room}");
    }
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn a_max_outside_1_to_1000_is_a_bad_request() {
    let sim = Sim::start().await;
    let bot = sim.bot().await;
    for max in ["0", "1001", "ten"] {
        let r = sim.get(&bot.token, &format!("/v1/rooms?max={max}")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "max={max}");
    }
    let r = sim.get(&bot.token, "/v1/rooms?max=1000").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, json!({"items": []}));
}
