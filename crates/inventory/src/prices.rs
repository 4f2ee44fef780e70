//! Unit prices for `renewals`: a CSV `license,unitPrice[,currency]` that a user uploads to the
//! bot or passes to `slbot report renewals --prices FILE`.
//!
//! Rules (pinned by the tests of this file):
//! - The first non-blank row is the header: its first two cells must be `license` and
//!   `unitPrice` (trimmed, any case; `licence` is accepted), an optional third `currency`.
//!   A file without that header is [`PriceFileError`]: nothing can be read from it.
//! - Every other row is `name,price[,currency]`. Cells are trimmed; quotes are CSV quotes;
//!   blank rows are ignored. A row without a name, with a price that is not a number
//!   (`12.50` and `1,200.00` in quotes are numbers; `abc`, `-3`, `NaN` are not) is skipped
//!   with a warning naming its line number. Missing currency is the empty currency.
//! - Licences are matched by their trimmed name, case-insensitively. A name given twice keeps
//!   the last price, with a warning naming both lines.
//! - Parsing never panics and does no I/O: the caller reads the bytes.

use std::collections::HashMap;

/// One licence's price.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitPrice {
    /// Price of one licence for one term.
    pub unit_price: f64,
    /// The currency as written in the file (`USD`, `EUR`); empty when the file has none.
    pub currency: String,
}

/// Unit prices by licence name (trimmed, case-folded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceList {
    by_name: HashMap<String, (UnitPrice, u64)>,
}

/// A price file read as far as it could be: the prices and a warning per skipped row.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPrices {
    /// The prices read.
    pub prices: PriceList,
    /// One sentence per skipped row or repeated name, naming its line number.
    pub warnings: Vec<String>,
}

/// A price file whose header is not `license,unitPrice[,currency]` (or an empty file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a price file starts with the header `license,unitPrice` (optionally `,currency`); {found}"
)]
pub struct PriceFileError {
    /// What was found instead, as a phrase.
    pub found: String,
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A decimal price: digits with an optional fraction, thousands commas allowed (`1,200.50`).
fn price(text: &str) -> Option<f64> {
    let t: String = text.trim().chars().filter(|c| *c != ',').collect();
    let t = t.strip_prefix('+').unwrap_or(&t);
    let valid = !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && t.bytes().filter(|b| *b == b'.').count() <= 1
        && t.bytes().any(|b| b.is_ascii_digit());
    valid.then(|| t.parse::<f64>().ok()).flatten()
}

/// Whether a header row names the columns (`license`, `unitPrice`, optional `currency`).
fn is_header(cells: &[&str]) -> bool {
    let names: Vec<String> = cells.iter().map(|c| key(c)).collect();
    matches!(
        names.first().map(String::as_str),
        Some("license" | "licence")
    ) && names.get(1).map(String::as_str) == Some("unitprice")
        && names.get(2).is_none_or(|c| c == "currency" || c.is_empty())
}

/// Whether `bytes` look like a price file: their first non-blank row is the header. The bot
/// uses this to tell a price upload from any other attachment.
pub fn looks_like_price_file(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let mut reader = csv_reader(&text);
    for rec in reader.records().flatten() {
        let cells: Vec<&str> = rec.iter().collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        return is_header(&cells);
    }
    false
}

/// The 1-based line of the first non-newline byte at or after `byte` (the CSV reader's own
/// line count stops before skipped blank lines).
fn line_at(text: &str, byte: usize) -> u64 {
    let bytes = text.as_bytes();
    let mut at = byte.min(bytes.len());
    while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
        at += 1;
    }
    bytes[..at].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes())
}

