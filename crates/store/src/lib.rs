//! The storage layer under the backend's token store and the bot's notification store:
//! opening SQLite or PostgreSQL by URL, running migrations, and the helpers every row mapping
//! needs. Each store keeps its own tables, SQL and migrations; only the set-up lives here.
//!
//! Layout:
//! - [`Engine`] (this file): which engine a store URL names.
//! - [`sqlite`]: a pool over one file in WAL mode with a busy timeout, and `BEGIN IMMEDIATE`.
//! - [`postgres`]: a pool, optionally with every session in its own schema; `?` placeholders
//!   numbered `$1…`.
//! - [`migrate`]: a sqlx migrator over embedded, dated migrations that tolerates other stores'
//!   rows in `_sqlx_migrations`, and idempotent schema scripts (under an advisory lock on
//!   PostgreSQL).
//! - [`rows`]: timestamps as stored (seconds since the epoch) and back.
//!
//! Opening fails with an [`OpenError`], by who can act on it; each store turns it into its own
//! error type (which names its own setting).

pub mod migrate;
pub mod postgres;
pub mod rows;
pub mod sqlite;

/// A failure to open a store or to talk to it, by who can act on it.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL cannot be used (the operator fixes the setting).
    #[error("{0}")]
    BadUrl(String),
    /// The database does not answer or refused the operation (try again later).
    #[error("{0}")]
    Unavailable(String),
}

impl OpenError {
    /// A sqlx error by who can act on it: a configuration error is the URL's fault.
    pub fn from_sqlx(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Configuration(c) => OpenError::BadUrl(c.to_string()),
            other => OpenError::Unavailable(other.to_string()),
        }
    }
}

/// The database engine a store URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `sqlite://FILE[?mode=…]`: the default, one file.
    Sqlite,
    /// `postgres://…` or `postgresql://…`: for scale-out.
    Postgres,
}

impl Engine {
    /// The engine of `url` (scheme compared without regard to case or leading blanks), or
    /// `None` when it names neither.
    pub fn of(url: &str) -> Option<Engine> {
        let lower = url.trim_start().to_ascii_lowercase();
        if lower.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Engine;

    #[test]
    fn the_engine_is_read_from_the_scheme() {
        assert_eq!(Engine::of("sqlite://x.db?mode=rwc"), Some(Engine::Sqlite));
        assert_eq!(Engine::of(" SQLITE:x.db"), Some(Engine::Sqlite));
        assert_eq!(Engine::of("postgres://h/db"), Some(Engine::Postgres));
        assert_eq!(Engine::of("postgresql://h/db"), Some(Engine::Postgres));
        assert_eq!(Engine::of("mysql://h/db"), None);
        assert_eq!(Engine::of("x.db"), None);
    }
}
