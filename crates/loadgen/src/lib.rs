//! An open-loop, fixed-rate load generator for slbot's HTTP endpoints, run as its own process
//! (`slbot-loadgen`) so the measured server never shares a runtime with its load.
//!
//! Open loop: request `i` is due at `t0 + i / rate` whatever the earlier answers do, and its
//! latency is measured from that *scheduled* instant. A server stall therefore counts against
//! every request it delays (no coordinated omission), which a closed-loop tool such as `wrk`
//! hides. Each request is built fresh (a v2 token-API request carries a one-use nonce; a
//! webhook delivery a unique `data.id`), which is why `oha -q` cannot drive these endpoints.
//!
//! Layout:
//! - [`plan`]: the schedule (rate, warm-up, measured window) and the HTTP client it runs with.
//! - [`mod@run`]: the open-loop executor ([`run()`]): sleeps to each scheduled instant,
//!   spawns the request, records one [`stats::Sample`] per measured request.
//! - [`scenario`]: what one request is ([`scenario::Scenario`]), with the signed token-API GET
//!   ([`scenario::TokenApi`]) and the signed Webex webhook delivery ([`scenario::WebexWebhook`]).
//! - [`stats`]: nearest-rank percentiles and the [`stats::Report`] printed as JSON.
//! - [`cli`]: the command line of the binary (arguments → plan, scenario, client → report).
//! - [`error`]: why a run cannot start ([`LoadgenError`]).
//!
//! This crate must not: reuse a nonce or a webhook id within a run, wait for an answer before
//! sending the next request, read the environment other than through `slbot_config` (the one
//! secret the operator names), or print a secret.

pub mod cli;
pub mod error;
pub mod plan;
pub mod run;
pub mod scenario;
pub mod stats;

pub use error::LoadgenError;
pub use plan::{http_client, Plan};
pub use run::run;
pub use scenario::{Scenario, TokenApi, WebexWebhook};
pub use stats::{Outcome, Report, Sample};
