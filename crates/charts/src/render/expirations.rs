//! `chart expirations`: stacked bars per calendar month; on the left, set apart by a shaded
//! band and a dashed rule, the quantity that expired in the last 90 days.

use chrono::Datelike;
use plotters::prelude::*;

use super::frame::{thousands, Frame, SMALL};
use super::Area;
use crate::expirations::{Bucket, ExpirationsChart, RECENT_DAYS};
use crate::palette::{self, LIGHT, MUTED};
use crate::ChartError;

pub(super) fn title(c: &ExpirationsChart) -> String {
    format!(
        "License expirations, {} — as of {}",
        c.horizon,
        c.scope.as_of()
    )
}

pub(super) fn summary(c: &ExpirationsChart) -> String {
    if c.is_empty() {
        return format!(
            "No licenses expire in the {}, and none expired in the last {RECENT_DAYS} days.",
            c.horizon
        );
    }
    let mut s = format!(
        "Quantity expiring in the {}: {}",
        c.horizon,
        thousands(c.expiring_quantity())
    );
    // The first month with the largest quantity.
    let peak = c.months.iter().fold(None::<&Bucket>, |best, m| match best {
        Some(b) if b.total() >= m.total() => Some(b),
        _ => Some(m),
    });
    if let Some(p) = peak.filter(|p| p.total() > 0) {
        s.push_str(&format!(" (most in {}: {})", p.label, thousands(p.total())));
    }
    s.push_str(&format!(
        ". Expired in the last {RECENT_DAYS} days: {}. As of {}.",
        thousands(c.recent.total()),
        c.scope.as_of()
    ));
    s
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
    // x units: one per month; the recent bar is at least as wide as a month and grows with
    // long horizons so its label stays readable, then a gap of half its width.
    let k = c.months.len();
    let recent_w = (k as f64 / 8.0).max(1.0);
    let months_x = recent_w * 1.5;
    let x_end = months_x + k as f64;
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
    let rule_x = recent_w * 1.25;
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

    let bars = std::iter::once((0.0, recent_w, &c.recent)).chain(
        c.months
            .iter()
            .enumerate()
            .map(|(j, m)| (months_x + j as f64, 1.0, m)),
    );
    let pitch = {
        let (a, _) = chart.backend_coord(&(months_x, 0.0));
        let (b, _) = chart.backend_coord(&(months_x + 1.0, 0.0));
        (b - a).max(1)
    };
    let total_style = f.bold(text * 0.95);
    for (x, w, bucket) in bars {
        let (xa, xb) = (x + 0.12 * w, x + 0.88 * w);
        let mut base = 0i64;
        for (a, name) in c.architectures.iter().enumerate() {
            let q = bucket.quantities.get(a).copied().unwrap_or(0).max(0);
            if q == 0 {
                continue;
            }
            chart.draw_series(std::iter::once(Rectangle::new(
                [(xa, base as f64), (xb, base.saturating_add(q) as f64)],
                color_of(name).filled(),
            )))?;
            base = base.saturating_add(q);
        }
        if base > 0 {
            let label = thousands(base);
            if f.width(&label, &total_style) <= pitch + f.px(4.0) {
                let (px, py) = chart.backend_coord(&(x + 0.5 * w, base as f64));
                f.put_centred(&f.root, &label, (px, py - f.px(text * 0.7)), total_style)?;
            }
        }
    }

    // Category labels: the month, and the year under the first month and each January;
    // every `step`-th month when the bars are too narrow for every name.
    let (_, axis_y) = chart.backend_coord(&(0.0, 0.0));
    let line1 = axis_y + f.px(text * 0.9);
    let line2 = axis_y + f.px(text * 2.0);
    let (rx, _) = chart.backend_coord(&(recent_w / 2.0, 0.0));
    f.put_centred(&f.root, "Expired,", (rx, line1), label_style)?;
    f.put_centred(
        &f.root,
        &format!("last {RECENT_DAYS} d"),
        (rx, line2),
        label_style,
    )?;
    // Months at a calendar-aligned step (every 2, 3, 4, 6 or 12 months) when bars are narrow.
    let needed = (f.width("May", &label_style) + f.px(6.0)) as f64 / pitch as f64;
    let step = [1u32, 2, 3, 4, 6, 12]
        .into_iter()
        .find(|&s| f64::from(s) >= needed)
        .unwrap_or(12 * (needed / 12.0).ceil() as u32);
    let labelled: Vec<(i32, &Bucket)> = c
        .months
        .iter()
        .enumerate()
        .filter(|(_, m)| (m.start.month() - 1) % step == 0)
        .map(|(j, m)| (chart.backend_coord(&(months_x + j as f64 + 0.5, 0.0)).0, m))
        .collect();
    // The year under each January, and under the first label when no January is close.
    let year_w = f.width("2026", &label_style) + f.px(10.0);
    let first_january = labelled
        .iter()
        .find(|(_, m)| m.start.month() == 1)
        .map(|l| l.0);
    for (i, (px, m)) in labelled.iter().enumerate() {
        let (month, year) = month_year(m);
        f.put_centred(&f.root, &month, (*px, line1), label_style)?;
        let first_with_room = i == 0 && first_january.is_none_or(|jx| jx - px >= year_w);
        if m.start.month() == 1 || first_with_room {
            f.put_centred(&f.root, &year, (*px, line2), f.muted(text))?;
        }
    }
    Ok(())
}

/// The height of a bar: its non-negative quantities stacked.
fn stacked(b: &Bucket) -> i64 {
    crate::scope::saturating_sum(b.quantities.iter().map(|q| (*q).max(0)))
}

/// `("Nov", "2026")` from a month bucket's label `Nov 2026`.
fn month_year(m: &Bucket) -> (String, String) {
    let mut parts = m.label.split(' ');
    let month = parts.next().unwrap_or("").to_string();
    let year = parts.next().unwrap_or("").to_string();
    (month, year)
}
