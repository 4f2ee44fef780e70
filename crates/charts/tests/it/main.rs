//! Integration tests of slbot-charts through its public API: the PNG each chart produces
//! (decodes, has the requested size, is not blank, uses the palette) and the one-call API the
//! CLI and the bot use.

mod api;
mod fixture;
mod png_checks;
