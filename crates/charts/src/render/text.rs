//! Labels laid out and rasterised with `ab_glyph` (kerning, side bearings, anti-aliasing),
//! drawn as plotters elements so they stack in drawing order with the bars.

use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters_backend::{BackendColor, BackendCoord, DrawingErrorKind};

use crate::font::Faces;

/// How a label is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    /// Pixel height of the font (ascent − descent).
    pub size: f32,
    pub bold: bool,
    pub color: RGBColor,
}

impl Style {
    pub fn with_color(self, color: RGBColor) -> Self {
        Style { color, ..self }
    }
}

/// Which point of the text box the position names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// Top-left corner.
    TopLeft,
    /// Centre of the box.
    Centre,
    /// Middle of the left edge.
    LeftMiddle,
    /// Middle of the right edge.
    RightMiddle,
}

/// One line of text at a position.
pub(crate) struct Label<'f> {
    pub faces: &'f Faces,
    pub text: String,
    pub at: (i32, i32),
    pub style: Style,
    pub anchor: Anchor,
}

fn face<'f>(faces: &'f Faces, style: &Style) -> &'f FontRef<'static> {
    if style.bold {
        &faces.bold
    } else {
        &faces.regular
    }
}

/// Width in pixels of `text` in `style` (advances and kerning).
pub(crate) fn width(faces: &Faces, text: &str, style: &Style) -> f32 {
    let font = face(faces, style).as_scaled(PxScale::from(style.size));
    let mut w = 0.0;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            w += font.kern(p, id);
        }
        w += font.h_advance(id);
        prev = Some(id);
    }
    w
}

impl<'a> PointCollection<'a, (i32, i32)> for &'a Label<'_> {
    type Point = &'a (i32, i32);
    type IntoIter = std::iter::Once<&'a (i32, i32)>;

    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<DB: DrawingBackend> Drawable<DB> for Label<'_> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _parent_dim: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = pos.next() else {
            return Ok(());
        };
        let scale = PxScale::from(self.style.size);
        let font = face(self.faces, &self.style).as_scaled(scale);
        let w = width(self.faces, &self.text, &self.style);
        let (ascent, descent) = (font.ascent(), font.descent()); // descent is negative
        let (left, baseline) = match self.anchor {
            Anchor::TopLeft => (x as f32, y as f32 + ascent),
            // Centre the ink of capitals and digits, not the whole line box.
            Anchor::Centre => (x as f32 - w / 2.0, y as f32 + (ascent + descent) / 2.0),
            Anchor::LeftMiddle => (x as f32, y as f32 + (ascent + descent) / 2.0),
            Anchor::RightMiddle => (x as f32 - w, y as f32 + (ascent + descent) / 2.0),
        };
        let rgb = (self.style.color.0, self.style.color.1, self.style.color.2);
        let mut caret = left;
        let mut prev: Option<GlyphId> = None;
        let mut result = Ok(());
        for c in self.text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                caret += font.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scale, point(caret.round(), baseline.round()));
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                let (bx, by) = (bounds.min.x as i32, bounds.min.y as i32);
                outline.draw(|gx, gy, coverage| {
                    if coverage > 0.0 && result.is_ok() {
                        let color = BackendColor {
                            alpha: f64::from(coverage.min(1.0)),
                            rgb,
                        };
                        result = backend.draw_pixel((bx + gx as i32, by + gy as i32), color);
                    }
                });
            }
            caret += font.h_advance(id);
            prev = Some(id);
        }
        result
    }
}
