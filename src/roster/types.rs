//! Roster values shared by the pages and the server: the members list and its filter, export
//! jobs as their page shows them, and an import's row-by-row report.
use crate::admin::AdminInfo;
use crate::i18n::T;
use crate::org::OrgChoice;
use serde::{Deserialize, Serialize};

/// Members per page of the list.
pub const PAGE_SIZE: i64 = 50;
/// An export link works this long after the job was asked for; then the file is deleted.
pub const EXPORT_LINK_SECS: i64 = 3600;
/// The largest upload read, the most data rows in it, and the most an .xlsx may unpack to.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_IMPORT_ROWS: usize = 20_000;
pub const MAX_UNZIPPED_BYTES: u64 = 50 * 1024 * 1024;
/// A validated upload waits this long for its confirmation.
pub const IMPORT_BATCH_SECS: i64 = 24 * 3600;
/// The template's columns, in order; the last two may be left empty (or left out).
pub const TEMPLATE_HEADER: [&str; 5] = ["姓名", "身份证号", "手机号", "入会日期(可选)", "车牌号(可选)"];

/// The members list's filter, exactly as typed in the GET form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberFilter {
    /// A union inside the admin's subtree (its id), or empty for all of it.
    pub org: String,
    /// `1`: only members waiting in a turnover pool; `0`: only placed ones; empty: both.
    pub pool: String,
    /// yyyy-mm-dd: joined on or after / on or before.
    pub from: String,
    pub to: String,
    /// A whole name, mobile number or ID number (never a part of one).
    pub q: String,
    pub page: String,
}

impl MemberFilter {
    /// The filter as form fields (for the export form and the page links).
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("org", self.org.clone()),
            ("pool", self.pool.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("q", self.q.clone()),
        ]
    }
}

/// One member as the list shows them: masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberItem {
    pub id: i64,
    pub member_no: String,
    pub name_masked: String,
    pub id_masked: String,
    pub phone_masked: String,
    pub org_name: String,
    pub in_pool: bool,
    pub joined_on: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembersView {
    pub admin: AdminInfo,
    pub filter: MemberFilter,
    pub items: Vec<MemberItem>,
    pub total: i64,
    pub orgs: Vec<OrgChoice>,
}

/// What an export lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportKind {
    Members,
    Applications,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Members => "members",
            ExportKind::Applications => "applications",
        }
    }
    pub fn parse(s: &str) -> Option<ExportKind> {
        [ExportKind::Members, ExportKind::Applications].into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> T {
        match self {
            ExportKind::Members => T::RosterMembers,
            ExportKind::Applications => T::RosterApplications,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
        }
    }
    pub fn parse(s: &str) -> Option<ExportFormat> {
        [ExportFormat::Xlsx, ExportFormat::Csv].into_iter().find(|f| f.as_str() == s)
    }
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Where an export job stands. Stored as its `as_str` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
    /// Past its hour: the file is gone.
    Expired,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [JobStatus::Queued, JobStatus::Running, JobStatus::Done, JobStatus::Failed, JobStatus::Expired];
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
    pub fn label(self) -> T {
        match self {
            JobStatus::Queued => T::ExportQueued,
            JobStatus::Running => T::ExportRunning,
            JobStatus::Done => T::ExportDone,
            JobStatus::Failed => T::ExportFailed,
            JobStatus::Expired => T::ExportExpired,
        }
    }
    pub fn in_progress(self) -> bool {
        matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

/// An export job's page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportView {
    pub admin: AdminInfo,
    pub id: i64,
    pub kind: ExportKind,
    pub format: ExportFormat,
    pub status: JobStatus,
    pub rows_done: i64,
    pub rows_total: i64,
    pub reveal: bool,
    /// The download's address (with its token), once the file is ready.
    pub download: Option<String>,
    /// When the link stops working (local time).
    pub expires_at: String,
}

/// A problem with one row of an upload; `other_row` names the earlier row it repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub text: T,
    pub other_row: Option<i64>,
}

impl RowProblem {
    /// The problem in words, in the reader's language (a repeat names the row it repeats).
    pub fn words(&self, lang: crate::i18n::Lang) -> String {
        match self.other_row {
            Some(row) => self.text.fill(lang, &[&row.to_string()]),
            None => self.text.get(lang).to_string(),
        }
    }
}

/// One row of an upload as the report lists it: its number in the file (the header is row 1),
/// the masked name, and its problems (none: it can be imported).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowReport {
    pub row: i64,
    pub name_masked: String,
    pub problems: Vec<RowProblem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchStatus {
    Validated,
    Imported,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Validated => "validated",
            BatchStatus::Imported => "imported",
        }
    }
    pub fn parse(s: &str) -> Option<BatchStatus> {
        [BatchStatus::Validated, BatchStatus::Imported].into_iter().find(|b| b.as_str() == s)
    }
}

/// A validated upload, as its report page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchView {
    pub id: i64,
    pub org_name: String,
    pub total: i64,
    pub valid: i64,
    /// Only the rows with problems.
    pub bad: Vec<RowReport>,
    pub status: BatchStatus,
    pub imported: i64,
    pub skipped: i64,
    pub expired: bool,
}

/// The import page: the upload form, or a batch's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportView {
    pub admin: AdminInfo,
    /// The unions the admin may import into.
    pub orgs: Vec<OrgChoice>,
    pub error: Option<T>,
    pub batch: Option<BatchView>,
}
