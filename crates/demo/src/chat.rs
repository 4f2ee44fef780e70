//! The web chat at `/chat`: a Webex-like client over the Webex simulator's control API, as
//! static HTML, CSS and JavaScript embedded in the binary (no build step, nothing loaded from
//! the internet). The page renders markdown with its own small renderer that builds DOM nodes
//! (text is never parsed as HTML), shows files and Adaptive Cards, long-polls for new events,
//! and posts as the chosen person.
//!
//! Routes: `GET /chat` (the page), `GET /chat/chat.css`, `GET /chat/chat.js`,
//! `GET /chat/config.json` (where the simulator is, who to start as, the bot's e-mail).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::people::{BOT_EMAIL, DEMO_PEOPLE, GROUP_SPACE_TITLE};

const PAGE: &str = include_str!("../assets/chat.html");
const STYLE: &str = include_str!("../assets/chat.css");
const SCRIPT: &str = include_str!("../assets/chat.js");

/// Where the Webex simulator is nested (the chat's API base).
pub const WEBEX_PREFIX: &str = "/webex";

/// Scripts and styles from this origin only; images may also be `blob:` (previews).
const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
                   script-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
                   form-action 'self'; base-uri 'none'";

/// The chat's routes (absolute paths; merge into the demo's router).
pub fn router() -> Router {
    Router::new()
        .route(
            "/chat",
            get(|| async { asset(PAGE, "text/html; charset=utf-8") }),
        )
        .route(
            "/chat/",
            get(|| async { asset(PAGE, "text/html; charset=utf-8") }),
        )
        .route(
            "/chat/chat.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/chat/chat.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route("/chat/config.json", get(config))
}

async fn config() -> Response {
    let default_email = DEMO_PEOPLE.first().map(|p| p.email).unwrap_or_default();
    let mut response = Json(json!({
        "webexBase": WEBEX_PREFIX,
        "defaultEmail": default_email,
        "botEmail": BOT_EMAIL,
        "groupTitle": GROUP_SPACE_TITLE,
    }))
    .into_response();
    secure(&mut response);
    response
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    secure(&mut response);
    response
}

/// The security headers of every page and answer the demo's own pages serve (also the Alexa
/// panel's).
pub(crate) fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_loads_nothing_from_the_internet() {
        for asset in [super::PAGE, super::STYLE, super::SCRIPT] {
            assert!(!asset.contains("http://"), "an absolute URL in an asset");
            assert!(!asset.contains("https://"), "an absolute URL in an asset");
        }
    }

    #[test]
    fn the_script_never_assigns_html() {
        assert!(!super::SCRIPT.contains("innerHTML"));
        assert!(!super::SCRIPT.contains("outerHTML"));
        assert!(!super::SCRIPT.contains("insertAdjacentHTML"));
        assert!(!super::SCRIPT.contains("document.write"));
    }
}
