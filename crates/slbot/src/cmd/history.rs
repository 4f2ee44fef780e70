//! `slbot report changes|trend --history PATH…`: the history reports over snapshot files,
//! offline (a directory of `slbot snapshot` files, or a list of them).
//!
//! The same computations as the bot's `changes` and `trend LICENSE` (the inventory crate's
//! `history`), over points made from the files; `--format markdown` is exactly the bot's
//! message, `png` (trend only) its chart.

use slbot_chat::history::{changes_answer, history_error, trend_text};
use slbot_config::Config;
use slbot_inventory::history::{ChangesReport, TrendReport, Window};
use slbot_inventory::Filters;

use crate::cmd::inputs;
use crate::cmd::report::{Args, Format};
use crate::exit::{CliError, CliResult};

/// The history reports `slbot report` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryReport {
    Changes,
    Trend,
}

impl HistoryReport {
    /// The history report named `name`, if it is one.
    pub fn of_name(name: &str) -> Option<Self> {
        match name.trim() {
            "changes" => Some(HistoryReport::Changes),
            "trend" => Some(HistoryReport::Trend),
            _ => None,
        }
    }
}

fn window(args: &Args) -> Result<Window, CliError> {
    match (&args.window, &args.since) {
        (Some(_), Some(_)) => Err(CliError::input("give --window or --since, not both.")),
        (Some(w), None) => Window::parse_days(w).map_err(CliError::input),
        (None, Some(d)) => Window::parse_since(d).map_err(CliError::input),
        (None, None) => Ok(Window::default()),
    }
}

/// A JSON document, pretty, with a trailing newline.
fn pretty(value: &serde_json::Value) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

/// Markdown of the bot's first message, without its bold and escapes, for a terminal.
fn plain(markdown: &str) -> String {
    let mut out = markdown.replace("**", "");
    for c in ['\\', '*', '_', '[', ']', '`'] {
        out = out.replace(&format!("\\{c}"), &c.to_string());
    }
    out.push('\n');
    out
}

pub async fn run(args: Args, config: &Config, which: HistoryReport) -> CliResult {
    if args.history.is_empty() {
        return Err(CliError::input(
            "the history reports read snapshots: give --history DIR (or several --history FILE).",
        ));
    }
    if args.snapshot.is_some() || args.token_env.is_some() || args.days.is_some() {
        return Err(CliError::input(
            "changes and trend read --history only (not --snapshot, --token-env or --days).",
        ));
    }
    let catalog = inputs::catalog(args.catalog.as_deref(), config)?;
    let points = inputs::history_points(&args.history, &catalog)?;
    let now = inputs::now(args.now.as_deref())?;
    let filters = Filters {
        accounts: args.accounts.clone(),
        vas: args.vas.clone(),
    };
    let refused = |e: &slbot_inventory::history::HistoryError, what: &str| {
        CliError::input(plain(&history_error(e, what)).trim_end())
    };
    let text = |markdown: &str| match args.format {
        Format::Table => plain(markdown).into_bytes(),
        _ => format!("{markdown}\n").into_bytes(),
    };
    let bytes = match which {
        HistoryReport::Changes => {
            if args.license.is_some() {
                return Err(CliError::input("--license applies to trend only."));
            }
            if matches!(args.format, Format::Xlsx | Format::Png) {
                return Err(CliError::input(
                    "changes has table, markdown, JSON and CSV forms.",
                ));
            }
            let window = window(&args)?;
            let report = ChangesReport::of(&points, window, now.timestamp(), &filters)
                .map_err(|e| refused(&e, "`changes`"))?;
            match args.format {
                Format::Json => pretty(&report.to_json()),
                Format::Csv => report.to_csv(),
                _ => text(&changes_answer(Ok(report), window).messages[0].markdown),
            }
        }
        HistoryReport::Trend => {
            let Some(license) = args.license.as_deref() else {
                return Err(CliError::input(
                    "trend needs the license: --license \"AnyConnect Apex\".",
                ));
            };
            if args.window.is_some() || args.since.is_some() {
                return Err(CliError::input(
                    "--window and --since apply to changes only.",
                ));
            }
            match (args.format, &args.out) {
                (Format::Xlsx, _) => {
                    return Err(CliError::input(
                        "trend has table, markdown, JSON, CSV and PNG forms.",
                    ))
                }
                (Format::Png, None) => {
                    return Err(CliError::input(
                        "PNG is a binary file: give --out FILE to write it.",
                    ))
                }
                _ => {}
            }
            let report =
                TrendReport::of(&points, license, &filters).map_err(|e| refused(&e, "`trend`"))?;
            match args.format {
                Format::Json => pretty(&report.to_json()),
                Format::Csv => report.to_csv(),
                Format::Png => slbot_charts::trend_png(
                    &report,
                    now,
                    &filters,
                    slbot_charts::RenderOptions::default(),
                )
                .map_err(CliError::internal)?,
                _ => text(&trend_text(&report)),
            }
        }
    };
    inputs::write_output(args.out.as_deref(), &mut |w| {
        w.write_all(&bytes).map_err(inputs::output_error)
    })
}
