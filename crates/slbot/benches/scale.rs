//! MSP scale bench (issue 14): four seeded shapes from the CSSM simulator's generator, up to
//! the million-line shape of a partner with 300 customer accounts, measured in process (load,
//! every report, CSV and XLSX) and end to end (the release `slbot report` binary: wall time and
//! peak RSS from GNU time), then the bot's cache holding 50 people's 27k-line inventories.
//! Prints every figure with its target and PASS/FAIL, and a growth table.
//!
//! `cargo bench -p slbot --bench scale` (release; about 3 minutes on 2 cores; the snapshots,
//! 8 MB to 233 MB, are written to a temporary directory). `SLBOT_SCALE_SHAPES=27k,82k` runs
//! some shapes only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use slbot_bot::cache::{Fetched, InventoryCache};
use slbot_inventory::{Catalog, Filters, Inventory, ReportKind};
use slbot_sim_cssm::{generate, snapshot_text, GenParams};

/// 2026-12-07T12:00:00Z, the `--now` of every run (the generator's anchor is that day).
const NOW: &str = "2026-12-07T12:00:00Z";
const NOW_SECS: i64 = 1_796_644_800;

struct Shape {
    name: &'static str,
    accounts: usize,
    vas: usize,
    licenses: usize,
    lines: Option<usize>,
    /// Best-of runs for the in-process timings.
    runs: usize,
}

const SHAPES: &[Shape] = &[
    Shape {
        name: "27k",
        accounts: 20,
        vas: 25,
        licenses: 36,
        lines: None,
        runs: 10,
    },
    Shape {
        name: "82k",
        accounts: 60,
        vas: 10,
        licenses: 92,
        lines: None,
        runs: 5,
    },
    Shape {
        name: "300k",
        accounts: 90,
        vas: 25,
        licenses: 40,
        lines: Some(4),
        runs: 3,
    },
    Shape {
        name: "1M",
        accounts: 300,
        vas: 25,
        licenses: 40,
        lines: Some(4),
        runs: 2,
    },
];

fn params(shape: &Shape, seed: u64) -> GenParams {
    GenParams {
        seed,
        accounts: shape.accounts,
        virtual_accounts: shape.vas,
        licenses_per_va: shape.licenses,
        anchor: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default(),
        lines_per_record: shape.lines,
    }
}

#[derive(Default)]
struct Board {
    failed: usize,
    passed: usize,
}

impl Board {
    fn check(&mut self, what: &str, value: f64, unit: &str, target: Option<f64>) {
        let verdict = match target {
            Some(t) if value <= t => {
                self.passed += 1;
                format!("target ≤ {t} {unit}   PASS")
            }
            Some(t) => {
                self.failed += 1;
                format!("target ≤ {t} {unit}   FAIL")
            }
            None => "(information)".to_string(),
        };
        println!("  {what:<44} {value:>10.2} {unit:<3} {verdict}");
    }
}

/// The fastest of `runs` timings of `f`, in milliseconds.
fn best_ms<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        std::hint::black_box(f());
        best = best.min(t.elapsed());
    }
    best.as_secs_f64() * 1e3
}

/// Runs the release binary once: (wall ms, peak RSS in bytes of that process alone).
///
/// The peak comes from GNU time (`/usr/bin/time -f %M`), not from `wait4` here: a child's
/// `ru_maxrss` also counts the memory it had before `exec`, which for a child of this bench is
/// the bench's own (tens of MB holding the snapshot); time forks from a process of 2 MB.
fn run_slbot(args: &[&str]) -> (f64, Option<u64>) {
    let exe = env!("CARGO_BIN_EXE_slbot");
    let time = Path::new("/usr/bin/time");
    let peak_file = tempfile::NamedTempFile::new().expect("a temporary file");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(peak_file.path())
            .arg(exe);
        c
    } else {
        Command::new(exe)
    };
    let started = Instant::now();
    let status = cmd
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot start {exe}: {e}"));
    let wall = started.elapsed().as_secs_f64() * 1e3;
    assert!(status.success(), "slbot {args:?} failed: {status}");
    // GNU time reports %M in KiB.
    let peak = std::fs::read_to_string(peak_file.path())
        .ok()
        .and_then(|s| s.trim().lines().last()?.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024);
    (wall, peak)
}

