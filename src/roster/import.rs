//! Importing an enterprise union's existing members. An upload (.xlsx or .csv, UTF-8 or GBK)
//! is read within limits — size, rows, and for a spreadsheet the unzipped size, measured by
//! actually unpacking before the spreadsheet reader sees it, so a zip bomb stops early — and
//! every row is checked like the join form (name, ID number with its check character and the
//! age rule, phone, plate), against the other rows of the file and against existing members
//! and open applications (blind index). The valid rows wait sealed in a batch; the confirmation
//! imports them in one transaction, each as an approved application and a member. Importing
//! the same people again finds them members already: nothing changes.
use super::repo::{self, imports::NewBatch};
use super::service::{RosterError, RosterResult};
use super::{BatchStatus, BatchView, RowProblem, RowReport, IMPORT_BATCH_SECS, MAX_IMPORT_ROWS, MAX_UNZIPPED_BYTES, TEMPLATE_HEADER};
use crate::domain::{IdNumber, Phone, PlateNumber, Ymd};
use crate::i18n::{Lang, T};
use crate::org::tally;
use crate::server::audit;
use crate::server::events::{Change, ChangeKind};
use crate::server::state::AppState;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// What an imported application's consent fields and source say.
pub const CONSENT_IMPORTED: &str = "imported-by-admin";
pub const SOURCE_IMPORT: &str = "import";
/// Entries a spreadsheet may hold (a real one has a dozen or so).
const MAX_ZIP_ENTRIES: usize = 1_000;

/// Reads an upload into rows of cells; a file that cannot be read safely is refused with the
/// sentence to show.
pub fn read_table(file_name: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, T> {
    if bytes.is_empty() {
        return Err(T::ImportEmpty);
    }
    if bytes.len() > super::MAX_UPLOAD_BYTES {
        return Err(T::ImportTooLarge);
    }
    let xlsx_name = file_name.to_ascii_lowercase().ends_with(".xlsx");
    if bytes.starts_with(b"PK\x03\x04") || xlsx_name {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

/// Unpacks every entry into nothing, counting: more than the limit, or anything unreadable,
/// and the file is refused before the spreadsheet reader opens it.
fn check_zip(bytes: &[u8]) -> Result<(), T> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| T::ImportNotSpreadsheet)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(T::ImportUnzippedTooLarge);
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|_| T::ImportNotSpreadsheet)?;
        total = total.saturating_add(entry.size());
        if total > MAX_UNZIPPED_BYTES {
            return Err(T::ImportUnzippedTooLarge);
        }
    }
    // The sizes in the directory may lie: unpack for real, never past the limit.
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|_| T::ImportNotSpreadsheet)?;
        let left = MAX_UNZIPPED_BYTES - total;
        let n = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()).map_err(|_| T::ImportNotSpreadsheet)?;
        total += n;
        if total > MAX_UNZIPPED_BYTES {
            return Err(T::ImportUnzippedTooLarge);
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, T> {
    use calamine::Reader;
    check_zip(bytes)?;
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|_| T::ImportNotSpreadsheet)?;
    let range = book.worksheet_range_at(0).ok_or(T::ImportNotSpreadsheet)?.map_err(|_| T::ImportNotSpreadsheet)?;
    if range.height() > MAX_IMPORT_ROWS + 1 {
        return Err(T::ImportTooManyRows);
    }
    Ok(range.rows().map(|row| row.iter().map(cell_text).collect()).collect())
}

/// A spreadsheet cell as the text a person typed: whole numbers without a decimal point,
/// dates as yyyy-mm-dd.
fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        // Excel's calendar runs from 1900 to 9999 (serials 1 to 2,958,465); a number outside
        // it is shown as the number, never turned into a date.
        Data::DateTime(d) if (1.0..=2_958_465.0).contains(&d.as_f64()) => {
            let serial = d.as_f64().floor() as i64;
            Ymd::new(1899, 12, 30).map(|base| base.add_days(serial).to_string()).unwrap_or_default()
        }
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(_) => "#ERROR".into(),
        Data::Empty => String::new(),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, T> {
    if bytes.contains(&0) {
        return Err(T::ImportNotSpreadsheet);
    }
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text: String = match std::str::from_utf8(body) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(body).ok_or(T::ImportEncoding)?.into_owned(),
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| T::ImportNotSpreadsheet)?;
        rows.push(record.iter().map(str::to_string).collect());
        if rows.len() > MAX_IMPORT_ROWS + 1 {
            return Err(T::ImportTooManyRows);
        }
    }
    Ok(rows)
}

