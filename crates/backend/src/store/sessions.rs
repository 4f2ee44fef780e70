//! What the dashboard keeps of a browser session: the SHA-256 of the session id (32 random
//! bytes that only the browser's HttpOnly cookie holds), whose dashboard it opens, and until
//! when. In the token store's database, so every replica agrees and a restart keeps them.
//! Both engines implement [`DashboardSessions`] (in `engine`);
//! [`super::TokenStore::dashboard_sessions`] hands it out.

use chrono::{DateTime, Utc};

use super::{BoxFuture, StoreError};

/// The dashboard's sessions. Every method is safe to call from any replica at once.
pub trait DashboardSessions: Send + Sync {
    /// Stores a new session under the hash of its id.
    fn create<'a>(
        &'a self,
        hash: &'a str,
        person_id: &'a str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The person of the session whose id hashes to `hash`, if it exists and has not expired.
    fn person_of<'a>(
        &'a self,
        hash: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>>;

    /// Ends the session (`sign out`); `false` when there was none.
    fn revoke<'a>(&'a self, hash: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
}