/// Best wall time and the largest peak RSS over `runs` runs.
fn run_best(runs: usize, args: &[&str]) -> (f64, Option<u64>) {
    let mut wall = f64::MAX;
    let mut rss = None;
    for _ in 0..runs.max(1) {
        let (w, r) = run_slbot(args);
        wall = wall.min(w);
        rss = rss.max(r);
    }
    (wall, rss)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

struct Growth {
    name: &'static str,
    lines: usize,
    load_ms: f64,
    expired_ms: f64,
    usage_ms: f64,
    csv_ms: f64,
    xlsx_ms: f64,
}

fn measure(shape: &Shape, dir: &Path, board: &mut Board, catalog: &Catalog) -> Growth {
    let t = Instant::now();
    let text = snapshot_text(&generate(&params(shape, 1))).expect("the snapshot serialises");
    let path: PathBuf = dir.join(format!("scale-{}.json", shape.name));
    std::fs::write(&path, &text).expect("the snapshot is written");
    let file_bytes = text.len() as u64;
    drop(text);
    let bytes = std::fs::read(&path).expect("the snapshot is read");
    let inv = Inventory::from_json_slice(&bytes, catalog).expect("the generated snapshot loads");
    println!(
        "\n{} shape: {} accounts × {} VAs × ~{} licences{}: {} records, {} entitlement lines, {:.1} MB (generated in {:.1} s)",
        shape.name,
        shape.accounts,
        shape.vas,
        shape.licenses,
        shape.lines.map(|n| format!(", {n} lines per record")).unwrap_or_default(),
        inv.record_count(),
        inv.line_count(),
        mb(file_bytes),
        t.elapsed().as_secs_f64()
    );
    let large = shape.name == "1M";
    let small = shape.name == "27k";
    let load_target = if small {
        Some(25.0)
    } else if large {
        Some(1000.0)
    } else {
        None
    };
    let report_target = if small {
        Some(1.0)
    } else if large {
        Some(30.0)
    } else {
        None
    };

    let load_ms = best_ms(shape.runs, || {
        Inventory::from_json_slice(&bytes, catalog).map(|i| i.line_count())
    });
    board.check("load (file bytes → model)", load_ms, "ms", load_target);
    drop(bytes);
    let heap = inv.heap_bytes();
    let line_count = inv.line_count();
    board.check(
        "model heap per entitlement line",
        heap as f64 / inv.line_count().max(1) as f64,
        "B",
        Some(300.0),
    );

    let none = Filters::none();
    let mut expired_ms = 0.0;
    let mut usage_ms = 0.0;
    for &kind in ReportKind::ALL {
        let (ms, rows) = {
            let mut rows = 0;
            let ms = best_ms(shape.runs.max(5), || {
                rows = inv
                    .report_at(kind, NOW_SECS, &none)
                    .map(|r| r.count())
                    .unwrap_or(0);
            });
            (ms, rows)
        };
        match kind {
            ReportKind::Expired => expired_ms = ms,
            ReportKind::Usage => usage_ms = ms,
            _ => {}
        }
        board.check(
            &format!("{} ({rows} rows)", kind.name()),
            ms,
            "ms",
            report_target,
        );
    }

    let export = inv
        .report_at(ReportKind::Export, NOW_SECS, &none)
        .expect("export computes");
    let csv_ms = best_ms(shape.runs.min(3), || {
        export.write_csv(&mut std::io::sink()).is_ok()
    });
    board.check("CSV export, in process", csv_ms, "ms", None);
    let xlsx_ms = best_ms(1, || {
        let file = tempfile::tempfile().expect("a temporary file");
        export.write_xlsx(file).is_ok()
    });
    board.check("XLSX export, in process", xlsx_ms, "ms", None);
    drop(export);
    drop(inv);

    // End to end: the binary, as a user runs it.
    let p = path.to_string_lossy().to_string();
    let out = dir.join("out").to_string_lossy().to_string();
    let e2e_runs = if large { 1 } else { 3 };
    let rss_limit = if large {
        Some(1500.0)
    } else if shape.name == "82k" {
        Some(2.0 * mb(file_bytes))
    } else {
        None
    };
    let mut e2e = |label: &str, args: &[&str], target_ms: Option<f64>| -> f64 {
        let mut full = vec!["report"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--snapshot", &p, "--now", NOW, "--out", &out]);
        let (wall, rss) = run_best(e2e_runs, &full);
        board.check(
            &format!("slbot report {label}: time"),
            wall,
            "ms",
            target_ms,
        );
        match rss {
            Some(rss) => board.check(
                &format!("slbot report {label}: peak RSS"),
                mb(rss),
                "MB",
                rss_limit,
            ),
            None => println!("  slbot report {label}: peak RSS needs GNU time (/usr/bin/time, Debian package `time`)"),
        }
        wall
    };
    e2e(
        "expired --format json",
        &["expired", "--format", "json"],
        small.then_some(60.0),
    );
    e2e("usage --format json", &["usage", "--format", "json"], None);
    let export_target = if shape.name == "82k" {
        Some(1000.0)
    } else {
        None
    };
    e2e(
        "export --format json",
        &["export", "--format", "json"],
        export_target,
    );
    let csv_e2e = e2e(
        "export --format csv",
        &["export", "--format", "csv"],
        if large { Some(2000.0) } else { export_target },
    );
    let xlsx_e2e = e2e(
        "export --format xlsx",
        &["export", "--format", "xlsx"],
        if large { Some(12_000.0) } else { export_target },
    );
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(dir.join("out"));
    Growth {
        name: shape.name,
        lines: line_count,
        load_ms,
        expired_ms,
        usage_ms,
        csv_ms: csv_e2e,
        xlsx_ms: xlsx_e2e,
    }
}

fn rss_now() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The bot's per-person cache with 50 people's 27k-line inventories (50 seeds), each fetched
/// once through `get_or_fetch` as the bot does.
fn bot_cache(board: &mut Board, catalog: &Catalog) {
    println!("\nthe bot's cache: 50 people × the 27k-line shape (seeds 1–50)");
    let shape = &SHAPES[0];
    let texts: Vec<Vec<u8>> = (1..=50)
        .map(|seed| {
            snapshot_text(&generate(&params(shape, seed)))
                .expect("serialises")
                .into_bytes()
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let cache: InventoryCache<Inventory> = InventoryCache::new(Duration::from_secs(3600), 2 << 30);
    let before = rss_now();
    let mut weighed = 0usize;
    let mut held = Vec::new();
    runtime.block_on(async {
        for (i, text) in texts.iter().enumerate() {
            let token = secrecy::SecretString::from(format!("token-{i}"));
            let key = cache.key(&format!("person-{i}"), &token);
            let value = cache
                .get_or_fetch::<String, _>(key, async {
                    Inventory::from_json_slice(text, catalog)
                        .map(Fetched::local)
                        .map_err(|e| e.to_string())
                })
                .await
                .expect("the inventory loads");
            weighed += value.heap_bytes();
            held.push(Arc::clone(&value));
        }
    });
    drop(texts);
    let after = rss_now();
    board.check(
        "cache weight (sum of heap_bytes)",
        mb(weighed as u64),
        "MB",
        Some(500.0),
    );
    board.check(
        "process RSS growth holding them",
        mb(after.saturating_sub(before)),
        "MB",
        Some(500.0),
    );
    board.check("process RSS, total", mb(after), "MB", Some(500.0));
    drop(held);
}

fn main() {
    let only: Option<Vec<String>> = std::env::var("SLBOT_SCALE_SHAPES")
        .ok()
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let catalog = Catalog::shipped();
    let mut board = Board::default();
    let mut growth = Vec::new();
    for shape in SHAPES {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|n| n == shape.name))
        {
            continue;
        }
        growth.push(measure(shape, dir.path(), &mut board, &catalog));
    }
    if only.as_ref().is_none_or(|o| o.iter().any(|n| n == "cache")) {
        bot_cache(&mut board, &catalog);
    }
    println!(
        "\ngrowth (ms; in brackets: time per line relative to the first shape, 1.00 = linear)"
    );
    println!(
        "  {:<6} {:>9} {:>18} {:>18} {:>18} {:>20} {:>20}",
        "shape", "lines", "load", "expired", "usage", "CSV (end to end)", "XLSX (end to end)"
    );
    if let Some(first) = growth.first() {
        let rel = |v: f64, v0: f64, n: usize| (v / n as f64) / (v0 / first.lines as f64);
        for g in &growth {
            let cell = |v: f64, v0: f64| format!("{v:.2} ({:.2})", rel(v, v0, g.lines));
            println!(
                "  {:<6} {:>9} {:>18} {:>18} {:>18} {:>20} {:>20}",
                g.name,
                g.lines,
                cell(g.load_ms, first.load_ms),
                cell(g.expired_ms, first.expired_ms),
                cell(g.usage_ms, first.usage_ms),
                cell(g.csv_ms, first.csv_ms),
                cell(g.xlsx_ms, first.xlsx_ms)
            );
        }
    }
    println!("\n{} PASS, {} FAIL", board.passed, board.failed);
    if board.failed > 0 {
        std::process::exit(1);
    }
}