fn header_matches(cell: &str, expected: &str) -> bool {
    let cell = cell.trim().trim_start_matches('\u{feff}');
    cell == expected || cell == expected.trim_end_matches("(可选)") || cell == expected.replace("(可选)", "（可选）")
}

/// One valid row, as sealed in the batch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ValidRow {
    pub row: i64,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub joined: Option<String>,
    pub plate: Option<String>,
}

/// A joined date as typed: 2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日 or 20240501.
fn joined_date(s: &str, today: Ymd) -> Result<Option<Ymd>, T> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
    let date = match parts.as_slice() {
        [y, m, d] => Ymd::new(
            y.parse().map_err(|_| T::ErrJoinedDate)?,
            m.parse().map_err(|_| T::ErrJoinedDate)?,
            d.parse().map_err(|_| T::ErrJoinedDate)?,
        ),
        [one] => Ymd::parse(one),
        _ => None,
    };
    match date {
        Some(d) if d <= today && d.year() >= 1949 => Ok(Some(d)),
        _ => Err(T::ErrJoinedDate),
    }
}

/// The rows checked: every row's report, and the valid ones. `taken` tells which blind indexes
/// already have an open application or membership.
pub struct Checked {
    pub report: Vec<RowReport>,
    pub valid: Vec<ValidRow>,
}

/// Checks the header and every row (all rules that need no database, and duplicates within the
/// file); `blind` gives an ID number's blind index.
pub fn check_rows(rows: &[Vec<String>], today: Ymd, blind: impl Fn(&IdNumber) -> String) -> Result<(Checked, Vec<String>), T> {
    let mut it = rows.iter().enumerate().filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()));
    let Some((_, header)) = it.next() else { return Err(T::ImportEmpty) };
    let header_ok = header.len() >= 3
        && header.iter().enumerate().all(|(i, c)| match TEMPLATE_HEADER.get(i) {
            Some(expected) => header_matches(c, expected) || (i >= 3 && c.trim().is_empty()),
            None => c.trim().is_empty(),
        });
    if !header_ok {
        return Err(T::ImportWrongHeader);
    }
    let mut report = Vec::new();
    let mut valid = Vec::new();
    let mut blinds = Vec::new();
    let mut seen_id: HashMap<String, i64> = HashMap::new();
    let mut seen_phone: HashMap<String, i64> = HashMap::new();
    for (i, cells) in it {
        let row = i as i64 + 1;
        if report.len() >= MAX_IMPORT_ROWS {
            return Err(T::ImportTooManyRows);
        }
        let cell = |k: usize| cells.get(k).map(|s| s.trim()).unwrap_or("");
        let mut problems = Vec::new();
        let mut note = |text: T| problems.push(RowProblem { text, other_row: None });
        let name = crate::join::validate::name(cell(0)).map_err(&mut note).ok();
        let id = crate::join::validate::id_number(cell(1), today).map_err(&mut note).ok();
        let phone = crate::join::validate::phone(cell(2)).map_err(&mut note).ok();
        let joined = joined_date(cell(3), today).map_err(&mut note).ok().flatten();
        let plate: Option<PlateNumber> = crate::join::validate::plate(cell(4)).map_err(&mut note).ok().flatten();
        let id_blind = id.as_ref().map(&blind);
        if let Some(b) = &id_blind {
            if let Some(first) = seen_id.get(b) {
                problems.push(RowProblem { text: T::ImportDuplicateId, other_row: Some(*first) });
            }
        }
        if let Some(p) = &phone {
            if let Some(first) = seen_phone.get(p.as_str()) {
                problems.push(RowProblem { text: T::ImportDuplicatePhone, other_row: Some(*first) });
            }
        }
        if let Some(b) = &id_blind {
            seen_id.entry(b.clone()).or_insert(row);
        }
        if let Some(p) = &phone {
            seen_phone.entry(p.as_str().to_string()).or_insert(row);
        }
        let name_masked = match &name {
            Some(n) => n.masked(),
            None => crate::domain::PersonName::mask_stored(cell(0)),
        };
        if let (true, Some(name), Some(id), Some(phone), Some(b)) = (problems.is_empty(), name, id, phone, id_blind) {
            blinds.push(b);
            valid.push(ValidRow {
                row,
                name: name.as_str().to_string(),
                id_number: id.as_str().to_string(),
                phone: phone.as_str().to_string(),
                joined: joined.map(|d| d.to_string()),
                plate: plate.map(|p| p.as_str().to_string()),
            });
        }
        report.push(RowReport { row, name_masked, problems });
    }
    if report.is_empty() {
        return Err(T::ImportEmpty);
    }
    Ok((Checked { report, valid }, blinds))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Uploaded {
    /// Validated and waiting for confirmation: the batch's id.
    Batch(i64),
    /// The file was refused as a whole; nothing was written.
    Refused(T),
}

