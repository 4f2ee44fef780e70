//! Layered configuration for every `slbot` subcommand.
//!
//! Precedence (DESIGN.md "Configuration"): command-line flag > `SLBOT_*` environment variable >
//! TOML file (`--config FILE` or `SLBOT_CONFIG`) > default. A TOML key is the variable name
//! without `SLBOT_`, lower-cased; lists are comma-separated in the environment and arrays in TOML.
//!
//! Secrets (`…_TOKEN`, `…_SECRET`, `…_KEY`) come only from the environment, the TOML file or a
//! `--<name>-file PATH` flag, never from a plain flag. A missing required secret is a
//! configuration error (exit code 2) that names the variable.
//!
//! This is the only place in the workspace that reads the process environment: everything else
//! receives typed values. Tests build a [`Config`] from explicit maps with [`Config::from_parts`].
//!
//! Layout: this file holds [`Config`] and its layers; [`access`] holds the access policy both
//! the backend and the bot build from `SLBOT_ALLOWED_*` ([`AccessPolicy`]).

pub mod access;

pub use access::AccessPolicy;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use secrecy::SecretString;

/// A configuration problem: always the operator's to fix (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("{name} is required but not set (environment variable, TOML key `{key}`{file_hint})")]
    Missing {
        name: String,
        key: String,
        file_hint: String,
    },
    #[error("{name} has an invalid value: {reason}")]
    Invalid { name: String, reason: String },
}

/// The environment and TOML layers. Flags and defaults are applied by the caller:
/// `flag.or(config.get("CSSM_API_URL")?).unwrap_or(default)`.
#[derive(Clone, Default)]
pub struct Config {
    env: HashMap<String, String>,
    file: toml::Table,
}

impl std::fmt::Debug for Config {
    // Values may be secrets: show only which keys are present.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut env: Vec<&String> = self.env.keys().collect();
        env.sort();
        let mut file: Vec<&String> = self.file.keys().collect();
        file.sort();
        f.debug_struct("Config")
            .field("env", &env)
            .field("file", &file)
            .finish()
    }
}

fn env_name(name: &str) -> String {
    format!("SLBOT_{}", name.to_ascii_uppercase())
}

fn toml_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn toml_scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Datetime(d) => Some(d.to_string()),
        toml::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(toml_scalar)
                .collect::<Vec<_>>()
                .join(","),
        ),
        toml::Value::Table(_) => None,
    }
}

