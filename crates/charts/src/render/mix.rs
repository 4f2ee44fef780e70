//! `chart mix`: one 100 % bar per account, split by architecture, each share labelled where it
//! fits, colours explained by the legend.

use plotters::prelude::*;

use super::frame::{ink_on, percent, thousands, Frame, LABEL, SMALL};
use crate::mix::MixChart;
use crate::palette::{self, LIGHT};
use crate::ChartError;

/// Accounts drawn at most; the rest are counted in a note (bars stay thick enough to read).
pub(crate) const MAX_ACCOUNTS: usize = 12;

pub(super) fn title(c: &MixChart) -> String {
    format!("Architecture mix by account — as of {}", c.scope.as_of())
}

pub(super) fn summary(c: &MixChart) -> String {
    let overall = crate::mix::combine(c.accounts.iter().flat_map(|a| a.segments.iter()));
    match overall.first() {
        None => "There are no licenses in use, so there is no architecture mix.".to_string(),
        Some(top) => format!(
            "Architecture mix of {} smart account{} as of {}; the largest overall is {} ({}).",
            c.accounts.len(),
            if c.accounts.len() == 1 { "" } else { "s" },
            c.scope.as_of(),
            top.architecture.trim(),
            percent(top.percent)
        ),
    }
}

pub(super) fn draw(f: &Frame<'_>, c: &MixChart) -> Result<(), ChartError> {
    let (colors, legend) = palette::assign(&c.architectures);
    let shown = &c.accounts[..c.accounts.len().min(MAX_ACCOUNTS)];
    let mut notes = Vec::new();
    if c.accounts.len() > shown.len() {
        notes.push(format!(
            "…and {} more smart accounts not shown; choose some with account:NAME.",
            c.accounts.len() - shown.len()
        ));
    }
    notes.extend(c.scope.notes());
    if c.is_empty() {
        let body = f.chrome(&title(c), "", &[], &notes)?;
        return f.nothing(
            &body,
            "There are no licenses in use, so there is no architecture mix.",
        );
    }
    let body = f.chrome(
        &title(c),
        "Share of each smart account's licenses in use, by architecture",
        &legend,
        &notes,
    )?;

    let (bw, _) = body.dim_in_pixel();
    let name_style = f.text(LABEL);
    let total_style = f.muted(SMALL);
    let max_label = (f64::from(bw) * 0.32) as i32;
    let names: Vec<String> = shown
        .iter()
        .map(|a| f.fit(&a.name, &name_style, max_label))
        .collect();
    let label_w = names
        .iter()
        .map(|l| f.width(l, &name_style))
        .max()
        .unwrap_or(0)
        .max(f.width("1,000,000 in use", &total_style));

    let n = shown.len() as f64;
    let mut chart = ChartBuilder::on(&body)
        .margin_top(f.px(4.0))
        .margin_right(f.px(24.0))
        .x_label_area_size(f.px(58.0))
        .y_label_area_size(label_w + f.px(16.0))
        .build_cartesian_2d(0f64..100f64, 0f64..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_labels(6)
        .x_label_formatter(&|v| format!("{v:.0}%"))
        .x_label_style(f.tick(SMALL))
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .draw()?;
    let (x0, y0) = chart.backend_coord(&(0.0, 0.0));
    let (x1, _) = chart.backend_coord(&(100.0, 0.0));
    f.put_centred(
        &f.root,
        "Share of the account's licenses in use",
        ((x0 + x1) / 2, y0 + f.px(42.0)),
        f.text(SMALL),
    )?;

    let row_px = chart.backend_coord(&(0.0, 0.0)).1 - chart.backend_coord(&(0.0, 1.0)).1;
    let two_lines = row_px >= f.px(52.0);
    let segment_style = f.bold(SMALL);
    let color_of = |name: &str| {
        c.architectures
            .iter()
            .position(|a| a == name)
            .and_then(|k| colors.get(k).copied())
            .unwrap_or(palette::OTHER)
    };
    for (i, account) in shown.iter().enumerate() {
        // The first account at the top.
        let row = n - 1.0 - i as f64;
        let (ya, yb) = (row + 0.16, row + 0.84);
        let mid_y = (ya + yb) / 2.0;
        let mut x = 0.0;
        for segment in &account.segments {
            let color = color_of(&segment.architecture);
            let x_end = (x + segment.percent).min(100.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x, ya), (x_end, yb)],
                color.filled(),
            )))?;
            // A thin white gap keeps neighbouring shares apart.
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x_end, ya), (x_end, yb)],
                WHITE.stroke_width(f.px(2.0) as u32),
            )))?;
            let text = percent(segment.percent);
            let (pa, py) = chart.backend_coord(&(x, mid_y));
            let (pb, _) = chart.backend_coord(&(x_end, mid_y));
            if f.width(&text, &segment_style) + f.px(8.0) <= pb - pa {
                let style = segment_style.with_color(ink_on(color));
                f.put_centred(&f.root, &text, ((pa + pb) / 2, py), style)?;
            }
            x = x_end;
        }
        // Name over its total, right-aligned against the bar; one line when rows are tight.
        let (left, mid) = chart.backend_coord(&(0.0, mid_y));
        let right = left - f.px(10.0);
        let total = format!("{} in use", thousands(account.total_in_use));
        if two_lines {
            f.put_right(&f.root, &names[i], (right, mid - f.px(10.0)), name_style)?;
            f.put_right(&f.root, &total, (right, mid + f.px(12.0)), total_style)?;
        } else {
            let total_w = f.width(&total, &total_style);
            f.put_right(&f.root, &total, (right, mid), total_style)?;
            let name = f.fit(&names[i], &name_style, label_w - total_w - f.px(10.0));
            f.put_right(
                &f.root,
                &name,
                (right - total_w - f.px(10.0), mid),
                name_style,
            )?;
        }
    }
    Ok(())
}
