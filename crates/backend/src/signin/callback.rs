//! `GET /oauth/callback`: finish the sign-in.
//!
//! Order matters: the browser must carry the cookie [`crate::signin::login`] set for this
//! state, or nothing happens at all (the attempt is not consumed, the code not exchanged).
//! Nothing is stored until every check has passed and the Webex space is open,
//! so a refusal or a Webex failure leaves nothing half-saved. Tokens of a refused sign-in are
//! revoked at Cisco (best effort). The e-mail lives only in this request.

use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use rand::Rng;
use secrecy::SecretString;
use serde::Deserialize;

use crate::alexa::authorize::redirect_with;
use crate::signin::port::{NewLogin, StoreFailure};
use crate::signin::{no_store, pages, SignInError, CONFIRM_MINUTES};
use crate::sso::TokenSet;
use crate::state::AppState;
use crate::store::alexa_grants::{grant_hash, AlexaRequest, NewCode};
use crate::webex_port::Recipient;

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

impl std::fmt::Debug for CallbackQuery {
    // The code and state are one-time credentials: show only whether they came.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackQuery")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("state", &self.state.as_ref().map(|_| "[redacted]"))
            .field("error", &self.error)
            .finish()
    }
}

/// How the sign-in ended.
enum Outcome {
    SignedIn { person_id: String, room_id: String },
    Pending { code: String },
}

pub async fn finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let login = state.public("login");
    let Some(oauth_state) = q.state.clone().filter(|s| !s.is_empty() && s.len() <= 256) else {
        return SignInError::UnknownState.into_page(&login);
    };
    // Checked before the store is asked: a browser that did not start this sign-in uses
    // nothing up, and its code is never exchanged.
    if !state.binding.matches(&headers, &oauth_state) {
        return SignInError::OtherBrowser.into_page(&login);
    }
    let mut response = match complete(&state, &oauth_state, q).await {
        (Ok(Outcome::SignedIn { person_id, room_id }), Some(alexa)) => {
            match to_alexa(&state, person_id, room_id, alexa).await {
                Ok(redirect) => redirect,
                Err(e) => e.into_page(&login),
            }
        }
        // Alexa waits for its redirect_uri (RFC 6749 §4.1.2.1): it hears the refusal there.
        (Err(e), Some(alexa)) => {
            let error = match e {
                SignInError::Cancelled(_) | SignInError::NotAllowed(_) => "access_denied",
                SignInError::Sso(ref sso) if sso.is_transient() => "temporarily_unavailable",
                _ => "server_error",
            };
            tracing::info!(error = %e, answer = error, "Alexa linking did not complete");
            crate::alexa::authorize::redirect_with(
                &alexa.redirect_uri,
                &[("error", error)],
                alexa.state.as_deref(),
            )
        }
        (Ok(outcome), _) => {
            let bot_email = state.bot_email().await;
            let mut session_cookie = None;
            let page = match outcome {
                Outcome::SignedIn { person_id, .. } => {
                    // The dashboard opens for this browser now: the policy checks have passed.
                    if let Some(sessions) = &state.sessions {
                        match sessions.issue(&person_id).await {
                            Ok(cookie) => session_cookie = Some(cookie),
                            Err(e) => {
                                tracing::warn!(error = %e, "could not open a dashboard session")
                            }
                        }
                    }
                    pages::signed_in(bot_email.as_deref(), &state.public("dashboard/"))
                }
                Outcome::Pending { code } => {
                    pages::confirm_code(&code, CONFIRM_MINUTES, bot_email.as_deref())
                }
            };
            let mut response = no_store(Html(page).into_response());
            if let Some(cookie) = session_cookie {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
            response
        }
        (Err(e), None) => e.into_page(&login),
    };
    // The state is used up (or was unknown) either way: the cookie has done its job.
    response
        .headers_mut()
        .append(SET_COOKIE, state.binding.clear_cookie());
    response
}

/// The welcome message: what the bot does and how to start. Every command named here is an
/// accepted form of reports.md §5.
pub const WELCOME_MARKDOWN: &str = "**Welcome to the Smart Licensing Bot!** You're signed in \
with your Cisco account, so I can answer with exactly the Smart Licensing data Cisco lets you \
see.\n\nTry:\n- `expired` (licenses that already expired)\n- `expire 90` (licenses expiring in \
the next 90 days)\n- `shortages` (where you use more than you own)\n- `usage`\n- `export` (everything \
as a spreadsheet)\n\nSend `help` for every command, and `sign out` to forget your sign-in.";

