//! Rendering: [`ChartData`] → PNG bytes, in-process (plotters' bitmap backend, the embedded
//! font, the `png` encoder). One module per chart, sharing the frame drawn here: a title that
//! says what and as of when, a subtitle, the legend, footnotes (filters, partial data), and a
//! sentence instead of axes when there is nothing to draw.
//!
//! Sizes scale with the image: at the default 1000×600 most text is 18–20 px (16 px at the
//! least), so the chart stays legible when Webex shows it at half size in its preview.

mod expirations;
mod frame;
mod mix;
mod status;
mod text;
mod trend;
mod usage;

use std::error::Error;

use chrono::{DateTime, Utc};
use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use slbot_inventory::{Filters, Inventory};

use crate::expirations::{expirations_chart_data, ExpirationsChart, Horizon};
use crate::mix::{mix_chart_data, MixChart};
use crate::status::{status_chart_data, StatusChart};
use crate::trend::{trend_chart_data, TrendChart};
use crate::usage::{usage_chart_data, UsageChart};
use crate::{font, ChartError};
use slbot_inventory::history::TrendReport;

/// The numbers of one chart, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartData {
    /// `chart mix`.
    Mix(MixChart),
    /// `chart expirations`.
    Expirations(ExpirationsChart),
    /// `chart usage`.
    Usage(UsageChart),
    /// `status chart`.
    Status(StatusChart),
    /// `trend LICENSE` (from the kept history, not an inventory: see [`trend_png`]).
    Trend(TrendChart),
}

impl From<MixChart> for ChartData {
    fn from(c: MixChart) -> Self {
        ChartData::Mix(c)
    }
}

impl From<ExpirationsChart> for ChartData {
    fn from(c: ExpirationsChart) -> Self {
        ChartData::Expirations(c)
    }
}

impl From<UsageChart> for ChartData {
    fn from(c: UsageChart) -> Self {
        ChartData::Usage(c)
    }
}

impl From<StatusChart> for ChartData {
    fn from(c: StatusChart) -> Self {
        ChartData::Status(c)
    }
}

impl ChartData {
    /// Which chart this is; `None` for the trend, which is drawn from the kept history
    /// rather than computed by a [`ChartKind`].
    pub fn kind(&self) -> Option<ChartKind> {
        Some(match self {
            ChartData::Mix(_) => ChartKind::Mix,
            ChartData::Expirations(c) => ChartKind::Expirations(c.horizon),
            ChartData::Usage(_) => ChartKind::Usage,
            ChartData::Status(_) => ChartKind::Status,
            ChartData::Trend(_) => return None,
        })
    }

    /// The title drawn at the top: what, and as of when (`… — as of 2026-11-28`).
    pub fn title(&self) -> String {
        match self {
            ChartData::Mix(c) => mix::title(c),
            ChartData::Expirations(c) => expirations::title(c),
            ChartData::Usage(c) => usage::title(c),
            ChartData::Status(c) => status::title(c),
            ChartData::Trend(c) => trend::title(c),
        }
    }

    /// One or two plain-text sentences with the chart's main numbers, for the message that
    /// carries the image (a text alternative for clients that show no preview). Plain text:
    /// escape it for markdown like any other text; it holds architecture names, no license or
    /// account names.
    pub fn summary(&self) -> String {
        match self {
            ChartData::Mix(c) => mix::summary(c),
            ChartData::Expirations(c) => expirations::summary(c),
            ChartData::Usage(c) => usage::summary(c),
            ChartData::Status(c) => status::summary(c),
            ChartData::Trend(c) => trend::summary(c),
        }
    }
}

/// Which chart to make (the CLI's `chart-mix`, `chart-expirations`, `chart-usage`, and the
/// chat's `status chart`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    /// Each account's architecture share.
    Mix,
    /// Quantity expiring per month, with the last 90 days apart.
    Expirations(Horizon),
    /// Top 15 licenses by utilization.
    Usage,
    /// The one-image summary of `status`.
    Status,
}

impl ChartKind {
    /// Every chart (the expirations horizon at its default), in the order of the CLI's help.
    pub const ALL: [ChartKind; 4] = [
        ChartKind::Mix,
        ChartKind::Expirations(Horizon::DEFAULT),
        ChartKind::Usage,
        ChartKind::Status,
    ];

