//! `chart usage`: one horizontal bar per license (top 15 by utilization), a dashed 100 % line,
//! bars past it in the shortage colour, each labelled with its utilization and in use/quantity.

use plotters::prelude::*;

use super::frame::{percent, thousands, Frame, LABEL, SMALL};
use crate::palette::{Swatch, BLUE, INK, LIGHT, VERMILLION};
use crate::usage::{UsageBar, UsageChart, USAGE_TOP};
use crate::ChartError;

/// Bars longer than this many percent are cut at the edge (their label keeps the true value),
/// so one 5,000 % outlier does not flatten every other bar.
const AXIS_CAP: f64 = 300.0;

pub(super) fn title(c: &UsageChart) -> String {
    let what = if c.count > c.bars.len() {
        format!("Top {} licenses by utilization", c.bars.len())
    } else {
        "Licenses by utilization".to_string()
    };
    format!("{what} — as of {}", c.scope.as_of())
}

pub(super) fn summary(c: &UsageChart) -> String {
    if c.is_empty() {
        return "There are no licenses in use.".to_string();
    }
    let over = c.bars.iter().filter(|b| b.utilization > 100.0).count();
    let shown = if c.count > c.bars.len() {
        format!(
            "The {} of {} licenses in use with the highest utilization",
            c.bars.len(),
            c.count
        )
    } else if c.count == 1 {
        "The 1 license in use".to_string()
    } else {
        format!("The {} licenses in use", c.count)
    };
    let over = match over {
        0 => "none over quantity".to_string(),
        n => format!("{n} over quantity"),
    };
    format!("{shown}, as of {}: {over}.", c.scope.as_of())
}