/// Everything after the browser check, for the `oauth_state` the query carries; with the
/// Alexa request the attempt carried (known as soon as the attempt is), so that a failed
/// Alexa linking goes back to Alexa too.
async fn complete(
    state: &AppState,
    oauth_state: &str,
    q: CallbackQuery,
) -> (Result<Outcome, SignInError>, Option<AlexaRequest>) {
    let deps = &state.deps;
    let now = deps.clock.now();
    // The state is consumed first, whatever else the request says: it is single use.
    let attempt = match deps.store.take_attempt(oauth_state, now).await {
        Ok(Some(attempt)) => attempt,
        Ok(None) => return (Err(SignInError::UnknownState), None),
        Err(e) => return (Err(e.into()), None),
    };
    let alexa = attempt.alexa_request.clone();
    (sign_in(state, attempt, q).await, alexa)
}

/// The code exchange and the binding of a taken attempt.
async fn sign_in(
    state: &AppState,
    attempt: crate::signin::port::LoginAttempt,
    q: CallbackQuery,
) -> Result<Outcome, SignInError> {
    let deps = &state.deps;
    if let Some(error) = q.error {
        return Err(SignInError::Cancelled(error.chars().take(64).collect()));
    }
    let code = q
        .code
        .filter(|c| !c.is_empty())
        .ok_or(SignInError::Cancelled(
            "no code in the callback".to_string(),
        ))?;
    let tokens = deps
        .sso
        .exchange_code(&code, &attempt.pkce_verifier)
        .await?;
    let received_at = deps.clock.now();

    let result = bind(state, &tokens, attempt.link_person_id, received_at).await;
    if result.is_err() {
        discard(state, &tokens).await;
    }
    result
}

/// The sign-in linked the Alexa skill: a fresh authorization code (stored as its hash, 5
/// minutes, single use) goes back to Alexa's `redirect_uri` with Alexa's `state`.
async fn to_alexa(
    state: &AppState,
    person_id: String,
    room_id: String,
    request: AlexaRequest,
) -> Result<Response, SignInError> {
    let Some(alexa) = state.deps.alexa.as_ref() else {
        // Switched off between /alexa/authorize and now: the sign-in itself stands.
        return Ok(no_store(
            Html(pages::signed_in(
                state.bot_email().await.as_deref(),
                &state.public("dashboard/"),
            ))
            .into_response(),
        ));
    };
    let now = state.deps.clock.now();
    let code = crate::alexa::fresh_secret();
    alexa
        .grants
        .issue_code(
            NewCode {
                hash: grant_hash(&code),
                link_id: crate::alexa::fresh_secret(),
                person_id: person_id.clone(),
                room_id,
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge,
                expires_at: now + chrono::Duration::minutes(crate::alexa::CODE_MINUTES),
            },
            now,
        )
        .await
        .map_err(|e| SignInError::Store(StoreFailure(anyhow::Error::new(e))))?;
    tracing::info!(person_id = %person_id, "Alexa authorization code issued");
    Ok(redirect_with(
        &request.redirect_uri,
        &[("code", &code)],
        request.state.as_deref(),
    ))
}

