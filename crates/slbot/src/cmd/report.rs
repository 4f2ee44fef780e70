//! `slbot report <REPORT>`: one licence report from a snapshot file or a live CSSM fetch.
//!
//! Shape: parse and check the flags (every bad value is exit 2 with a sentence saying what to
//! do) → load the inventory (file or CSSM) → compute the report (pure, `now` from `--now`
//! or the clock, read here and only here) → render → write to stdout or atomically to `--out`.
//! A partial inventory prints a warning on stderr and exits 0, or 3 with `--strict`.
//!
//! Chart reports (`chart-mix`, `chart-expirations`, `chart-usage`, `status-chart`) take the same
//! source, filters and `--now`, and render a PNG (`--format png --out FILE`).

use std::io::{Seek, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use slbot_charts::{ChartError, ChartKind, Horizon, RenderOptions};
use slbot_config::Config;
use slbot_inventory::{Calendar, Days, Filters, Inventory, Quarters, Report, ReportKind};

use crate::cmd::inputs::{self, Source};
use crate::cmd::snapshot::CssmFlags;
use crate::exit::{CliError, CliResult};

/// Output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// Webex markdown, exactly as the bot would post it.
    Markdown,
    /// The JSON schema of reports.md §3.
    Json,
    /// CSV (line and record reports and export only).
    Csv,
    /// XLSX workbook (line and record reports and export only; needs --out).
    Xlsx,
    /// PNG image (chart reports only; needs --out).
    Png,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// accounts, virtual-accounts, expired, expiring, shortages, usage, mix, status, export,
    /// rebalance, at-risk, renewals, a chart (chart-mix, chart-expirations, chart-usage,
    /// status-chart), or a history report over --history (changes, trend)
    #[arg(value_name = "REPORT")]
    pub report: String,
    /// Snapshot file to report on (instead of fetching from CSSM)
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub cssm: CssmFlags,
    /// Fetch live: the environment variable that holds the user's CSSM access token
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Days ahead for `expiring` [default: 30] or `chart-expirations`, 1 to 3650
    #[arg(long, value_name = "N")]
    pub days: Option<String>,
    /// Quarters for `renewals`, 1 to 20 [default: 4]
    #[arg(long, value_name = "N")]
    pub quarters: Option<String>,
    /// Time zone of the quarter boundaries of `renewals`, an IANA name [default: UTC]
    #[arg(long, value_name = "Area/City")]
    pub tz: Option<String>,
    /// Unit prices for `renewals`: a CSV `license,unitPrice[,currency]`, to show amounts
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Months ahead for `chart-expirations`, 1 to 120 [default: 12]
    #[arg(long, value_name = "N", conflicts_with = "days")]
    pub months: Option<String>,
    /// Only this smart account (name or domain, case-insensitive); repeatable, OR-ed
    #[arg(long = "account", value_name = "NAME")]
    pub accounts: Vec<String>,
    /// Only this virtual account (case-insensitive); repeatable, OR-ed, AND-ed with --account
    #[arg(long = "va", value_name = "NAME")]
    pub vas: Vec<String>,
    /// The instant to report for, RFC 3339 [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// License → architecture catalogue adding to or overriding the shipped one [env: SLBOT_CATALOG]
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write to this file (replaced whole, never half-written) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 3 when some accounts could not be read (the answer is partial)
    #[arg(long)]
    pub strict: bool,
    /// changes, trend: a directory of snapshot files, or one snapshot file; repeatable
    #[arg(long, value_name = "PATH")]
    pub history: Vec<PathBuf>,
    /// changes: the last N days, `7d` or `30d` [default: 7d]
    #[arg(long, value_name = "Nd")]
    pub window: Option<String>,
    /// changes: since this date, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// trend: the license name (case-insensitive)
    #[arg(long, value_name = "NAME")]
    pub license: Option<String>,
}

/// What to produce: a report, or a chart of one.
enum What {
    Report(ReportKind),
    Chart(ChartKind),
}