impl Config {
    /// Reads the process environment (`SLBOT_*` only) and the TOML file named by `file_flag`,
    /// else by `SLBOT_CONFIG`, else none.
    pub fn load(file_flag: Option<&Path>) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("SLBOT_"))
            .collect();
        let path = file_flag
            .map(Path::to_path_buf)
            .or_else(|| env.get("SLBOT_CONFIG").map(PathBuf::from));
        let file = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                text.parse::<toml::Table>().map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?
            }
            None => toml::Table::new(),
        };
        Ok(Self { env, file })
    }

    /// Builds a configuration from explicit layers (tests). `env` keys are full variable names.
    pub fn from_parts(env: HashMap<String, String>, file: &str) -> Result<Self, ConfigError> {
        let file = file.parse::<toml::Table>().map_err(|e| ConfigError::File {
            path: PathBuf::from("<inline>"),
            reason: e.to_string(),
        })?;
        Ok(Self { env, file })
    }

    /// The raw value of setting `name` (e.g. `"CSSM_API_URL"`) from the environment, else the
    /// TOML file. Empty environment values count as set-but-empty.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.env.get(&env_name(name)) {
            return Some(v.clone());
        }
        self.file.get(&toml_key(name)).and_then(toml_scalar)
    }

    /// A setting with a flag override and a default, parsed to `T`.
    pub fn value<T: FromStr>(
        &self,
        name: &str,
        flag: Option<T>,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        if let Some(v) = flag {
            return Ok(v);
        }
        Ok(self.parse::<T>(name)?.unwrap_or(default))
    }

    /// A setting parsed to `T`, or `None` when neither layer sets it.
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<Option<T>, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => raw
                .trim()
                .parse::<T>()
                .map(Some)
                .map_err(|e| ConfigError::Invalid {
                    name: env_name(name),
                    reason: e.to_string(),
                }),
        }
    }

    /// A list setting: comma-separated in the environment, an array (or a comma-separated
    /// string) in TOML. Blank items are dropped; `flag` wins when non-empty.
    pub fn list(&self, name: &str, flag: &[String]) -> Vec<String> {
        if !flag.is_empty() {
            return flag.to_vec();
        }
        self.get(name)
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A secret: `--<name>-file PATH` (trailing newline trimmed) > environment > TOML.
    pub fn secret(
        &self,
        name: &str,
        file_flag: Option<&Path>,
    ) -> Result<Option<SecretString>, ConfigError> {
        if let Some(path) = file_flag {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            let value = text.trim_end_matches(['\n', '\r']);
            // An empty secret would make signatures forgeable: a blank file counts as missing.
            return Ok((!value.trim().is_empty()).then(|| SecretString::from(value.to_string())));
        }
        Ok(self
            .get(name)
            .filter(|v| !v.is_empty())
            .map(SecretString::from))
    }

    /// A secret that must be present; the error names the variable, never a value.
    pub fn require_secret(
        &self,
        name: &str,
        file_flag: Option<&Path>,
    ) -> Result<SecretString, ConfigError> {
        self.secret(name, file_flag)?
            .ok_or_else(|| ConfigError::Missing {
                name: env_name(name),
                key: toml_key(name),
                file_hint: format!(" or --{}-file", name.to_ascii_lowercase().replace('_', "-")),
            })
    }

    /// An environment variable named explicitly by the operator (e.g. `--token-env VAR`).
    /// Any name is allowed here because the operator chose it.
    pub fn named_env_secret(var: &str) -> Result<SecretString, ConfigError> {
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(SecretString::from(v)),
            _ => Err(ConfigError::Missing {
                name: var.to_string(),
                key: "-".to_string(),
                file_hint: String::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn cfg(env: &[(&str, &str)], file: &str) -> Config {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_parts(env, file).unwrap()
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
        let c = cfg(
            &[("SLBOT_CSSM_PAGE_SIZE", "200")],
            "cssm_page_size = 300\ncssm_concurrency = 7",
        );
        assert_eq!(c.value("CSSM_PAGE_SIZE", Some(100u32), 500).unwrap(), 100);
        assert_eq!(c.value("CSSM_PAGE_SIZE", None, 500u32).unwrap(), 200);
        assert_eq!(c.value("CSSM_CONCURRENCY", None, 4u32).unwrap(), 7);
        assert_eq!(c.value("CSSM_MAX_INFLIGHT", None, 16u32).unwrap(), 16);
    }

    #[test]
    fn lists_are_comma_separated_in_the_environment_and_arrays_in_toml() {
        let c = cfg(
            &[("SLBOT_ALLOWED_ORG_IDS", "a, b,,c")],
            "allowed_email_domains = [\"x.com\", \"y.com\"]",
        );
        assert_eq!(c.list("ALLOWED_ORG_IDS", &[]), vec!["a", "b", "c"]);
        assert_eq!(c.list("ALLOWED_EMAIL_DOMAINS", &[]), vec!["x.com", "y.com"]);
        assert!(c.list("NOTHING", &[]).is_empty());
    }

    #[test]
    fn an_invalid_number_names_the_variable() {
        let c = cfg(&[("SLBOT_CSSM_PAGE_SIZE", "lots")], "");
        let err = c
            .value("CSSM_PAGE_SIZE", None, 500u32)
            .unwrap_err()
            .to_string();
        assert!(err.contains("SLBOT_CSSM_PAGE_SIZE"), "{err}");
    }

    #[test]
    fn a_missing_secret_names_the_variable_and_never_a_value() {
        let c = cfg(&[], "");
        let err = c
            .require_secret("WEBHOOK_SECRET", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("SLBOT_WEBHOOK_SECRET"), "{err}");
        assert!(err.contains("--webhook-secret-file"), "{err}");
    }

    #[test]
    fn a_secret_file_wins_and_loses_its_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, "from-file\n").unwrap();
        let c = cfg(
            &[("SLBOT_BACKEND_SECRET", "from-env")],
            "backend_secret = \"from-toml\"",
        );
        let s = c.require_secret("BACKEND_SECRET", Some(&path)).unwrap();
        assert_eq!(s.expose_secret(), "from-file");
        let s = c.require_secret("BACKEND_SECRET", None).unwrap();
        assert_eq!(s.expose_secret(), "from-env");
    }

    #[test]
    fn an_empty_secret_file_counts_as_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, " \n").unwrap();
        let c = cfg(&[], "");
        let err = c
            .require_secret("WEBHOOK_SECRET", Some(&path))
            .unwrap_err()
            .to_string();
        assert!(err.contains("SLBOT_WEBHOOK_SECRET"), "{err}");
    }

    #[test]
    fn debug_output_shows_keys_but_never_values() {
        let c = cfg(
            &[("SLBOT_WEBHOOK_SECRET", "hunter2")],
            "store_key = \"abcdef\"",
        );
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("hunter2") && !dbg.contains("abcdef"), "{dbg}");
        assert!(dbg.contains("SLBOT_WEBHOOK_SECRET"));
    }
}
