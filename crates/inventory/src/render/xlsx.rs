//! XLSX workbook of a line/record report or `export`: one sheet, bold frozen header row,
//! autofilter, numbers as numbers, dates as real date cells (`yyyy-mm-dd`), sized columns.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::report::{DateValue, Report};

use super::sheet::{columns, for_each_row, Cell};
use super::RenderError;

/// Excel serial day of 1970-01-01 (serials count days from 1899-12-30).
const EXCEL_UNIX_EPOCH: i64 = 25_569;
/// Columns never get wider than this many characters.
const MAX_WIDTH: usize = 60;

fn err(e: XlsxError) -> RenderError {
    RenderError::Xlsx(e.to_string())
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell<'_>,
    date_fmt: &Format,
) -> Result<usize, XlsxError> {
    let width = match *cell {
        Cell::Text(s) => {
            if !s.is_empty() {
                ws.write_string(row, col, s)?;
            }
            s.chars().count()
        }
        Cell::Int(n) => {
            ws.write_number(row, col, n as f64)?;
            n.to_string().len()
        }
        Cell::Float(f) => {
            ws.write_number(row, col, f)?;
            8
        }
        Cell::Date(DateValue::At(s)) => {
            let (y, _, _) = crate::date::civil(s);
            if (1901..=9999).contains(&y) {
                let serial = s.div_euclid(86_400) + EXCEL_UNIX_EPOCH;
                ws.write_number_with_format(row, col, serial as f64, date_fmt)?;
            } else {
                ws.write_string(row, col, crate::date::ymd(s))?;
            }
            10
        }
        Cell::Date(DateValue::Unparsed(raw)) => {
            ws.write_string(row, col, raw)?;
            raw.chars().count()
        }
        Cell::Bool(b) => {
            ws.write_boolean(row, col, b)?;
            5
        }
        Cell::Date(DateValue::Absent) | Cell::Empty => 0,
    };
    Ok(width)
}

pub(super) fn workbook(report: &Report<'_>) -> Result<Vec<u8>, RenderError> {
    let columns = columns(report.kind()).ok_or(RenderError::NoFileFormat(report.kind()))?;
    let mut wb = Workbook::new();
    let header = Format::new().set_bold();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    ws.set_name(report.kind().name()).map_err(err)?;
    let mut widths: Vec<usize> = columns.iter().map(|c| c.len() + 2).collect();
    for (c, name) in columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &header)
            .map_err(err)?;
    }
    let mut row: u32 = 0;
    for_each_row(report, |cells| {
        row += 1;
        for (c, cell) in cells.iter().enumerate() {
            let w = write_cell(ws, row, c as u16, cell, &date_fmt).map_err(err)?;
            if let Some(max) = widths.get_mut(c) {
                *max = (*max).max(w + 1);
            }
        }
        Ok(())
    })?;
    ws.set_freeze_panes(1, 0).map_err(err)?;
    ws.autofilter(0, 0, row, (columns.len() - 1) as u16)
        .map_err(err)?;
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w).min(MAX_WIDTH) as f64)
            .map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}