/// Reads, checks and stores an upload for `org_id` (checked by the caller).
pub async fn upload(
    state: &AppState,
    admin: &crate::admin::repo::AdminRow,
    ip: &str,
    org_id: i64,
    file_name: &str,
    bytes: &[u8],
) -> RosterResult<Uploaded> {
    let rows = match read_table(file_name, bytes) {
        Ok(r) => r,
        Err(t) => return Ok(Uploaded::Refused(t)),
    };
    let today = state.today();
    let keys = state.keys.clone();
    let (mut checked, blinds) = match check_rows(&rows, today, |id| keys.blind_index(id)) {
        Ok(c) => c,
        Err(t) => return Ok(Uploaded::Refused(t)),
    };
    drop(rows);
    // Against existing members and open applications, whichever key of the ring indexed them.
    let others: Vec<Vec<String>> = checked
        .valid
        .iter()
        .map(|v| IdNumber::parse(&v.id_number, today).map(|id| keys.blind_indexes(&id).split_off(1)).unwrap_or_default())
        .collect();
    let asked: Vec<String> = blinds.iter().chain(others.iter().flatten()).cloned().collect();
    let taken = repo::imports::taken_blinds(&state.db.pool, &asked).await?;
    if !taken.is_empty() {
        let mut gone = std::collections::HashSet::new();
        for ((v, b), o) in checked.valid.iter().zip(&blinds).zip(&others) {
            if taken.contains(b) || o.iter().any(|b| taken.contains(b)) {
                gone.insert(v.row);
            }
        }
        for r in checked.report.iter_mut().filter(|r| gone.contains(&r.row)) {
            r.problems.push(RowProblem { text: T::ImportAlreadyMember, other_row: None });
        }
        checked.valid.retain(|v| !gone.contains(&v.row));
    }
    let batch_key = crate::server::crypto::random_token();
    let sealed = state.keys.seal_text(&serde_json::to_string(&checked.valid).expect("rows serialise"), &format!("import:{batch_key}"));
    let report = serde_json::to_string(&checked.report).expect("report serialises");
    let sha = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(bytes))
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let id = repo::imports::insert_batch(
        &mut tx,
        NewBatch {
            batch_key: &batch_key,
            admin_id: admin.id,
            org_id,
            file_sha256: &sha,
            total_rows: checked.report.len() as i64,
            valid_rows: checked.valid.len() as i64,
            rows_sealed: &sealed,
            report: &report,
            now,
            expires_at: now + IMPORT_BATCH_SECS,
        },
    )
    .await?;
    let detail = format!("validated org {org_id}: {} rows, {} valid", checked.report.len(), checked.valid.len());
    audit::record(&mut tx, state, now, admin.audit(audit::Action::Import, audit::Target::Import(id), ip, audit::Outcome::Ok, &detail))
        .await?;
    tx.commit().await?;
    Ok(Uploaded::Batch(id))
}

