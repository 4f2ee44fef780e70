//! What every chart shares: text styles scaled to the image, the title block, the legend, the
//! footnotes, the "nothing to show" sentence, and text fitting.

use plotters::prelude::*;
use plotters::style::{FontDesc, FontFamily, FontStyle};

use super::text::{self, Anchor, Label, Style};
use super::Area;
use crate::font::{Faces, FAMILY};
use crate::palette::{Swatch, INK, MUTED};
use crate::ChartError;

/// Font sizes at the reference size 1000×600 (scaled with the image).
pub(crate) const TITLE: f64 = 32.0;
pub(crate) const SUBTITLE: f64 = 20.0;
pub(crate) const LABEL: f64 = 20.0;
pub(crate) const SMALL: f64 = 18.0;

/// Smallest text drawn, whatever the image size.
const MIN_TEXT_PX: f64 = 10.0;

/// The whole image, its scale factor and the fonts.
pub(crate) struct Frame<'a> {
    pub root: Area<'a>,
    pub scale: f64,
    faces: &'static Faces,
}

impl<'a> Frame<'a> {
    pub fn new(root: &Area<'a>, faces: &'static Faces) -> Self {
        let (w, h) = root.dim_in_pixel();
        let scale = (f64::from(w) / 1000.0).min(f64::from(h) / 600.0);
        Frame {
            root: root.clone(),
            scale,
            faces,
        }
    }

    /// `n` reference pixels at this image's scale (at least 1).
    pub fn px(&self, n: f64) -> i32 {
        ((n * self.scale).round() as i32).max(1)
    }

    fn style(&self, size: f64, bold: bool, color: RGBColor) -> Style {
        Style {
            size: (size * self.scale).max(MIN_TEXT_PX) as f32,
            bold,
            color,
        }
    }

    pub fn text(&self, size: f64) -> Style {
        self.style(size, false, INK)
    }

    pub fn bold(&self, size: f64) -> Style {
        self.style(size, true, INK)
    }

    pub fn muted(&self, size: f64) -> Style {
        self.style(size, false, MUTED)
    }

