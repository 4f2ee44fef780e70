//! The dashboard's HTML: one layout (navigation, filters, sign out), the overview (tiles and
//! charts), a report page (a table whose headers sort, download buttons), the progress page
//! while the first fetch runs, and the pages that say why nothing can be shown.

use std::collections::BTreeMap;
use std::fmt::Write;

use slbot_html::escape;
use slbot_inventory::{Days, Inventory, Report, ReportBody, ReportKind};

use super::svg;
use super::view::{searches, table, Dir, View, PAGES, PAGE_ROWS};

/// What every page of one person's dashboard links to.
#[derive(Debug)]
pub struct Frame<'a> {
    /// `/…/dashboard/{view id}` (no trailing slash).
    pub base: &'a str,
    /// Where the dashboard's assets and sign-out live (`/…/dashboard`).
    pub root: &'a str,
    pub csrf: &'a str,
}

fn layout(root: &str, title: &str, nav: &str, body: &str, refresh_secs: Option<u32>) -> String {
    let refresh = refresh_secs
        .map(|s| format!("<meta name=\"slbot-poll\" content=\"{s}\">"))
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · Smart Licensing</title>{refresh}\
         <link rel=\"stylesheet\" href=\"{root}/assets/dashboard.css\">\
         <script src=\"{root}/assets/dashboard.js\" defer></script></head>\
         <body><header><a class=\"brand\" href=\"{root}/\">Smart Licensing Dashboard</a>{nav}</header>\
         <main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title),
    )
}

fn nav(frame: &Frame<'_>, view: &View, current: &str) -> String {
    let q = view.query("sort");
    let q = if q.is_empty() {
        String::new()
    } else {
        format!("?{q}")
    };
    let mut s = String::from("<nav aria-label=\"Reports\"><ul>");
    let item = |s: &mut String, href: String, label: &str, here: bool| {
        let _ = write!(
            s,
            "<li><a href=\"{}\"{}>{}</a></li>",
            escape(&href),
            if here { " aria-current=\"page\"" } else { "" },
            escape(label)
        );
    };
    item(
        &mut s,
        format!("{}/{q}", frame.base),
        "Overview",
        current.is_empty(),
    );
    for (name, title) in PAGES {
        item(
            &mut s,
            format!("{}/report/{name}{q}", frame.base),
            title,
            current == *name,
        );
    }
    let _ = write!(
        s,
        "</ul></nav><div class=\"actions\">\
         <form method=\"post\" action=\"{b}/refresh\"><input type=\"hidden\" name=\"csrf\" value=\"{c}\">\
         <button type=\"submit\">Refresh from CSSM</button></form>\
         <form method=\"post\" action=\"{r}/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"{c}\">\
         <button type=\"submit\">Sign out</button></form></div>",
        b = escape(frame.base),
        r = escape(frame.root),
        c = escape(frame.csrf),
    );
    s
}

/// The partial-inventory line, worded as in chat.
fn partial(inventory: &Inventory) -> String {
    match slbot_chat::headline::partial_line_for(
        inventory.missing_accounts(),
        inventory.account_count(),
    ) {
        Some(line) => format!(
            "<p class=\"partial\" role=\"status\"><strong>Partial:</strong> {}</p>",
            escape(line.trim_matches('_').trim_start_matches("Partial: "))
        ),
        None => String::new(),
    }
}

