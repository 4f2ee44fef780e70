//! Who is in the demo: the bot person, three demo people (the same the SSO simulator offers on
//! its login form, so whoever signs in already has a Webex person) and their spaces — each
//! person's 1:1 space with the bot, and one group space with all of them and the bot.
//!
//! Everything here is idempotent: a restart on the same data folder finds the people and spaces
//! of the saved Webex world and creates only what is missing.

use serde_json::{json, Value};
use slbot_sim_webex::{NewPerson, PersonType, SimState};

use crate::error::DemoError;

/// A demo person: the same e-mail in the SSO simulator and the Webex simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoPerson {
    pub email: &'static str,
    /// The Webex display name.
    pub display_name: &'static str,
    /// How the SSO login form presents them.
    pub sso_label: &'static str,
}

/// The demo people; the first is the one the web chat starts as.
pub const DEMO_PEOPLE: [DemoPerson; 3] = [
    DemoPerson {
        email: "ana.admin@example.com",
        display_name: "Ana Admin",
        sso_label: "Ana Admin (customer)",
    },
    DemoPerson {
        email: "paul.partner@partner.example.net",
        display_name: "Paul Partner",
        sso_label: "Paul Partner (partner)",
    },
    DemoPerson {
        email: "maria.msp@msp.example.org",
        display_name: "Maria MSP",
        sso_label: "Maria MSP (managed service provider)",
    },
];

/// The bot's Webex person.
pub const BOT_EMAIL: &str = "slbot@webex.bot";
pub const BOT_NAME: &str = "Smart Licensing Bot";
/// The group space of the demo people and the bot.
pub const GROUP_SPACE_TITLE: &str = "Licensing team";

/// The Webex person ids of the demo.
#[derive(Debug, Clone)]
pub struct People {
    pub bot: String,
    /// In the order of [`DEMO_PEOPLE`].
    pub people: Vec<String>,
}

/// Creates the bot and the demo people in the Webex simulator unless they exist.
pub fn ensure_people(sim: &SimState) -> Result<People, DemoError> {
    let bot = ensure_person(sim, BOT_EMAIL, BOT_NAME, PersonType::Bot)?;
    let people = DEMO_PEOPLE
        .iter()
        .map(|p| ensure_person(sim, p.email, p.display_name, PersonType::Person))
        .collect::<Result<_, _>>()?;
    Ok(People { bot, people })
}

fn ensure_person(
    sim: &SimState,
    email: &str,
    display_name: &str,
    kind: PersonType,
) -> Result<String, DemoError> {
    if let Some(id) = sim.person_id_by_email(email) {
        return Ok(id);
    }
    sim.create_person(NewPerson {
        email: email.to_string(),
        display_name: display_name.to_string(),
        org_id: None,
        kind,
    })
    .map_err(|e| DemoError::part("Webex simulator", format!("creating {email}: {e}")))
}

/// Opens each person's 1:1 space with the bot and the group space, through the simulator's
/// control API at `webex_base` (`http://ADDR/webex`), as a Webex client would see them.
pub async fn ensure_spaces(
    http: &reqwest::Client,
    webex_base: &str,
    people: &People,
) -> Result<(), DemoError> {
    for person in &people.people {
        control(
            http,
            reqwest::Method::POST,
            &format!("{webex_base}/_sim/direct"),
            Some(json!({ "personA": person, "personB": people.bot })),
        )
        .await?;
    }
    let Some(first) = people.people.first() else {
        return Ok(());
    };
    let rooms = control(
        http,
        reqwest::Method::GET,
        &format!("{webex_base}/_sim/people/{first}/rooms"),
        None,
    )
    .await?;
    let has_group = rooms["items"].as_array().is_some_and(|items| {
        items
            .iter()
            .any(|r| r["type"] == "group" && r["title"] == GROUP_SPACE_TITLE)
    });
    if !has_group {
        let mut members = people.people.clone();
        members.push(people.bot.clone());
        control(
            http,
            reqwest::Method::POST,
            &format!("{webex_base}/_sim/rooms"),
            Some(json!({ "title": GROUP_SPACE_TITLE, "memberIds": members })),
        )
        .await?;
    }
    Ok(())
}

async fn control(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, DemoError> {
    let failed = |reason: String| DemoError::part("Webex simulator's spaces", reason);
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .map_err(|e| failed(e.without_url().to_string()))?;
    let status = response.status();
    let value: Value = response
        .json()
        .await
        .map_err(|e| failed(e.without_url().to_string()))?;
    if !status.is_success() {
        return Err(failed(format!("HTTP {status}: {}", value["message"])));
    }
    Ok(value)
}
