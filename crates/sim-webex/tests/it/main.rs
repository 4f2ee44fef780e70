//! Black-box tests of the Webex simulator over HTTP: each starts its own simulator on
//! 127.0.0.1:0 (and, where needed, a recording webhook target) and talks to it with reqwest.

mod control;
mod faults;
mod files;
mod harness;
mod messages;
mod pagination;
mod persistence;
mod webhooks;
mod websocket;
