//! The backend's integration tests: one binary, one module per area.

#[macro_use]
mod token_harness;

mod alexa_link;
mod signin;
mod signin_webex;
mod sso_answers;
mod token_api;
mod token_store;
