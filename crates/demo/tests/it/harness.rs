//! Helpers: start the demo on port 0, sign in over HTTP like a browser, talk through the Webex
//! simulator's control API, and a naive count of expiring lines over the generated data (its own
//! date parser; never the inventory crate).

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use slbot_demo::{DemoHandle, DemoOptions, BOT_EMAIL};

pub const ANA: &str = "ana.admin@example.com";

/// The demo's options for a test: port 0, small generated data, anchored today.
pub fn options(data_dir: &Path) -> DemoOptions {
    DemoOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: Some(data_dir.to_path_buf()),
        seed: 11,
        accounts: 7,
        virtual_accounts: 4,
        licenses_per_va: 12,
        anchor: Utc::now().date_naive(),
        transport: slbot_bot::Transport::Webhook,
    }
}

pub async fn start(data_dir: &Path) -> DemoHandle {
    slbot_demo::start(options(data_dir)).await.unwrap()
}

/// Signs `email` in through `GET /login`, the SSO form and the callback, with a cookie jar, as
/// a browser would; returns the text of the page the journey ends on.
pub async fn sign_in_over_http(url: &str, email: &str) -> String {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let form_page = browser.get(format!("{url}/login")).send().await.unwrap();
    let done = submit_sso_form(&browser, form_page, email).await;
    assert!(done.status().is_success(), "callback: {}", done.status());
    done.text().await.unwrap()
}

/// Fills in the SSO simulator's login form of `form_page` as `email` and submits it with
/// `browser` (which follows the redirects after it).
pub async fn submit_sso_form(
    browser: &reqwest::Client,
    form_page: reqwest::Response,
    email: &str,
) -> reqwest::Response {
    assert!(
        form_page.url().path().starts_with("/sso/authorize"),
        "expected the SSO form, got {}",
        form_page.url()
    );
    let html = form_page.text().await.unwrap();
    let action = attribute_after(&html, "<form", "action").expect("the form's action");
    let mut fields: Vec<(String, String)> = hidden_fields(&html);
    fields.push(("person".into(), email.into()));
    browser.post(action).form(&fields).send().await.unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute_after(html: &str, tag: &str, name: &str) -> Option<String> {
    let start = html.find(tag)?;
    let rest = &html[start..];
    let key = format!("{name}=\"");
    let at = rest.find(&key)? + key.len();
    let end = rest[at..].find('"')?;
    Some(unescape(&rest[at..at + end]))
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\"")
        .skip(1)
        .filter_map(|chunk| {
            let name = attribute_after(chunk, "", "name")?;
            let value = attribute_after(chunk, "", "value")?;
            Some((name, value))
        })
        .collect()
}

/// The Webex simulator's control API, as the tests use it.
pub struct Control {
    http: reqwest::Client,
    base: String,
}

impl Control {
    pub fn new(demo: &DemoHandle) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: format!("{}/webex/_sim", demo.url),
        }
    }

    async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "POST {path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn person(&self, email: &str) -> String {
        let people = self.get("/people").await;
        people["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["emails"][0] == email)
            .map(|p| p["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no Webex person {email}"))
    }

    /// The person's 1:1 space with the bot.
    pub async fn space_with_bot(&self, person: &str) -> String {
        let rooms = self.get(&format!("/people/{person}/rooms")).await;
        rooms["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["type"] == "direct"
                    && r["members"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|m| m["emails"][0] == BOT_EMAIL)
            })
            .map(|r| r["id"].as_str().unwrap().to_string())
            .expect("a 1:1 space with the bot")
    }

    pub async fn messages(&self, room: &str) -> Vec<Value> {
        let list = self.get(&format!("/rooms/{room}/messages")).await;
        list["items"].as_array().unwrap().clone()
    }

    /// Another Webex token of `person` (for posting as the bot).
    pub async fn token_for(&self, person: &str) -> String {
        let t = self.post("/tokens", json!({ "personId": person })).await;
        t["token"].as_str().unwrap().to_string()
    }

    /// The inputs of the next card submit on `message` seen by `person`.
    pub async fn next_card_submit(&self, person: &str, message: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let mut since = 0;
        loop {
            assert!(tokio::time::Instant::now() < deadline, "no card submit");
            let events = self
                .get(&format!(
                    "/events?since={since}&personId={person}&timeout=10"
                ))
                .await;
            for e in events["events"].as_array().unwrap() {
                if e["kind"] == "attachmentActionCreated" && e["messageId"] == message {
                    return e["action"]["inputs"].clone();
                }
            }
            since = events["lastSeq"].as_u64().unwrap();
        }
    }

    /// Says `text` as `person` in `room`; returns the message's sequence number.
    pub async fn say(&self, person: &str, room: &str, text: &str) -> u64 {
        let m = self
            .post(
                "/say",
                json!({ "personId": person, "roomId": room, "text": text }),
            )
            .await;
        m["seq"].as_u64().unwrap()
    }

    /// The markdown of the first message from the bot in `room` after `since` that starts with
    /// `**` (a headline or a fixed sentence in bold; progress notes are skipped), waiting for
    /// events as the web chat does.
    pub async fn next_bot_answer(&self, person: &str, room: &str, since: u64) -> String {
        self.next_bot_answer_but(person, room, since, |_| false)
            .await
    }

    /// [`Control::next_bot_answer`], passing over the messages `skip` picks (the rest of an
    /// earlier answer still being posted).
    pub async fn next_bot_answer_but(
        &self,
        person: &str,
        room: &str,
        mut since: u64,
        skip: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bot did not answer"
            );
            let events = self
                .get(&format!(
                    "/events?since={since}&personId={person}&timeout=20"
                ))
                .await;
            for e in events["events"].as_array().unwrap() {
                let m = &e["message"];
                if e["kind"] == "messageCreated"
                    && e["roomId"] == room
                    && m["personEmail"] == BOT_EMAIL
                {
                    let md = m["markdown"].as_str().unwrap_or_default();
                    if (md.starts_with("**") || md.contains("Sign in")) && !skip(md) {
                        return md.to_string();
                    }
                }
            }
            since = events["lastSeq"].as_u64().unwrap();
        }
    }
}

