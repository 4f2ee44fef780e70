//! `slbot webhooks register|list`: put the bot's two Webex webhooks in place, or show them.
//!
//! Shape: read the settings (`SLBOT_WEBEX_API_URL`, the `SLBOT_WEBEX_BOT_TOKEN` and
//! `SLBOT_WEBHOOK_SECRET` secrets), call the Webex crate ([`slbot_webex::ensure_webhooks`] or
//! [`slbot_webex::WebexClient::list_webhooks`]), print one line per webhook. The logic lives in
//! the Webex crate because the bot runs the same registration at start and every few minutes.

use std::fmt::Write as _;
use std::path::PathBuf;

use slbot_config::Config;
use slbot_webex::{
    ensure_webhooks, ClientSettings, Duplicates, WebexClient, WebexError, Webhook, DEFAULT_BASE_URL,
};

use crate::exit::{CliError, CliResult};

/// Register or list the bot's Webex webhooks.
///
/// The bot token comes from SLBOT_WEBEX_BOT_TOKEN (environment or TOML) or
/// --webex-bot-token-file; the API from SLBOT_WEBEX_API_URL (default https://webexapis.com/v1).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,

    /// Webex API base URL, including /v1 (overrides SLBOT_WEBEX_API_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub webex_api_url: Option<String>,

    /// File holding the bot token (instead of SLBOT_WEBEX_BOT_TOKEN).
    #[arg(long, global = true, value_name = "FILE")]
    pub webex_bot_token_file: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create or update `slbot-messages` and `slbot-attachment-actions` so they deliver to
    /// PUBLIC_URL/webhooks/webex, signed with SLBOT_WEBHOOK_SECRET, and are active.
    Register(RegisterArgs),
    /// Print the bot's webhooks: id, name, resource, event, status, target URL (never secrets).
    List,
}

#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// The bot's public base URL, as Webex reaches it (e.g. https://bot.example.com).
    #[arg(long, value_name = "URL")]
    pub public_url: String,

    /// Delete other webhooks that carry one of the two names (duplicates deliver events twice).
    #[arg(long)]
    pub prune: bool,

    /// File holding the webhook secret (instead of SLBOT_WEBHOOK_SECRET).
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    let client = client(&args, config)?;
    match args.action {
        Action::Register(register) => {
            let secret =
                config.require_secret("WEBHOOK_SECRET", register.webhook_secret_file.as_deref())?;
            let duplicates = if register.prune {
                Duplicates::Prune
            } else {
                Duplicates::Keep
            };
            let changes = ensure_webhooks(&client, &register.public_url, &secret, duplicates)
                .await
                .map_err(cli_error)?;
            for change in &changes {
                println!("{change}");
            }
            Ok(())
        }
        Action::List => {
            let hooks = client.list_webhooks().await.map_err(cli_error)?;
            print!("{}", render_list(&hooks));
            Ok(())
        }
    }
}

