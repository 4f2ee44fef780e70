//! XLSX workbook of a line/record report or `export`: one sheet (`renewals`: a summary and
//! one sheet per quarter), bold frozen header row,
//! autofilter, numbers as numbers, dates as real date cells (`yyyy-mm-dd`), sized columns.

use std::io::{Seek, Write};

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::report::{DateValue, Report, ReportBody};

use super::sheet::{columns, for_each_row, Cell};
use super::RenderError;

/// Excel serial day of 1970-01-01 (serials count days from 1899-12-30).
const EXCEL_UNIX_EPOCH: i64 = 25_569;
/// Columns never get wider than this many characters.
const MAX_WIDTH: usize = 60;

fn err(e: XlsxError) -> RenderError {
    RenderError::Xlsx(e.to_string())
}

/// The width (in characters) a cell needs: the text's characters, a number's digits, 10 for a
/// date, 8 for a fraction, 5 for a boolean.
fn cell_width(cell: &Cell<'_>) -> usize {
    match *cell {
        Cell::Text(s) | Cell::Date(DateValue::Unparsed(s)) => s.chars().count(),
        Cell::Int(n) => {
            let digits = n
                .unsigned_abs()
                .checked_ilog10()
                .map_or(1, |d| d as usize + 1);
            digits + usize::from(n < 0)
        }
        Cell::Float(_) => 8,
        Cell::Date(DateValue::At(_)) => 10,
        Cell::Bool(_) => 5,
        Cell::Date(DateValue::Absent) | Cell::Empty => 0,
    }
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell<'_>,
    date_fmt: &Format,
) -> Result<(), XlsxError> {
    match *cell {
        Cell::Text(s) => {
            if !s.is_empty() {
                ws.write_string(row, col, s)?;
            }
        }
        Cell::Int(n) => {
            ws.write_number(row, col, n as f64)?;
        }
        Cell::Float(f) => {
            ws.write_number(row, col, f)?;
        }
        Cell::Date(DateValue::At(s)) => {
            let (y, _, _) = crate::date::civil(s);
            if (1901..=9999).contains(&y) {
                let serial = s.div_euclid(86_400) + EXCEL_UNIX_EPOCH;
                ws.write_number_with_format(row, col, serial as f64, date_fmt)?;
            } else {
                ws.write_string(row, col, crate::date::ymd(s))?;
            }
        }
        Cell::Date(DateValue::Unparsed(raw)) => {
            ws.write_string(row, col, raw)?;
        }
        Cell::Bool(b) => {
            ws.write_boolean(row, col, b)?;
        }
        Cell::Date(DateValue::Absent) | Cell::Empty => {}
    }
    Ok(())
}

/// Column widths of a sheet: each column's name plus 2, or its widest cell plus 1.
struct Widths(Vec<usize>);

impl Widths {
    fn new(columns: &[&str]) -> Self {
        Self(columns.iter().map(|c| c.len() + 2).collect())
    }

    fn add(&mut self, cells: &[Cell<'_>]) {
        for (max, cell) in self.0.iter_mut().zip(cells) {
            *max = (*max).max(cell_width(cell) + 1);
        }
    }
}

/// One sheet being written row by row (rust_xlsxwriter's low-memory mode: each row goes to a
/// temporary file when the next begins, so memory does not grow with the rows). The column
/// widths are known before the first row (a first pass over the rows measures them).
struct SheetWriter<'w> {
    ws: &'w mut Worksheet,
    row: u32,
    columns: usize,
}

impl<'w> SheetWriter<'w> {
    fn new(
        wb: &'w mut Workbook,
        name: &str,
        columns: &[&str],
        widths: &Widths,
        header: &Format,
    ) -> Result<Self, XlsxError> {
        let ws = wb.add_worksheet_with_low_memory();
        ws.set_name(name)?;
        for (c, w) in widths.0.iter().enumerate() {
            ws.set_column_width(c as u16, (*w).min(MAX_WIDTH) as f64)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (c, col) in columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *col, header)?;
        }
        Ok(Self {
            ws,
            row: 0,
            columns: columns.len(),
        })
    }

    fn row(&mut self, cells: &[Cell<'_>], date_fmt: &Format) -> Result<(), XlsxError> {
        self.row += 1;
        for (c, cell) in cells.iter().enumerate() {
            write_cell(self.ws, self.row, c as u16, cell, date_fmt)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<(), XlsxError> {
        self.ws
            .autofilter(0, 0, self.row, (self.columns - 1) as u16)?;
        Ok(())
    }
}

/// `renewals`: a "Summary" sheet (one row per quarter and currency), then one sheet per
/// quarter named by its label (`2027-Q1`) with that quarter's lines.
fn renewals(
    wb: &mut Workbook,
    cal: &crate::renewals::Renewals<'_>,
    header: &Format,
    date_fmt: &Format,
) -> Result<(), RenderError> {
    use crate::renewals::{COLUMNS, SUMMARY_COLUMNS};
    let mut buf = Vec::new();
    let mut widths = Widths::new(SUMMARY_COLUMNS);
    cal.for_each_summary_row(&mut buf, |cells| {
        widths.add(cells);
        Ok::<(), XlsxError>(())
    })
    .map_err(err)?;
    let mut sheet =
        SheetWriter::new(wb, "Summary", SUMMARY_COLUMNS, &widths, header).map_err(err)?;
    cal.for_each_summary_row(&mut buf, |cells| sheet.row(cells, date_fmt))
        .map_err(err)?;
    sheet.finish().map_err(err)?;
    for (i, q) in cal.quarters.iter().enumerate() {
        let mut widths = Widths::new(COLUMNS);
        cal.for_each_file_row(Some(i), &mut buf, |cells| {
            widths.add(cells);
            Ok::<(), XlsxError>(())
        })
        .map_err(err)?;
        let mut sheet = SheetWriter::new(wb, &q.label, COLUMNS, &widths, header).map_err(err)?;
        cal.for_each_file_row(Some(i), &mut buf, |cells| sheet.row(cells, date_fmt))
            .map_err(err)?;
        sheet.finish().map_err(err)?;
    }
    Ok(())
}

/// The workbook of `report`, written to `out` (a file, or a buffer for [`workbook`]). The rows
/// are read twice (widths, then cells); memory holds one row and the distinct strings.
pub(super) fn write_workbook<W: Write + Seek + Send>(
    report: &Report<'_>,
    out: W,
) -> Result<(), RenderError> {
    let columns = columns(report.kind()).ok_or(RenderError::NoFileFormat(report.kind()))?;
    let mut wb = Workbook::new();
    let header = Format::new().set_bold();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    if let ReportBody::Renewals(cal) = &report.body {
        renewals(&mut wb, cal, &header, &date_fmt)?;
        return wb.save_to_writer(out).map_err(err);
    }
    let mut widths = Widths::new(columns);
    for_each_row(report, |cells| {
        widths.add(cells);
        Ok(())
    })?;
    let mut sheet =
        SheetWriter::new(&mut wb, report.kind().name(), columns, &widths, &header).map_err(err)?;
    for_each_row(report, |cells| sheet.row(cells, &date_fmt).map_err(err))?;
    sheet.finish().map_err(err)?;
    wb.save_to_writer(out).map_err(err)
}

pub(super) fn workbook(report: &Report<'_>) -> Result<Vec<u8>, RenderError> {
    let mut out = std::io::Cursor::new(Vec::new());
    write_workbook(report, &mut out)?;
    Ok(out.into_inner())
}
