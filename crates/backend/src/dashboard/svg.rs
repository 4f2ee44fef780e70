//! The overview's charts as inline SVG: they scale with the page (laptop or phone), stay sharp,
//! and carry a `<title>` and a text table beside them, so colour is never the only signal.
//! Every label is text escaped with [`slbot_html::escape`].

use std::fmt::Write;

use slbot_html::escape;

/// Colour-blind-safe palette (Okabe–Ito).
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999",
];

/// Horizontal bars, one per `(label, value)`, each with its value written at its end.
pub fn bars(title: &str, rows: &[(String, i64)]) -> String {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let row_h = 28;
    let h = rows.len() * row_h + 10;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 480 {h}\" role=\"img\" aria-labelledby=\"t-{id}\">\
         <title id=\"t-{id}\">{t}</title>",
        id = slug(title),
        t = escape(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = i * row_h + 5;
        let w = (*value as f64 / max as f64 * 250.0).round() as i64;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{ty}\" class=\"label\">{l}</text>\
             <rect x=\"170\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"{c}\"></rect>\
             <text x=\"{vx}\" y=\"{ty}\" class=\"value\">{value}</text>",
            ty = y + 14,
            l = escape(label),
            c = PALETTE[i % PALETTE.len()],
            vx = 176 + w,
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars by month (`(YYYY-MM, count)`), labels under every bar.
pub fn columns(title: &str, rows: &[(String, i64)]) -> String {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let n = rows.len().max(1);
    let slot = 480.0 / n as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 480 220\" role=\"img\" aria-labelledby=\"t-{id}\">\
         <title id=\"t-{id}\">{t}</title>",
        id = slug(title),
        t = escape(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let h = (*value as f64 / max as f64 * 150.0).round();
        let x = i as f64 * slot + slot * 0.15;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{c}\"></rect>\
             <text x=\"{cx:.1}\" y=\"{vy:.1}\" class=\"value\" text-anchor=\"middle\">{value}</text>\
             <text x=\"{cx:.1}\" y=\"200\" class=\"label\" text-anchor=\"middle\">{l}</text>\
             <text x=\"{cx:.1}\" y=\"214\" class=\"label\" text-anchor=\"middle\">{yl}</text>",
            y = 180.0 - h,
            w = slot * 0.7,
            c = PALETTE[0],
            cx = x + slot * 0.35,
            vy = 175.0 - h,
            l = escape(&month_label(label).0),
            yl = escape(&month_label(label).1),
        );
    }
    s.push_str("</svg>");
    s
}

/// One stacked bar per account: its architectures' shares, a legend with the percentages.
pub fn stacked(title: &str, accounts: &[(String, Vec<(String, f64)>)]) -> String {
    let row_h = 30;
    let mut legend: Vec<String> = Vec::new();
    for (_, parts) in accounts {
        for (name, _) in parts {
            if !legend.contains(name) {
                legend.push(name.clone());
            }
        }
    }
    let legend_rows = legend.len().div_ceil(3);
    let h = accounts.len() * row_h + legend_rows * 20 + 15;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 480 {h}\" role=\"img\" aria-labelledby=\"t-{id}\">\
         <title id=\"t-{id}\">{t}</title>",
        id = slug(title),
        t = escape(title)
    );
    for (i, (account, parts)) in accounts.iter().enumerate() {
        let y = i * row_h + 5;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" class=\"label\">{}</text>",
            y + 14,
            escape(&shorten(account, 24))
        );
        let mut x = 170.0;
        for (name, pct) in parts {
            let w = pct / 100.0 * 300.0;
            let c = legend.iter().position(|l| l == name).unwrap_or(0) % PALETTE.len();
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" fill=\"{}\">\
                 <title>{}: {} {pct:.1}%</title></rect>",
                PALETTE[c],
                escape(account),
                escape(name)
            );
            x += w;
        }
    }
    let top = accounts.len() * row_h + 10;
    for (i, name) in legend.iter().enumerate() {
        let (x, y) = ((i % 3) * 160, top + (i / 3) * 20);
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{}\"></rect>\
             <text x=\"{}\" y=\"{}\" class=\"label\">{}</text>",
            PALETTE[i % PALETTE.len()],
            x + 16,
            y + 11,
            escape(&shorten(name, 22))
        );
    }
    s.push_str("</svg>");
    s
}

/// `2026-12` → (`Dec`, `2026`), drawn on two lines (other labels as they are).
fn month_label(ym: &str) -> (String, String) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match (
        ym.get(2..4),
        ym.get(5..7).and_then(|m| m.parse::<usize>().ok()),
    ) {
        (Some(_), Some(m)) if (1..=12).contains(&m) => {
            (MONTHS[m - 1].to_string(), ym[..4].to_string())
        }
        _ => (ym.to_string(), String::new()),
    }
}

fn shorten(s: &str, n: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_columns_are_labelled_with_the_month_name_over_the_year() {
        let svg = columns("Per month", &[("2026-12".into(), 2), ("2027-01".into(), 0)]);
        assert!(
            svg.contains(">Dec</text>") && svg.contains(">2026</text>"),
            "{svg}"
        );
        assert!(
            svg.contains(">Jan</text>") && svg.contains(">2027</text>"),
            "{svg}"
        );
    }

    #[test]
    fn chart_labels_are_escaped_and_every_bar_writes_its_value() {
        let svg = bars("Status", &[("<b>".into(), 3), ("Shortages".into(), 0)]);
        assert!(svg.contains("&lt;b&gt;"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains(">3</text>") && svg.contains(">0</text>"));
        assert!(svg.contains("<title id=\"t-Status\">Status</title>"));
    }
}
