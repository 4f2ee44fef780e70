//! `GET /`: what the bot does, "Sign in with Cisco", and links that open the bot in Webex.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use crate::signin::pages;
use crate::state::AppState;

pub async fn page(State(state): State<AppState>) -> Response {
    let bot_email = state.bot_email().await;
    Html(pages::home(&state.public("login"), bot_email.as_deref())).into_response()
}
