//! The Webex bot service: signed webhooks in, answers out.
//!
//! Layout:
//! - [`run`]: building the clients from [`settings`] (the clock injected through
//!   [`Injected`]), serving, graceful shutdown, registering the webhooks when the public URL is
//!   set, and keeping them enabled.
//! - [`service`]: the HTTP endpoints (`/webhooks/webex`, `/healthz` with the event counters,
//!   `/readyz`): signature check on the raw body, size cap, deduplication, immediate
//!   acknowledgement.
//! - [`queue`]: the bounded worker pool and the overflow path that answers "busy".
//! - [`events`]: the webhook envelope and the queued job.
//! - [`intake`]: the durable intake: workers taking accepted events from the bot store's queue
//!   under leases; hand-back at shutdown, dead letters.
//! - [`metrics`]: `/metrics` in the Prometheus text format.
//! - [`handler`]: one event to the end: mention, policy, command, token, inventory, replies,
//!   cards (help, filter, verified submits) and `notify …`; the one place where failures
//!   become sentences.
//! - [`history`]: the kept snapshots of each person's inventory (one per complete fetch,
//!   in the bot store) that `changes`, `trend` and `status` read.
//! - [`mention`]: removing the bot's own mention from a message.
//! - [`policy`]: who may use the bot: the rules of [`slbot_config::AccessPolicy`] and the
//!   cached Webex lookup of a sender's organisation.
//! - [`routing`]: where an answer goes (the space, its thread, or the person's 1:1 space).
//! - [`notifications`]: the notification feature's ports (tokens, the cached inventories,
//!   posting to the person) over the bot's clients; `slbot_notify` does the rest.
//! - [`cache`]: the per-user inventory cache with single flight (partial inventories are served
//!   to the commands waiting for them, never kept); with `SLBOT_CACHE_URL`, its Redis tier
//!   ([`cache::shared`]) spans every replica: one fetch per person, one "please wait", refresh
//!   and sign-out seen by all, and each replica on its own while Redis does not answer.
//! - [`alexa`]: `POST /alexa`, the Alexa skill's endpoint: every request verified as Amazon
//!   requires, then answered by [`Bot::on_alexa`] over the same reports.
//! - [`websocket`]: the other transport (`SLBOT_TRANSPORT=websocket`, no public URL): one
//!   replica holds the bot's Webex websocket and puts its activities through the same door
//!   as webhooks ([`service::ServiceState::ingest`]: the same deduplication, the same durable
//!   queue), acknowledging each once queued; reconnects with jittered backoff.
//! - [`settings`]: the typed settings of `slbot bot`.
//!
//! Must not: hold a user's CSSM credentials beyond one command, key anything by a token, or
//! show one person's licenses in a group space.

pub mod alexa;
/// The per-person inventory cache, moved to its own crate (`slbot-cache`) so the backend's
/// dashboard shares it; re-exported under its old path.
pub use slbot_cache as cache;
pub mod events;
pub mod handler;
pub mod history;
pub mod intake;
pub mod license_metrics;
pub mod mention;
pub mod metrics;
pub mod notifications;
pub mod policy;
pub mod queue;
pub mod routing;
pub mod run;
pub mod service;
pub mod settings;
pub mod websocket;

pub use handler::Bot;
pub use run::{build, build_with, serve, Injected, StartError};
pub use settings::{BotFlags, BotSettings, Transport};