/// The checked request: everything that can be wrong with the flags is found here.
struct Request {
    what: What,
    source: Source,
    filters: Filters,
    now: DateTime<Utc>,
}

fn parse_kind(name: &str, days: Option<&str>) -> Result<ReportKind, CliError> {
    let parsed_days = match days {
        None => Days::DEFAULT,
        Some(d) => Days::parse(d).map_err(|_| {
            CliError::input(format!(
                "I can look 1 to 3650 days ahead, for example `--days 90` (got `{d}`)."
            ))
        })?,
    };
    let kind = ReportKind::from_name(name.trim(), parsed_days).ok_or_else(|| {
        let hint = ReportKind::closest_name(name)
            .map(|n| format!(" Did you mean `{n}`?"))
            .unwrap_or_default();
        CliError::input(format!(
            "unknown report `{name}`.{hint} Choose one of: {}.",
            ReportKind::names().collect::<Vec<_>>().join(", ")
        ))
    })?;
    if days.is_some() && !matches!(kind, ReportKind::Expiring(_)) {
        return Err(CliError::input(format!(
            "--days applies only to the expiring report, not to {}.",
            kind.name()
        )));
    }
    Ok(kind)
}

/// A chart report and its horizon, or `None` when `name` is not a chart.
fn parse_chart(
    name: &str,
    days: Option<&str>,
    months: Option<&str>,
) -> Option<Result<ChartKind, CliError>> {
    let name = name.trim();
    let chart = ChartKind::from_name(name, Horizon::DEFAULT)?;
    let number = |text: &str| text.trim().parse::<u32>().ok();
    let horizon = match (days, months) {
        (None, None) => Ok(Horizon::DEFAULT),
        (Some(d), _) => number(d).and_then(|n| Horizon::days(n).ok()).ok_or(d),
        (None, Some(m)) => number(m).and_then(|n| Horizon::months(n).ok()).ok_or(m),
    };
    let horizon = match horizon {
        Ok(h) => h,
        Err(bad) => {
            return Some(Err(CliError::input(format!(
                "I can chart 1 to 120 months or 1 to 3650 days ahead, for example `--months 6` (got `{bad}`)."
            ))))
        }
    };
    if (days.is_some() || months.is_some()) && !matches!(chart, ChartKind::Expirations(_)) {
        return Some(Err(CliError::input(format!(
            "--days and --months apply only to chart-expirations (and --days to expiring), not to {name}."
        ))));
    }
    Some(Ok(chart.with_horizon(horizon)))
}

fn parse_what(args: &Args) -> Result<What, CliError> {
    if let Some(chart) = parse_chart(&args.report, args.days.as_deref(), args.months.as_deref()) {
        let kind = chart?;
        if args.quarters.is_some() || args.tz.is_some() || args.prices.is_some() {
            return Err(CliError::input(
                "--quarters, --tz and --prices apply only to the renewals report, not to charts.",
            ));
        }
        return match (args.format, &args.out) {
            (Format::Png, Some(_)) => Ok(What::Chart(kind)),
            (Format::Png, None) => Err(CliError::input(
                "PNG is a binary file: give --out FILE to write it.",
            )),
            _ => Err(CliError::input(format!(
                "{} is a chart: give --format png --out FILE.",
                args.report.trim()
            ))),
        };
    }
    if args.months.is_some() {
        return Err(CliError::input(
            "--months applies only to chart-expirations.",
        ));
    }
    let kind = parse_kind(&args.report, args.days.as_deref())?;
    let calendar = parse_calendar(args.quarters.as_deref(), args.tz.as_deref())?;
    match kind {
        ReportKind::Renewals(_) => Ok(What::Report(kind.with_calendar(calendar))),
        _ if args.quarters.is_some() || args.tz.is_some() || args.prices.is_some() => {
            Err(CliError::input(format!(
                "--quarters, --tz and --prices apply only to the renewals report, not to {}.",
                kind.name()
            )))
        }
        _ => Ok(What::Report(kind)),
    }
}

