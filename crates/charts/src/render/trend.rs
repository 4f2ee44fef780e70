//! `trend LICENSE`: owned (a line) and in use (a line with markers) over time, the forecast
//! as a dashed line to a marker at the run-out date.

use plotters::prelude::*;

use super::frame::{thousands, Frame, SMALL};
use crate::palette::{Swatch, BLUE, LIGHT, MUTED, VERMILLION};
use crate::trend::TrendChart;
use crate::ChartError;

const DAY: f64 = 86_400.0;

pub(super) fn title(c: &TrendChart) -> String {
    format!(
        "Trend of {} — as of {}",
        c.license,
        slbot_inventory::date::ymd(c.now)
    )
}

pub(super) fn summary(c: &TrendChart) -> String {
    match c.points.last() {
        None => "No snapshot has this license.".to_string(),
        Some(p) => format!(
            "{} snapshots; latest {} in use of {}. {}.",
            c.points.len(),
            p.in_use,
            p.quantity,
            c.forecast_note
        ),
    }
}

pub(super) fn draw(f: &Frame<'_>, c: &TrendChart) -> Result<(), ChartError> {
    let mut notes = vec![c.forecast_note.clone()];
    if !c.filter_note.is_empty() {
        notes.push(c.filter_note.clone());
    }
    let legend = [
        Swatch {
            label: "Owned".into(),
            color: BLUE,
        },
        Swatch {
            label: "In use".into(),
            color: VERMILLION,
        },
        Swatch {
            label: "Forecast".into(),
            color: MUTED,
        },
    ];
    let Some(first) = c.points.first() else {
        let body = f.chrome(&title(c), "", &[], &notes)?;
        return f.nothing(&body, "No snapshot has this license.");
    };
    let body = f.chrome(
        &title(c),
        "Owned and in use at each kept snapshot",
        &legend,
        &notes,
    )?;
    let t0 = first.at;
    let x = |at: i64| (at - t0) as f64 / DAY;
    let last_x = c.points.last().map_or(0.0, |p| x(p.at));
    let end_x = c.projection.map_or(last_x, |(_, date)| x(date)).max(last_x);
    // A single point still gets a week of width.
    let x_max = if end_x > 0.0 { end_x * 1.05 } else { 7.0 };
    let y_top = c
        .points
        .iter()
        .map(|p| p.quantity.max(p.in_use))
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.15;
    let mut chart = ChartBuilder::on(&body)
        .margin_top(f.px(SMALL))
        .margin_right(f.px(16.0))
        .x_label_area_size(f.px(44.0))
        .y_label_area_size(f.px(70.0))
        .build_cartesian_2d(-x_max * 0.02..x_max, 0f64..y_top)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| slbot_inventory::date::ymd(t0 + (v * DAY).round() as i64))
        .y_label_formatter(&|v| thousands(v.round() as i64))
        .x_label_style(f.tick(SMALL * 0.85))
        .y_label_style(f.tick(SMALL))
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .draw()?;
    let width = f.px(3.0) as u32;
    let owned: Vec<(f64, f64)> = c
        .points
        .iter()
        .map(|p| (x(p.at), p.quantity as f64))
        .collect();
    let used: Vec<(f64, f64)> = c
        .points
        .iter()
        .map(|p| (x(p.at), p.in_use as f64))
        .collect();
    chart.draw_series(LineSeries::new(owned, BLUE.stroke_width(width)))?;
    chart.draw_series(LineSeries::new(
        used.clone(),
        VERMILLION.stroke_width(width),
    ))?;
    chart.draw_series(
        used.iter()
            .map(|&p| Circle::new(p, f.px(5.0), VERMILLION.filled())),
    )?;
    if let Some((from, date)) = c.projection {
        let (x1, y1) = (x(from.at), from.in_use as f64);
        let (x2, y2) = (x(date), from.quantity as f64);
        // Dashes: ten segments of the line, every other one drawn.
        let segments = 20;
        let dashes = (0..segments).step_by(2).map(|i| {
            let a = f64::from(i) / f64::from(segments);
            let b = f64::from(i + 1) / f64::from(segments);
            PathElement::new(
                vec![
                    (x1 + (x2 - x1) * a, y1 + (y2 - y1) * a),
                    (x1 + (x2 - x1) * b, y1 + (y2 - y1) * b),
                ],
                MUTED.stroke_width(width),
            )
        });
        chart.draw_series(dashes)?;
        chart.draw_series(std::iter::once(Cross::new(
            (x2, y2),
            f.px(8.0),
            MUTED.stroke_width(width),
        )))?;
        let (px, py) = chart.backend_coord(&(x2, y2));
        f.put_right(
            &f.root,
            &slbot_inventory::date::ymd(date),
            (px - f.px(10.0), py - f.px(SMALL)),
            f.text(SMALL),
        )?;
    }
    Ok(())
}
