//! The backend: Cisco SSO sign-in, the token store and the signed token API.
//!
//! Layout:
//! - [`state`]: the state shared by the sign-in pages and health checks ([`state::AppState`]).
//! - [`app`]: the route table of the sign-in pages (imports the handlers and the state; the
//!   handlers import only the state).
//! - [`signin`]: the sign-in flow (`/`, `/login`, `/oauth/callback`), its pages (applying
//!   [`slbot_config::AccessPolicy`]) and the store operations it needs ([`signin::port::SignInStore`]).
//! - [`sso`]: the Cisco SSO client (authorize URL with state and PKCE, code exchange, refresh,
//!   userinfo, revocation) with errors typed by who can act on them.
//! - [`webex_port`]: the four Webex calls of the sign-in flow behind a trait (fake in tests,
//!   [`slbot_webex::WebexClient`] in production).
//! - [`alexa`]: Alexa account linking: `/alexa/authorize` and `/alexa/token`, this backend
//!   as the skill's OAuth authorization server.
//! - [`dashboard`]: the Smart Licensing Dashboard under `/dashboard`: the signed-in person's
//!   reports as pages, charts, CSV/XLSX downloads and a JSON API, behind a session cookie.
//! - [`health`]: `/healthz` and `/readyz`.
//! - [`settings`]: the backend's settings from `slbot_config` (missing secrets named).
//! - [`server`]: settings → store, clients and one router ([`server::app`]) → served with
//!   graceful shutdown; what `slbot backend` and the demo call.
//! - `crypto`, `store`, `token_api`, `refresh`: the encrypted token store, the signed token
//!   API and keeping logins fresh.
//!
//! The backend must not: store or log a user's e-mail, put a secret or token in a URL, a log line
//! or an error, or read the environment (settings arrive typed from `slbot_config`).

pub mod alexa;
pub mod app;
pub mod crypto;
pub mod dashboard;
pub mod health;
pub mod refresh;
pub mod server;
pub mod settings;
pub mod signin;
pub mod sso;
pub mod state;
pub mod store;
pub mod token_api;
pub mod webex_port;