/// `--quarters N` and `--tz Area/City` of `renewals` (4 quarters in UTC when absent).
fn parse_calendar(quarters: Option<&str>, tz: Option<&str>) -> Result<Calendar, CliError> {
    let mut calendar = Calendar::DEFAULT;
    if let Some(q) = quarters {
        calendar.quarters = Quarters::parse(q).map_err(|_| {
            CliError::input(format!(
                "I can show 1 to 20 quarters of renewals, for example `--quarters 4` (got `{q}`)."
            ))
        })?;
    }
    if let Some(zone) = tz {
        calendar.zone = zone.trim().parse::<Tz>().map_err(|_| {
            CliError::input(format!(
                "--tz `{zone}` is not a time zone; give an IANA name such as Europe/Paris or UTC."
            ))
        })?;
    }
    Ok(calendar)
}

/// The formats a report (not a chart) can be written in.
fn check_report_format(kind: ReportKind, args: &Args) -> Result<(), CliError> {
    match args.format {
        Format::Png => Err(CliError::input(format!(
            "PNG is for the chart reports ({}); the {} report has table, markdown and JSON forms{}.",
            ChartKind::names().collect::<Vec<_>>().join(", "),
            kind.name(),
            if kind.has_file_formats() { ", CSV and XLSX" } else { "" }
        ))),
        Format::Csv | Format::Xlsx if !kind.has_file_formats() => Err(CliError::input(format!(
            "the {} report has table, markdown and JSON forms only; CSV and XLSX exist for {}.",
            kind.name(),
            ReportKind::file_format_names()
        ))),
        Format::Xlsx if args.out.is_none() => Err(CliError::input(
            "XLSX is a binary file: give --out FILE to write it.",
        )),
        _ => Ok(()),
    }
}

fn check(args: &Args) -> Result<Request, CliError> {
    let what = parse_what(args)?;
    if let What::Report(kind) = &what {
        check_report_format(*kind, args)?;
    }
    let source = match (&args.snapshot, &args.token_env) {
        (Some(_), Some(_)) => {
            return Err(CliError::input(
                "give either --snapshot FILE or --token-env VAR (live fetch), not both.",
            ))
        }
        (Some(f), None) => {
            if args.cssm.cssm_url.is_some() {
                return Err(CliError::input(
                    "--cssm-url is for a live fetch; it cannot be combined with --snapshot.",
                ));
            }
            Source::File(f.clone())
        }
        (None, Some(var)) => Source::Live(var.clone()),
        (None, None) => {
            return Err(CliError::input(
                "say where the licenses come from: --snapshot FILE, or --token-env VAR (with --cssm-url URL) to fetch from CSSM.",
            ))
        }
    };
    let now = inputs::now(args.now.as_deref())?;
    Ok(Request {
        what,
        source,
        filters: Filters {
            accounts: args.accounts.clone(),
            vas: args.vas.clone(),
        },
        now,
    })
}

/// Writes `report` in `format` to `w`. JSON and CSV are written row by row and XLSX through
/// temporary files: memory stays at the inventory and its rows, however large the document
/// (issue 14).
fn render(
    report: &Report<'_>,
    format: Format,
    inv: &Inventory,
    w: &mut dyn Write,
) -> Result<(), CliError> {
    let bytes = match format {
        Format::Json => return report.write_json(w).map_err(inputs::output_error),
        // `check` refused CSV and XLSX for a report without a file form.
        Format::Csv => return report.write_csv(w).map_err(CliError::internal),
        Format::Table => report.to_table().into_bytes(),
        Format::Markdown => {
            let chat = slbot_chat::report_markdown(report, inv.account_count());
            if chat.rows_left_out > 0 {
                // In chat the full list follows as a CSV attachment; here, say how to get it.
                eprintln!(
                    "note: the chat message leaves out {} rows to fit Webex's size limit; use --format csv or json for every row",
                    chat.rows_left_out
                );
            }
            let mut md = chat.markdown;
            md.push('\n');
            md.into_bytes()
        }
        Format::Xlsx => {
            // The zip writer needs to seek: the workbook goes to an unnamed temporary file
            // (its sheet rows already through rust_xlsxwriter's own), then is copied out.
            let tmp_error = |e: std::io::Error| {
                CliError::internal(format!(
                    "cannot create a temporary file for the workbook: {e}"
                ))
            };
            let mut file = tempfile::tempfile().map_err(tmp_error)?;
            report.write_xlsx(&mut file).map_err(CliError::internal)?;
            file.seek(std::io::SeekFrom::Start(0)).map_err(tmp_error)?;
            std::io::copy(&mut file, w).map_err(inputs::output_error)?;
            return Ok(());
        }
        Format::Png => {
            return Err(CliError::internal(
                "a report cannot be rendered as PNG (only charts)",
            ))
        }
    };
    w.write_all(&bytes).map_err(inputs::output_error)
}