/// The filter form: accounts and VAs (several at once), the licence search, days.
fn filters(
    inventory: &Inventory,
    view: &View,
    action: &str,
    (with_days, with_search): (bool, bool),
    now: i64,
) -> String {
    let mut s = format!(
        "<form class=\"filters\" method=\"get\" action=\"{}\" role=\"search\">",
        escape(action)
    );
    s.push_str("<label>Smart accounts<select name=\"account\" multiple size=\"4\">");
    if let Ok(r) = inventory.report_at(ReportKind::Accounts, now, &Default::default()) {
        if let ReportBody::Accounts(rows) = &r.body {
            for a in rows {
                let chosen = view.filters.accounts.iter().any(|f| {
                    f.trim().eq_ignore_ascii_case(a.domain.trim())
                        || f.trim().eq_ignore_ascii_case(a.name.trim())
                });
                let _ = write!(
                    s,
                    "<option value=\"{}\"{}>{}</option>",
                    escape(a.domain),
                    if chosen { " selected" } else { "" },
                    escape(a.name.trim())
                );
            }
        }
    }
    s.push_str("</select></label><label>Virtual accounts<select name=\"va\" multiple size=\"4\">");
    for va in inventory.virtual_account_names() {
        let chosen = view
            .filters
            .vas
            .iter()
            .any(|f| f.trim().eq_ignore_ascii_case(va));
        let _ = write!(
            s,
            "<option{}>{}</option>",
            if chosen { " selected" } else { "" },
            escape(va)
        );
    }
    s.push_str("</select></label>");
    if with_search {
        let _ = write!(
            s,
            "<label>License name contains\
             <input type=\"search\" name=\"q\" value=\"{}\" maxlength=\"200\"></label>",
            escape(&view.search)
        );
    }
    if with_days {
        let _ = write!(
            s,
            "<label>Days ahead<input type=\"number\" name=\"days\" min=\"1\" max=\"3650\" value=\"{}\"></label>",
            view.days().get()
        );
    }
    if let Some((key, dir)) = &view.sort {
        let _ = write!(
            s,
            "<input type=\"hidden\" name=\"sort\" value=\"{}\"><input type=\"hidden\" name=\"dir\" value=\"{}\">",
            escape(key),
            if *dir == Dir::Desc { "desc" } else { "asc" }
        );
    }
    let _ = write!(
        s,
        "<div class=\"buttons\"><button type=\"submit\">Apply</button> <a href=\"{}\">Clear</a></div></form>",
        escape(action)
    );
    s
}

/// The figures of the overview's tiles, computed with the engine's reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Tiles {
    pub expired: usize,
    pub expiring_30: usize,
    pub expiring_90: usize,
    pub expiring_180: usize,
    pub shortages: usize,
    /// 100 × Σ inUse / Σ quantity over the licences in use; `None` when nothing is in use.
    pub utilization: Option<f64>,
}

fn count(r: &Option<Result<Report<'_>, super::view::ViewError>>) -> usize {
    match r {
        Some(Ok(r)) => r.count(),
        _ => 0,
    }
}

