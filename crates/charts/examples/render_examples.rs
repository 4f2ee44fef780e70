//! Renders the example charts committed under `docs/charts/` from a deterministic, hand-made
//! inventory (three smart accounts, every shipped architecture, expirations spread over the
//! year, some shortages).
//!
//! Run from the workspace root:
//! `cargo run -p slbot-charts --example render_examples -- docs/charts`

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use slbot_charts::{chart_png, ChartKind, Horizon, RenderOptions};
use slbot_inventory::{Catalog, Filters, Inventory};

/// A fixed instant, so the images only change when the code does.
const NOW: (i32, u32, u32) = (2026, 11, 28);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "docs/charts".into()),
    );
    std::fs::create_dir_all(&out)?;
    let now = Utc
        .with_ymd_and_hms(NOW.0, NOW.1, NOW.2, 9, 0, 0)
        .single()
        .ok_or("bad example date")?;
    let inventory =
        Inventory::from_json_slice(snapshot().to_string().as_bytes(), &Catalog::shipped())?;
    let all = Filters::none();
    let options = RenderOptions::default();
    let charts = [
        ("mix.png", ChartKind::Mix, all.clone()),
        (
            "expirations.png",
            ChartKind::Expirations(Horizon::DEFAULT),
            all.clone(),
        ),
        ("usage.png", ChartKind::Usage, all.clone()),
        ("status.png", ChartKind::Status, all.clone()),
        (
            "expirations-90-days-one-account.png",
            ChartKind::Expirations(Horizon::days(90)?),
            Filters {
                accounts: vec!["Globex Industrial".into()],
                vas: vec![],
            },
        ),
    ];
    for (name, kind, filters) in charts {
        let png = chart_png(&inventory, kind, now, &filters, options)?;
        let path = out.join(name);
        std::fs::write(&path, &png)?;
        println!("{} ({} bytes)", path.display(), png.len());
    }
    // The "nothing to show" form.
    let empty = Inventory::from_json_slice(
        json!({"accounts": [account("Empty Corp", "empty.example")], "licenses": {}})
            .to_string()
            .as_bytes(),
        &Catalog::shipped(),
    )?;
    let png = chart_png(&empty, ChartKind::Usage, now, &all, options)?;
    std::fs::write(out.join("usage-empty.png"), &png)?;
    println!(
        "{} ({} bytes)",
        out.join("usage-empty.png").display(),
        png.len()
    );
    Ok(())
}

fn account(name: &str, domain: &str) -> Value {
    json!({"accountName": name, "accountDomain": domain, "accountStatus": "Active",
           "accountType": "CUSTOMER"})
}

/// An entitlement line ending on `end` (`YYYY-MM-DD`, or null for perpetual).
fn line(qty: i64, end: Option<&str>) -> Value {
    json!({"licenseType": if end.is_some() { "TERM" } else { "PERPETUAL" }, "quantity": qty,
           "startDate": "2024-01-01", "endDate": end, "subscriptionId": null, "status": "ACTIVE"})
}

fn record(license: &str, va: &str, qty: i64, in_use: i64, lines: Vec<Value>) -> Value {
    json!({"license": license, "virtualAccount": va, "quantity": qty, "inUse": in_use,
           "available": qty - in_use, "status": "In Compliance", "billingType": "PREPAID",
           "licenseDetails": lines})
}

fn snapshot() -> Value {
    json!({
        "accounts": [
            account("Acme Corporation", "acme.example"),
            account("Globex Industrial", "globex.example"),
            account("Initech", "initech.example"),
        ],
        "licenses": {
            "acme.example": [
                record("DNA Advantage For SDWAN", "DEFAULT", 400, 352,
                       vec![line(250, Some("2026-12-20")), line(150, Some("2027-03-31"))]),
                record("Catalyst 9300 DNA Advantage, 24-port, 3 Year Term license", "Campus", 120, 131,
                       vec![line(120, Some("2027-01-15"))]),
                record("AP Perpetual Networkstack Advantage", "Campus", 300, 210,
                       vec![line(300, None)]),
                record("AnyConnect Apex", "Security", 60, 48,
                       vec![line(60, Some("2026-10-30"))]),
                record("Cisco ASAv30", "Security", 60, 60,
                       vec![line(60, Some("2027-05-05"))]),
                record("UC Manager Enhanced License (12.x)", "Voice", 800, 420,
                       vec![line(800, Some("2027-08-31"))]),
                record("ACI Advantage License for 10+G Leaf", "DC", 40, 22,
                       vec![line(40, Some("2027-02-28"))]),
            ],
            "globex.example": [
                record("DNA Advantage For SDWAN", "DEFAULT", 150, 180,
                       vec![line(100, Some("2026-12-05")), line(50, Some("2027-06-30"))]),
                record("ISE Plus License", "Security", 500, 310,
                       vec![line(500, Some("2027-09-15"))]),
                record("Cyber Vision Advantage", "Plants", 25, 20,
                       vec![line(25, Some("2026-09-10"))]),
                record("Nexus 9300 Essentials", "DC", 16, 16,
                       vec![line(16, Some("2027-04-20"))]),
                record("Legacy Widget Pack", "DEFAULT", 10, 9, vec![line(10, Some("2027-07-01"))]),
            ],
            "initech.example": [
                record("IOS-XRv 9000 Advanced", "DEFAULT", 90, 45,
                       vec![line(90, Some("2027-10-10"))]),
                record("ASAv10 Standard - 1G", "DEFAULT", 200, 230,
                       vec![line(200, Some("2027-01-31"))]),
                record("CUCM Enhanced Plus License", "Voice", 150, 75,
                       vec![line(150, Some("2026-11-01"))]),
            ],
        }
    })
}
