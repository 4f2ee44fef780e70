//! Opening a PostgreSQL store: a pool, optionally with every session's `search_path` set to
//! one schema (created if missing), so one database can hold isolated stores (tests, tenants);
//! and the spelling of `?`-placeholder SQL for PostgreSQL.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};

use crate::OpenError;

/// How a store's pool is sized and how long it waits.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a caller waits for a pooled connection.
    pub acquire_timeout: Duration,
}

/// Connects to `postgres://…`; with `schema`, every session works in that schema (lower-case
/// letters, digits and `_`; created if missing).
pub async fn open(
    url: &str,
    schema: Option<&str>,
    settings: PoolSettings,
) -> Result<PgPool, OpenError> {
    let mut options =
        PgConnectOptions::from_str(url).map_err(|e| OpenError::BadUrl(e.to_string()))?;
    if let Some(schema) = schema {
        if schema.is_empty()
            || !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(OpenError::BadUrl(format!(
                "schema name `{schema}` must be lower-case letters, digits and _"
            )));
        }
        options = options.options([("search_path", schema)]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .connect_with(options)
        .await
        .map_err(OpenError::from_sqlx)?;
    if let Some(schema) = schema {
        pool.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
            .await
            .map_err(OpenError::from_sqlx)?;
    }
    Ok(pool)
}

/// `?` placeholders numbered `$1, $2, …` (the stores' SQL has no `?` in literals).
pub fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered("UPDATE t SET a = ?, b = ? WHERE c = ?"),
            "UPDATE t SET a = $1, b = $2 WHERE c = $3"
        );
    }
}
