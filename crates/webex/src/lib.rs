//! The Webex REST client of the bot and the backend, and the webhook signature check.
//!
//! Layout:
//! - [`client`]: [`WebexClient`] (base URL, bot token, timeouts and retry budget injected) and
//!   the one place requests are sent, retried (429/423 per `Retry-After`, 5xx with backoff) and
//!   mapped to errors; `body` (what a request sends, [`FileUpload`]), `answer` (reading a 2xx
//!   or an error answer) and `paging` (`Link: rel="next"`) are its crate-private parts.
//! - [`error`]: [`WebexError`], variants a caller acts on, each with status, Webex's message and
//!   `trackingId`.
//! - [`retry`]: `Retry-After` parsing and backoff (the waits themselves come from the injected
//!   `slbot_base::Clock`).
//! - [`messages`], [`people`], [`rooms`], [`memberships`], [`webhooks`],
//!   [`attachment_actions`]: one module per Webex resource, its types and its calls.
//! - [`events`]: the webhook delivery envelope and its typed `data`.
//! - [`signature`]: `X-Spark-Signature` verification (constant time) and signing.
//! - [`register`]: [`ensure_webhooks`], keeping the bot's two webhooks present and active.
//! - [`devices`] and [`mercury`]: receiving events with no public URL. [`devices`] finds the
//!   device service (`discover_wdm`) and keeps one device registration ([`Device`],
//!   `ensure_device`, `replace_device`); [`mercury`] opens its websocket (`open_websocket`,
//!   [`ConnectError::NotFound`] when Webex no longer knows the device), reads frames
//!   ([`Mercury::next`] → [`Incoming`], mapping activities to REST ids: [`Activity`]) and acks
//!   them ([`Mercury::ack`]).
//!
//! Must not: know anything about licences, commands or users' CSSM tokens; read the environment
//! (the caller passes the base URL, token and settings); log or display the bot token or a
//! webhook secret (the websocket's authorization message is the one place the token is written
//! besides the `Authorization` header).

mod answer;
pub mod attachment_actions;
mod body;
pub mod client;
pub mod devices;
pub mod error;
pub mod events;
pub mod memberships;
pub mod mercury;
pub mod messages;
mod paging;
pub mod people;
pub mod register;
pub mod retry;
pub mod rooms;
pub mod signature;
pub mod webhooks;

pub use attachment_actions::AttachmentAction;
pub use client::{
    CallObserver, ClientSettings, WebexClient, DEFAULT_BASE_URL, DEFAULT_MAX_BODY_BYTES,
};
pub use devices::{Device, DEFAULT_U2C_URL, DEVICE_NAME};
pub use error::{ApiFailure, WebexError};
pub use events::{AttachmentActionEventData, EventData, MessageEventData, WebhookEvent};
pub use memberships::{Member, Membership};
pub use mercury::{Activity, ActivityKind, ConnectError, Incoming, Mercury, MercuryError};
pub use messages::{
    Attachment, Destination, DownloadedFile, FileUpload, Message, MessageEdit, NewFileMessage,
    NewMessage, RoomType, ADAPTIVE_CARD_CONTENT_TYPE, MAX_MESSAGE_BYTES,
};
pub use people::Person;
pub use register::{
    ensure_webhooks, webhook_target_url, Duplicates, WebhookAction, WebhookChange, WebhookSpec,
    ATTACHMENT_ACTIONS_WEBHOOK, BOT_WEBHOOKS, MESSAGES_WEBHOOK, WEBHOOK_PATH,
};
pub use rooms::Room;
pub use signature::{sign_body, verify_signature, SIGNATURE_HEADER};
pub use webhooks::{NewWebhook, Webhook, WebhookStatus, WebhookUpdate};
