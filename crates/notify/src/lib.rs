//! Scheduled license digests: who subscribed, what they were told, when they are due, and
//! the `notify …` commands.
//!
//! Layout:
//! - [`schedule`]: the chat grammar's [`Schedule`] (daily / weekly on Monday, local `HH:MM`,
//!   IANA zone): its next run, DST-correct, and how it is stored.
//! - [`mod@digest`]: the pure function (inventory, now, window, announced) → [`Digest`]: newly
//!   expired, entering the window, new or grown shortages; item identity and its key.
//! - [`render`]: a digest as one Webex markdown message within 7,439 bytes.
//! - [`store`]: [`NotifyStore`] (`Arc<dyn NotifyStore>`), SQLite and PostgreSQL, one schema;
//!   subscriptions, announcements, and the lock that lets one process run a pass.
//! - [`ports`]: what the scheduler needs from outside (token, inventory, posting, clock).
//! - [`scheduler`]: one pass over due subscriptions, and the loop the bot runs.
//! - [`service`]: the `notify on|off|status|window|test` commands → reply sentences.
//! - [`replies`]: every sentence the feature adds to the chat crate's `notify_*` sentences,
//!   in one place.
//! - [`adapters`]: the production ports over the backend, CSSM and Webex clients.
//!
//! # Wiring it into the bot
//!
//! ```text
//! let store = slbot_notify::open(&bot_store_url).await?;            // SLBOT_BOT_STORE_URL
//! let service = NotifyService::new(store.clone(), tokens.clone(), inventories.clone(),
//!                                  SchedulerSettings::default());
//! // in the handler, for a parsed chat command:
//! if let Some(request) = NotifyRequest::from_command(&command) {
//!     let reply = service.handle(&request, &person_id, &room_id, clock.now()).await;
//!     // post `reply` (markdown) as the answer
//! }
//! // at start, beside the HTTP service:
//! let scheduler = Arc::new(Scheduler::new(store, tokens, inventories, poster,
//!                                         SchedulerSettings::default()));
//! tokio::spawn(async move { scheduler.run(clock, DEFAULT_PASS_EVERY, shutdown).await });
//! ```
//!
//! `tokens`, `inventories` and `poster` implement [`TokenSource`], [`InventorySource`] and
//! [`Poster`]; [`adapters`] has them over `TokenClient`, `CssmClient` and `WebexClient` (the
//! bot may rather pass an [`InventorySource`] over its own per-user cache).
//!
//! Must not: store tokens, e-mail addresses or licence names (announcements are hashes);
//! read the clock outside the injected `slbot_base::Clock` (`now` is an argument everywhere
//! else); read the environment; stop a pass because one subscription fails.

pub mod adapters;
pub mod digest;
pub mod ports;
pub mod render;
pub mod replies;
pub mod schedule;
pub mod scheduler;
pub mod service;
pub mod since;
pub mod store;

pub use digest::{digest, AnnouncedSet, Announcement, Category, Digest, ItemKey};
pub use ports::{InventoryProblem, InventorySource, Poster, TokenProblem, TokenSource};
pub use render::render_digest;
pub use schedule::{Frequency, Schedule, ScheduleError};
pub use scheduler::{
    next_run, NotifyDeps, PassHook, PassReport, Scheduler, SchedulerSettings, DEFAULT_PASS_EVERY,
};
pub use service::{NotifyRequest, NotifyService, DEFAULT_WINDOW};
pub use store::history::{History, Kept, KeptPoint, PointTimes};
pub use store::queue::{EventQueue, QueueDepth, QueuedEvent};
pub use store::{open, NotifyStore, PassLock, Singleton, StoreError, Subscription};
