//! The route table of the sign-in pages and health checks, and the headers of every page.
//! The state they share is [`crate::state`] (re-exported here).

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::alexa;
use crate::health;
use crate::signin::{callback, home, login};
pub use crate::state::{AppState, SignInDeps};

/// The sign-in pages and health checks.
pub fn signin_router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(login::start))
        .route("/oauth/callback", get(callback::finish))
        .route("/alexa/authorize", get(alexa::authorize::start))
        .route("/alexa/token", post(alexa::token::exchange))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(axum::middleware::map_response(page_headers))
        .with_state(state)
}

/// Headers of every page: no scripts or frames, and no `Referer` — the callback URL carries
/// the OAuth code and state, and its page links to Webex.
async fn page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; \
             form-action 'self'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
