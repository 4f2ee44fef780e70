//! Bringing a store's schema up to date. Two ways, each store picks one:
//!
//! - [`migrator`]: sqlx's migrator over embedded migrations with dated versions (so they
//!   cannot collide with another store's in the same database), tolerating the other stores'
//!   rows in the shared `_sqlx_migrations` table (the backend's token store);
//! - [`run_script_sqlite`] / [`run_script_postgres`]: one idempotent script run at every
//!   start, on PostgreSQL under a session advisory lock so that replicas starting together do
//!   not race on `CREATE TABLE IF NOT EXISTS` (the bot's notification store).

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{PgPool, SqlitePool};

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Embedded {
    /// A dated version (`YYYYMMDDNN`), unique across every store sharing a database.
    pub version: i64,
    pub description: &'static str,
    pub sql: &'static str,
}

/// The migrator of `migrations` (oldest first).
pub fn migrator(migrations: &[Embedded]) -> Migrator {
    let migrations = migrations
        .iter()
        .map(|m| {
            Migration::new(
                m.version,
                Cow::Borrowed(m.description),
                MigrationType::Simple,
                Cow::Borrowed(m.sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        // Other stores may keep their migrations in the same database and
        // `_sqlx_migrations` table: theirs are not "missing" from ours.
        ignore_missing: true,
        ..Migrator::DEFAULT
    }
}

/// Runs an idempotent schema script (SQLite serialises writers on the file, so concurrent
/// starts cannot race).
pub async fn run_script_sqlite(pool: &SqlitePool, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sql).execute(pool).await.map(|_| ())
}

/// Runs an idempotent schema script under the session advisory lock `lock_key`: replicas
/// starting together would otherwise race on `CREATE TABLE IF NOT EXISTS`, which PostgreSQL
/// does not make atomic.
pub async fn run_script_postgres(
    pool: &PgPool,
    lock_key: i64,
    sql: &str,
) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(lock_key)
        .execute(&mut *conn)
        .await?;
    let created = sqlx::raw_sql(sql).execute(&mut *conn).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(lock_key)
        .execute(&mut *conn)
        .await;
    created?;
    unlocked?;
    Ok(())
}
