//! XLSX workbook of a line/record report or `export`: one sheet (`renewals`: a summary and
//! one sheet per quarter), bold frozen header row,
//! autofilter, numbers as numbers, dates as real date cells (`yyyy-mm-dd`), sized columns.

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

/// One sheet being written: bold frozen header, then rows, then autofilter and widths.
struct SheetWriter<'w> {
    ws: &'w mut Worksheet,
    widths: Vec<usize>,
    row: u32,
    columns: usize,
}

impl<'w> SheetWriter<'w> {
    fn new(
        ws: &'w mut Worksheet,
        name: &str,
        columns: &[&str],
        header: &Format,
    ) -> Result<Self, XlsxError> {
        ws.set_name(name)?;
        for (c, col) in columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *col, header)?;
        }
        Ok(Self {
            ws,
            widths: columns.iter().map(|c| c.len() + 2).collect(),
            row: 0,
            columns: columns.len(),
        })
    }

    fn row(&mut self, cells: &[Cell<'_>], date_fmt: &Format) -> Result<(), XlsxError> {
        self.row += 1;
        for (c, cell) in cells.iter().enumerate() {
            let w = write_cell(self.ws, self.row, c as u16, cell, date_fmt)?;
            if let Some(max) = self.widths.get_mut(c) {
                *max = (*max).max(w + 1);
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<(), XlsxError> {
        self.ws.set_freeze_panes(1, 0)?;
        self.ws
            .autofilter(0, 0, self.row, (self.columns - 1) as u16)?;
        for (c, w) in self.widths.iter().enumerate() {
            self.ws
                .set_column_width(c as u16, (*w).min(MAX_WIDTH) as f64)?;
        }
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
    let mut buf = Vec::new();
    let mut sheet = SheetWriter::new(
        wb.add_worksheet(),
        "Summary",
        crate::renewals::SUMMARY_COLUMNS,
        header,
    )
    .map_err(err)?;
    cal.for_each_summary_row(&mut buf, |cells| sheet.row(cells, date_fmt))
        .map_err(err)?;
    sheet.finish().map_err(err)?;
    for (i, q) in cal.quarters.iter().enumerate() {
        let mut sheet = SheetWriter::new(
            wb.add_worksheet(),
            &q.label,
            crate::renewals::COLUMNS,
            header,
        )
        .map_err(err)?;
        cal.for_each_file_row(Some(i), &mut buf, |cells| sheet.row(cells, date_fmt))
            .map_err(err)?;
        sheet.finish().map_err(err)?;
    }
    Ok(())
}

pub(super) fn workbook(report: &Report<'_>) -> Result<Vec<u8>, RenderError> {
    let columns = columns(report.kind()).ok_or(RenderError::NoFileFormat(report.kind()))?;
    let mut wb = Workbook::new();
    let header = Format::new().set_bold();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    if let ReportBody::Renewals(cal) = &report.body {
        renewals(&mut wb, cal, &header, &date_fmt)?;
        return wb.save_to_buffer().map_err(err);
    }
    let mut sheet = SheetWriter::new(wb.add_worksheet(), report.kind().name(), columns, &header)
        .map_err(err)?;
    for_each_row(report, |cells| sheet.row(cells, &date_fmt).map_err(err))?;
    sheet.finish().map_err(err)?;
    wb.save_to_buffer().map_err(err)
}