/// The overview page.
pub fn overview(frame: &Frame<'_>, inventory: &Inventory, view: &View, now: i64) -> String {
    let at = |name: &str, days: Option<u32>| {
        let mut v = view.clone();
        v.sort = None;
        if days.is_some() {
            v.days = days;
        }
        v.report(inventory, name, now)
    };
    // An unknown filter value is said once, above everything.
    if let Some(Err(e)) = at("expired", None) {
        return problem_in(frame, view, "Overview", &e.to_string(), inventory, now);
    }
    let expired = at("expired", None);
    let e30 = at("expiring", Some(30));
    let e90 = at("expiring", Some(90));
    let e180 = at("expiring", Some(180));
    let shortages = at("shortages", None);
    let usage = at("usage", None);
    let year = at("expiring", Some(365));
    let mix = at("mix", None);
    let utilization = match &usage {
        Some(Ok(Report {
            body: ReportBody::Usage(s),
            ..
        })) => {
            let (used, owned) = s
                .items
                .iter()
                .fold((0i64, 0i64), |(u, q), r| (u + r.in_use, q + r.quantity));
            (owned > 0).then(|| 100.0 * used as f64 / owned as f64)
        }
        _ => None,
    };
    let tiles = Tiles {
        expired: count(&expired),
        expiring_30: count(&e30),
        expiring_90: count(&e90),
        expiring_180: count(&e180),
        shortages: count(&shortages),
        utilization,
    };
    let q = view.query("days");
    let link = |name: &str, days: Option<u32>| {
        let mut q = q.clone();
        if let Some(d) = days {
            if !q.is_empty() {
                q.push('&');
            }
            let _ = write!(q, "days={d}");
        }
        let q = if q.is_empty() {
            String::new()
        } else {
            format!("?{q}")
        };
        format!("{}/report/{name}{q}", frame.base)
    };
    let tile = |id: &str, label: &str, value: String, href: String, alert: bool| {
        format!(
            "<li class=\"tile{}\" id=\"tile-{id}\"><a href=\"{}\"><span class=\"value\" data-count>{}</span>\
             <span class=\"what\">{}</span>{}</a></li>",
            if alert { " alert" } else { "" },
            escape(&href),
            escape(&value),
            escape(label),
            if alert { "<span class=\"flag\">needs attention</span>" } else { "" }
        )
    };
    let mut body = partial(inventory);
    body.push_str(&filters(
        inventory,
        view,
        &format!("{}/", frame.base),
        (false, true),
        now,
    ));
    body.push_str("<ul class=\"tiles\" aria-label=\"Status\">");
    body.push_str(&tile(
        "expired",
        "expired licenses",
        tiles.expired.to_string(),
        link("expired", None),
        tiles.expired > 0,
    ));
    body.push_str(&tile(
        "expiring-30",
        "expire in 30 days",
        tiles.expiring_30.to_string(),
        link("expiring", Some(30)),
        tiles.expiring_30 > 0,
    ));
    body.push_str(&tile(
        "expiring-90",
        "expire in 90 days",
        tiles.expiring_90.to_string(),
        link("expiring", Some(90)),
        false,
    ));
    body.push_str(&tile(
        "expiring-180",
        "expire in 180 days",
        tiles.expiring_180.to_string(),
        link("expiring", Some(180)),
        false,
    ));
    body.push_str(&tile(
        "shortages",
        "licenses with shortages",
        tiles.shortages.to_string(),
        link("shortages", None),
        tiles.shortages > 0,
    ));
    body.push_str(&tile(
        "utilization",
        "utilization of licenses in use",
        tiles
            .utilization
            .map(|u| format!("{u:.1} %"))
            .unwrap_or_else(|| "—".to_string()),
        link("usage", None),
        false,
    ));
    body.push_str("</ul><div class=\"charts\">");

    let status_rows = vec![
        ("Expired".to_string(), tiles.expired as i64),
        ("Expiring ≤ 30 days".to_string(), tiles.expiring_30 as i64),
        ("Expiring ≤ 90 days".to_string(), tiles.expiring_90 as i64),
        ("Expiring ≤ 180 days".to_string(), tiles.expiring_180 as i64),
        ("Shortages".to_string(), tiles.shortages as i64),
    ];
    let _ = write!(
        body,
        "<figure><figcaption>Status</figcaption>{}</figure>",
        svg::bars("Status: entitlement lines and shortages", &status_rows)
    );

    // Expirations in the next 12 months, by month of the end date.
    let mut months: BTreeMap<String, i64> = BTreeMap::new();
    for m in 0..12 {
        months.insert(month_after(now, m), 0);
    }
    if let Some(Ok(Report {
        body: ReportBody::Expiring(_, s),
        ..
    })) = &year
    {
        for r in &s.items {
            if let Some(end) = r.end_date.seconds() {
                let key = slbot_inventory::date::ymd(end)[..7].to_string();
                if let Some(n) = months.get_mut(&key) {
                    *n += 1;
                }
            }
        }
    }
    let month_rows: Vec<(String, i64)> = months.into_iter().collect();
    let _ = write!(
        body,
        "<figure><figcaption>Expirations in the next 12 months</figcaption>{}</figure>",
        svg::columns("Entitlement lines expiring per month", &month_rows)
    );

    if let Some(Ok(Report {
        body: ReportBody::Mix(accounts),
        ..
    })) = &mix
    {
        const SHOWN: usize = 10;
        let parts: Vec<(String, Vec<(String, f64)>)> = accounts
            .iter()
            .take(SHOWN)
            .map(|a| {
                let mut p: Vec<(String, f64)> = a
                    .architectures
                    .iter()
                    .take(5)
                    .map(|x| (x.name.trim().to_string(), x.percent))
                    .collect();
                let rest: f64 = a.architectures.iter().skip(5).map(|x| x.percent).sum();
                if rest > 0.0 {
                    p.push(("Other".to_string(), rest));
                }
                (a.name.trim().to_string(), p)
            })
            .collect();
        let more = accounts.len().saturating_sub(SHOWN);
        let _ = write!(
            body,
            "<figure><figcaption>Architecture mix by smart account{}</figcaption>{}</figure>",
            if more > 0 {
                format!(" (first {SHOWN}; …and {more} more on the mix page)")
            } else {
                String::new()
            },
            svg::stacked("Architecture mix: share of licenses in use", &parts)
        );
    }
    body.push_str("</div>");
    layout(frame.root, "Overview", &nav(frame, view, ""), &body, None)
}

/// `YYYY-MM` of the month `m` months after the month of `now`.
fn month_after(now: i64, m: i64) -> String {
    let ymd = slbot_inventory::date::ymd(now);
    let (y, mo): (i64, i64) = (
        ymd[..4].parse().unwrap_or(1970),
        ymd[5..7].parse().unwrap_or(1),
    );
    let total = y * 12 + (mo - 1) + m;
    format!("{:04}-{:02}", total / 12, total % 12 + 1)
}

