//! The dashboard over HTTP, without a browser: the session cookie's flags and what the store
//! keeps of it, tiles and tables against counts computed here from the simulator's data, filters
//! in the URL, the CSV against the inventory engine's for a snapshot of the same data, one
//! person refused another's dashboard, CSRF refusals, and sign out ending the session.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::Value;
use sha2::{Digest, Sha256};
use slbot_demo::{DemoHandle, DemoOptions};

use crate::harness::{options, parse_date, snapshot, start, submit_sso_form, visible_domains, ANA};

pub const PAUL: &str = "paul.partner@partner.example.net";

/// A browser that keeps cookies and does not follow redirects, so each step can be checked.
pub struct Visitor {
    pub http: reqwest::Client,
    /// The `Set-Cookie` of the dashboard session the callback answered with.
    pub session_cookie: String,
    /// `{url}/dashboard/{id}` of this person's dashboard.
    pub base: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn follow(
    http: &reqwest::Client,
    mut r: reqwest::Response,
) -> (reqwest::Response, Vec<String>) {
    let mut cookies = Vec::new();
    loop {
        for c in r.headers().get_all("set-cookie") {
            cookies.push(c.to_str().unwrap().to_string());
        }
        if !r.status().is_redirection() {
            return (r, cookies);
        }
        let next = r
            .url()
            .join(r.headers()["location"].to_str().unwrap())
            .unwrap();
        r = http.get(next).send().await.unwrap();
    }
}

/// Signs `email` in through `/login`, the SSO form and the callback; then opens `/dashboard`.
pub async fn sign_in(demo: &DemoHandle, email: &str) -> Visitor {
    let http = client();
    let (form, _) = follow(
        &http,
        http.get(format!("{}/login", demo.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // The SSO form posts back and redirects to the callback: follow by hand.
    let posted = submit_sso_form(&http, form, email).await;
    let (done, cookies) = follow(&http, posted).await;
    assert!(done.status().is_success(), "callback: {}", done.status());
    let page = done.text().await.unwrap();
    assert!(page.contains("Open your dashboard"), "{page}");
    let session_cookie = cookies
        .into_iter()
        .find(|c| c.starts_with("slbot_dashboard="))
        .expect("a dashboard session cookie");
    let r = http
        .get(format!("{}/dashboard/", demo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let base = r
        .url()
        .join(r.headers()["location"].to_str().unwrap())
        .unwrap();
    let base = base.as_str().trim_end_matches('/').to_string();
    Visitor {
        http,
        session_cookie,
        base,
    }
}

impl Visitor {
    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// The records (header excluded) of the CSV download at `url`.
    pub async fn csv_records(&self, url: &str) -> usize {
        let csv = self.get(url).await.text().await.unwrap();
        csv::Reader::from_reader(csv.as_bytes()).records().count()
    }

    /// A page once the first fetch is done (the progress page polls; here we ask again).
    pub async fn page(&self, url: &str) -> String {
        for _ in 0..120 {
            let r = self.get(url).await;
            assert_eq!(r.status(), 200, "{url}");
            let text = r.text().await.unwrap();
            if !text.contains("slbot-progress") {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        panic!("the inventory never loaded");
    }

    pub fn csrf(page: &str) -> String {
        let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
        page[at..at + 64].to_string()
    }
}

/// The text of `<span class="value" data-count>` in the tile `id`.
pub fn tile(page: &str, id: &str) -> String {
    let at = page.find(&format!("id=\"tile-{id}\"")).expect(id);
    let rest = &page[at..];
    let v = rest.find("data-count>").unwrap() + "data-count>".len();
    rest[v..v + rest[v..].find('<').unwrap()].to_string()
}

/// Body rows of the page's report table.
pub fn table_rows(page: &str) -> usize {
    let Some(body) = page.split("<tbody>").nth(1) else {
        return 0;
    };
    let body = body.split("</tbody>").next().unwrap();
    if body.contains("Nothing matches these filters") {
        return 0;
    }
    body.matches("<tr>").count()
}

/// A naive licence line over the generated data: its account's domain, licence and end.
pub struct NaiveLine {
    pub domain: String,
    pub license: String,
    pub end: i64,
}

/// Every entitlement line with a readable end date in the accounts `email` sees.
pub fn naive_lines(opts: &DemoOptions, users: usize, email: &str) -> Vec<NaiveLine> {
    let snapshot = snapshot(opts);
    let mut out = Vec::new();
    for domain in visible_domains(opts, users, email) {
        for record in snapshot["licenses"][domain.as_str()].as_array().unwrap() {
            for line in record["licenseDetails"].as_array().into_iter().flatten() {
                if let Some(end) = line["endDate"].as_str().and_then(parse_date) {
                    out.push(NaiveLine {
                        domain: domain.clone(),
                        license: record["license"].as_str().unwrap().to_string(),
                        end,
                    });
                }
            }
        }
    }
    out
}

/// Records with `inUse > quantity` in the accounts `email` sees.
pub fn naive_shortages(opts: &DemoOptions, users: usize, email: &str) -> usize {
    let snapshot = snapshot(opts);
    let n = |v: &Value| v.as_i64().unwrap_or(0);
    visible_domains(opts, users, email)
        .iter()
        .flat_map(|d| snapshot["licenses"][d.as_str()].as_array().unwrap().clone())
        .filter(|r| n(&r["inUse"]) > n(&r["quantity"]))
        .count()
}

fn expiring_within(lines: &[NaiveLine], days: i64) -> usize {
    let now = Utc::now().timestamp();
    lines
        .iter()
        .filter(|l| now < l.end && l.end < now + days * 86_400)
        .count()
}

#[tokio::test]
async fn the_overview_tiles_equal_counts_computed_from_the_simulators_data() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let opts = options(dir.path());
    let ana = sign_in(&demo, ANA).await;
    let page = ana.page(&format!("{}/", ana.base)).await;

    let lines = naive_lines(&opts, demo.cssm_users, ANA);
    let now = Utc::now().timestamp();
    let expired = lines.iter().filter(|l| l.end < now).count();
    assert_eq!(tile(&page, "expired"), expired.to_string());
    assert_eq!(
        tile(&page, "expiring-30"),
        expiring_within(&lines, 30).to_string()
    );
    assert_eq!(
        tile(&page, "expiring-90"),
        expiring_within(&lines, 90).to_string()
    );
    assert_eq!(
        tile(&page, "expiring-180"),
        expiring_within(&lines, 180).to_string()
    );
    assert_eq!(
        tile(&page, "shortages"),
        naive_shortages(&opts, demo.cssm_users, ANA).to_string()
    );
    // The three charts, drawn as SVG with titles.
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 3, "{page}");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_short_lived_and_the_store_keeps_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let ana = sign_in(&demo, ANA).await;
    let cookie = &ana.session_cookie;
    assert!(cookie.contains("; HttpOnly"), "{cookie}");
    assert!(cookie.contains("; SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("; Path=/"), "{cookie}");
    assert!(cookie.contains("; Max-Age=3600"), "{cookie}");
    // Served over plain http here: `Secure` would make the browser drop it.
    assert!(!cookie.contains("Secure"), "{cookie}");

    let id = cookie
        .trim_start_matches("slbot_dashboard=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let db = format!("sqlite://{}/backend.db", demo.data_dir.display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT hash FROM dashboard_sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    let want = hex::encode(Sha256::digest(id.as_bytes()));
    assert_eq!(rows, vec![(want,)]);
    assert!(rows.iter().all(|(h,)| !h.contains(&id)));
}

#[tokio::test]
async fn two_accounts_and_a_licence_search_in_the_url_give_the_naive_rows_and_the_engines_csv() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let opts = options(dir.path());
    let ana = sign_in(&demo, ANA).await;
    let domains = visible_domains(&opts, demo.cssm_users, ANA);
    assert!(domains.len() >= 3, "{domains:?}");
    let chosen = [domains[1].clone(), domains[2].clone()];
    let lines = naive_lines(&opts, demo.cssm_users, ANA);
    let days = 365;
    let (term, want) = narrowing_term(&lines, &chosen, days);

    let query = format!(
        "account={}&account={}&q={term}&days={days}&sort=endDate&dir=asc",
        chosen[0], chosen[1]
    );
    let url = format!("{}/report/expiring?{query}", ana.base);
    let page = ana.page(&url).await;
    assert_eq!(table_rows(&page), want, "{url}");
    // The filters are kept in the page's links (deep links) and downloads.
    assert!(
        page.contains(&format!("expiring.csv?{}", query.replace('&', "&amp;"))),
        "{page}"
    );
    assert!(page.contains("aria-sort=\"ascending\" data-key=\"endDate\""));

    let csv = ana
        .get(&format!("{}/report/expiring.csv?{query}", ana.base))
        .await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = csv.text().await.unwrap();

    // The engine's own CSV of the same data and filter, with the licence search applied here.
    let (header, expected) =
        engine_expiring_csv(&opts, demo.cssm_users, ANA, &chosen, days as u32, term);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader
            .headers()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
            .join(","),
        header
    );
    let got: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(got.len(), want);
    assert_eq!(got, expected);

    // The XLSX holds the same rows (plus its header row).
    let xlsx = ana
        .get(&format!("{}/report/expiring.xlsx?{query}", ana.base))
        .await
        .bytes()
        .await
        .unwrap();
    use calamine::Reader as _;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.height(), want + 1);

    // The JSON API says the same count.
    let json: Value = ana
        .get(&format!("{}/api/report/expiring?{query}", ana.base))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["report"], "expiring");
    assert_eq!(json["count"], want);
}

#[tokio::test]
async fn a_second_person_with_their_own_cookie_is_refused_every_url_of_the_first_persons_dashboard()
{
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let ana = sign_in(&demo, ANA).await;
    let paul = sign_in(&demo, PAUL).await;
    assert_ne!(ana.base, paul.base);
    let ana_page = ana.page(&format!("{}/report/accounts", ana.base)).await;
    assert!(table_rows(&ana_page) > 0);
    for path in [
        "/",
        "/report/expired",
        "/report/expired.csv",
        "/report/accounts.xlsx",
        "/api/report/expired",
        "/api/progress",
    ] {
        let r = paul.get(&format!("{}{path}", ana.base)).await;
        assert_eq!(r.status(), 403, "{path}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("<tbody>"), "{path}: {body}");
    }
    // Nor can Paul's cookie post to Ana's refresh, even with his own CSRF token.
    let paul_page = paul.page(&format!("{}/", paul.base)).await;
    let token = Visitor::csrf(&paul_page);
    let r = paul
        .http
        .post(format!("{}/refresh", ana.base))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn without_a_session_every_dashboard_url_answers_with_the_sign_in_and_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let ana = sign_in(&demo, ANA).await;
    let stranger = client();
    for path in [
        "/",
        "/report/expired",
        "/report/expired.csv",
        "/api/report/expired",
    ] {
        let r = stranger
            .get(format!("{}{path}", ana.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert!(r.text().await.unwrap().contains("sign in"), "{path}");
    }
    // A made-up cookie is no better.
    let r = stranger
        .get(format!("{}/", ana.base))
        .header("cookie", format!("slbot_dashboard={}", "A".repeat(43)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn sign_out_without_the_csrf_token_is_refused_and_with_it_ends_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let ana = sign_in(&demo, ANA).await;
    let page = ana.page(&format!("{}/", ana.base)).await;
    let token = Visitor::csrf(&page);
    let sign_out = format!("{}/dashboard/sign-out", demo.url);

    let r = ana.http.post(&sign_out).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Nothing was done"));
    let wrong = "0".repeat(64);
    let r = ana
        .http
        .post(&sign_out)
        .form(&[("csrf", wrong.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The right token from another site's page (its Origin) is refused too.
    let r = ana
        .http
        .post(&sign_out)
        .header("origin", "https://evil.example")
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // None of these ended the session.
    assert_eq!(ana.get(&format!("{}/", ana.base)).await.status(), 200);

    let r = ana
        .http
        .post(&sign_out)
        .header("origin", demo.url.as_str())
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cleared = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cleared.starts_with("slbot_dashboard=; Max-Age=0"),
        "{cleared}"
    );

    // The old cookie no longer opens anything, even sent again by hand.
    let id = ana
        .session_cookie
        .trim_start_matches("slbot_dashboard=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = client()
        .get(format!("{}/", ana.base))
        .header("cookie", format!("slbot_dashboard={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// The inventory engine's CSV of `expiring` (`days`) for a snapshot of exactly the accounts
/// `email` sees, filtered to the `accounts`, with the rows whose licence contains `term` (the
/// dashboard's search, applied here naively): (header line, rows).
pub fn engine_expiring_csv(
    opts: &DemoOptions,
    users: usize,
    email: &str,
    accounts: &[String],
    days: u32,
    term: &str,
) -> (String, Vec<Vec<String>>) {
    let domains = visible_domains(opts, users, email);
    let snap = snapshot(opts);
    let visible: HashSet<&str> = domains.iter().map(String::as_str).collect();
    let mut seen = snap.clone();
    seen["accounts"] = Value::Array(
        snap["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| visible.contains(a["accountDomain"].as_str().unwrap()))
            .cloned()
            .collect(),
    );
    let inv = slbot_inventory::Inventory::from_json_slice(
        &serde_json::to_vec(&seen).unwrap(),
        &slbot_inventory::Catalog::shipped(),
    )
    .unwrap();
    let filters = slbot_inventory::Filters {
        accounts: accounts.to_vec(),
        vas: vec![],
    };
    let kind = slbot_inventory::ReportKind::Expiring(slbot_inventory::Days::new(days).unwrap());
    let engine = inv
        .report(kind, Utc::now(), &filters)
        .unwrap()
        .to_csv()
        .unwrap();
    let engine = String::from_utf8(engine).unwrap();
    let header = engine.lines().next().unwrap().to_string();
    let license_col = header.split(',').position(|c| c == "license").unwrap();
    let mut reader = csv::Reader::from_reader(engine.as_bytes());
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .filter(|r| r[license_col].trim().to_lowercase().contains(term))
        .collect();
    (header, rows)
}

/// A search term that keeps some of the lines expiring within `days` in `accounts`, not all.
pub fn narrowing_term(
    lines: &[NaiveLine],
    accounts: &[String],
    days: i64,
) -> (&'static str, usize) {
    let now = Utc::now().timestamp();
    let in_scope = |l: &&NaiveLine, term: &str| {
        accounts.contains(&l.domain)
            && now < l.end
            && l.end < now + days * 86_400
            && l.license.trim().to_lowercase().contains(term)
    };
    let all = lines.iter().filter(|l| in_scope(l, "")).count();
    ["dna", "advantage", "essentials", "security", "ise", "a"]
        .into_iter()
        .map(|t| (t, lines.iter().filter(|l| in_scope(l, t)).count()))
        .find(|(_, n)| *n > 0 && *n < all)
        .expect("a search term that narrows the list")
}

#[tokio::test]
async fn the_advisor_reports_have_pages_and_downloads_and_rebalance_lists_every_shortage() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let opts = options(dir.path());
    let ana = sign_in(&demo, ANA).await;
    let page = ana.page(&format!("{}/report/rebalance", ana.base)).await;
    // Rebalance has one row per shortage (reports of the inventory crate, "rebalance").
    assert_eq!(
        table_rows(&page),
        naive_shortages(&opts, demo.cssm_users, ANA)
    );
    for name in ["rebalance", "at-risk", "renewals"] {
        let page = ana.page(&format!("{}/report/{name}", ana.base)).await;
        assert!(page.contains("<table class=\"report\">"), "{name}");
        assert!(page.contains("<th scope=\"col\""), "{name}");
        for ext in ["csv", "xlsx"] {
            let r = ana.get(&format!("{}/report/{name}.{ext}", ana.base)).await;
            assert_eq!(r.status(), 200, "{name}.{ext}");
            assert!(!r.bytes().await.unwrap().is_empty(), "{name}.{ext}");
        }
    }
}

#[tokio::test]
async fn a_long_table_shows_a_hundred_rows_a_page_with_the_page_in_the_url_and_the_csv_holds_them_all(
) {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let opts = options(dir.path());
    let ana = sign_in(&demo, ANA).await;
    let lines = naive_lines(&opts, demo.cssm_users, ANA);
    let want = expiring_within(&lines, 3650);
    assert!(
        want > 100,
        "the data has {want} lines: too few for two pages"
    );
    let pages = want.div_ceil(100);
    let query = "days=3650&sort=endDate&dir=asc";

    let mut shown = 0;
    for p in 1..=pages {
        let url = format!("{}/report/expiring?{query}&page={p}", ana.base);
        let page = ana.page(&url).await;
        let rows = table_rows(&page);
        let expected = if p < pages {
            100
        } else {
            want - 100 * (pages - 1)
        };
        assert_eq!(rows, expected, "{url}");
        let (first, last) = ((p - 1) * 100 + 1, (p - 1) * 100 + rows);
        assert!(
            page.contains(&format!(
                "Rows {first}–{last} of {want} (page {p} of {pages})"
            )),
            "{url}"
        );
        // The next page's link keeps the filters and the sort; the downloads hold every page.
        if p < pages {
            let next = format!(
                "expiring?{}&amp;page={}",
                query.replace('&', "&amp;"),
                p + 1
            );
            assert!(page.contains(&next), "{url}: {next}");
        }
        assert!(
            page.contains(&format!(
                "expiring.csv?{}\" download",
                query.replace('&', "&amp;")
            )),
            "{url}"
        );
        shown += rows;
    }
    assert_eq!(shown, want);
    // A page past the end shows the last one.
    let page = ana
        .page(&format!("{}/report/expiring?{query}&page=999", ana.base))
        .await;
    assert_eq!(table_rows(&page), want - 100 * (pages - 1));

    assert_eq!(
        ana.csv_records(&format!("{}/report/expiring.csv?{query}", ana.base))
            .await,
        want
    );
}

#[tokio::test]
async fn the_licence_search_narrows_the_rebalance_page_and_is_not_offered_where_rows_have_no_licence(
) {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path()).await;
    let opts = options(dir.path());
    let ana = sign_in(&demo, ANA).await;
    // Shortage records (inUse > quantity) per licence name, counted here from the data.
    let snapshot = snapshot(&opts);
    let n = |v: &Value| v.as_i64().unwrap_or(0);
    let short: Vec<String> = visible_domains(&opts, demo.cssm_users, ANA)
        .iter()
        .flat_map(|d| snapshot["licenses"][d.as_str()].as_array().unwrap().clone())
        .filter(|r| n(&r["inUse"]) > n(&r["quantity"]))
        .map(|r| r["license"].as_str().unwrap().trim().to_lowercase())
        .collect();
    let (term, want) = [
        "dna",
        "advantage",
        "essentials",
        "security",
        "ise",
        "a",
        "e",
    ]
    .into_iter()
    .map(|t| (t, short.iter().filter(|l| l.contains(t)).count()))
    .find(|(_, k)| *k > 0 && *k < short.len())
    .expect("a search term that narrows the shortages");
    let page = ana
        .page(&format!("{}/report/rebalance?q={term}", ana.base))
        .await;
    assert_eq!(table_rows(&page), want, "q={term}");
    assert!(page.contains("name=\"q\""));
    assert_eq!(
        ana.csv_records(&format!("{}/report/rebalance.csv?q={term}", ana.base))
            .await,
        want
    );
    for name in ["mix", "accounts", "virtual-accounts", "at-risk"] {
        let page = ana.page(&format!("{}/report/{name}", ana.base)).await;
        assert!(
            !page.contains("name=\"q\""),
            "{name} offers a licence search"
        );
    }
}