pub(super) fn draw(f: &Frame<'_>, c: &UsageChart) -> Result<(), ChartError> {
    let notes = c.scope.notes();
    if c.is_empty() {
        let body = f.chrome(&title(c), "", &[], &notes)?;
        return f.nothing(&body, "There are no licenses in use.");
    }
    let subtitle = if c.count > USAGE_TOP {
        format!(
            "In use ÷ quantity; the {} highest of {} licenses in use",
            c.bars.len(),
            c.count
        )
    } else {
        format!(
            "In use ÷ quantity for the {} license{} in use",
            c.count,
            if c.count == 1 { "" } else { "s" }
        )
    };
    let legend = [
        Swatch {
            label: "Within quantity".into(),
            color: BLUE,
        },
        Swatch {
            label: "Over quantity (shortage)".into(),
            color: VERMILLION,
        },
    ];
    let body = f.chrome(&title(c), &subtitle, &legend, &notes)?;

    let (bw, _) = body.dim_in_pixel();
    let name_style = f.text(LABEL * 0.9);
    let place_style = f.muted(SMALL * 0.9);
    let max_label = (f64::from(bw) * 0.44) as i32;
    let labels: Vec<(String, String)> = c
        .bars
        .iter()
        .map(|b| label(f, c, b, max_label, name_style, place_style))
        .collect();
    let label_w = labels
        .iter()
        .map(|(name, place)| {
            let gap = if place.is_empty() { 0 } else { f.px(8.0) };
            f.width(name, &name_style) + gap + f.width(place, &place_style)
        })
        .max()
        .unwrap_or(0);

    let top = c.bars.iter().map(|b| b.utilization).fold(0.0f64, f64::max);
    // Room right of the longest bar for its value label.
    let x_end = (top.min(AXIS_CAP) * 1.35).max(135.0);
    let n = c.bars.len() as f64;
    let mut chart = ChartBuilder::on(&body)
        .margin_top(f.px(SMALL * 1.4))
        .margin_right(f.px(8.0))
        .x_label_area_size(f.px(58.0))
        .y_label_area_size(label_w + f.px(14.0))
        .build_cartesian_2d(0f64..x_end, 0f64..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_labels(8)
        .x_label_formatter(&|v| format!("{v:.0}%"))
        .x_label_style(f.tick(SMALL))
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .draw()?;
    let (x0, y0) = chart.backend_coord(&(0.0, 0.0));
    let (right, _) = chart.backend_coord(&(x_end, 0.0));
    f.put_centred(
        &f.root,
        "Utilization (in use ÷ quantity)",
        ((x0 + right) / 2, y0 + f.px(42.0)),
        f.text(SMALL),
    )?;

    let value_style = f.text(SMALL * 0.95);
    let row_span = |i: usize| {
        let row = n - 1.0 - i as f64;
        (row + 0.15, row + 0.85)
    };
    for (i, bar) in c.bars.iter().enumerate() {
        let (ya, yb) = row_span(i);
        let color = if bar.utilization > 100.0 {
            VERMILLION
        } else {
            BLUE
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, ya), (bar.utilization.clamp(0.0, x_end), yb)],
            color.filled(),
        )))?;
    }

    // The 100 % line, dashed, over the bars and under the labels, named at its top.
    let dash = n / 30.0;
    chart.draw_series((0..30).step_by(2).map(|i| {
        let y = f64::from(i) * dash;
        PathElement::new(
            vec![(100.0, y), (100.0, y + dash)],
            INK.stroke_width(f.px(2.0) as u32),
        )
    }))?;
    let (lx, ly) = chart.backend_coord(&(100.0, n));
    f.put_centred(
        &f.root,
        "100%",
        (lx, ly - f.px(SMALL * 0.75)),
        f.bold(SMALL),
    )?;

    for (i, bar) in c.bars.iter().enumerate() {
        let (ya, yb) = row_span(i);
        let end = bar.utilization.clamp(0.0, x_end);
        let (px, py) = chart.backend_coord(&(end, (ya + yb) / 2.0));
        let value = format!(
            "{}  ({} of {})",
            percent(bar.utilization),
            thousands(bar.in_use),
            thousands(bar.quantity)
        );
        let vw = f.width(&value, &value_style);
        // After the bar when it fits (on white, so the 100 % line does not cross the
        // text), else inside the bar's end in white.
        if px + f.px(8.0) + vw <= right {
            let half = f.px(SMALL * 0.6);
            f.root.draw(&Rectangle::new(
                [
                    (px + f.px(4.0), py - half),
                    (px + f.px(12.0) + vw, py + half),
                ],
                WHITE.filled(),
            ))?;
            f.put_left(&f.root, &value, (px + f.px(8.0), py), value_style)?;
        } else {
            f.put_right(
                &f.root,
                &value,
                (px - f.px(8.0), py),
                value_style.with_color(WHITE),
            )?;
        }
        let (name, place) = &labels[i];
        let mut x = x0 - f.px(10.0);
        if !place.is_empty() {
            f.put_right(&f.root, place, (x, py), place_style)?;
            x -= f.width(place, &place_style) + f.px(8.0);
        }
        f.put_right(&f.root, name, (x, py), name_style)?;
    }
    Ok(())
}

/// The license name, and where it lives (muted) when the chart spans several accounts or VAs:
/// `Account / VA` across accounts, the VA alone within one account.
fn label(
    f: &Frame<'_>,
    c: &UsageChart,
    b: &UsageBar,
    max: i32,
    name_style: super::text::Style,
    place_style: super::text::Style,
) -> (String, String) {
    let first = &c.bars[0];
    let several_accounts = c.bars.iter().any(|x| x.domain != first.domain);
    let several_vas = c
        .bars
        .iter()
        .any(|x| x.virtual_account.trim() != first.virtual_account.trim());
    let place = match (several_accounts, several_vas) {
        (true, _) => format!("{} / {}", b.account.trim(), b.virtual_account.trim()),
        (false, true) => b.virtual_account.trim().to_string(),
        (false, false) => String::new(),
    };
    let place = f.fit(&place, &place_style, max * 2 / 5);
    let room = max - f.width(&place, &place_style) - f.px(8.0);
    (f.fit(&b.license, &name_style, room), place)
}
