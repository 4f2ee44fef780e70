//! `GET /alexa/authorize`: Alexa's authorization request (RFC 6749 §4.1.1, RFC 7636).
//!
//! An unknown `client_id` or a `redirect_uri` not registered exactly is answered with a page,
//! never a redirect (§4.1.2.1: we would otherwise redirect to an address nobody vouched
//! for). Every later refusal goes back to Alexa's `redirect_uri` with `error` and `state`.
//! Then the sign-in starts as `/login` starts it without a link.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use url::Url;

use super::is_pkce_text;
use crate::signin::login::{begin, to_sso};
use crate::signin::throttle::ClientAddr;
use crate::signin::{no_store, pages};
use crate::state::AppState;
use crate::store::alexa_grants::AlexaRequest;

/// The longest `state` we carry (Alexa's is far shorter).
const MAX_STATE: usize = 2048;

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

pub async fn start(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    let Some(alexa) = state.deps.alexa.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if q.client_id.as_deref() != Some(alexa.settings.client_id.as_str()) {
        return refusal_page(
            "This link does not come from a known Alexa skill (unknown client_id).",
        );
    }
    let Some(redirect_uri) = q
        .redirect_uri
        .filter(|r| alexa.settings.redirect_urls.iter().any(|u| u == r))
    else {
        return refusal_page(
            "This link names a return address that is not registered (redirect_uri).",
        );
    };
    let alexa_state = q.state.filter(|s| !s.is_empty());
    let back =
        |error: &str| redirect_with(&redirect_uri, &[("error", error)], alexa_state.as_deref());
    match q.response_type.as_deref() {
        Some("code") => {}
        None => return back("invalid_request"),
        Some(_) => return back("unsupported_response_type"),
    }
    if alexa_state.as_ref().is_some_and(|s| s.len() > MAX_STATE) {
        return redirect_with(&redirect_uri, &[("error", "invalid_request")], None);
    }
    let code_challenge = match (q.code_challenge, q.code_challenge_method.as_deref()) {
        // PKCE is required (RFC 9700 §2.1.1): a request without a challenge could be a
        // stripped one, and its code would be redeemable without proof of possession.
        // An S256 challenge is base64url(SHA-256): exactly 43 characters.
        (Some(c), Some("S256")) if is_pkce_text(&c, 43, 43) => Some(c),
        // No challenge, "plain" (also the default without a method), other methods, a
        // malformed challenge or a method without a challenge.
        _ => return back("invalid_request"),
    };
    let request = AlexaRequest {
        redirect_uri,
        state: alexa_state,
        code_challenge,
    };
    to_sso(&state, begin(&state, client, None, Some(request)).await)
}

/// `redirect_uri` with `pairs` and Alexa's `state` added (percent-encoded), as a 303 that is
/// never cached.
pub(crate) fn redirect_with(
    redirect_uri: &str,
    pairs: &[(&str, &str)],
    state: Option<&str>,
) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        // Registered URLs were parsed at start-up; this cannot happen.
        return refusal_page("The return address cannot be used.");
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    no_store(Redirect::to(url.as_str()).into_response())
}

fn refusal_page(sentence: &str) -> Response {
    tracing::info!(reason = sentence, "Alexa authorization request refused");
    no_store(
        (
            StatusCode::BAD_REQUEST,
            Html(pages::problem(
                "This Alexa link cannot be used",
                &format!("{sentence} Start account linking again from the Alexa app."),
                "/",
            )),
        )
            .into_response(),
    )
}
