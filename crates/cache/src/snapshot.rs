//! The form an inventory takes in the shared (Redis) tier, the same for the bot and the
//! backend's dashboard: the snapshot's JSON (the format `slbot fetch` writes), gzipped, and
//! rebuilt by the snapshot loader on the replica that reads it.

use std::sync::Arc;

use slbot_inventory::{Catalog, Inventory};

use crate::Decode;

/// The snapshot as the shared cache holds it: its JSON (the format `slbot fetch` writes),
/// gzip-compressed. `None` (logged) if it cannot be written, which only costs the sharing.
pub fn encode_snapshot(snapshot: &slbot_cssm::Snapshot) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let written = serde_json::to_writer(&mut gz, snapshot)
        .map_err(|e| e.to_string())
        .and_then(|()| gz.flush().map_err(|e| e.to_string()));
    match written.and_then(|()| gz.finish().map_err(|e| e.to_string())) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            tracing::warn!(error = %e, "cannot encode an inventory for the shared cache");
            None
        }
    }
}

/// Rebuilds an inventory another replica fetched: gunzip (at most `max_json` bytes, so a
/// corrupt or hostile entry cannot exhaust memory), then the snapshot loader with `catalog`.
pub fn snapshot_decoder(catalog: Arc<Catalog>, max_json: u64) -> Decode<Inventory> {
    Arc::new(move |bytes: Vec<u8>| {
        use std::io::Read;
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(max_json + 1)
            .read_to_end(&mut json)
            .map_err(|e| format!("not gzip: {e}"))?;
        if json.len() as u64 > max_json {
            return Err(format!("larger than {max_json} bytes once decompressed"));
        }
        Inventory::from_json_slice(&json, &catalog).map_err(|e| e.to_string())
    })
}
