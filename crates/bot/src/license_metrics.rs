//! `/metrics/licenses` (opt-in): the licence state of one service account's inventory as
//! Prometheus gauges, for a deployment that monitors its own licences from Grafana.
//!
//! With `SLBOT_LICENSE_METRICS_CSSM_TOKEN` set, the bot fetches that account's inventory every
//! `SLBOT_LICENSE_METRICS_EVERY_SECS` (900) and serves, per smart account, virtual account and
//! licence: quantity, in use, shortage, utilisation and days to the next expiry. The page
//! shows licence data, so it answers only a scrape that presents
//! `SLBOT_LICENSE_METRICS_SCRAPE_TOKEN` as a bearer token (compared in constant time).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use secrecy::{ExposeSecret, SecretString};
use slbot_base::Clock;
use slbot_cssm::CssmClient;
use slbot_inventory::{Catalog, Filters, Inventory, ReportBody, ReportKind};

/// The latest inventory of the monitored account, and who may read it.
pub struct LicenseMetrics {
    latest: RwLock<Option<(DateTime<Utc>, Arc<Inventory>)>>,
    scrape_token: SecretString,
}

impl std::fmt::Debug for LicenseMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenseMetrics").finish_non_exhaustive()
    }
}

/// Per (account domain, VA, licence): quantity, in use, earliest future end.
type Totals = BTreeMap<(String, String, String), (i64, i64, Option<i64>)>;

impl LicenseMetrics {
    pub fn new(scrape_token: SecretString) -> Self {
        Self {
            latest: RwLock::new(None),
            scrape_token,
        }
    }

    /// Whether `authorization` (the request's header) carries the scrape token.
    pub fn allows(&self, authorization: Option<&str>) -> bool {
        let given = authorization
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        slbot_signing::scheme::constant_time_eq(
            given.as_bytes(),
            self.scrape_token.expose_secret().as_bytes(),
        )
    }

    fn set(&self, at: DateTime<Utc>, inventory: Arc<Inventory>) {
        if let Ok(mut latest) = self.latest.write() {
            *latest = Some((at, inventory));
        }
    }

    /// The gauges as of the last fetch; `None` before the first one finished.
    pub fn render(&self, now: DateTime<Utc>) -> Option<String> {
        let (fetched, inventory) = self.latest.read().ok()?.clone()?;
        let report = inventory
            .report(ReportKind::Export, now, &Filters::none())
            .ok()?;
        let ReportBody::Export(rows) = &report.body else {
            return None;
        };
        let mut totals = Totals::new();
        let now_s = now.timestamp();
        let mut previous: Option<slbot_inventory::ExportRow<'_>> = None;
        for row in rows {
            let key = (
                row.domain.to_string(),
                row.virtual_account.to_string(),
                row.license.to_string(),
            );
            let entry = totals.entry(key).or_insert((0, 0, None));
            // One export row per line, the record's figures on each: they count once, on
            // the record's first row (its rows are adjacent).
            if !previous.is_some_and(|p| same_record(&p, &row)) {
                entry.0 = entry.0.saturating_add(row.quantity);
                entry.1 = entry.1.saturating_add(row.in_use);
            }
            if let Some(end) = row
                .line
                .and_then(|l| l.end_date.seconds())
                .filter(|e| *e > now_s)
            {
                entry.2 = Some(entry.2.map_or(end, |e| e.min(end)));
            }
            previous = Some(row);
        }
        let mut registry = Registry::with_prefix("slbot_license");
        type Series = Family<Vec<(&'static str, String)>, Gauge<f64, AtomicU64>>;
        type Value = fn(&(i64, i64, Option<i64>), i64) -> Option<f64>;
        let series: [(&str, &str, Value); 5] = [
            ("quantity", "Licences owned", |t, _| Some(t.0 as f64)),
            ("in_use", "Licences in use", |t, _| Some(t.1 as f64)),
            (
                "shortage",
                "In use beyond what is owned (0 when none)",
                |t, _| Some(t.1.saturating_sub(t.0).max(0) as f64),
            ),
            (
                "utilization_ratio",
                "In use / owned (absent when nothing is owned)",
                |t, _| (t.0 != 0).then(|| t.1 as f64 / t.0 as f64),
            ),
            (
                "days_to_next_expiry",
                "Whole days until the next line ends (absent when none will)",
                |t, now| {
                    t.2.map(|end| end.saturating_sub(now).div_euclid(86_400) as f64)
                },
            ),
        ];
        for (name, help, value) in series {
            let family = Series::default();
            for ((account, va, license), t) in &totals {
                if let Some(v) = value(t, now_s) {
                    family
                        .get_or_create(&vec![
                            ("account", account.clone()),
                            ("virtual_account", va.clone()),
                            ("license", license.clone()),
                        ])
                        .set(v);
                }
            }
            registry.register(name, help, family);
        }
        let age = Gauge::<i64>::default();
        age.set((now - fetched).num_seconds().max(0));
        registry.register(
            "inventory_age_seconds",
            "Seconds since the monitored inventory was fetched",
            age,
        );
        let mut out = String::new();
        encode(&mut out, &registry).ok()?;
        Some(out)
    }
}

/// Whether two adjacent export rows are lines of one record (two records with the same
/// identity and the same figures next to each other would count once).
fn same_record(a: &slbot_inventory::ExportRow<'_>, b: &slbot_inventory::ExportRow<'_>) -> bool {
    a.line.is_some()
        && b.line.is_some()
        && (
            a.domain,
            a.virtual_account,
            a.license,
            a.quantity,
            a.in_use,
            a.status,
        ) == (
            b.domain,
            b.virtual_account,
            b.license,
            b.quantity,
            b.in_use,
            b.status,
        )
}

/// Fetches the monitored inventory now and then every `every`, for as long as it runs.
pub async fn keep_fresh(
    metrics: Arc<LicenseMetrics>,
    cssm: CssmClient,
    catalog: Arc<Catalog>,
    token: SecretString,
    clock: Arc<dyn Clock>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let report = Arc::new(|_| {});
        match crate::handler::fetch_inventory(
            cssm.clone(),
            Arc::clone(&catalog),
            token.clone(),
            report,
            false,
            // A service account's inventory is not a person's: no history.
            None,
        )
        .await
        {
            Ok(fetched) => metrics.set(clock.now(), Arc::new(fetched.value)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch the monitored inventory for /metrics/licenses")
            }
        }
    }
}