/// Everything after the code exchange; on error the caller revokes the tokens.
async fn bind(
    state: &AppState,
    tokens: &TokenSet,
    link_person_id: Option<String>,
    received_at: chrono::DateTime<chrono::Utc>,
) -> Result<Outcome, SignInError> {
    let deps = &state.deps;
    let info = deps.sso.userinfo(&tokens.access_token).await?;
    let email = info
        .email
        .map(|e| e.trim().to_string())
        .filter(|e| e.contains('@'))
        .ok_or(SignInError::NoEmail)?;
    if !deps.policy.email_allowed(&email) {
        return Err(SignInError::NotAllowed("e-mail domain"));
    }
    let login = |person_id: String, room_id: Option<String>| NewLogin {
        person_id,
        room_id,
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        expires_at: tokens.expires_at(received_at),
    };

    match link_person_id {
        Some(person_id) => {
            let person = deps.webex.person(&person_id).await?;
            if !deps.policy.org_allowed(person.org_id.as_deref()) {
                return Err(SignInError::NotAllowed("organization"));
            }
            let matches = person
                .emails
                .iter()
                .any(|e| e.trim().eq_ignore_ascii_case(&email));
            if matches {
                let room_id = deps
                    .webex
                    .send_markdown(&Recipient::PersonId(person_id.clone()), WELCOME_MARKDOWN)
                    .await?;
                let saved = deps
                    .store
                    .save_login(login(person_id.clone(), Some(room_id.clone())))
                    .await
                    .map_err(SignInError::from);
                after_welcome(state, &room_id, saved).await?;
                tracing::info!(person_id = %person_id, "signed in from a sign-in link");
                Ok(Outcome::SignedIn { person_id, room_id })
            } else {
                let code = confirmation_code();
                let expires = deps.clock.now() + chrono::Duration::minutes(CONFIRM_MINUTES);
                deps.store
                    .save_pending(login(person_id.clone(), None), &code, expires)
                    .await?;
                tracing::info!(person_id = %person_id, "sign-in pending confirmation (e-mails differ)");
                Ok(Outcome::Pending { code })
            }
        }
        None => {
            let bot = state.bot().await?.id.clone();
            // The 2019 flow: the welcome message opens (or reuses) the 1:1 space, whose other
            // member is the person.
            let room_id = deps
                .webex
                .send_markdown(&Recipient::Email(email), WELCOME_MARKDOWN)
                .await?;
            let finished = async {
                let others: Vec<String> = deps
                    .webex
                    .members(&room_id)
                    .await?
                    .into_iter()
                    .filter(|id| *id != bot)
                    .collect();
                let [person_id] = <[String; 1]>::try_from(others)
                    .map_err(|others| SignInError::NoSinglePerson(others.len()))?;
                if deps.policy.restricts_orgs() {
                    let person = deps.webex.person(&person_id).await?;
                    if !deps.policy.org_allowed(person.org_id.as_deref()) {
                        return Err(SignInError::NotAllowed("organization"));
                    }
                }
                deps.store
                    .save_login(login(person_id.clone(), Some(room_id.clone())))
                    .await?;
                Ok(person_id)
            }
            .await;
            let person_id = after_welcome(state, &room_id, finished).await?;
            tracing::info!(person_id = %person_id, "signed in from the dashboard");
            Ok(Outcome::SignedIn { person_id, room_id })
        }
    }
}

/// The welcome message went out before the sign-in could fail: say in the space that it did
/// not complete, so the chat does not contradict the page (best effort).
async fn after_welcome<T>(
    state: &AppState,
    room_id: &str,
    result: Result<T, SignInError>,
) -> Result<T, SignInError> {
    if let Err(e) = &result {
        let note = format!(
            "**Your sign-in did not complete:** {}. Nothing was saved. [Sign in again]({})",
            e.headline(),
            state.public("login")
        );
        let room = Recipient::Room(room_id.to_string());
        if let Err(send) = state.deps.webex.send_markdown(&room, &note).await {
            tracing::warn!(error = %send, "could not tell the space that the sign-in failed");
        }
    }
    result
}

/// A uniformly random 6-digit code from the operating system's CSPRNG.
fn confirmation_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Revokes the tokens of a sign-in that will not be stored (best effort: Cisco forgets them
/// anyway when they expire).
async fn discard(state: &AppState, tokens: &TokenSet) {
    let (token, hint): (&SecretString, &str) = match &tokens.refresh_token {
        Some(r) => (r, "refresh_token"),
        None => (&tokens.access_token, "access_token"),
    };
    if let Err(e) = state.deps.sso.revoke(token, hint).await {
        tracing::warn!(error = %e, "could not revoke the tokens of a refused sign-in");
    }
}

#[cfg(test)]
mod tests {
    use super::confirmation_code;

    #[test]
    fn confirmation_codes_are_six_digits() {
        for _ in 0..200 {
            let c = confirmation_code();
            assert_eq!(c.len(), 6, "{c}");
            assert!(c.bytes().all(|b| b.is_ascii_digit()), "{c}");
        }
    }
}
