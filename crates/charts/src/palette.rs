//! Colours: the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), which stays
//! distinguishable for the common forms of colour blindness, plus neutral greys.
//!
//! The architectures of the shipped catalogue keep the same colour in every chart, so a reader
//! who learnt "blue is Enterprise Networking" in the mix reads the expirations the same way.
//! Other architectures (from a user's catalogue) take the unused palette colours in legend
//! order; beyond that they share [`OTHER`], and the legend says "Other architectures".

use plotters::style::RGBColor;

/// Okabe–Ito orange.
pub(crate) const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Okabe–Ito sky blue.
pub(crate) const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Okabe–Ito bluish green.
pub(crate) const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Okabe–Ito yellow.
pub(crate) const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
/// Okabe–Ito blue.
pub(crate) const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Okabe–Ito vermillion.
pub(crate) const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Okabe–Ito reddish purple.
pub(crate) const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Neutral grey for `Uncategorized`.
pub(crate) const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
/// Dark grey for architectures beyond the palette.
pub(crate) const OTHER: RGBColor = RGBColor(0x5A, 0x5A, 0x5A);
/// Text and axes.
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (subtitles, notes).
pub(crate) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Light grid lines and tile backgrounds.
pub(crate) const LIGHT: RGBColor = RGBColor(0xE6, 0xE6, 0xE6);

/// Fixed colours of the shipped catalogue's architectures.
const FIXED: [(&str, RGBColor); 7] = [
    ("Enterprise Networking", BLUE),
    ("Security", VERMILLION),
    ("Data Center", BLUISH_GREEN),
    ("Collaboration", ORANGE),
    ("Service Provider", REDDISH_PURPLE),
    ("Internet of Things", SKY_BLUE),
    ("Uncategorized", GREY),
];

/// Colours handed to architectures the catalogue does not ship, in this order.
const SPARE: [RGBColor; 7] = [
    YELLOW,
    SKY_BLUE,
    ORANGE,
    REDDISH_PURPLE,
    BLUISH_GREEN,
    VERMILLION,
    BLUE,
];

/// One legend entry: a colour and the architectures drawn in it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Swatch {
    pub label: String,
    pub color: RGBColor,
}

/// Colour of each architecture in `names` (legend order), and the legend to draw.
/// Every architecture gets a distinct colour while colours last; the rest share [`OTHER`].
pub(crate) fn assign(names: &[String]) -> (Vec<RGBColor>, Vec<Swatch>) {
    let fixed = |n: &str| FIXED.iter().find(|(f, _)| *f == n.trim()).map(|f| f.1);
    let mut used: Vec<RGBColor> = names.iter().filter_map(|n| fixed(n)).collect();
    let mut colors = Vec::with_capacity(names.len());
    let mut legend: Vec<Swatch> = Vec::new();
    let mut others = 0usize;
    for name in names {
        let color = match fixed(name) {
            Some(c) => c,
            None => match SPARE.iter().find(|c| !used.contains(c)) {
                Some(&c) => {
                    used.push(c);
                    c
                }
                None => {
                    others += 1;
                    OTHER
                }
            },
        };
        colors.push(color);
        if color != OTHER {
            legend.push(Swatch {
                label: name.trim().to_string(),
                color,
            });
        }
    }
    if others > 0 {
        legend.push(Swatch {
            label: format!("Other architectures ({others})"),
            color: OTHER,
        });
    }
    (colors, legend)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shipped_architectures_keep_their_colour_whatever_the_order() {
        let (a, _) = assign(&names(&["Security", "Enterprise Networking"]));
        let (b, _) = assign(&names(&["Enterprise Networking", "Security"]));
        assert_eq!(a, [VERMILLION, BLUE]);
        assert_eq!(b, [BLUE, VERMILLION]);
    }

    #[test]
    fn unknown_architectures_take_unused_colours_and_never_share_one() {
        let (c, legend) = assign(&names(&["Security", "Robots", "Space"]));
        assert_eq!(c, [VERMILLION, YELLOW, SKY_BLUE]);
        assert_eq!(legend.len(), 3);
    }

    #[test]
    fn beyond_the_palette_architectures_share_one_other_entry() {
        let many: Vec<String> = (0..10).map(|i| format!("Arch {i}")).collect();
        let (c, legend) = assign(&many);
        assert_eq!(c.iter().filter(|&&x| x == OTHER).count(), 3);
        assert_eq!(legend.len(), 8);
        assert_eq!(legend[7].label, "Other architectures (3)");
    }
}
