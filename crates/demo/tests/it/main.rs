//! The demo end to end: sign-in over HTTP and a report in chat, persistence across a restart,
//! the listen-address refusal, the past written into the bot store, and the whole journey in
//! headless Chromium through WebDriver.

mod alexa;
mod browser;
mod dashboard;
mod dashboard_browser;
mod harness;
mod history;
mod journey;
