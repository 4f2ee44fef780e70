//! See the crate documentation. (Placeholder until the verifier branch lands its parser.)

/// Why a duration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("I could not understand that period")]
pub struct DurationError;

/// Days in a `PnD` / `PnW` duration (the full parser replaces this).
pub fn days_from(value: &str, _today: chrono::NaiveDate) -> Result<u32, DurationError> {
    let v = value.trim().to_ascii_uppercase();
    let v = v.strip_prefix('P').ok_or(DurationError)?;
    if let Some(d) = v.strip_suffix('D') {
        return d.parse().map_err(|_| DurationError);
    }
    if let Some(w) = v.strip_suffix('W') {
        return w.parse::<u32>().map(|w| w * 7).map_err(|_| DurationError);
    }
    Err(DurationError)
}