/// reports.md §4, the `expiring` row.
pub fn expiring_headline(n: usize, days: u32) -> String {
    let span = if days == 1 {
        "1 day".to_string()
    } else {
        format!("{days} days")
    };
    match n {
        0 => format!("**There are no licenses that expire in the next {span}.**"),
        1 => format!("**There is 1 license that will expire in the next {span}:**"),
        n => format!("**There are {n} licenses that will expire in the next {span}:**"),
    }
}

/// 64-bit FNV-1a, the CSSM simulator's documented user rule.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The generated CSSM snapshot of the demo's options, as JSON.
pub fn snapshot(opts: &DemoOptions) -> Value {
    let snapshot = slbot_sim_cssm::generate(&slbot_sim_cssm::GenParams {
        seed: opts.seed,
        accounts: opts.accounts,
        virtual_accounts: opts.virtual_accounts,
        licenses_per_va: opts.licenses_per_va,
        anchor: opts.anchor,
        lines_per_record: None,
    });
    serde_json::to_value(&snapshot).unwrap()
}

/// The domains of the smart accounts `email` sees: the first account is everyone's, the others
/// are dealt round-robin to the CSSM users, `email`'s user chosen by FNV-1a of its SSO subject.
pub fn visible_domains(opts: &DemoOptions, users: usize, email: &str) -> Vec<String> {
    let sub = slbot_sim_sso::sub_for_email(email);
    let user = (fnv1a(sub.as_bytes()) % users as u64) as usize;
    snapshot(opts)["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(index, _)| *index == 0 || (index - 1) % users == user)
        .map(|(_, account)| account["accountDomain"].as_str().unwrap().to_string())
        .collect()
}

/// Entitlement lines ending within `days` days after now (exclusive at both ends) in the
/// accounts `email` sees, counted over the generated snapshot.
pub fn naive_expiring_count(opts: &DemoOptions, users: usize, email: &str, days: i64) -> usize {
    naive_expiring_count_in(opts, users, email, days, None)
}

/// [`naive_expiring_count`] within one of those accounts when `only` names its domain
/// (case-insensitively, as filters match).
pub fn naive_expiring_count_in(
    opts: &DemoOptions,
    users: usize,
    email: &str,
    days: i64,
    only: Option<&str>,
) -> usize {
    let snapshot = snapshot(opts);
    let now = Utc::now().timestamp();
    let until = now + days * 86_400;
    let mut count = 0;
    for domain in visible_domains(opts, users, email) {
        if only.is_some_and(|only| !only.eq_ignore_ascii_case(&domain)) {
            continue;
        }
        for record in snapshot["licenses"][domain.as_str()].as_array().unwrap() {
            for line in record["licenseDetails"].as_array().into_iter().flatten() {
                if let Some(end) = line["endDate"].as_str().and_then(parse_date) {
                    if now < end && end < until {
                        count += 1;
                    }
                }
            }
        }
    }
    count
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// Unix seconds of the date forms of reports.md §1; `None` when unparseable.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some((date, time)) = s.split_once(' ') {
        // MM/DD/YY HH:MM
        let mut d = date.split('/');
        let (m, day, y) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
        let (hh, mm) = time.split_once(':')?;
        return Some(days_from_civil(2000 + y, m, day) * 86_400 + num(hh)? * 3600 + num(mm)? * 60);
    }
    let (y, m, d) = (num(s.get(0..4)?)?, num(s.get(5..7)?)?, num(s.get(8..10)?)?);
    let mut t = days_from_civil(y, m, d) * 86_400;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(t);
    }
    let rest = rest.strip_prefix('T')?;
    t += num(rest.get(0..2)?)? * 3600 + num(rest.get(3..5)?)? * 60 + num(rest.get(6..8)?)?;
    let zone = rest[8..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    match zone {
        "" | "Z" => Some(t),
        z => {
            let sign = if z.starts_with('-') { 1 } else { -1 };
            let (oh, om) = (num(z.get(1..3)?)?, num(z.get(4..6)?)?);
            Some(t + sign * (oh * 3600 + om * 60))
        }
    }
}

#[test]
fn the_test_date_parser_reads_every_form_of_the_spec() {
    let day = days_from_civil(2026, 12, 20) * 86_400;
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(parse_date("2026-12-20"), Some(day));
    assert_eq!(parse_date("2026-12-20T00:00:00Z"), Some(day));
    assert_eq!(parse_date("2026-12-20T01:30:00.250+01:30"), Some(day));
    assert_eq!(parse_date("2026-12-19T19:00:00-05:00"), Some(day));
    assert_eq!(parse_date("2026-12-20T00:00:00"), Some(day));
    assert_eq!(parse_date("12/20/26 00:00"), Some(day));
    assert_eq!(parse_date("soon"), None);
}
