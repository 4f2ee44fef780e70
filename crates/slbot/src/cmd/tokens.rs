//! `slbot tokens`: operate the backend's token store by hand: list logins (ids and expiry
//! only), put one (tokens read from environment variables the operator names), delete one,
//! and re-encrypt everything with the current key after a rotation.
//!
//! The store key comes from `SLBOT_STORE_KEY` (or `--store-key-file`), old keys from
//! `SLBOT_STORE_OLD_KEYS`; tokens never appear on the command line or in the output.
//! Exit codes: 2 for a malformed URL, key or id; 3 when the store cannot be reached.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use secrecy::SecretString;
use slbot_backend::crypto::{KeyError, Keyring};
use slbot_backend::store::{self, StoreError, TokenStore, TokenSummary, Tokens};
use slbot_config::Config;
use slbot_signing::is_valid_id;

use crate::exit::{CliError, CliResult};

/// `SLBOT_STORE_URL`'s default (DESIGN.md).
pub const DEFAULT_STORE_URL: &str = "sqlite://slbot.db";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: TokensCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TokensCommand {
    /// List stored logins: personId, roomId, expiry and key id (never a token).
    List(StoreFlags),
    /// Store a login by hand (tokens are read from environment variables you name).
    Put(PutArgs),
    /// Forget a person's login (its refresh token is not revoked at Cisco SSO).
    Delete(DeleteArgs),
    /// Re-encrypt every stored value with SLBOT_STORE_KEY (after adding the old key to
    /// SLBOT_STORE_OLD_KEYS); afterwards the old key can be dropped.
    Rekey(StoreFlags),
}

#[derive(Debug, Clone, clap::Args)]
pub struct StoreFlags {
    /// Token store: sqlite://FILE[?mode=rwc] or postgres://… [env: SLBOT_STORE_URL] [default: sqlite://slbot.db]
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Read the store key from this file instead of SLBOT_STORE_KEY
    #[arg(long, value_name = "PATH")]
    pub store_key_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PutArgs {
    #[command(flatten)]
    pub store: StoreFlags,
    /// The person's Webex personId
    #[arg(long, value_name = "ID")]
    pub person_id: String,
    /// The 1:1 space with the bot (Webex roomId)
    #[arg(long, value_name = "ID")]
    pub room_id: String,
    /// Name of the environment variable holding the access token
    #[arg(long, value_name = "VAR")]
    pub access_token_env: String,
    /// Name of the environment variable holding the refresh token
    #[arg(long, value_name = "VAR")]
    pub refresh_token_env: Option<String>,
    /// Seconds until the access token expires
    #[arg(long, value_name = "SECS")]
    pub expires_in: u32,
}

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub store: StoreFlags,
    /// The person's Webex personId
    #[arg(long, value_name = "ID")]
    pub person_id: String,
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    let now = Utc::now();
    match args.command {
        TokensCommand::List(flags) => {
            let store = open(config, &flags).await?;
            let logins = store.list().await.map_err(store_error)?;
            print!("{}", render_list(&logins, now));
            Ok(())
        }
        TokensCommand::Put(a) => {
            check_id("--person-id", &a.person_id)?;
            check_id("--room-id", &a.room_id)?;
            let access_token = Config::named_env_secret(&a.access_token_env)?;
            let refresh_token = match &a.refresh_token_env {
                Some(var) => Some(Config::named_env_secret(var)?),
                None => None,
            };
            let store = open(config, &a.store).await?;
            let tokens = Tokens {
                access_token,
                refresh_token,
                expires_at: now + Duration::seconds(i64::from(a.expires_in)),
            };
            store
                .put(&a.person_id, Some(&a.room_id), tokens, now)
                .await
                .map_err(store_error)?;
            println!("stored the login of {}", a.person_id);
            Ok(())
        }
        TokensCommand::Delete(a) => {
            check_id("--person-id", &a.person_id)?;
            let store = open(config, &a.store).await?;
            match store.delete(&a.person_id).await.map_err(store_error)? {
                Some(_) => println!(
                    "forgot the login of {} (its refresh token was not revoked at Cisco SSO)",
                    a.person_id
                ),
                None => println!("no login stored for {}", a.person_id),
            }
            Ok(())
        }
        TokensCommand::Rekey(flags) => {
            let store = open(config, &flags).await?;
            let report = store.rekey(now).await.map_err(store_error)?;
            println!(
                "re-encrypted {} login(s), {} pending sign-in(s) and {} sign-in attempt(s) with key {}",
                report.tokens,
                report.pending,
                report.attempts,
                keyring(config, &flags)?.current_id()
            );
            Ok(())
        }
    }
}

fn check_id(flag: &str, id: &str) -> Result<(), CliError> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(CliError::input(format!(
            "{flag} must be 1–512 characters of A–Z a–z 0–9 _ = -"
        )))
    }
}

/// `SLBOT_STORE_KEY` (or the key file) and `SLBOT_STORE_OLD_KEYS`.
fn keyring(config: &Config, flags: &StoreFlags) -> Result<Keyring, CliError> {
    let current = config.require_secret("STORE_KEY", flags.store_key_file.as_deref())?;
    let old: Vec<SecretString> = config
        .list("STORE_OLD_KEYS", &[])
        .into_iter()
        .map(SecretString::from)
        .collect();
    Keyring::new(&current, &old).map_err(|e: KeyError| CliError::input(e))
}