fn title_of(name: &str, days: Days) -> String {
    match name {
        "expiring" => format!("Expiring in the next {} days", days.get()),
        _ => PAGES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.to_string())
            .unwrap_or_else(|| name.to_string()),
    }
}

/// A report page: filters, counts, downloads and the table.
pub fn report(
    frame: &Frame<'_>,
    inventory: &Inventory,
    view: &View,
    name: &str,
    report: &Report<'_>,
    now: i64,
) -> String {
    let title = title_of(name, view.days());
    let action = format!("{}/report/{name}", frame.base);
    let mut body = partial(inventory);
    body.push_str(&filters(
        inventory,
        view,
        &action,
        (name == "expiring", searches(name)),
        now,
    ));
    let Some(table) = table(report) else {
        return layout(frame.root, &title, &nav(frame, view, name), &body, None);
    };
    // Downloads hold every row of every page.
    let q = view.query("page");
    let q = if q.is_empty() {
        String::new()
    } else {
        format!("?{q}")
    };
    let summary = match &report.body {
        ReportBody::Expired(s) | ReportBody::Expiring(_, s) => {
            format!("{} entitlement lines, quantity {}", s.count, s.quantity)
        }
        ReportBody::Shortages(s) | ReportBody::Usage(s) => format!("{} licenses", s.count),
        _ => format!("{} rows", table.rows.len()),
    };
    let _ = write!(
        body,
        "<div class=\"toolbar\"><p id=\"summary\" role=\"status\">{}</p>\
         <a class=\"button\" id=\"download-csv\" href=\"{a}.csv{q}\" download>Download CSV</a>\
         <a class=\"button\" id=\"download-xlsx\" href=\"{a}.xlsx{q}\" download>Download XLSX</a></div>",
        escape(&summary),
        a = escape(&action),
        q = escape(&q),
    );
    let pages = table.rows.len().div_ceil(PAGE_ROWS).max(1);
    let page = view.page.unwrap_or(1).min(pages);
    let pager = pager(view, &action, page, pages, table.rows.len());
    body.push_str(&pager);
    body.push_str(&table_html(&table, view, &action, page));
    body.push_str(&pager);
    layout(frame.root, &title, &nav(frame, view, name), &body, None)
}

/// "Rows a–b of n" and links to the previous, next, first and last pages (the filters and
/// the sort kept); nothing when the table fits on one page.
fn pager(view: &View, action: &str, page: usize, pages: usize, rows: usize) -> String {
    if pages <= 1 {
        return String::new();
    }
    let href = |p: usize| {
        let mut v = view.clone();
        v.page = (p > 1).then_some(p);
        format!("{action}?{}", v.query(""))
    };
    let link = |s: &mut String, p: usize, label: &str, rel: &str| {
        if p == page || p == 0 || p > pages {
            let _ = write!(s, "<span aria-disabled=\"true\">{}</span>", escape(label));
        } else {
            let _ = write!(
                s,
                "<a href=\"{}\"{rel}>{}</a>",
                escape(&href(p)),
                escape(label)
            );
        }
    };
    let first = (page - 1) * PAGE_ROWS + 1;
    let last = (page * PAGE_ROWS).min(rows);
    let mut s = format!(
        "<nav class=\"pager\" aria-label=\"Pages of the table\"><p>Rows {first}–{last} of {rows} (page {page} of {pages})</p>"
    );
    link(&mut s, 1, "« First", "");
    link(&mut s, page - 1, "‹ Previous", " rel=\"prev\"");
    link(&mut s, page + 1, "Next ›", " rel=\"next\"");
    link(&mut s, pages, "Last »", "");
    s.push_str("</nav>");
    s
}