/// A batch's report page, for the admin who uploaded it; `None` otherwise.
pub async fn batch_view(
    state: &AppState,
    admin: &crate::admin::repo::AdminRow,
    id: i64,
) -> RosterResult<Option<(BatchView, Vec<RowReport>)>> {
    let mut conn = state.db.pool.acquire().await?;
    let Some(b) = repo::imports::batch(&mut conn, id).await? else { return Ok(None) };
    if b.admin_id != admin.id {
        return Ok(None);
    }
    let report: Vec<RowReport> = serde_json::from_str(&b.report).map_err(|e| RosterError::Sealed(e.to_string()))?;
    let view = BatchView {
        id: b.id,
        org_name: b.org_name,
        total: b.total_rows,
        valid: b.valid_rows,
        bad: report.iter().filter(|r| !r.problems.is_empty()).cloned().collect(),
        status: b.status,
        imported: b.imported,
        skipped: b.skipped,
        expired: b.status == BatchStatus::Validated && state.now() >= b.expires_at,
    };
    Ok(Some((view, report)))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Confirmed {
    Done {
        imported: i64,
        skipped: i64,
    },
    /// Imported before (by another click, or another instance): nothing more happened.
    Already,
    Expired,
    NotFound,
}

/// Imports a batch's valid rows in one transaction: applications (approved, source import),
/// members with their numbers, the command centre's totals, the audit row. One conditional
/// write on the batch decides which of two confirmations imports.
pub async fn confirm(state: &AppState, admin: &crate::admin::repo::AdminRow, ip: &str, id: i64) -> RosterResult<Confirmed> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let Some(b) = repo::imports::batch(&mut tx, id).await? else { return Ok(Confirmed::NotFound) };
    if b.admin_id != admin.id {
        return Ok(Confirmed::NotFound);
    }
    if b.status == BatchStatus::Validated && now >= b.expires_at {
        return Ok(Confirmed::Expired);
    }
    if !repo::imports::mark_imported(&mut tx, id, now).await? {
        return Ok(Confirmed::Already);
    }
    let rows: Vec<ValidRow> = {
        let plain =
            state.keys.open_text(&b.rows_sealed, &format!("import:{}", b.batch_key)).map_err(|e| RosterError::Sealed(e.to_string()))?;
        serde_json::from_str(&plain).map_err(|e| RosterError::Sealed(e.to_string()))?
    };
    let today = state.today();
    let mut people = Vec::with_capacity(rows.len());
    let mut skipped = 0;
    for r in &rows {
        match (IdNumber::parse(&r.id_number, today), Phone::parse(&r.phone)) {
            (Ok(id_number), Ok(phone)) => {
                let mut blinds = state.keys.blind_indexes(&id_number);
                let others = blinds.split_off(1);
                people.push((blinds.pop().expect("the active key's index"), others, id_number, phone, r))
            }
            _ => skipped += 1,
        }
    }
    // In blind-index order: two imports of overlapping rosters take the people's unique keys in
    // the same order, so on PostgreSQL one waits for the other instead of deadlocking.
    people.sort_by(|a, b| a.0.cmp(&b.0));
    let mut made: Vec<(i64, i64, i64)> = Vec::new(); // (row in the file, application, joined_at)
    for (blind, others, id_number, phone, r) in people {
        // The person's rows indexed under another key of the ring move to the active key
        // first, so the `open_key` unique index below sees them (see `join::repo::rekey`).
        crate::join::repo::rekey::person(&mut tx, &others, &blind, state.keys.active_id()).await?;
        let key = crate::server::crypto::random_token();
        let (key_id, cipher) = state.keys.seal_id(&id_number, &format!("application:{key}"));
        let inserted = repo::imports::insert_imported(
            &mut tx,
            repo::imports::ImportedApplication {
                submission_key: &key,
                name: &r.name,
                id_cipher: cipher,
                id_key_id: key_id,
                id_blind: &blind,
                id_blind_key: state.keys.active_id(),
                id_masked: &id_number.masked(),
                birth_date: id_number.birth_date().to_string(),
                sex: id_number.sex(),
                phone: phone.as_str(),
                org_id: b.org_id,
                plate: r.plate.as_deref(),
                admin_id: admin.id,
                consent_ip: ip,
                now,
            },
        )
        .await?;
        match inserted {
            Some(app) => {
                let joined = r.joined.as_deref().and_then(Ymd::parse).map(|d| crate::calendar::local_to_unix(d, 0, 0)).unwrap_or(now);
                made.push((r.row, app, joined));
            }
            // A member or an open application meanwhile: left as it is.
            None => skipped += 1,
        }
    }
    // Member numbers follow the file's order.
    made.sort_unstable();
    let numbers = repo::imports::reserve_member_nos(&mut tx, b.org_id, &b.org_code, made.len() as i64).await?;
    for ((_, app, joined), no) in made.iter().zip(&numbers) {
        crate::review::repo::insert_member(&mut tx, *app, b.org_id, no, false, *joined).await?;
    }
    let imported = made.len() as i64;
    if imported > 0 {
        tally::members(&mut tx, &[tally::MemberDelta { org_id: b.org_id, members: imported, pooled: 0 }]).await?;
        tally::day(&mut tx, b.org_id, now, tally::DayDelta { joined: imported, ..tally::DayDelta::default() }).await?;
    }
    repo::imports::set_batch_counts(&mut tx, id, imported, skipped).await?;
    let detail = format!("imported into org {}: {imported} members, {skipped} skipped", b.org_id);
    audit::record(&mut tx, state, now, admin.audit(audit::Action::Import, audit::Target::Import(id), ip, audit::Outcome::Ok, &detail))
        .await?;
    tx.commit().await?;
    if imported > 0 {
        state.events.publish(&state.db, &[Change { org_id: b.org_id, kind: ChangeKind::Member }]).await;
    }
    tracing::info!(batch = id, imported, skipped, "roster imported");
    Ok(Confirmed::Done { imported, skipped })
}

