//! `GET /login[?t=…]`: start an OAuth attempt, bind it to the browser (a cookie, see
//! [`crate::signin::browser`]) and send the browser to Cisco SSO.

use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::signin::port::LoginAttempt;
use crate::signin::throttle::ClientAddr;
use crate::signin::{no_store, SignInError, ATTEMPT_MINUTES};
use crate::sso::{random_token, Pkce};
use crate::state::AppState;
use crate::store::alexa_grants::AlexaRequest;

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// A sign-in link token from the bot (signing.md "Sign-in links").
    t: Option<String>,
}

pub async fn start(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Query(q): Query<LoginQuery>,
) -> Response {
    to_sso(&state, begin(&state, client, q.t.as_deref(), None).await)
}

/// The browser's way to Cisco SSO with the binding cookie, or the page of why not.
pub(crate) fn to_sso(state: &AppState, begun: Result<(String, String), SignInError>) -> Response {
    match begun {
        Ok((to, oauth_state)) => {
            let mut response = no_store(Redirect::to(&to).into_response());
            response
                .headers_mut()
                .insert(SET_COOKIE, state.binding.set_cookie(&oauth_state));
            response
        }
        Err(e) => e.into_page(&state.public("login")),
    }
}

/// Counts the sign-in against the limits, verifies the link, stores the attempt (unless the
/// store holds as many as allowed) and returns the authorize URL and the state. `alexa`:
/// Alexa's authorization request when the sign-in links the Alexa skill (`/alexa/authorize`).
pub(crate) async fn begin(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    link: Option<&str>,
    alexa: Option<AlexaRequest>,
) -> Result<(String, String), SignInError> {
    let deps = &state.deps;
    let now = deps.clock.now();
    state
        .throttle
        .admit(client, now)
        .map_err(SignInError::Throttled)?;
    let link_person_id = match link.filter(|t| !t.is_empty()) {
        Some(t) => Some(slbot_signing::verify_login_token(
            &deps.link_secret,
            t,
            now,
        )?),
        None => None,
    };
    let oauth_state = random_token(32);
    let pkce = Pkce::generate();
    let url = deps.sso.authorize_url(&oauth_state, &pkce);
    let max_pending = deps.login_limits.max_pending;
    let stored = deps
        .store
        .put_attempt(
            &oauth_state,
            LoginAttempt {
                pkce_verifier: pkce.verifier().clone(),
                link_person_id,
                alexa_request: alexa,
                expires_at: now + chrono::Duration::minutes(ATTEMPT_MINUTES),
            },
            now,
            max_pending,
        )
        .await?;
    if !stored {
        return Err(SignInError::TooManyPending(max_pending));
    }
    Ok((url.to_string(), oauth_state))
}