    /// The CLI report names of the charts (`slbot report chart-mix …`).
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::ALL.iter().map(|k| k.name())
    }

    /// The chart named `name` (one of [`ChartKind::names`]); expirations take `horizon`.
    pub fn from_name(name: &str, horizon: Horizon) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|k| k.name() == name)
            .map(|k| k.with_horizon(horizon))
    }

    /// This chart with `horizon` when it has one (expirations).
    pub fn with_horizon(self, horizon: Horizon) -> Self {
        match self {
            ChartKind::Expirations(_) => ChartKind::Expirations(horizon),
            ChartKind::Mix | ChartKind::Usage | ChartKind::Status => self,
        }
    }

    /// The CLI name: the chat command with `-` for spaces (`status chart` → `status-chart`).
    pub const fn name(self) -> &'static str {
        match self {
            ChartKind::Mix => "chart-mix",
            ChartKind::Expirations(_) => "chart-expirations",
            ChartKind::Usage => "chart-usage",
            ChartKind::Status => "status-chart",
        }
    }

    /// A file name for the PNG, e.g. `license-mix-2026-11-28.png`.
    pub fn file_name(self, now: DateTime<Utc>) -> String {
        let what = match self {
            ChartKind::Mix => "license-mix",
            ChartKind::Expirations(_) => "license-expirations",
            ChartKind::Usage => "license-usage",
            ChartKind::Status => "license-status",
        };
        format!("{what}-{}.png", now.format("%Y-%m-%d"))
    }

    /// Computes this chart's numbers (see the `*_chart_data` functions).
    pub fn data(
        self,
        inventory: &Inventory,
        now: DateTime<Utc>,
        filters: &Filters,
    ) -> Result<ChartData, ChartError> {
        Ok(match self {
            ChartKind::Mix => mix_chart_data(inventory, now, filters)?.into(),
            ChartKind::Expirations(h) => expirations_chart_data(inventory, now, filters, h)?.into(),
            ChartKind::Usage => usage_chart_data(inventory, now, filters)?.into(),
            ChartKind::Status => status_chart_data(inventory, now, filters)?.into(),
        })
    }
}

/// The image size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Default for RenderOptions {
    /// 1000×600: sharp in the full view, legible in Webex's smaller preview.
    fn default() -> Self {
        RenderOptions {
            width: 1000,
            height: 600,
        }
    }
}

impl RenderOptions {
    /// Narrowest accepted image.
    pub const MIN_WIDTH: u32 = 480;
    /// Lowest accepted image.
    pub const MIN_HEIGHT: u32 = 300;
    /// Longest accepted side.
    pub const MAX_SIDE: u32 = 4000;

    fn check(self) -> Result<(), ChartError> {
        let ok = (Self::MIN_WIDTH..=Self::MAX_SIDE).contains(&self.width)
            && (Self::MIN_HEIGHT..=Self::MAX_SIDE).contains(&self.height);
        if ok {
            Ok(())
        } else {
            Err(ChartError::BadSize {
                width: self.width,
                height: self.height,
            })
        }
    }
}

/// Draws `data` and returns the PNG file's bytes. Charts with nothing to show are drawn with a
/// sentence saying so ("There are no licenses in use."), never an error.
pub fn render_png(data: &ChartData, options: RenderOptions) -> Result<Vec<u8>, ChartError> {
    options.check()?;
    let faces = font::faces()?;
    let (w, h) = (options.width, options.height);
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let frame = frame::Frame::new(&root, faces);
        match data {
            ChartData::Mix(c) => mix::draw(&frame, c)?,
            ChartData::Expirations(c) => expirations::draw(&frame, c)?,
            ChartData::Usage(c) => usage::draw(&frame, c)?,
            ChartData::Status(c) => status::draw(&frame, c)?,
            ChartData::Trend(c) => trend::draw(&frame, c)?,
        }
        root.present()?;
    }
    encode_png(&rgb, w, h)
}

/// Computes and renders a chart in one call: what the CLI and the bot need.
pub fn chart_png(
    inventory: &Inventory,
    kind: ChartKind,
    now: DateTime<Utc>,
    filters: &Filters,
    options: RenderOptions,
) -> Result<Vec<u8>, ChartError> {
    render_png(&kind.data(inventory, now, filters)?, options)
}

/// The `trend LICENSE` chart of a computed trend: what the CLI and the bot need.
pub fn trend_png(
    report: &TrendReport<'_>,
    now: DateTime<Utc>,
    filters: &Filters,
    options: RenderOptions,
) -> Result<Vec<u8>, ChartError> {
    render_png(
        &ChartData::Trend(trend_chart_data(report, now, filters)),
        options,
    )
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Default);
        let mut writer = encoder.write_header().map_err(ChartError::unexpected)?;
        writer
            .write_image_data(rgb)
            .map_err(ChartError::unexpected)?;
        writer.finish().map_err(ChartError::unexpected)?;
    }
    Ok(out)
}

/// Any drawing failure of plotters is unexpected (not something the user can fix).
impl<E: Error + Send + Sync + 'static> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError::unexpected(e)
    }
}

/// The drawing area every chart draws on.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
