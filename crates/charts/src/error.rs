//! The one error type of this crate: what the user can fix, and an unexpected tier.

use slbot_inventory::UnknownFilterValue;

use crate::render::RenderOptions;

/// Why a chart could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// A filter value names no account or VA; the sentence names the closest valid ones.
    #[error(transparent)]
    UnknownFilter(#[from] UnknownFilterValue),
    /// The requested image size is too small to be legible or too large to be sensible.
    #[error(
        "A chart must be between {}×{} and {}×{} pixels; {width}×{height} was asked for.",
        RenderOptions::MIN_WIDTH,
        RenderOptions::MIN_HEIGHT,
        RenderOptions::MAX_SIDE,
        RenderOptions::MAX_SIDE
    )]
    BadSize {
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
    },
    /// Drawing or encoding failed (a bug or an exhausted resource, not the user's fault).
    #[error("the chart could not be drawn")]
    Unexpected(#[source] anyhow::Error),
}

impl ChartError {
    /// Wraps a drawing or encoding failure.
    pub(crate) fn unexpected<E>(e: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        ChartError::Unexpected(anyhow::Error::new(e))
    }
}
