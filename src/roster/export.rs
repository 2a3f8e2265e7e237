//! Writing an export file row by row: .xlsx through the spreadsheet writer's constant-memory
//! mode (each row goes to a temporary file as it is written), or .csv (UTF-8 with a BOM, so
//! spreadsheet programs read the Chinese). Every cell is text — ID numbers and phones keep
//! their digits — and a cell a spreadsheet could take for a formula (starting with = + - @, a
//! tab or a carriage return) is written with a leading apostrophe.
use super::repo::ExportRow;
use super::{ExportFormat, ExportKind};
use crate::domain::{PersonName, Phone};
use crate::i18n::{Lang, T};
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A fault while writing a file (the job fails; nothing half-written is offered).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("sealed ID number of row {0} does not open")]
    Sealed(i64),
}

/// The text a spreadsheet shows as it is: a leading = + - @ (or tab, carriage return) makes
/// the cell start with an apostrophe, so it is never read as a formula.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// The column headings of an export (in Chinese: the files go to Chinese unions).
pub fn header(kind: ExportKind) -> Vec<&'static str> {
    let t = |k: T| k.get(Lang::Zh);
    match kind {
        ExportKind::Members => {
            vec![t(T::Member), t(T::Name), t(T::IdNumber), t(T::Phone), t(T::Union), t(T::TurnoverPool), t(T::JoinedOn)]
        }
        ExportKind::Applications => vec![
            t(T::ApplicationNo),
            t(T::Name),
            t(T::IdNumber),
            t(T::Phone),
            t(T::ReviewingUnion),
            t(T::TurnoverPool),
            t(T::Channel2),
            t(T::Status),
            t(T::SubmittedAt),
        ],
    }
}

/// A row's cells: masked, or — with `full_id` opened by the caller — in full.
pub fn cells(kind: ExportKind, r: &ExportRow, full_id: Option<&str>) -> Vec<String> {
    let (name, id, phone) = match full_id {
        Some(id) => (r.name.clone(), id.to_string(), r.phone.clone()),
        None => (PersonName::mask_stored(&r.name), r.id_masked.clone(), Phone::mask_stored(&r.phone)),
    };
    let yes_no = |b: bool| if b { T::Yes } else { T::No }.get(Lang::Zh).to_string();
    match kind {
        ExportKind::Members => vec![
            r.member_no.clone().unwrap_or_default(),
            name,
            id,
            phone,
            r.org_name.clone(),
            yes_no(r.in_pool),
            crate::calendar::format_local(r.at).chars().take(10).collect(),
        ],
        ExportKind::Applications => vec![
            r.id.to_string(),
            name,
            id,
            phone,
            r.org_name.clone(),
            yes_no(r.in_pool),
            r.channel.clone().unwrap_or_default(),
            r.status
                .as_deref()
                .and_then(crate::join::ApplicationStatus::parse)
                .map(|s| s.label().get(Lang::Zh).to_string())
                .unwrap_or_default(),
            crate::calendar::format_local(r.at),
        ],
    }
}

/// An export file being written.
pub enum FileWriter {
    Xlsx { book: Box<rust_xlsxwriter::Workbook>, row: u32, path: PathBuf },
    Csv(Box<csv::Writer<std::io::BufWriter<std::fs::File>>>),
}

impl FileWriter {
    /// Starts the file at `path` (temporary files of the spreadsheet go to `tmp`) with its header.
    pub fn create(format: ExportFormat, path: &Path, tmp: &Path, header: &[&str]) -> Result<FileWriter, WriteError> {
        let mut w = match format {
            ExportFormat::Xlsx => {
                let mut book = rust_xlsxwriter::Workbook::new();
                book.set_tempdir(tmp)?;
                book.add_worksheet_with_constant_memory()?;
                FileWriter::Xlsx { book: Box::new(book), row: 0, path: path.to_path_buf() }
            }
            ExportFormat::Csv => {
                let mut file = std::io::BufWriter::with_capacity(256 * 1024, std::fs::File::create(path)?);
                file.write_all("\u{feff}".as_bytes())?;
                FileWriter::Csv(Box::new(csv::WriterBuilder::new().from_writer(file)))
            }
        };
        w.row(header.iter().copied())?;
        Ok(w)
    }

    /// Appends one row; every cell as text.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> Result<(), WriteError> {
        match self {
            FileWriter::Xlsx { book, row, .. } => {
                let sheet = book.worksheet_from_index(0)?;
                for (col, cell) in cells.into_iter().enumerate() {
                    sheet.write_string(*row, col as u16, neutralise(cell).as_ref())?;
                }
                *row += 1;
            }
            FileWriter::Csv(w) => {
                w.write_record(cells.into_iter().map(|c| neutralise(c).into_owned()))?;
            }
        }
        Ok(())
    }

    /// Finishes the file (the spreadsheet assembles its parts here).
    pub fn finish(self) -> Result<(), WriteError> {
        match self {
            FileWriter::Xlsx { mut book, path, .. } => {
                book.save(&path)?;
            }
            FileWriter::Csv(mut w) => {
                w.flush()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised() {
        for s in ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(s), format!("'{s}"));
        }
        for s in ["张三", "138****1234", "34**************3X", "", "a=b"] {
            assert_eq!(neutralise(s), s);
        }
    }
}
