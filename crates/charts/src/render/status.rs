//! `status chart`: one summary image — four figures (expired, expiring within 180 days,
//! shortages, licenses in use), the next 180 days of expirations by month, and the
//! architecture mix of every selected account together.

use plotters::prelude::*;

use super::expirations;
use super::frame::{percent, thousands, Frame, LABEL, SMALL};
use super::Area;
use crate::palette::{self, BLUE, ORANGE, REDDISH_PURPLE, VERMILLION};
use crate::status::StatusChart;
use crate::ChartError;

/// Architectures listed in the mix panel at most (the rest are summed as "N others").
const MIX_ROWS: usize = 7;

pub(super) fn title(c: &StatusChart) -> String {
    format!("Licensing status — as of {}", c.scope.as_of())
}

pub(super) fn summary(c: &StatusChart) -> String {
    format!(
        "As of {}: {} expired (quantity {}), {} expiring within 180 days (quantity {}), {} with {}, {} in use.",
        c.scope.as_of(),
        licenses(c.expired.count),
        thousands(c.expired.quantity),
        licenses(c.expiring.count),
        thousands(c.expiring.quantity),
        licenses(c.shortages),
        if c.shortages == 1 { "a shortage" } else { "shortages" },
        licenses(c.in_use),
    )
}

fn licenses(n: usize) -> String {
    format!(
        "{} license{}",
        thousands(n as i64),
        if n == 1 { "" } else { "s" }
    )
}

pub(super) fn draw(f: &Frame<'_>, c: &StatusChart) -> Result<(), ChartError> {
    // One colour per architecture across both panels.
    let mut names: Vec<String> = c.mix.iter().map(|s| s.architecture.clone()).collect();
    for a in &c.expirations.architectures {
        if !names.contains(a) {
            names.push(a.clone());
        }
    }
    let (colors, legend) = palette::assign(&names);
    let color_of = |name: &str| {
        names
            .iter()
            .position(|a| a == name)
            .and_then(|i| colors.get(i).copied())
            .unwrap_or(palette::OTHER)
    };
    let body = f.chrome(&title(c), "", &legend, &c.scope.notes())?;
    let (_, bh) = body.dim_in_pixel();
    let tiles_h = f.px(108.0).min(bh as i32 / 3);
    let (tiles, rest) = body.split_vertically(tiles_h);
    draw_tiles(f, &tiles, c)?;
    let (rw, _) = rest.dim_in_pixel();
    let (left, right) = rest.split_horizontally((f64::from(rw) * 0.56) as i32);

    let heading = f.bold(LABEL);
    let left = left.margin(f.px(12.0), 0, 0, f.px(12.0));
    f.put(
        &left,
        "Expiring in the next 180 days, by month",
        (f.px(6.0), 0),
        heading,
    )?;
    let plot_area = left.margin(f.px(LABEL * 1.4), 0, 0, 0);
    if c.expirations.is_empty() {
        f.nothing(&plot_area, "Nothing expires in the next 180 days.")?;
    } else {
        expirations::plot(f, &plot_area, &c.expirations, &color_of, SMALL * 0.9)?;
    }

    let right = right.margin(f.px(12.0), 0, f.px(16.0), 0);
    f.put(&right, "Architecture mix, all accounts", (0, 0), heading)?;
    let mix_area = right.margin(f.px(LABEL * 1.9), 0, 0, 0);
    draw_mix(f, &mix_area, c, &color_of)
}

fn draw_tiles<'a>(f: &Frame<'a>, area: &Area<'a>, c: &StatusChart) -> Result<(), ChartError> {
    let tiles = [
        (
            c.expired.count,
            "expired licenses",
            format!("quantity {}", thousands(c.expired.quantity)),
            VERMILLION,
        ),
        (
            c.expiring.count,
            "expire within 180 days",
            format!("quantity {}", thousands(c.expiring.quantity)),
            ORANGE,
        ),
        (
            c.shortages,
            "licenses with shortages",
            "in use > quantity".to_string(),
            REDDISH_PURPLE,
        ),
        (
            c.in_use,
            "licenses in use",
            "with quantity > 0".to_string(),
            BLUE,
        ),
    ];
    let cells = area.split_evenly((1, tiles.len()));
    for (cell, (count, caption, detail, accent)) in cells.iter().zip(tiles) {
        let cell = cell.margin(f.px(4.0), f.px(8.0), f.px(4.0), f.px(4.0));
        let (w, h) = cell.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        cell.draw(&Rectangle::new(
            [(0, 0), (w, h)],
            RGBColor(0xF2, 0xF2, 0xF2).filled(),
        ))?;
        cell.draw(&Rectangle::new([(0, 0), (f.px(8.0), h)], accent.filled()))?;
        let x = f.px(22.0);
        let room = w - x - f.px(6.0);
        f.put(
            &cell,
            &thousands(count as i64),
            (x, f.px(8.0)),
            f.bold(38.0),
        )?;
        let caption_style = f.text(SMALL);
        f.put(
            &cell,
            &f.fit(caption, &caption_style, room),
            (x, f.px(52.0)),
            caption_style,
        )?;
        let detail_style = f.muted(SMALL * 0.9);
        f.put(
            &cell,
            &f.fit(&detail, &detail_style, room),
            (x, f.px(74.0)),
            detail_style,
        )?;
    }
    Ok(())
}

fn draw_mix<'a>(
    f: &Frame<'a>,
    area: &Area<'a>,
    c: &StatusChart,
    color_of: &dyn Fn(&str) -> RGBColor,
) -> Result<(), ChartError> {
    if c.mix.is_empty() {
        return f.nothing(area, "No licenses in use.");
    }
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    // Rows: the largest architectures, then the rest summed.
    let mut rows: Vec<(String, f64, RGBColor)> = c
        .mix
        .iter()
        .take(MIX_ROWS)
        .map(|s| {
            (
                s.architecture.trim().to_string(),
                s.percent,
                color_of(&s.architecture),
            )
        })
        .collect();
    if c.mix.len() > MIX_ROWS {
        let rest: f64 = c.mix.iter().skip(MIX_ROWS).map(|s| s.percent).sum();
        rows.push((
            format!("{} others", c.mix.len() - MIX_ROWS),
            rest,
            palette::OTHER,
        ));
    }
    let label_style = f.text(SMALL * 0.95);
    let value_style = f.bold(SMALL * 0.95);
    let widest = rows
        .iter()
        .map(|r| f.width(&r.0, &label_style))
        .max()
        .unwrap_or(0);
    let label_w = widest.min(w / 2) + f.px(10.0);
    let value_w = f.width("100%", &value_style) + f.px(10.0);
    let bar_max = (w - label_w - value_w).max(1);
    let pitch = (h / rows.len().max(1) as i32).min(f.px(40.0));
    for (i, (name, pct, color)) in rows.iter().enumerate() {
        let mid = i as i32 * pitch + pitch / 2;
        let label = f.fit(name, &label_style, label_w - f.px(10.0));
        f.put_right(area, &label, (label_w - f.px(10.0), mid), label_style)?;
        let len = ((pct / 100.0) * f64::from(bar_max)).round() as i32;
        let bar_h = (f64::from(pitch) * 0.62) as i32;
        area.draw(&Rectangle::new(
            [
                (label_w, mid - bar_h / 2),
                (label_w + len.max(1), mid + bar_h / 2),
            ],
            color.filled(),
        ))?;
        f.put_left(
            area,
            &percent(*pct),
            (label_w + len + f.px(8.0), mid),
            value_style,
        )?;
    }
    Ok(())
}
