//! Renderers of a computed [`Report`]: JSON (reports.md §3), a terminal table, CSV and XLSX.
//!
//! CSV and XLSX exist for the line and record reports, `export` and `rebalance` only; asking for them on
//! another report is [`RenderError::NoFileFormat`]. Chat markdown is the chat crate's job.

mod json;
mod sheet;
mod table;
mod xlsx;

pub(crate) use sheet::{columns as columns_of, Cell};

use crate::report::{Report, ReportKind};

/// A report could not be rendered in the asked format.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// CSV/XLSX asked for a report that has table, markdown and JSON forms only.
    #[error("the {} report has table, markdown and JSON forms only; CSV and XLSX exist for {}", .0.name(), ReportKind::file_format_names())]
    NoFileFormat(ReportKind),
    /// The CSV writer failed (an internal error).
    #[error("cannot write the CSV: {0}")]
    Csv(String),
    /// The XLSX writer failed (an internal error).
    #[error("cannot write the XLSX workbook: {0}")]
    Xlsx(String),
}

impl Report<'_> {
    /// The §3 JSON document (`report`, the report's fields, `partial`, `missingAccounts`,
    /// `warnings`). Dates are the UTC calendar date of `endDate` (`null` when perpetual, the
    /// raw text when unreadable); `utilization` and `percent` are unrounded.
    pub fn to_json(&self) -> serde_json::Value {
        json::report(self)
    }

    /// [`Report::to_json`] as pretty-printed text with a trailing newline.
    pub fn to_json_string(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
        s.push('\n');
        s
    }

    /// [`Report::to_json_string`] written to `out`, byte for byte, without building the
    /// document (an export's rows are made one at a time).
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        json::write_report(self, out)
    }

    /// [`Report::to_csv`] written row by row to `out`.
    pub fn write_csv(&self, out: &mut dyn std::io::Write) -> Result<(), RenderError> {
        sheet::write_csv(self, out)
    }

    /// A plain-text table with aligned columns, for a terminal.
    pub fn to_table(&self) -> String {
        table::report(self)
    }

    /// CSV bytes (UTF-8, header row first) with the §3 columns.
    pub fn to_csv(&self) -> Result<Vec<u8>, RenderError> {
        sheet::csv(self)
    }

    /// XLSX workbook bytes: bold frozen header, autofilter, date cells, sized columns.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, RenderError> {
        xlsx::workbook(self)
    }

    /// [`Report::to_xlsx`] written to a file (or any seekable writer) without holding the
    /// workbook: the sheet's rows go through a temporary file, one row in memory at a time.
    pub fn write_xlsx<W: std::io::Write + std::io::Seek + Send>(
        &self,
        out: W,
    ) -> Result<(), RenderError> {
        xlsx::write_workbook(self, out)
    }

    /// The column names of the CSV/XLSX form, or `None` when the report has none.
    pub fn file_columns(&self) -> Option<&'static [&'static str]> {
        sheet::columns(self.kind())
    }
}