async fn open(config: &Config, flags: &StoreFlags) -> Result<Arc<dyn TokenStore>, CliError> {
    let keys = keyring(config, flags)?;
    let url = match &flags.store {
        Some(url) => url.clone(),
        None => config
            .get("STORE_URL")
            .unwrap_or_else(|| DEFAULT_STORE_URL.to_string()),
    };
    store::connect(&url, keys).await.map_err(store_error)
}

/// The one place a store failure becomes an exit code. The URL is never echoed (a
/// PostgreSQL URL may carry a password).
fn store_error(e: StoreError) -> CliError {
    match e {
        StoreError::BadUrl(_) => CliError::input(format!("{e} (check --store / SLBOT_STORE_URL)")),
        StoreError::Unavailable(_) => CliError::remote(format!("cannot use the token store: {e}")),
        StoreError::Crypto(_) => CliError::input(e),
    }
}

/// One line per login: personId, roomId, expiry (and whether it has passed), key id.
fn render_list(logins: &[TokenSummary], now: DateTime<Utc>) -> String {
    if logins.is_empty() {
        return "no logins stored\n".to_string();
    }
    let mut out = String::from("PERSON_ID\tROOM_ID\tEXPIRES_AT\tKEY_ID\n");
    for l in logins {
        let expiry = l.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mark = if l.expires_at <= now {
            " (expired)"
        } else {
            ""
        };
        out.push_str(&format!(
            "{}\t{}\t{expiry}{mark}\t{}\n",
            l.person_id,
            l.room_id.as_deref().unwrap_or("-"),
            l.key_id
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::HashMap;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn config(pairs: &[(&str, &str)]) -> Config {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_parts(env, "").unwrap()
    }

    fn flags(url: &str) -> StoreFlags {
        StoreFlags {
            store: Some(url.to_string()),
            store_key_file: None,
        }
    }

    #[test]
    fn the_list_shows_ids_expiry_and_key_id_and_marks_expired_logins() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let row = |p: &str, exp| TokenSummary {
            person_id: p.into(),
            room_id: Some("R".into()),
            expires_at: exp,
            key_id: "abcd1234".into(),
            updated_at: at,
        };
        let text = render_list(&[row("P1", at + Duration::hours(1)), row("P2", at)], at);
        assert_eq!(
            text,
            "PERSON_ID\tROOM_ID\tEXPIRES_AT\tKEY_ID\n\
             P1\tR\t2026-11-28T13:00:00Z\tabcd1234\n\
             P2\tR\t2026-11-28T12:00:00Z (expired)\tabcd1234\n"
        );
        assert_eq!(render_list(&[], at), "no logins stored\n");
    }

    async fn open_fails(c: &Config, f: &StoreFlags) -> CliError {
        match open(c, f).await {
            Err(e) => e,
            Ok(_) => panic!("the store opened"),
        }
    }

    #[tokio::test]
    async fn a_missing_key_names_the_variable_and_is_exit_2() {
        let err = open_fails(&config(&[]), &flags("sqlite://x.db")).await;
        assert_eq!(err.code(), 2);
        assert!(err.message.contains("SLBOT_STORE_KEY"), "{}", err.message);
    }

    #[tokio::test]
    async fn a_malformed_url_is_exit_2_and_an_unreachable_store_is_exit_3() {
        let c = config(&[("SLBOT_STORE_KEY", KEY)]);
        let err = open_fails(&c, &flags("mysql://db/x")).await;
        assert_eq!(err.code(), 2, "{}", err.message);
        // A directory that does not exist: SQLite cannot open the file.
        let err = open_fails(&c, &flags("sqlite:///nonexistent-dir-slbot/x.db")).await;
        assert_eq!(err.code(), 3, "{}", err.message);
    }

    #[tokio::test]
    async fn put_list_rekey_and_delete_work_against_a_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let c = config(&[("SLBOT_STORE_KEY", KEY)]);
        let store = open(&c, &flags(&url)).await.unwrap();
        let now = Utc::now();
        let tokens = Tokens {
            access_token: SecretString::from("at".to_string()),
            refresh_token: None,
            expires_at: now + Duration::hours(1),
        };
        store.put("P1", Some("R1"), tokens, now).await.unwrap();
        let args = Args {
            command: TokensCommand::Rekey(flags(&url)),
        };
        run(args, &c).await.unwrap();
        let args = Args {
            command: TokensCommand::Delete(DeleteArgs {
                store: flags(&url),
                person_id: "P1".into(),
            }),
        };
        run(args, &c).await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn put_refuses_a_malformed_person_id_before_touching_anything() {
        let args = Args {
            command: TokensCommand::Put(PutArgs {
                store: flags("sqlite:///nonexistent-dir-slbot/x.db"),
                person_id: "a b".into(),
                room_id: "R".into(),
                access_token_env: "UNUSED".into(),
                refresh_token_env: None,
                expires_in: 60,
            }),
        };
        let err = run(args, &config(&[])).await.unwrap_err();
        assert_eq!(err.code(), 2);
        assert!(err.message.contains("--person-id"), "{}", err.message);
    }
}
