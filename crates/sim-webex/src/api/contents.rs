//! `GET /v1/contents/{id}`: a stored file, for members of its room (bearer token or the web
//! chat's session cookie).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::Downloader;
use crate::error::ApiError;
use crate::state::SimState;

pub(super) async fn download(
    State(state): State<SimState>,
    Downloader(me): Downloader,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (filename, content_type, bytes) = state.file_for(&me, &id)?;
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&disposition(&filename))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266).
fn disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_non_ascii_filename_gets_an_ascii_fallback_and_an_encoded_form() {
        assert_eq!(
            super::disposition("Lizenz ü \"1\".csv"),
            "attachment; filename=\"Lizenz _ _1_.csv\"; filename*=UTF-8''Lizenz%20%C3%BC%20%221%22.csv"
        );
    }
}
