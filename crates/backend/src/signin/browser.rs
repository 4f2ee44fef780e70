//! Binding an OAuth `state` to the browser that started the sign-in.
//!
//! `GET /login` sets a cookie holding `hex(HMAC-SHA256(k, state))`, with `k` derived from the
//! backend secret under its own label; `GET /oauth/callback` goes on only when the browser
//! sends that cookie back for the `state` it carries (compared in constant time). Without it,
//! someone could start a sign-in with their own link and have somebody else finish it at
//! Cisco: the victim's Cisco login would be bound (after the "e-mails differ" confirmation,
//! which the starter controls) to the starter's Webex person. The cookie is `HttpOnly`,
//! `SameSite=Lax` (sent on the top-level redirect back from Cisco), scoped to the callback's
//! path, `Secure` when the public URL is https, and lives as long as the attempt.
//!
//! One cookie per browser: a second sign-in started in the same browser replaces the first
//! one's binding, and the first can then no longer be finished (it says so, and to start again).

use axum::http::{HeaderMap, HeaderValue};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use url::Url;

use crate::signin::ATTEMPT_MINUTES;

/// The cookie's name.
pub const COOKIE: &str = "slbot_signin";

/// The label the binding key is derived under (the backend secret also signs sign-in links
/// and the token API: this key is used for nothing else).
const KEY_LABEL: &[u8] = b"SLBOT-OAUTH-BROWSER-BINDING-KEY-v1";

/// Makes and checks the browser-binding cookie.
#[derive(Clone)]
pub struct BrowserBinding {
    /// `HMAC-SHA256` keyed with the derived key, ready to MAC a state.
    mac: Hmac<Sha256>,
    /// `{public path}/oauth`: the cookie goes to the callback only.
    path: String,
    secure: bool,
}

impl std::fmt::Debug for BrowserBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserBinding")
            .field("path", &self.path)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

impl BrowserBinding {
    /// The binding for a backend whose browsers reach it at `public_url`.
    pub fn new(secret: &SecretString, public_url: &Url) -> Self {
        let mut derive = hmac(secret.expose_secret().as_bytes());
        derive.update(KEY_LABEL);
        let key = derive.finalize().into_bytes();
        Self {
            mac: hmac(&key),
            path: format!("{}/oauth", public_url.path().trim_end_matches('/')),
            secure: public_url.scheme() == "https",
        }
    }

    fn value(&self, state: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(state.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn attributes(&self, max_age_secs: i64) -> String {
        format!(
            "Max-Age={max_age_secs}; Path={}; HttpOnly; SameSite=Lax{}",
            self.path,
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that binds `state` to this browser for the attempt's lifetime.
    pub fn set_cookie(&self, state: &str) -> HeaderValue {
        let cookie = format!(
            "{COOKIE}={}; {}",
            self.value(state),
            self.attributes(ATTEMPT_MINUTES * 60)
        );
        // Hex, a path from a parsed URL and fixed words: always a valid header value.
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The `Set-Cookie` value that removes the cookie (the attempt is used up).
    pub fn clear_cookie(&self) -> HeaderValue {
        let cookie = format!("{COOKIE}=; {}", self.attributes(0));
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// Whether the request carries the cookie made for `state` (any of its `Cookie` headers;
    /// each candidate compared in constant time).
    pub fn matches(&self, headers: &HeaderMap, state: &str) -> bool {
        let want = self.value(state);
        slbot_http::cookie_values(headers, COOKIE).fold(false, |found, value| {
            slbot_signing::scheme::constant_time_eq(value.as_bytes(), want.as_bytes()) | found
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(public_url: &str) -> BrowserBinding {
        BrowserBinding::new(
            &SecretString::from("backend-secret".to_string()),
            &Url::parse(public_url).unwrap(),
        )
    }

    fn naive_value(secret: &[u8], state: &str) -> String {
        let mut derive = hmac(secret);
        derive.update(b"SLBOT-OAUTH-BROWSER-BINDING-KEY-v1");
        let mut mac = hmac(&derive.finalize().into_bytes());
        mac.update(state.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn cookie_header(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn the_cookie_is_http_only_lax_scoped_to_the_callback_and_secure_on_https() {
        let value = naive_value(b"backend-secret", "S1");
        let plain = binding("http://127.0.0.1:8082");
        assert_eq!(
            plain.set_cookie("S1").to_str().unwrap(),
            format!("slbot_signin={value}; Max-Age=600; Path=/oauth; HttpOnly; SameSite=Lax")
        );
        let https = binding("https://signin.example.com/slbot/");
        assert_eq!(
            https.set_cookie("S1").to_str().unwrap(),
            format!(
                "slbot_signin={value}; Max-Age=600; Path=/slbot/oauth; HttpOnly; SameSite=Lax; \
                 Secure"
            )
        );
        assert_eq!(
            https.clear_cookie().to_str().unwrap(),
            "slbot_signin=; Max-Age=0; Path=/slbot/oauth; HttpOnly; SameSite=Lax; Secure"
        );
    }

    #[test]
    fn only_the_cookie_made_for_this_state_matches() {
        let b = binding("http://127.0.0.1:8082");
        let right = naive_value(b"backend-secret", "S1");
        let other = naive_value(b"backend-secret", "S2");
        assert!(b.matches(&cookie_header(&format!("a=1; slbot_signin={right}")), "S1"));
        assert!(!b.matches(&cookie_header(&format!("slbot_signin={other}")), "S1"));
        assert!(!b.matches(&cookie_header(&format!("other={right}")), "S1"));
        assert!(!b.matches(&HeaderMap::new(), "S1"));
        let another_secret = naive_value(b"another-secret", "S1");
        assert!(!b.matches(
            &cookie_header(&format!("slbot_signin={another_secret}")),
            "S1"
        ));
    }
}
