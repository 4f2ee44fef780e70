//! `chart expirations`: stacked bars per calendar month; on the left, set apart by a shaded
//! band and a dashed rule, the quantity that expired in the last 90 days.

use plotters::prelude::*;

use super::frame::{thousands, Frame, SMALL};
use super::Area;
use crate::expirations::{Bucket, ExpirationsChart, RECENT_DAYS};
use crate::palette::{self, LIGHT, MUTED};
use crate::ChartError;

/// Where the month bars start on the x axis: after the recent bar and a gap.
const MONTHS_X: f64 = 1.5;

pub(super) fn title(c: &ExpirationsChart) -> String {
    format!(
        "License expirations, {} — as of {}",
        c.horizon,
        c.scope.as_of()
    )
}

pub(super) fn draw(f: &Frame<'_>, c: &ExpirationsChart) -> Result<(), ChartError> {
    let notes = c.scope.notes();
    if c.is_empty() {
        let body = f.chrome(&title(c), "", &[], &notes)?;
        return f.nothing(
            &body,
            &format!(
                "No licenses expire in the {}, and none expired in the last {RECENT_DAYS} days.",
                c.horizon
            ),
        );
    }
    let (colors, legend) = palette::assign(&c.architectures);
    let subtitle = format!(
        "Quantity expiring per month, by architecture: {} in total. Left, apart: {} expired in the last {RECENT_DAYS} days.",
        thousands(c.expiring_quantity()),
        thousands(c.recent.total()),
    );
    let body = f.chrome(&title(c), &subtitle, &legend, &notes)?;
    let color_of = |name: &str| {
        c.architectures
            .iter()
            .position(|a| a == name)
            .and_then(|i| colors.get(i).copied())
            .unwrap_or(palette::OTHER)
    };
    plot(f, &body, c, &color_of, SMALL)
}

/// Axes, the recent bar and the month bars in `area`; text at `text` reference pixels.
pub(super) fn plot<'a>(
    f: &Frame<'a>,
    area: &Area<'a>,
    c: &ExpirationsChart,
    color_of: &dyn Fn(&str) -> RGBColor,
    text: f64,
) -> Result<(), ChartError> {
    let k = c.months.len();
    let x_end = MONTHS_X + k as f64;
    let tallest = c
        .months
        .iter()
        .chain(std::iter::once(&c.recent))
        .map(stacked)
        .max()
        .unwrap_or(0);
    let y_end = ((tallest as f64) * 1.12).max(1.0).ceil();
    let y_labels = (y_end as usize + 1).min(6);
    let tick = f.tick(text);
    let label_style = f.text(text);
    let y_label_w = f.width(&thousands(y_end as i64), &label_style);

    let mut chart = ChartBuilder::on(area)
        .margin_top(f.px(text * 1.6))
        .margin_right(f.px(8.0))
        .x_label_area_size(f.px(text * 3.0))
        .y_label_area_size(y_label_w + f.px(text * 1.2))
        .build_cartesian_2d(0f64..x_end, 0f64..y_end)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(y_labels)
        .y_label_formatter(&|v| {
            if v.fract() == 0.0 {
                thousands(*v as i64)
            } else {
                String::new()
            }
        })
        .y_label_style(tick)
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .draw()?;
    // The unit of the y axis, above it.
    let (axis_x, top_y) = chart.backend_coord(&(0.0, y_end));
    f.put_left(
        &f.root,
        "Quantity",
        (axis_x + f.px(6.0), top_y - f.px(text * 0.8)),
        f.muted(text),
    )?;

    // The recent bar lives on a shaded band, with a dashed rule between it and the months.
    let rule_x = 1.0 + (MONTHS_X - 1.0) / 2.0;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(0.0, 0.0), (rule_x, y_end)],
        RGBColor(0xF3, 0xF3, 0xF3).filled(),
    )))?;
    let dash = y_end / 40.0;
    chart.draw_series((0..40).step_by(2).map(|i| {
        let y = f64::from(i) * dash;
        PathElement::new(
            vec![(rule_x, y), (rule_x, y + dash)],
            MUTED.stroke_width(f.px(2.0) as u32),
        )
    }))?;

    let bars = std::iter::once((0.0, &c.recent)).chain(
        c.months
            .iter()
            .enumerate()
            .map(|(j, m)| (MONTHS_X + j as f64, m)),
    );
    let pitch = {
        let (a, _) = chart.backend_coord(&(MONTHS_X, 0.0));
        let (b, _) = chart.backend_coord(&(MONTHS_X + 1.0, 0.0));
        (b - a).max(1)
    };
    let total_style = f.bold(text * 0.95);
    for (x, bucket) in bars {
        let (xa, xb) = (x + 0.12, x + 0.88);
        let mut base = 0i64;
        for (a, name) in c.architectures.iter().enumerate() {
            let q = bucket.quantities.get(a).copied().unwrap_or(0).max(0);
            if q == 0 {
                continue;
            }
            chart.draw_series(std::iter::once(Rectangle::new(
                [(xa, base as f64), (xb, (base + q) as f64)],
                color_of(name).filled(),
            )))?;
            base += q;
        }
        if base > 0 {
            let label = thousands(base);
            if f.width(&label, &total_style) <= pitch + f.px(4.0) {
                let (px, py) = chart.backend_coord(&(x + 0.5, base as f64));
                f.put_centred(&f.root, &label, (px, py - f.px(text * 0.7)), total_style)?;
            }
        }
    }

    // Category labels: the month, and the year under the first month and each January;
    // every `step`-th month when the bars are too narrow for every name.
    let (_, axis_y) = chart.backend_coord(&(0.0, 0.0));
    let line1 = axis_y + f.px(text * 0.9);
    let line2 = axis_y + f.px(text * 2.0);
    let (rx, _) = chart.backend_coord(&(0.5, 0.0));
    f.put_centred(&f.root, "Expired,", (rx, line1), label_style)?;
    f.put_centred(
        &f.root,
        &format!("last {RECENT_DAYS} d"),
        (rx, line2),
        label_style,
    )?;
    let month_w = f.width("May", &label_style) + f.px(6.0);
    let step = ((month_w as f64 / pitch as f64).ceil() as usize).max(1);
    for (j, m) in c.months.iter().enumerate() {
        let (px, _) = chart.backend_coord(&(MONTHS_X + j as f64 + 0.5, 0.0));
        let (month, year) = month_year(m);
        if j % step == 0 {
            f.put_centred(&f.root, &month, (px, line1), label_style)?;
        }
        if j == 0 || month == "Jan" {
            f.put_centred(&f.root, &year, (px, line2), f.muted(text))?;
        }
    }
    Ok(())
}

/// The height of a bar: its non-negative quantities stacked.
fn stacked(b: &Bucket) -> i64 {
    b.quantities.iter().map(|q| (*q).max(0)).sum()
}

/// `("Nov", "2026")` from a month bucket's label `Nov 2026`.
fn month_year(m: &Bucket) -> (String, String) {
    let mut parts = m.label.split(' ');
    let month = parts.next().unwrap_or("").to_string();
    let year = parts.next().unwrap_or("").to_string();
    (month, year)
}
