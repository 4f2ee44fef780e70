//! A small hand-made inventory (every architecture of the test catalogue in use, expirations
//! both sides of `now`) and a PNG decoder for the checks.

use std::collections::HashSet;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use slbot_inventory::{Catalog, Inventory};

/// 2026-11-28T10:00:00Z.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
}

fn catalog() -> Catalog {
    Catalog::from_json(
        r#"{
        "Alpha License": {"architecture": "Security", "subArchitecture": "Network Security"},
        "Beta License": {"architecture": "Enterprise Networking", "subArchitecture": "Wireless"},
        "Gamma License": {"architecture": "Data Center", "subArchitecture": "Compute"},
        "Delta License": {"architecture": "Collaboration", "subArchitecture": "Calling"}
    }"#,
    )
    .unwrap()
}

fn account(name: &str, domain: &str) -> Value {
    json!({"accountName": name, "accountDomain": domain, "accountStatus": "Active",
           "accountType": "CUSTOMER"})
}

fn line(qty: i64, end: &str) -> Value {
    json!({"licenseType": "TERM", "quantity": qty, "startDate": "2024-01-01", "endDate": end,
           "subscriptionId": null, "status": "ACTIVE"})
}

fn record(license: &str, va: &str, qty: i64, in_use: i64, lines: Vec<Value>) -> Value {
    json!({"license": license, "virtualAccount": va, "quantity": qty, "inUse": in_use,
           "available": qty - in_use, "status": "In Compliance", "billingType": "PREPAID",
           "licenseDetails": lines})
}

pub fn load(snapshot: Value) -> Inventory {
    Inventory::from_json_slice(snapshot.to_string().as_bytes(), &catalog()).unwrap()
}

pub fn inventory() -> Inventory {
    load(json!({
        "accounts": [account("Acme", "acme.com"), account("Globex", "globex.com")],
        "licenses": {
            "acme.com": [
                record("Alpha License", "DEFAULT", 100, 80,
                       vec![line(60, "2026-12-20"), line(40, "2027-03-01")]),
                record("Beta License", "DEFAULT", 50, 60, vec![line(50, "2026-11-01")]),
                record("Gamma License", "Lab", 10, 5, vec![line(10, "2027-06-16")]),
                record("Mystery", "Lab", 20, 20, vec![line(20, "2027-01-10")]),
            ],
            "globex.com": [
                record("Delta License", "DEFAULT", 200, 150, vec![line(200, "2027-02-14")]),
                record("Beta License", "Ops", 30, 10, vec![line(30, "2026-10-05")]),
            ],
        }
    }))
}

pub fn empty() -> Inventory {
    load(json!({"accounts": [account("Acme", "acme.com")], "licenses": {"acme.com": []}}))
}

/// A decoded PNG: size and RGB pixels.
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<[u8; 3]>,
}

impl Image {
    pub fn decode(bytes: &[u8]) -> Image {
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "not a PNG signature"
        );
        let decoder = png::Decoder::new(bytes);
        let mut reader = decoder.read_info().expect("a readable PNG header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("a decodable PNG frame");
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected colour type {other:?}"),
        };
        let pixels = buf[..info.buffer_size()]
            .chunks_exact(channels)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        Image {
            width: info.width,
            height: info.height,
            pixels,
        }
    }

    pub fn distinct_colours(&self) -> usize {
        self.pixels.iter().collect::<HashSet<_>>().len()
    }

    pub fn count(&self, colour: [u8; 3]) -> usize {
        self.pixels.iter().filter(|&&p| p == colour).count()
    }

    /// Share of pixels that are not white.
    pub fn ink_share(&self) -> f64 {
        let inked = self
            .pixels
            .iter()
            .filter(|&&p| p != [255, 255, 255])
            .count();
        inked as f64 / self.pixels.len() as f64
    }

    /// Dark pixels (text) inside a band of rows.
    pub fn dark_pixels_in_rows(&self, rows: std::ops::Range<u32>) -> usize {
        rows.flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = self.pixels[(y * self.width + x) as usize];
                p.iter().all(|&c| c < 0x60)
            })
            .count()
    }
}

/// Okabe–Ito colours the charts use (and a neutral grey), as RGB triples.
pub const BLUE: [u8; 3] = [0x00, 0x72, 0xB2];
pub const VERMILLION: [u8; 3] = [0xD5, 0x5E, 0x00];
pub const BLUISH_GREEN: [u8; 3] = [0x00, 0x9E, 0x73];
pub const ORANGE: [u8; 3] = [0xE6, 0x9F, 0x00];
pub const GREY: [u8; 3] = [0x99, 0x99, 0x99];
