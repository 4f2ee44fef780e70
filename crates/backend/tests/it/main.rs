//! The backend's integration tests: one binary, one module per area.

#[macro_use]
mod token_harness;

mod alexa_link;
mod dashboard_harness;
mod dashboard_http;
mod dashboard_sessions;
mod signin;
mod signin_webex;
mod sso_answers;
mod token_api;
mod token_store;
