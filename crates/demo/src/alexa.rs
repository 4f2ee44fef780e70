//! The Alexa panel at `/alexa-sim`: a simulated Alexa that does what Amazon's does, so a new
//! user can link the skill and read what Alexa would say (nothing is spoken).
//!
//! - Account linking as the Alexa app does it: `GET /alexa-sim/link` sends the browser to the
//!   backend's `/alexa/authorize` (authorization code with PKCE), the person signs in with
//!   (simulated) Cisco, and `GET /alexa-sim/linked` exchanges the code at `/alexa/token` with
//!   the client's credentials, keeping the tokens for this browser (a cookie names its slot;
//!   in memory, so a restart unlinks the panel but not the backend's grants). An expired access
//!   token is refreshed as Alexa does.
//! - `POST /alexa-sim/ask {"intent", "period"?}` builds the request Alexa would send, signs it
//!   with the demo's own certificate authority ([`SimulatedAlexa`], trusted by the demo's bot
//!   only) and posts it to the bot's real `POST /alexa`; the page shows the request, the HTTP
//!   status and the response JSON.
//!
//! Routes: `GET /alexa-sim` (the page), `/alexa-sim/panel.js`, `/alexa-sim/panel.css`,
//! `GET /alexa-sim/state`, `GET /alexa-sim/link`, `GET /alexa-sim/linked`, `POST /alexa-sim/ask`,
//! `POST /alexa-sim/unlink`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};
use slbot_alexa::sim::{self, SimulatedAlexa};

const PAGE: &str = include_str!("../assets/alexa.html");
const STYLE: &str = include_str!("../assets/alexa.css");
const SCRIPT: &str = include_str!("../assets/alexa.js");

/// The skill id of the demo's skill.
pub const DEMO_SKILL_ID: &str = "amzn1.ask.skill.slbot-demo";
/// The client id the simulated Alexa presents to the backend.
pub const DEMO_CLIENT_ID: &str = "slbot-demo-alexa";
/// Where the panel lives.
pub const PREFIX: &str = "/alexa-sim";
/// Names this browser's slot (linking state and tokens).
const COOKIE: &str = "slbot_alexa_sim";

/// The simulated Alexa and the links it holds.
pub struct AlexaPanel {
    alexa: Arc<SimulatedAlexa>,
    http: reqwest::Client,
    /// The demo's address (the backend's pages and its `/alexa/*`).
    base: String,
    /// The bot's own address (`POST {bot_url}/alexa`).
    bot_url: String,
    client_secret: SecretString,
    slots: Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for AlexaPanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlexaPanel")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// One browser's linking: the attempt in flight and the tokens once linked.
#[derive(Default)]
struct Slot {
    pending: Option<(String, String)>,
    tokens: Option<Tokens>,
}

struct Tokens {
    access: SecretString,
    refresh: Option<SecretString>,
    expires_at: DateTime<Utc>,
}

impl AlexaPanel {
    /// The panel for the demo at `base`, posting to the bot at `bot_url`.
    pub fn new(
        alexa: Arc<SimulatedAlexa>,
        base: &str,
        bot_url: &str,
        client_secret: SecretString,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            alexa,
            http,
            base: base.to_string(),
            bot_url: bot_url.to_string(),
            client_secret,
            slots: Mutex::default(),
        })
    }

    /// The redirect URL the backend must know for the simulated Alexa.
    pub fn redirect_url(base: &str) -> String {
        format!("{base}{PREFIX}/linked")
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A usable access token of `slot`, refreshed when it has expired.
    async fn access_token(&self, slot: &str) -> Option<SecretString> {
        let (access, refresh, expired) = {
            let slots = self.slots();
            let tokens = slots.get(slot)?.tokens.as_ref()?;
            (
                tokens.access.clone(),
                tokens.refresh.clone(),
                tokens.expires_at <= Utc::now() + Duration::seconds(30),
            )
        };
        if !expired {
            return Some(access);
        }
        let refresh = refresh?;
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose_secret()),
        ];
        match self.token_call(&form).await {
            Ok(tokens) => {
                let access = tokens.access.clone();
                self.slots().entry(slot.to_string()).or_default().tokens = Some(tokens);
                Some(access)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the simulated Alexa could not refresh its link");
                self.slots().entry(slot.to_string()).or_default().tokens = None;
                None
            }
        }
    }

    /// `POST {base}/alexa/token` with the client's credentials (HTTP Basic, as Alexa's
    /// default access-token scheme).
    async fn token_call(&self, form: &[(&str, &str)]) -> Result<Tokens, String> {
        let response = self
            .http
            .post(format!("{}/alexa/token", self.base))
            .basic_auth(DEMO_CLIENT_ID, Some(self.client_secret.expose_secret()))
            .form(form)
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if !status.is_success() {
            return Err(format!(
                "the token endpoint answered {status} ({})",
                body["error"].as_str().unwrap_or("no error code")
            ));
        }
        let access = body["access_token"]
            .as_str()
            .ok_or("no access_token in the answer")?;
        Ok(Tokens {
            access: SecretString::from(access.to_string()),
            refresh: body["refresh_token"]
                .as_str()
                .map(|r| SecretString::from(r.to_string())),
            expires_at: Utc::now() + Duration::seconds(body["expires_in"].as_i64().unwrap_or(3600)),
        })
    }
}

