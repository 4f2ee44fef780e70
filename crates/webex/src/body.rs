//! What a request sends, kept as data so every attempt of a retried call can rebuild it:
//! [`Body`] (nothing, JSON bytes, or a multipart form) and the [`FileUpload`] of a multipart one.

use bytes::Bytes;

use crate::error::WebexError;

/// What a request sends. Kept as data so every attempt can rebuild the request.
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Multipart {
        fields: Vec<(&'static str, String)>,
        file: FileUpload,
    },
}

impl Body {
    pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<Self, WebexError> {
        serde_json::to_vec(value)
            .map(|v| Body::Json(Bytes::from(v)))
            .map_err(|e| WebexError::InvalidInput(format!("cannot encode the request: {e}")))
    }
}

/// One file to upload with a message.
#[derive(Clone, PartialEq, Eq)]
pub struct FileUpload {
    pub filename: String,
    pub content_type: String,
    pub bytes: Bytes,
}

impl std::fmt::Debug for FileUpload {
    // The bytes may be a whole report: show their size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileUpload")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl FileUpload {
    pub fn new(
        filename: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<Bytes>,
    ) -> Self {
        Self {
            filename: filename.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }

    /// The multipart form: the text fields, then one `files` part.
    pub(crate) fn form(
        &self,
        fields: &[(&'static str, String)],
    ) -> Result<reqwest::multipart::Form, WebexError> {
        let part = reqwest::multipart::Part::stream(self.bytes.clone())
            .file_name(self.filename.clone())
            .mime_str(&self.content_type)
            .map_err(|_| {
                WebexError::InvalidInput(format!(
                    "{:?} is not a valid content type",
                    self.content_type
                ))
            })?;
        let form = fields
            .iter()
            .fold(reqwest::multipart::Form::new(), |form, (name, value)| {
                form.text(*name, value.clone())
            });
        Ok(form.part("files", part))
    }
}