impl PriceList {
    /// Reads a price file (see the module's rules).
    pub fn parse(bytes: &[u8]) -> Result<ParsedPrices, PriceFileError> {
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut reader = csv_reader(text);
        let line_of = |pos: Option<&csv::Position>, i: usize| {
            pos.map_or(i as u64 + 1, |p| line_at(text, p.byte() as usize))
        };
        let mut prices = PriceList::default();
        let mut warnings = Vec::new();
        let mut header_seen = false;
        for (i, rec) in reader.records().enumerate() {
            let (line, rec) = match rec {
                Ok(rec) => (line_of(rec.position(), i), rec),
                Err(e) => {
                    let line = line_of(e.position(), i);
                    if !header_seen {
                        return Err(PriceFileError {
                            found: format!("line {line} cannot be read"),
                        });
                    }
                    warnings.push(format!("line {line}: cannot be read, skipped"));
                    continue;
                }
            };
            let cells: Vec<&str> = rec.iter().collect();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if !header_seen {
                if !is_header(&cells) {
                    return Err(PriceFileError {
                        found: format!("line {line} is `{}`", cells.join(",")),
                    });
                }
                header_seen = true;
                continue;
            }
            let name = cells[0].trim();
            if name.is_empty() {
                warnings.push(format!("line {line}: no license name, skipped"));
                continue;
            }
            let raw = cells.get(1).copied().unwrap_or("").trim();
            let Some(unit_price) = price(raw) else {
                warnings.push(format!(
                    "line {line}: `{raw}` is not a price for {name}, skipped"
                ));
                continue;
            };
            let currency = cells.get(2).copied().unwrap_or("").trim().to_string();
            let entry = (
                UnitPrice {
                    unit_price,
                    currency,
                },
                line,
            );
            if let Some((_, before)) = prices.by_name.insert(key(name), entry) {
                warnings.push(format!(
                    "line {line}: {name} already had a price on line {before}; line {line} is used"
                ));
            }
        }
        if !header_seen {
            return Err(PriceFileError {
                found: "the file is empty".into(),
            });
        }
        Ok(ParsedPrices { prices, warnings })
    }

    /// The price of a licence, matched by trimmed name, case-insensitively.
    pub fn get(&self, license: &str) -> Option<&UnitPrice> {
        self.by_name.get(&key(license)).map(|(p, _)| p)
    }

    /// How many licences have a price.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no licence has a price.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> ParsedPrices {
        PriceList::parse(text.as_bytes()).expect("the header is valid")
    }

    #[test]
    fn prices_are_matched_by_trimmed_name_in_any_case_with_their_currency() {
        let p = parsed(
            "license,unitPrice,currency\nDNA Advantage,120.50,USD\n\"  Apex \",\"1,200\",EUR\n",
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.prices.len(), 2);
        assert_eq!(
            p.prices.get(" dna advantage "),
            Some(&UnitPrice {
                unit_price: 120.5,
                currency: "USD".into()
            })
        );
        assert_eq!(
            p.prices.get("APEX"),
            Some(&UnitPrice {
                unit_price: 1200.0,
                currency: "EUR".into()
            })
        );
        assert_eq!(p.prices.get("Apex Plus"), None);
    }

    #[test]
    fn bad_rows_are_warnings_naming_their_line_and_blank_rows_are_ignored() {
        // Line 1 header, 2 blank, 3 good, 4 no price, 5 negative, 6 no name, 7 good, 8 repeat of 3.
        let p = parsed(
            " License , UNITPRICE \n\n Apex ,10\nPlus,abc\nBase,-3\n,5\nEdge,2.5\napex,11\n",
        );
        assert_eq!(
            p.warnings,
            [
                "line 4: `abc` is not a price for Plus, skipped",
                "line 5: `-3` is not a price for Base, skipped",
                "line 6: no license name, skipped",
                "line 8: apex already had a price on line 3; line 8 is used",
            ]
        );
        assert_eq!(p.prices.len(), 2);
        assert_eq!(p.prices.get("apex").map(|u| u.unit_price), Some(11.0));
        assert_eq!(p.prices.get("edge").map(|u| u.currency.as_str()), Some(""));
    }

    #[test]
    fn a_file_without_the_header_is_an_error_and_not_a_price_file() {
        let err = PriceList::parse(b"name,price\nApex,10\n").unwrap_err();
        assert_eq!(err.found, "line 1 is `name,price`");
        assert_eq!(
            PriceList::parse(b"\n \n").unwrap_err().found,
            "the file is empty"
        );
        assert!(!looks_like_price_file(b"name,price\nApex,10\n"));
        assert!(looks_like_price_file(
            b"\xef\xbb\xbflicense,unitPrice,currency\nApex,10,USD\n"
        ));
    }
}
