//! The backend: Cisco SSO sign-in, the token store and the signed token API.
//!
//! Layout:
//! - [`sso`]: the Cisco SSO client (authorize URL with state and PKCE, code exchange, refresh,
//!   userinfo, revocation) with errors typed by who can act on them.
//!
//! The backend must not: store or log a user's e-mail, put a secret or token in a URL, a log line
//! or an error, or read the environment (settings arrive typed from `slbot_config`).

pub mod sso;
