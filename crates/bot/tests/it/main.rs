//! Black-box tests of the bot: the real bot (settings → build → serve on 127.0.0.1:0) against
//! the Webex and CSSM simulators and the backend's real token API over SQLite, driven as a
//! person would through the Webex simulator's control API. Expected numbers come from
//! [`naive`], a small independent reading of the dataset the CSSM simulator serves.

mod harness;
mod naive;

mod alexa;
mod cards;
mod commands;
mod failures;
mod files;
mod fuzz;
mod history;
mod isolation;
mod lifecycle;
mod notify;
mod prices;
mod webhooks;
mod websocket;