fn client(args: &Args, config: &Config) -> Result<WebexClient, CliError> {
    let base_url = match &args.webex_api_url {
        Some(url) => url.clone(),
        None => config
            .get("WEBEX_API_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
    };
    let token = config.require_secret("WEBEX_BOT_TOKEN", args.webex_bot_token_file.as_deref())?;
    WebexClient::new(&base_url, token, ClientSettings::default()).map_err(|e| {
        CliError::input(format!(
            "{e} (set by --webex-api-url or SLBOT_WEBEX_API_URL, e.g. {DEFAULT_BASE_URL})"
        ))
    })
}

/// One aligned table with a header; the secret is not a column.
fn render_list(hooks: &[Webhook]) -> String {
    if hooks.is_empty() {
        return "no webhooks are registered for this bot\n".to_string();
    }
    let header = ["ID", "NAME", "RESOURCE", "EVENT", "STATUS", "TARGET URL"];
    let rows: Vec<[&str; 6]> = hooks
        .iter()
        .map(|h| {
            [
                h.id.as_str(),
                h.name.as_str(),
                h.resource.as_str(),
                h.event.as_str(),
                h.status.map_or("-", |s| s.as_str()),
                h.target_url.as_str(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The one place Webex failures become an operator's sentence and an exit code.
fn cli_error(e: WebexError) -> CliError {
    match e {
        WebexError::InvalidInput(_) => CliError::input(e),
        WebexError::Unauthorized(_) => CliError::remote(format!(
            "{e} (check SLBOT_WEBEX_BOT_TOKEN: it must be the bot's access token)"
        )),
        _ => CliError::remote(e),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::exit::Code;
    use clap::Parser;

    fn hook(id: &str, name: &str, status: &str, secret: &str) -> Webhook {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "targetUrl": "https://bot.example.com/webhooks/webex",
            "resource": "messages", "event": "created", "status": status, "secret": secret
        }))
        .unwrap()
    }

    #[test]
    fn the_list_shows_every_column_but_never_the_secret() {
        let text = render_list(&[
            hook("W1", "slbot-messages", "active", "hunter2-secret"),
            hook(
                "W22",
                "slbot-attachment-actions",
                "inactive",
                "hunter2-secret",
            ),
        ]);
        assert!(!text.contains("hunter2"), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "ID   NAME                      RESOURCE  EVENT    STATUS    TARGET URL",
                "W1   slbot-messages            messages  created  active    https://bot.example.com/webhooks/webex",
                "W22  slbot-attachment-actions  messages  created  inactive  https://bot.example.com/webhooks/webex",
            ]
        );
    }

    #[test]
    fn an_empty_list_says_so() {
        assert_eq!(
            render_list(&[]),
            "no webhooks are registered for this bot\n"
        );
    }

    #[test]
    fn a_missing_bot_token_is_a_configuration_error_naming_the_variable() {
        let config = Config::from_parts(HashMap::new(), "").unwrap();
        let cli = crate::cli::Cli::parse_from(["slbot", "webhooks", "list"]);
        let crate::cli::Command::Webhooks(args) = cli.command else {
            panic!("parsed another subcommand");
        };
        let err = client(&args, &config).unwrap_err();
        assert_eq!(err.code, Code::Input);
        assert!(
            err.message.contains("SLBOT_WEBEX_BOT_TOKEN"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_bad_api_url_is_a_configuration_error() {
        let env = HashMap::from([
            ("SLBOT_WEBEX_BOT_TOKEN".to_string(), "tok".to_string()),
            (
                "SLBOT_WEBEX_API_URL".to_string(),
                "webexapis.com".to_string(),
            ),
        ]);
        let config = Config::from_parts(env, "").unwrap();
        let cli = crate::cli::Cli::parse_from(["slbot", "webhooks", "list"]);
        let crate::cli::Command::Webhooks(args) = cli.command else {
            panic!("parsed another subcommand");
        };
        let err = client(&args, &config).unwrap_err();
        assert_eq!(err.code, Code::Input);
        assert!(
            err.message.contains("SLBOT_WEBEX_API_URL"),
            "{}",
            err.message
        );
    }

    #[test]
    fn register_requires_a_public_url_and_takes_prune() {
        assert!(crate::cli::Cli::try_parse_from(["slbot", "webhooks", "register"]).is_err());
        let cli = crate::cli::Cli::parse_from([
            "slbot",
            "webhooks",
            "register",
            "--public-url",
            "https://bot.example.com",
            "--prune",
        ]);
        let crate::cli::Command::Webhooks(Args {
            action: Action::Register(r),
            ..
        }) = cli.command
        else {
            panic!("parsed another subcommand");
        };
        assert!(r.prune);
        assert_eq!(r.public_url, "https://bot.example.com");
    }

    #[test]
    fn webex_failures_map_to_remote_and_bad_input_to_input() {
        let failure = slbot_webex::ApiFailure {
            endpoint: "GET /v1/webhooks".into(),
            status: 401,
            message: None,
            tracking_id: Some("T1".into()),
        };
        let e = cli_error(WebexError::Unauthorized(failure));
        assert_eq!(e.code, Code::Remote);
        assert!(e.message.contains("SLBOT_WEBEX_BOT_TOKEN") && e.message.contains("T1"));
        let e = cli_error(WebexError::InvalidInput("the public URL".into()));
        assert_eq!(e.code, Code::Input);
    }
}