pub async fn run(args: Args, config: &Config) -> CliResult {
    if let Some(which) = crate::cmd::history::HistoryReport::of_name(&args.report) {
        return crate::cmd::history::run(args, config, which).await;
    }
    let request = check(&args)?;
    let catalog = inputs::catalog(args.catalog.as_deref(), config)?;
    let prices = inputs::prices(args.prices.as_deref())?;
    let inv = inputs::inventory(&request.source, &args.cssm, config, &catalog).await?;
    match request.what {
        What::Report(kind) => {
            let mut report = inv
                .report(kind, request.now, &request.filters)
                .map_err(CliError::input)?;
            if let Some(prices) = &prices {
                report = report.with_prices(prices);
            }
            inputs::write_output(args.out.as_deref(), &mut |w| {
                render(&report, args.format, &inv, w)
            })?;
        }
        What::Chart(kind) => {
            let png = slbot_charts::chart_png(
                &inv,
                kind,
                request.now,
                &request.filters,
                RenderOptions::default(),
            )
            .map_err(|e| match e {
                ChartError::Unexpected(_) => CliError::internal(e),
                other => CliError::input(other),
            })?;
            inputs::write_output(args.out.as_deref(), &mut |w| {
                w.write_all(&png).map_err(inputs::output_error)
            })?;
        }
    }
    finish(&inv, args.strict)
}

/// The warnings on stderr, and `--strict`'s verdict on a partial answer.
fn finish(inv: &Inventory, strict: bool) -> CliResult {
    for line in inputs::warnings(inv) {
        eprintln!("{line}");
    }
    if inv.partial() && strict {
        return Err(CliError::remote(
            "the answer is partial (some accounts could not be read) and --strict was given",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Code;

    #[test]
    fn days_out_of_range_get_the_range_sentence() {
        for bad in ["0", "abc", "99999", "2.5", "-1", ""] {
            let e = parse_kind("expiring", Some(bad)).unwrap_err();
            assert_eq!(e.code, Code::Input);
            assert!(
                e.message.starts_with("I can look 1 to 3650 days ahead"),
                "{}",
                e.message
            );
        }
        assert_eq!(
            parse_kind("expiring", Some("3650")).unwrap(),
            ReportKind::Expiring(Days::new(3650).unwrap())
        );
        assert_eq!(
            parse_kind("expiring", None).unwrap(),
            ReportKind::Expiring(Days::new(30).unwrap())
        );
    }

    #[test]
    fn days_with_another_report_is_a_usage_error() {
        let e = parse_kind("expired", Some("30")).unwrap_err();
        assert_eq!(e.code, Code::Input);
        assert!(e.message.contains("only to the expiring report"));
    }

    #[test]
    fn an_unknown_report_suggests_the_closest_name() {
        let e = parse_kind("expird", None).unwrap_err();
        assert_eq!(e.code, Code::Input);
        assert!(
            e.message.contains("Did you mean `expired`?"),
            "{}",
            e.message
        );
        assert!(e.message.contains("virtual-accounts"));
    }
}
