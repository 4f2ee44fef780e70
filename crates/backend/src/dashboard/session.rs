//! The dashboard's session cookie, its CSRF token and the opaque id in its URLs.
//!
//! - The session id is 32 random bytes (base64url), held only by the browser in an `HttpOnly`,
//!   `SameSite=Lax` cookie (`Secure` and `__Host-` prefixed when the public URL is https) that
//!   lives as long as the session; the store keeps its SHA-256 ([`session_hash`]).
//! - The CSRF token of a session is HMAC-SHA256(key, id): pages carry it in their forms and
//!   the scripts in a header; a state-changing request without the right one is refused. A
//!   cross-site page cannot read the cookie, so it cannot compute the token.
//! - URLs name a dashboard by HMAC-SHA256(key, personId), truncated ([`SessionKeys::view_id`]):
//!   no personId appears in a URL, and a URL of someone else's dashboard is refused.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

/// The label the session key is derived with from the backend secret.
const KEY_LABEL: &[u8] = b"slbot dashboard session key v1";

/// The keys and cookie attributes of dashboard sessions.
pub struct SessionKeys {
    key: [u8; 32],
    secure: bool,
    max_age_secs: u64,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("secure", &self.secure)
            .field("max_age_secs", &self.max_age_secs)
            .finish_non_exhaustive()
    }
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

/// The hex SHA-256 of a session id: the only form in which the store keeps it.
pub fn session_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl SessionKeys {
    /// Keys derived from the backend secret; cookies `Secure` when `public_url` is https.
    pub fn new(secret: &SecretString, public_url: &Url, max_age_secs: u64) -> Self {
        let mut derive = mac(secret.expose_secret().as_bytes());
        derive.update(KEY_LABEL);
        Self {
            key: derive.finalize().into_bytes().into(),
            secure: public_url.scheme() == "https",
            max_age_secs,
        }
    }

    /// The cookie's name: `__Host-` prefixed over https (no Domain, Path=/, Secure).
    pub fn cookie_name(&self) -> &'static str {
        if self.secure {
            "__Host-slbot_dashboard"
        } else {
            "slbot_dashboard"
        }
    }

    /// A fresh session id (32 random bytes from the operating system, base64url).
    pub fn fresh_id() -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn attributes(&self, max_age: u64) -> String {
        format!(
            "Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{}",
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// `Set-Cookie` for a new session.
    pub fn set_cookie(&self, id: &str) -> HeaderValue {
        let cookie = format!(
            "{}={id}; {}",
            self.cookie_name(),
            self.attributes(self.max_age_secs)
        );
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// `Set-Cookie` that removes the cookie (sign out, a session that ended).
    pub fn clear_cookie(&self) -> HeaderValue {
        let cookie = format!("{}=; {}", self.cookie_name(), self.attributes(0));
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The session ids the request's cookies carry (a well-formed value only).
    pub fn ids<'a>(&'a self, headers: &'a HeaderMap) -> impl Iterator<Item = &'a str> + 'a {
        slbot_http::cookie_values(headers, self.cookie_name()).filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    }

    /// The CSRF token of the session `id`.
    pub fn csrf(&self, id: &str) -> String {
        let mut m = mac(&self.key);
        m.update(b"csrf\0");
        m.update(id.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    /// Whether `given` is the CSRF token of session `id` (constant time).
    pub fn csrf_matches(&self, id: &str, given: &str) -> bool {
        slbot_signing::scheme::constant_time_eq(self.csrf(id).as_bytes(), given.as_bytes())
    }

    /// The opaque id that names `person_id`'s dashboard in URLs (24 hex digits).
    pub fn view_id(&self, person_id: &str) -> String {
        let mut m = mac(&self.key);
        m.update(b"view\0");
        m.update(person_id.as_bytes());
        hex::encode(&m.finalize().into_bytes()[..12])
    }
}

/// Issuing, reading and ending sessions: the keys, the store and the clock together. Shared
/// by the sign-in callback (which issues) and the dashboard (which reads and ends).
pub struct Sessions {
    pub keys: SessionKeys,
    pub store: std::sync::Arc<dyn crate::store::sessions::DashboardSessions>,
    pub clock: std::sync::Arc<dyn slbot_base::Clock>,
    pub ttl: std::time::Duration,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// A request's valid session.
#[derive(Debug, Clone)]
pub struct Current {
    pub id: String,
    pub person_id: String,
}

impl Sessions {
    /// A new session for `person_id`: its `Set-Cookie` value.
    pub async fn issue(&self, person_id: &str) -> Result<HeaderValue, crate::store::StoreError> {
        let id = SessionKeys::fresh_id();
        let now = self.clock.now();
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::hours(1));
        self.store
            .create(&session_hash(&id), person_id, now + ttl, now)
            .await?;
        Ok(self.keys.set_cookie(&id))
    }

    /// The request's session, if its cookie names one that has not expired or been revoked.
    pub async fn current(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<Current>, crate::store::StoreError> {
        let now = self.clock.now();
        for id in self.keys.ids(headers) {
            if let Some(person_id) = self.store.person_of(&session_hash(id), now).await? {
                return Ok(Some(Current {
                    id: id.to_string(),
                    person_id,
                }));
            }
        }
        Ok(None)
    }

    /// Ends the session.
    pub async fn revoke(&self, id: &str) -> Result<bool, crate::store::StoreError> {
        self.store.revoke(&session_hash(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(url: &str) -> SessionKeys {
        SessionKeys::new(
            &SecretString::from("s".repeat(32)),
            &Url::parse(url).unwrap(),
            3600,
        )
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_with_the_host_prefix_on_https() {
        let plain = keys("http://127.0.0.1:8082");
        assert_eq!(
            plain.set_cookie("ID").to_str().unwrap(),
            "slbot_dashboard=ID; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax"
        );
        let https = keys("https://licensing.example.com/");
        assert_eq!(
            https.set_cookie("ID").to_str().unwrap(),
            "__Host-slbot_dashboard=ID; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(
            https.clear_cookie().to_str().unwrap(),
            "__Host-slbot_dashboard=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
    }

    #[test]
    fn session_ids_are_43_url_safe_characters_and_differ_every_time() {
        let a = SessionKeys::fresh_id();
        let b = SessionKeys::fresh_id();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        let sha = Sha256::digest(a.as_bytes());
        assert_eq!(session_hash(&a), hex::encode(sha));
    }

    #[test]
    fn a_csrf_token_belongs_to_one_session_and_a_view_id_to_one_person() {
        let k = keys("http://127.0.0.1:8082");
        let (a, b) = (SessionKeys::fresh_id(), SessionKeys::fresh_id());
        assert!(k.csrf_matches(&a, &k.csrf(&a)));
        assert!(!k.csrf_matches(&a, &k.csrf(&b)));
        assert!(!k.csrf_matches(&a, ""));
        assert_ne!(k.view_id("p1"), k.view_id("p2"));
        assert_eq!(k.view_id("p1").len(), 24);
    }
}