fn table_html(table: &super::view::Table, view: &View, action: &str, page: usize) -> String {
    let base_q = view.query("sort");
    let mut s = String::from("<div class=\"scroll\"><table class=\"report\"><thead><tr>");
    for c in &table.columns {
        let current = view
            .sort
            .as_ref()
            .filter(|(k, _)| k == c.key)
            .map(|(_, d)| *d);
        let aria = match current {
            Some(Dir::Asc) => "ascending",
            Some(Dir::Desc) => "descending",
            None => "none",
        };
        let next = if current == Some(Dir::Asc) {
            "desc"
        } else {
            "asc"
        };
        let cls = if c.numeric { " class=\"num\"" } else { "" };
        if c.sortable {
            let sep = if base_q.is_empty() { "" } else { "&" };
            let arrow = match current {
                Some(Dir::Asc) => "▲",
                Some(Dir::Desc) => "▼",
                None => "↕",
            };
            let _ = write!(
                s,
                "<th scope=\"col\" aria-sort=\"{aria}\" data-key=\"{k}\"{cls}><a href=\"{a}?{bq}{sep}sort={k}&amp;dir={next}\">{l}<span class=\"arrow\" aria-hidden=\"true\"> {arrow}</span><span class=\"visually-hidden\"> (sort {d})</span></a></th>",
                k = c.key,
                a = escape(action),
                bq = escape(&base_q),
                l = escape(c.label),
                d = if next == "asc" { "ascending" } else { "descending" },
            );
        } else {
            let _ = write!(s, "<th scope=\"col\"{cls}>{}</th>", escape(c.label));
        }
    }
    s.push_str("</tr></thead><tbody>");
    for row in table
        .rows
        .iter()
        .skip((page - 1) * PAGE_ROWS)
        .take(PAGE_ROWS)
    {
        s.push_str("<tr>");
        for (i, (cell, c)) in row.iter().zip(&table.columns).enumerate() {
            let cls = if c.numeric { " class=\"num\"" } else { "" };
            if i == 0 {
                let _ = write!(s, "<th scope=\"row\"{cls}>{}</th>", escape(&cell.text));
            } else {
                let _ = write!(s, "<td{cls}>{}</td>", escape(&cell.text));
            }
        }
        s.push_str("</tr>");
    }
    if table.rows.is_empty() {
        let _ = write!(
            s,
            "<tr><td colspan=\"{}\">Nothing matches these filters.</td></tr>",
            table.columns.len()
        );
    }
    s.push_str("</tbody></table></div>");
    s
}

/// A report page whose filters cannot be used.
pub fn problem_in(
    frame: &Frame<'_>,
    view: &View,
    title: &str,
    sentence: &str,
    inventory: &Inventory,
    now: i64,
) -> String {
    let body = format!(
        "<p class=\"problem\" role=\"alert\">{}</p>{}",
        escape(sentence),
        filters(
            inventory,
            &View::default(),
            &format!("{}/", frame.base),
            (false, true),
            now
        )
    );
    layout(frame.root, title, &nav(frame, view, ""), &body, None)
}

/// While the first fetch runs: what it has done so far; the script polls and reloads.
pub fn loading(frame: &Frame<'_>, progress: Option<slbot_cssm::Progress>) -> String {
    let (done, total) = progress
        .map(|p| (p.accounts_done, p.accounts_total))
        .unwrap_or((0, 0));
    let text = if total == 0 {
        "Asking Cisco Smart Software Manager for your smart accounts…".to_string()
    } else {
        format!("Reading your licenses: {done} of {total} smart accounts done…")
    };
    let body = format!(
        "<div class=\"loading\" role=\"status\" aria-live=\"polite\">\
         <progress id=\"progress\" max=\"{}\" value=\"{done}\"></progress>\
         <p id=\"progress-text\">{}</p><p>The first fetch of a large inventory can take a \
         minute; this page updates by itself.</p>\
         <noscript><p><a href=\"\">Reload</a> to see whether it is done.</p></noscript></div>",
        total.max(1),
        escape(&text)
    );
    let mut page = layout(frame.root, "Loading your licenses", "", &body, Some(2));
    page = page.replace(
        "<meta name=\"slbot-poll\"",
        &format!(
            "<meta name=\"slbot-progress\" content=\"{}/api/progress\"><meta name=\"slbot-poll\"",
            escape(frame.base)
        ),
    );
    page
}

/// A page that says what happened and offers one way on (`link`: (href, text)).
pub fn message(root: &str, title: &str, sentence: &str, link: Option<(&str, &str)>) -> String {
    let link = link
        .map(|(href, text)| {
            format!(
                "<p><a class=\"button\" href=\"{}\">{}</a></p>",
                escape(href),
                escape(text)
            )
        })
        .unwrap_or_default();
    layout(
        root,
        title,
        "",
        &format!("<p>{}</p>{link}", escape(sentence)),
        None,
    )
}