/// The panel's routes (absolute paths; merge into the demo's router).
pub fn router(panel: Arc<AlexaPanel>) -> Router {
    Router::new()
        .route(PREFIX, get(page))
        .route(&format!("{PREFIX}/"), get(page))
        .route(
            &format!("{PREFIX}/panel.css"),
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            &format!("{PREFIX}/panel.js"),
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(&format!("{PREFIX}/state"), get(state))
        .route(&format!("{PREFIX}/link"), get(link))
        .route(&format!("{PREFIX}/linked"), get(linked))
        .route(&format!("{PREFIX}/ask"), post(ask))
        .route(&format!("{PREFIX}/unlink"), post(unlink))
        .with_state(panel)
}

type Panel = State<Arc<AlexaPanel>>;

/// This browser's slot id, from the cookie.
fn slot_of(headers: &HeaderMap) -> Option<String> {
    slbot_http::cookie_values(headers, COOKIE)
        .next()
        .map(str::to_string)
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn page(headers: HeaderMap) -> Response {
    let mut response = asset(PAGE, "text/html; charset=utf-8");
    if slot_of(&headers).is_none() {
        let cookie = format!(
            "{COOKIE}={}; Path={PREFIX}; HttpOnly; SameSite=Lax",
            slbot_base::random_hex(16)
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    response
}

async fn state(State(panel): Panel, headers: HeaderMap) -> Response {
    let linked = match slot_of(&headers) {
        Some(slot) => panel.access_token(&slot).await.is_some(),
        None => false,
    };
    secure(Json(json!({"linked": linked, "skillId": panel.alexa.skill_id()})).into_response())
}

/// Starts linking as the Alexa app does: to the backend's authorization endpoint with PKCE.
async fn link(State(panel): Panel, headers: HeaderMap) -> Response {
    let Some(slot) = slot_of(&headers) else {
        return Redirect::to(PREFIX).into_response();
    };
    let oauth_state = slbot_base::random_hex(16);
    let pkce = slbot_backend::sso::Pkce::generate();
    let challenge = pkce.challenge().to_string();
    let verifier = pkce.verifier().expose_secret().to_string();
    panel.slots().entry(slot).or_default().pending = Some((oauth_state.clone(), verifier));
    let Ok(mut to) = url::Url::parse(&format!("{}/alexa/authorize", panel.base)) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    to.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", DEMO_CLIENT_ID)
        .append_pair("redirect_uri", &AlexaPanel::redirect_url(&panel.base))
        .append_pair("state", &oauth_state)
        .append_pair("scope", "licenses:read")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Redirect::to(to.as_str()).into_response()
}

#[derive(Deserialize)]
struct LinkedQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Alexa's redirect URL: the code comes back and is exchanged for tokens.
async fn linked(State(panel): Panel, headers: HeaderMap, Query(q): Query<LinkedQuery>) -> Response {
    let back = |outcome: &str| Redirect::to(&format!("{PREFIX}?linking={outcome}")).into_response();
    let Some(slot) = slot_of(&headers) else {
        return back("no-cookie");
    };
    let pending = panel
        .slots()
        .entry(slot.clone())
        .or_default()
        .pending
        .take();
    let (Some((expected, verifier)), Some(code), Some(got)) = (pending, q.code, q.state) else {
        if let Some(error) = q.error {
            tracing::info!(error = %error.chars().take(64).collect::<String>(), "the backend refused the simulated Alexa's link");
        }
        return back("refused");
    };
    if !slbot_signing::scheme::constant_time_eq(expected.as_bytes(), got.as_bytes()) {
        return back("wrong-state");
    }
    let redirect = AlexaPanel::redirect_url(&panel.base);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    match panel.token_call(&form).await {
        Ok(tokens) => {
            panel.slots().entry(slot).or_default().tokens = Some(tokens);
            back("linked")
        }
        Err(e) => {
            tracing::warn!(error = %e, "the simulated Alexa could not exchange its code");
            back("failed")
        }
    }
}

async fn unlink(State(panel): Panel, headers: HeaderMap) -> Response {
    if let Some(slot) = slot_of(&headers) {
        panel.slots().remove(&slot);
    }
    secure(Json(json!({"linked": false})).into_response())
}

#[derive(Deserialize)]
struct AskBody {
    /// `LaunchRequest`, `SessionEndedRequest` or an intent name.
    intent: String,
    /// The `period` slot (ISO 8601), for ExpiringLicensesIntent.
    #[serde(default)]
    period: Option<String>,
}

/// Sends one signed request to the bot and shows what came back.
async fn ask(State(panel): Panel, headers: HeaderMap, Json(body): Json<AskBody>) -> Response {
    let token = match slot_of(&headers) {
        Some(slot) => panel.access_token(&slot).await,
        None => None,
    };
    let request = match body.intent.as_str() {
        "LaunchRequest" => sim::launch(),
        "SessionEndedRequest" => sim::session_ended(),
        name if name.len() <= 64 => {
            let period = body.period.as_deref().filter(|p| !p.trim().is_empty());
            if name == "ExpiringLicensesIntent" {
                sim::intent(name, &[("period", period)])
            } else {
                sim::intent(name, &[])
            }
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    let signed_body = panel.alexa.envelope(
        request,
        token.as_ref().map(|t| t.expose_secret()),
        Utc::now(),
    );
    let mut call = panel
        .http
        .post(format!("{}/alexa", panel.bot_url))
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in panel.alexa.headers(&signed_body) {
        call = call.header(name, value);
    }
    let shown_request = redact(serde_json::from_slice(&signed_body).unwrap_or(Value::Null));
    let (status, response) = match call.body(signed_body).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
        Err(e) => (0, json!({"error": e.without_url().to_string()})),
    };
    secure(
        Json(json!({"request": shown_request, "status": status, "response": response}))
            .into_response(),
    )
}

/// The request as shown on the page: the account-linking token replaced.
fn redact(mut request: Value) -> Value {
    for pointer in [
        "/session/user/accessToken",
        "/context/System/user/accessToken",
    ] {
        if let Some(token) = request.pointer_mut(pointer) {
            *token = json!("[the linked access token]");
        }
    }
    request
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    secure(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// The chat's security headers, and no caching: answers carry the person's figures.
fn secure(mut response: Response) -> Response {
    crate::chat::secure(&mut response);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shown_request_never_carries_the_linked_token() {
        let request = json!({"session": {"user": {"accessToken": "secret-1"}},
                             "context": {"System": {"user": {"accessToken": "secret-1"}}}});
        let shown = redact(request).to_string();
        assert!(!shown.contains("secret-1"), "{shown}");
        assert_eq!(shown.matches("[the linked access token]").count(), 2);
    }

    #[test]
    fn the_panel_loads_nothing_from_the_internet_and_never_assigns_html() {
        for asset in [PAGE, STYLE, SCRIPT] {
            assert!(!asset.contains("http://") && !asset.contains("https://"));
        }
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
        ] {
            assert!(!SCRIPT.contains(sink), "{sink}");
        }
    }

    #[test]
    fn only_a_well_formed_cookie_names_a_slot() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; slbot_alexa_sim=0123456789abcdef0123456789abcdef"),
        );
        assert_eq!(
            slot_of(&headers).as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("slbot_alexa_sim=../../x"),
        );
        assert_eq!(slot_of(&headers), None);
    }
}