    /// The style of axis tick labels, which plotters' mesh draws (digits and `%` only).
    pub fn tick(&self, size: f64) -> TextStyle<'static> {
        let font = FontDesc::new(
            FontFamily::Name(FAMILY),
            (size * self.scale).max(MIN_TEXT_PX),
            FontStyle::Normal,
        );
        TextStyle {
            color: INK.to_backend_color(),
            ..TextStyle::from(font)
        }
    }

    /// Width of `text` in pixels when drawn in `style`.
    pub fn width(&self, text: &str, style: &Style) -> i32 {
        text::width(self.faces, text, style).ceil() as i32
    }

    /// `text` (trimmed) shortened with "…" until it fits in `max` pixels.
    pub fn fit(&self, text: &str, style: &Style, max: i32) -> String {
        let text = text.trim();
        if self.width(text, style) <= max {
            return text.to_string();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let candidate = format!("{}…", chars.iter().collect::<String>().trim_end());
            if self.width(&candidate, style) <= max {
                return candidate;
            }
        }
        "…".to_string()
    }

    fn label(
        &self,
        area: &Area<'a>,
        text: &str,
        at: (i32, i32),
        style: Style,
        anchor: Anchor,
    ) -> Result<(), ChartError> {
        area.draw(&Label {
            faces: self.faces,
            text: text.to_string(),
            at,
            style,
            anchor,
        })?;
        Ok(())
    }

    /// Draws `text` with its top-left corner at `at` (coordinates of `area`).
    pub fn put(
        &self,
        area: &Area<'a>,
        text: &str,
        at: (i32, i32),
        style: Style,
    ) -> Result<(), ChartError> {
        self.label(area, text, at, style, Anchor::TopLeft)
    }

    /// Draws `text` centred on `at`.
    pub fn put_centred(
        &self,
        area: &Area<'a>,
        text: &str,
        at: (i32, i32),
        style: Style,
    ) -> Result<(), ChartError> {
        self.label(area, text, at, style, Anchor::Centre)
    }

    /// Draws `text` starting at `at`, vertically centred on it.
    pub fn put_left(
        &self,
        area: &Area<'a>,
        text: &str,
        at: (i32, i32),
        style: Style,
    ) -> Result<(), ChartError> {
        self.label(area, text, at, style, Anchor::LeftMiddle)
    }

    /// Draws `text` ending at `at`, vertically centred on it.
    pub fn put_right(
        &self,
        area: &Area<'a>,
        text: &str,
        at: (i32, i32),
        style: Style,
    ) -> Result<(), ChartError> {
        self.label(area, text, at, style, Anchor::RightMiddle)
    }

    /// The title block, the legend below it and the footnotes at the bottom; returns the
    /// area left for the chart itself. A long title is set smaller before it is shortened.
    pub fn chrome(
        &self,
        title: &str,
        subtitle: &str,
        legend: &[Swatch],
        notes: &[String],
    ) -> Result<Area<'a>, ChartError> {
        let (w, h) = self.root.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        let pad = self.px(24.0);
        let mut y = self.px(14.0);
        let mut title_size = TITLE;
        while title_size > TITLE * 0.75 && self.width(title, &self.bold(title_size)) > w - 2 * pad {
            title_size -= 1.0;
        }
        let title_style = self.bold(title_size);
        let title = self.fit(title, &title_style, w - 2 * pad);
        self.put(&self.root, &title, (pad, y), title_style)?;
        y += self.px(TITLE * 1.3);
        if !subtitle.is_empty() {
            let style = self.muted(SUBTITLE);
            let subtitle = self.fit(subtitle, &style, w - 2 * pad);
            self.put(&self.root, &subtitle, (pad, y), style)?;
            y += self.px(SUBTITLE * 1.5);
        }
        if !legend.is_empty() {
            y += self.legend(legend, pad, y, w - 2 * pad)?;
        }
        let mut bottom = h - self.px(8.0);
        let note_style = self.muted(SMALL);
        for note in notes.iter().rev() {
            bottom -= self.px(SMALL * 1.35);
            let note = self.fit(note, &note_style, w - 2 * pad);
            self.put(&self.root, &note, (pad, bottom), note_style)?;
        }
        let body = self
            .root
            .margin(y + self.px(4.0), h - bottom + self.px(4.0), pad / 2, pad);
        Ok(body)
    }

    /// A legend of colour swatches flowing left to right, wrapping; returns its height.
    fn legend(&self, items: &[Swatch], x0: i32, y0: i32, width: i32) -> Result<i32, ChartError> {
        let style = self.text(SMALL);
        let side = self.px(SMALL * 0.85);
        let line = self.px(SMALL * 1.45);
        let (mut x, mut y) = (x0, y0);
        for item in items {
            let label_w = self.width(&item.label, &style);
            let item_w = side + self.px(8.0) + label_w;
            if x > x0 && x + item_w > x0 + width {
                x = x0;
                y += line;
            }
            let mid = y + self.px(SMALL * 0.6);
            self.root.draw(&Rectangle::new(
                [(x, mid - side / 2), (x + side, mid + side / 2)],
                item.color.filled(),
            ))?;
            let text_x = x + side + self.px(8.0);
            self.label(
                &self.root,
                &item.label,
                (text_x, mid),
                style,
                Anchor::LeftMiddle,
            )?;
            x += item_w + self.px(26.0);
        }
        Ok(y - y0 + line + self.px(4.0))
    }

    /// The sentence drawn instead of a chart when there is nothing to show.
    pub fn nothing(&self, area: &Area<'a>, sentence: &str) -> Result<(), ChartError> {
        let (w, h) = area.dim_in_pixel();
        let style = self.muted(LABEL * 1.2);
        let sentence = self.fit(sentence, &style, w as i32 - self.px(20.0));
        self.put_centred(area, &sentence, (w as i32 / 2, h as i32 / 2), style)
    }
}

/// Ink that reads on `fill`: dark on light colours, white on dark ones (WCAG contrast).
pub(crate) fn ink_on(fill: RGBColor) -> RGBColor {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * lin(fill.0) + 0.7152 * lin(fill.1) + 0.0722 * lin(fill.2);
    // Contrast with white vs with INK (#222, relative luminance ≈ 0.016).
    let with_white = 1.05 / (l + 0.05);
    let with_ink = (l + 0.05) / (0.016 + 0.05);
    if with_white >= with_ink {
        WHITE
    } else {
        INK
    }
}

/// `12,345` (thousands separated by commas).
pub(crate) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A percentage for a label: `48%`, `3.0%`, `<0.1%`.
pub(crate) fn percent(p: f64) -> String {
    if p > 0.0 && p < 0.1 {
        "<0.1%".to_string()
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::palette::{BLUE, GREY, ORANGE, YELLOW};

    #[test]
    fn labels_are_dark_on_light_fills_and_white_on_dark_ones() {
        assert_eq!(ink_on(YELLOW), INK);
        assert_eq!(ink_on(ORANGE), INK);
        assert_eq!(ink_on(GREY), INK);
        assert_eq!(ink_on(BLUE), WHITE);
        assert_eq!(ink_on(RGBColor(0, 0, 0)), WHITE);
        assert_eq!(ink_on(WHITE), INK);
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-4200), "-4,200");
    }

    #[test]
    fn percentages_keep_one_decimal_below_ten_and_never_show_zero_for_a_share() {
        assert_eq!(percent(48.4848), "48%");
        assert_eq!(percent(3.0303), "3.0%");
        assert_eq!(percent(0.04), "<0.1%");
        assert_eq!(percent(100.0), "100%");
    }
}
