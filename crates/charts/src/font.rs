//! The one font of every chart: DejaVu Sans (regular and bold), embedded in the binary so no
//! fontconfig or system font is needed at run time. Licence: `fonts/LICENSE` (Bitstream Vera
//! licence; DejaVu changes are public domain).
//!
//! Text is drawn two ways:
//! - Our own labels (titles, legends, category and value labels) are laid out and rasterised
//!   here with `ab_glyph`, with kerning and side bearings (plotters 0.3.7's `ab_glyph` text
//!   drops each glyph's left side bearing, which visibly unevens the spacing of words).
//! - Axis tick labels (digits and `%`) are drawn by plotters' mesh, which looks fonts up by
//!   family name in a process-wide table that only `plotters::style::register_font` can fill.
//!
//! Both need the parsed font for the life of the process, so they are set up once behind a
//! `OnceLock` (the one piece of global state in this crate, forced by plotters' API): later
//! renders reuse the parsed font instead of re-registering it under the table's write lock.

use std::sync::OnceLock;

use ab_glyph::FontRef;
use plotters::style::{register_font, FontStyle};

use crate::ChartError;

/// The family name the mesh asks plotters for (unique, so it cannot clash with another user
/// of the same table).
pub(crate) const FAMILY: &str = "slbot-dejavu-sans";

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// The parsed faces.
#[derive(Debug)]
pub(crate) struct Faces {
    pub regular: FontRef<'static>,
    pub bold: FontRef<'static>,
}

static FACES: OnceLock<Option<Faces>> = OnceLock::new();

/// The embedded faces, registered with plotters on first use. Fails only if the embedded
/// bytes are not a font, which would be a build defect.
pub(crate) fn faces() -> Result<&'static Faces, ChartError> {
    FACES
        .get_or_init(|| {
            let faces = Faces {
                regular: FontRef::try_from_slice(REGULAR).ok()?,
                bold: FontRef::try_from_slice(BOLD).ok()?,
            };
            register_font(FAMILY, FontStyle::Normal, REGULAR).ok()?;
            register_font(FAMILY, FontStyle::Bold, BOLD).ok()?;
            Some(faces)
        })
        .as_ref()
        .ok_or_else(|| {
            ChartError::Unexpected(anyhow::anyhow!(
                "the embedded DejaVu Sans font could not be parsed"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_fonts_parse_and_register() {
        let faces = faces().unwrap();
        assert!(std::ptr::eq(faces, super::faces().unwrap()));
    }
}
