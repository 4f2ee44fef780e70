//! Integration tests of the Webex client against small in-test HTTP servers on 127.0.0.1:0, and
//! (the websocket transport) against the Webex simulator.

mod calls;
mod harness;
mod pagination;
mod register;
mod retries;
mod secrecy_checks;
mod signature;
mod websocket;