/// The template, as .xlsx (ID and phone columns formatted as text) or .csv (UTF-8 with BOM).
pub fn template(format: super::ExportFormat) -> Result<Vec<u8>, super::export::WriteError> {
    match format {
        super::ExportFormat::Csv => {
            let mut out = "\u{feff}".as_bytes().to_vec();
            out.extend(TEMPLATE_HEADER.join(",").as_bytes());
            out.extend(b"\r\n");
            Ok(out)
        }
        super::ExportFormat::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let text = rust_xlsxwriter::Format::new().set_num_format("@");
            let sheet = book.add_worksheet();
            for (col, h) in TEMPLATE_HEADER.iter().enumerate() {
                sheet.write_string(0, col as u16, *h)?;
                sheet.set_column_format(col as u16, &text)?;
                sheet.set_column_width(col as u16, if col == 1 { 22 } else { 16 })?;
            }
            Ok(book.save_to_buffer()?)
        }
    }
}

/// The row-by-row report as .xlsx: row number, masked name, result.
pub fn report_xlsx(report: &[RowReport], lang: Lang) -> Result<Vec<u8>, super::export::WriteError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in [T::RowNumber, T::Name, T::ImportResult].iter().enumerate() {
        sheet.write_string(0, col as u16, h.get(lang))?;
    }
    for (i, r) in report.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_number(row, 0, r.row as f64)?;
        sheet.write_string(row, 1, super::export::neutralise(&r.name_masked).as_ref())?;
        let result = if r.problems.is_empty() {
            T::ImportRowOk.get(lang).to_string()
        } else {
            r.problems.iter().map(|p| p.words(lang)).collect::<Vec<_>>().join(T::ListSeparator.get(lang))
        };
        sheet.write_string(row, 2, &result)?;
    }
    sheet.set_column_width(2, 50)?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_cell_outside_excels_calendar_stays_a_number() {
        use calamine::{Data, ExcelDateTime, ExcelDateTimeType};
        let date = |v: f64| cell_text(&Data::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false)));
        assert_eq!(date(45_000.0), "2023-03-15");
        for v in [1e300, -5.0, f64::NAN, 3_000_000.0] {
            assert_eq!(date(v), v.to_string(), "{v} is shown as typed, never a date or a panic");
        }
    }

    fn today() -> Ymd {
        Ymd::new(2026, 11, 25).unwrap()
    }

    fn rows(lines: &[&str]) -> Vec<Vec<String>> {
        lines.iter().map(|l| l.split(',').map(str::to_string).collect()).collect()
    }

    #[test]
    fn rows_are_checked_like_the_join_form() {
        let table = rows(&[
            "姓名,身份证号,手机号,入会日期(可选),车牌号(可选)",
            "张三,11010519491231002X,13800138000,2024-05-01,",
            "李四,110105194912310021,13800138001,,",
            "王五,340303197703037893,1380013800,,",
            "赵六,340302199001011237,13800138002,2024/5/1,皖C12345",
            "钱七,340302199001011237,13800138003,,",
            ",,,,",
            "孙八,340321198506154561,13800138000,2099-01-01,",
        ]);
        let (checked, blinds) = check_rows(&table, today(), |id| id.as_str().to_string()).unwrap();
        assert_eq!(checked.report.len(), 6, "the empty line is no row");
        let bad: Vec<(i64, Vec<T>)> = checked
            .report
            .iter()
            .filter(|r| !r.problems.is_empty())
            .map(|r| (r.row, r.problems.iter().map(|p| p.text).collect()))
            .collect();
        assert_eq!(
            bad,
            vec![
                (3, vec![T::ErrIdCheck]),
                (4, vec![T::ErrPhoneInvalid]),
                (6, vec![T::ImportDuplicateId]),
                (8, vec![T::ErrJoinedDate, T::ImportDuplicatePhone]),
            ]
        );
        assert_eq!(checked.valid.iter().map(|v| v.row).collect::<Vec<_>>(), vec![2, 5]);
        assert_eq!(blinds.len(), 2);
        assert_eq!(checked.report[4].problems[0].other_row, Some(5));
    }

    #[test]
    fn headers_must_be_the_template() {
        assert_eq!(
            check_rows(&rows(&["name,id,phone", "张三,11010519491231002X,13800138000"]), today(), |_| String::new()).err(),
            Some(T::ImportWrongHeader)
        );
        assert!(check_rows(&rows(&["姓名,身份证号,手机号", "张三,11010519491231002X,13800138000"]), today(), |_| String::new()).is_ok());
        assert_eq!(check_rows(&rows(&["姓名,身份证号,手机号"]), today(), |_| String::new()).err(), Some(T::ImportEmpty));
    }

    #[test]
    fn joined_dates_in_the_usual_spellings() {
        let d = Ymd::new(2024, 5, 1);
        for s in ["2024-05-01", "2024/5/1", "2024.5.1", "2024年5月1日", "20240501"] {
            assert_eq!(joined_date(s, today()), Ok(d), "{s}");
        }
        assert_eq!(joined_date("", today()), Ok(None));
        assert_eq!(joined_date("2027-01-01", today()), Err(T::ErrJoinedDate));
        assert_eq!(joined_date("yesterday", today()), Err(T::ErrJoinedDate));
    }

    #[test]
    fn csv_in_gbk_is_read() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,身份证号,手机号\n张三,11010519491231002X,13800138000\n");
        let table = read_table("x.csv", &gbk).unwrap();
        assert_eq!(table[1][0], "张三");
    }

    #[test]
    fn hostile_files_are_refused() {
        assert_eq!(read_table("x.xlsx", b"not a zip at all").err(), Some(T::ImportNotSpreadsheet));
        assert_eq!(read_table("x.csv", b"\x00\x01\x02").err(), Some(T::ImportNotSpreadsheet));
        assert_eq!(read_table("x.csv", b"").err(), Some(T::ImportEmpty));
    }
}
