//! The SQL of rosters: the members list, the rows an export streams (keyset pages by id, scoped
//! by the admin's union through the closure table), export jobs with their lease, and import
//! batches with the rows they make. Anything outside the subtree does not exist here.
use super::{BatchStatus, ExportFormat, ExportKind, JobStatus, MemberItem, PAGE_SIZE};
use crate::calendar::format_local;
use crate::domain::{PersonName, Phone};
use crate::server::db::Conn;
use serde::{Deserialize, Serialize};
use sqlx::{AnyPool, Row};

/// A whole-value search, resolved: what is stored with a job (never an ID number in clear).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Found {
    #[default]
    Any,
    Phone(String),
    IdBlind(String),
    Name(String),
    Nothing,
}

impl From<crate::review::repo::Search> for Found {
    fn from(s: crate::review::repo::Search) -> Found {
        use crate::review::repo::Search;
        match s {
            Search::Any => Found::Any,
            Search::Phone(p) => Found::Phone(p),
            Search::IdBlind(b) => Found::IdBlind(b),
            Search::Name(n) => Found::Name(n),
            Search::Nothing => Found::Nothing,
        }
    }
}

/// A screen's filter, parsed: what a list page or an export selects inside the subtree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// A union inside the subtree (checked before), with its own subtree.
    pub org: Option<i64>,
    /// Members: in a pool or not.
    pub pool: Option<bool>,
    /// Unix bounds on the joined (members) or submitted (applications) time: from ≤ t < to.
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Applications: one status (None: all).
    pub status: Option<String>,
    pub channel: Option<i64>,
    /// Applications: pending and due before this time.
    pub overdue_before: Option<i64>,
    pub search: Found,
}

enum Arg {
    I(i64),
    S(String),
}

/// The WHERE clauses of `scope` for rows aliased `a` (application) and `t` (the listed table,
/// members `m` or applications `a`), with their arguments after `$1` (the root).
fn clauses(kind: ExportKind, scope: &Scope, args: &mut Vec<Arg>) -> String {
    let mut out = Vec::new();
    let push = |args: &mut Vec<Arg>, a: Arg| {
        args.push(a);
        args.len()
    };
    let t = match kind {
        ExportKind::Members => "m",
        ExportKind::Applications => "a",
    };
    if let Some(org) = scope.org {
        let n = push(args, Arg::I(org));
        out.push(format!("{t}.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ${n})"));
    }
    if let Some(pool) = scope.pool {
        out.push(format!("{t}.in_pool = {}", pool as i64));
    }
    let at = match kind {
        ExportKind::Members => "m.joined_at",
        ExportKind::Applications => "a.submitted_at",
    };
    if let Some(from) = scope.from {
        let n = push(args, Arg::I(from));
        out.push(format!("{at} >= ${n}"));
    }
    if let Some(to) = scope.to {
        let n = push(args, Arg::I(to));
        out.push(format!("{at} < ${n}"));
    }
    if let Some(status) = &scope.status {
        let n = push(args, Arg::S(status.clone()));
        out.push(format!("a.status = ${n}"));
    }
    if let Some(ch) = scope.channel {
        let n = push(args, Arg::I(ch));
        out.push(format!("a.channel_id = ${n}"));
    }
    if let Some(now) = scope.overdue_before {
        let n = push(args, Arg::I(now));
        out.push(format!("a.status = 'pending' AND a.due_at < ${n}"));
    }
    let exact = match &scope.search {
        Found::Any => None,
        Found::Phone(p) => Some(("a.phone", p)),
        Found::IdBlind(b) => Some(("a.id_blind", b)),
        Found::Name(n) => Some(("a.name", n)),
        Found::Nothing => {
            out.push("1 = 0".into());
            None
        }
    };
    if let Some((column, value)) = exact {
        let n = push(args, Arg::S(value.clone()));
        out.push(format!("{column} = ${n}"));
    }
    out.into_iter().map(|c| format!(" AND {c}")).collect()
}

/// The FROM part: the listed rows of `root`'s subtree. The subtree is a subquery, so a keyset
/// page walks the primary key instead of sorting the whole subtree.
fn from_part(kind: ExportKind) -> &'static str {
    match kind {
        ExportKind::Members => {
            "FROM members m JOIN applications a ON a.id = m.application_id JOIN orgs o ON o.id = m.org_id
             WHERE m.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)"
        }
        ExportKind::Applications => {
            "FROM applications a JOIN orgs o ON o.id = a.org_id LEFT JOIN channels ch ON ch.id = a.channel_id
             WHERE a.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)"
        }
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &[Arg],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::I(i) => q.bind(*i),
            Arg::S(s) => q.bind(s.clone()),
        };
    }
    q
}

/// How many rows `scope` selects in `root`'s subtree.
pub async fn count(pool: &AnyPool, kind: ExportKind, root: i64, scope: &Scope) -> sqlx::Result<i64> {
    let mut args = vec![Arg::I(root)];
    let filter = clauses(kind, scope, &mut args);
    let sql = format!("SELECT COUNT(*) {}{filter}", from_part(kind));
    let row = bind_all(sqlx::query(&sql), &args).fetch_one(pool).await?;
    row.try_get(0)
}

/// A page of the members list (newest first), masked.
pub async fn members_page(pool: &AnyPool, root: i64, scope: &Scope, page: i64) -> sqlx::Result<Vec<MemberItem>> {
    let mut args = vec![Arg::I(root)];
    let filter = clauses(ExportKind::Members, scope, &mut args);
    let sql = format!(
        "SELECT m.id, m.member_no, a.name, a.id_masked, a.phone, o.name AS org_name, m.in_pool, m.joined_at
         {}{filter} ORDER BY m.id DESC LIMIT {PAGE_SIZE} OFFSET {}",
        from_part(ExportKind::Members),
        page.clamp(0, 100_000) * PAGE_SIZE
    );
    let rows = bind_all(sqlx::query(&sql), &args).fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(MemberItem {
                id: r.try_get("id")?,
                member_no: r.try_get("member_no")?,
                name_masked: PersonName::mask_stored(&r.try_get::<String, _>("name")?),
                id_masked: r.try_get("id_masked")?,
                phone_masked: Phone::mask_stored(&r.try_get::<String, _>("phone")?),
                org_name: r.try_get("org_name")?,
                in_pool: r.try_get::<i64, _>("in_pool")? != 0,
                joined_on: format_local(r.try_get("joined_at")?).chars().take(10).collect(),
            })
        })
        .collect()
}

/// One row of an export, as stored (the writer masks or opens it).
#[derive(Clone, Debug)]
pub struct ExportRow {
    pub id: i64,
    pub member_no: Option<String>,
    pub name: String,
    pub id_masked: String,
    pub phone: String,
    pub org_name: String,
    pub in_pool: bool,
    pub channel: Option<String>,
    pub status: Option<String>,
    pub at: i64,
    /// With full numbers: the sealed ID (key id, cipher, the submission key it is bound to).
    pub sealed: Option<(i64, Vec<u8>, String)>,
}

/// Up to `limit` rows after id `after`, in id order (a keyset page: never the whole set).
pub async fn export_page(
    pool: &AnyPool,
    kind: ExportKind,
    root: i64,
    scope: &Scope,
    reveal: bool,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<ExportRow>> {
    let mut args = vec![Arg::I(root)];
    let filter = clauses(kind, scope, &mut args);
    args.push(Arg::I(after));
    let after_n = args.len();
    let sealed = if reveal { ", a.id_key_id, a.id_cipher, a.submission_key" } else { "" };
    let sql = match kind {
        ExportKind::Members => format!(
            "SELECT m.id, m.member_no, a.name, a.id_masked, a.phone, o.name AS org_name, m.in_pool, m.joined_at AS at{sealed}
             {}{filter} AND m.id > ${after_n} ORDER BY m.id LIMIT {limit}",
            from_part(kind)
        ),
        ExportKind::Applications => format!(
            "SELECT a.id, a.name, a.id_masked, a.phone, o.name AS org_name, a.in_pool, ch.name AS channel_name, a.status,
                    a.submitted_at AS at{sealed}
             {}{filter} AND a.id > ${after_n} ORDER BY a.id LIMIT {limit}",
            from_part(kind)
        ),
    };
    let rows = bind_all(sqlx::query(&sql), &args).fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            let members = kind == ExportKind::Members;
            Ok(ExportRow {
                id: r.try_get("id")?,
                member_no: if members { Some(r.try_get("member_no")?) } else { None },
                name: r.try_get("name")?,
                id_masked: r.try_get("id_masked")?,
                phone: r.try_get("phone")?,
                org_name: r.try_get("org_name")?,
                in_pool: r.try_get::<i64, _>("in_pool")? != 0,
                channel: if members { None } else { r.try_get("channel_name")? },
                status: if members { None } else { Some(r.try_get("status")?) },
                at: r.try_get("at")?,
                sealed: if reveal { Some((r.try_get("id_key_id")?, r.try_get("id_cipher")?, r.try_get("submission_key")?)) } else { None },
            })
        })
        .collect()
}

/// An export job as stored.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub admin_id: i64,
    pub org_id: i64,
    pub kind: ExportKind,
    pub scope: Scope,
    pub format: ExportFormat,
    pub reveal: bool,
    pub reason: Option<String>,
    pub status: JobStatus,
    pub rows_done: i64,
    pub rows_total: i64,
    pub file_name: Option<String>,
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
}

const JOB_COLUMNS: &str = "id, admin_id, org_id, kind, filters, format, reveal, reason, status, rows_done, rows_total, file_name,
    token_hash, created_at, expires_at";

fn job_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Job> {
    let bad = |what: &str| sqlx::Error::Decode(format!("export job: unknown {what}").into());
    Ok(Job {
        id: r.try_get("id")?,
        admin_id: r.try_get("admin_id")?,
        org_id: r.try_get("org_id")?,
        kind: ExportKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| bad("kind"))?,
        scope: serde_json::from_str(&r.try_get::<String, _>("filters")?).map_err(|e| sqlx::Error::Decode(e.into()))?,
        format: ExportFormat::parse(&r.try_get::<String, _>("format")?).ok_or_else(|| bad("format"))?,
        reveal: r.try_get::<i64, _>("reveal")? != 0,
        reason: r.try_get("reason")?,
        status: JobStatus::parse(&r.try_get::<String, _>("status")?).ok_or_else(|| bad("status"))?,
        rows_done: r.try_get("rows_done")?,
        rows_total: r.try_get("rows_total")?,
        file_name: r.try_get("file_name")?,
        token_hash: r.try_get("token_hash")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub struct NewJob<'a> {
    pub admin_id: i64,
    pub org_id: i64,
    pub kind: ExportKind,
    pub scope: &'a Scope,
    pub format: ExportFormat,
    pub reveal: bool,
    pub reason: Option<&'a str>,
    pub rows_total: i64,
    pub token_hash: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_job(conn: &mut Conn, j: NewJob<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO export_jobs (admin_id, org_id, kind, filters, format, reveal, reason, status, rows_total, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(j.admin_id)
    .bind(j.org_id)
    .bind(j.kind.as_str())
    .bind(serde_json::to_string(j.scope).expect("a scope serialises"))
    .bind(j.format.as_str())
    .bind(j.reveal as i64)
    .bind(j.reason)
    .bind(JobStatus::Queued.as_str())
    .bind(j.rows_total)
    .bind(j.token_hash)
    .bind(j.now)
    .bind(j.expires_at)
    .fetch_one(conn)
    .await
}

pub async fn job(pool: &AnyPool, id: i64) -> sqlx::Result<Option<Job>> {
    let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM export_jobs WHERE id = $1")).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(job_from_row).transpose()
}

/// Claims the oldest queued job, or a running one whose lease ran out (its worker died): one
/// conditional write, so of two workers exactly one gets it.
pub async fn claim_job(pool: &AnyPool, owner: &str, now: i64, lease_secs: i64) -> sqlx::Result<Option<Job>> {
    let candidates: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM export_jobs WHERE status = $1 OR (status = $2 AND lease_until < $3) ORDER BY id LIMIT 5")
            .bind(JobStatus::Queued.as_str())
            .bind(JobStatus::Running.as_str())
            .bind(now)
            .fetch_all(pool)
            .await?;
    for id in candidates {
        let claimed = sqlx::query(
            "UPDATE export_jobs SET status = $1, lease_owner = $2, lease_until = $3, rows_done = 0
             WHERE id = $4 AND (status = $5 OR (status = $1 AND lease_until < $6))",
        )
        .bind(JobStatus::Running.as_str())
        .bind(owner)
        .bind(now + lease_secs)
        .bind(id)
        .bind(JobStatus::Queued.as_str())
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected();
        if claimed == 1 {
            return job(pool, id).await;
        }
    }
    Ok(None)
}

/// Records progress and renews the lease; false when this worker no longer holds the job.
pub async fn progress(pool: &AnyPool, id: i64, owner: &str, rows_done: i64, lease_until: i64) -> sqlx::Result<bool> {
    let n = sqlx::query("UPDATE export_jobs SET rows_done = $1, lease_until = $2 WHERE id = $3 AND lease_owner = $4 AND status = $5")
        .bind(rows_done)
        .bind(lease_until)
        .bind(id)
        .bind(owner)
        .bind(JobStatus::Running.as_str())
        .execute(pool)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Ends a job this worker holds: done (with its file and row count) or failed.
pub async fn finish(
    conn: &mut Conn,
    id: i64,
    owner: &str,
    status: JobStatus,
    file_name: Option<&str>,
    rows: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let n = sqlx::query(
        "UPDATE export_jobs SET status = $1, file_name = $2, rows_done = $3, rows_total = $3, finished_at = $4, lease_owner = NULL
         WHERE id = $5 AND lease_owner = $6 AND status = $7",
    )
    .bind(status.as_str())
    .bind(file_name)
    .bind(rows)
    .bind(now)
    .bind(id)
    .bind(owner)
    .bind(JobStatus::Running.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Jobs past their hour that still hold a file (or never finished): (id, file name).
pub async fn expired_jobs(pool: &AnyPool, now: i64) -> sqlx::Result<Vec<(i64, Option<String>)>> {
    sqlx::query_as("SELECT id, file_name FROM export_jobs WHERE expires_at <= $1 AND status <> $2 ORDER BY id LIMIT 100")
        .bind(now)
        .bind(JobStatus::Expired.as_str())
        .fetch_all(pool)
        .await
}

pub async fn mark_expired(pool: &AnyPool, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE export_jobs SET status = $1, file_name = NULL, lease_owner = NULL WHERE id = $2")
        .bind(JobStatus::Expired.as_str())
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Of these blind indexes, the ones that already have an open application or a membership.
pub async fn taken_blinds(pool: &AnyPool, blinds: &[String]) -> sqlx::Result<std::collections::HashSet<String>> {
    let mut taken = std::collections::HashSet::new();
    for chunk in blinds.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT open_key FROM applications WHERE open_key IN ({})", marks.join(", "));
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for b in chunk {
            q = q.bind(b.clone());
        }
        taken.extend(q.fetch_all(pool).await?);
    }
    Ok(taken)
}

pub struct NewBatch<'a> {
    pub batch_key: &'a str,
    pub admin_id: i64,
    pub org_id: i64,
    pub file_sha256: &'a str,
    pub total_rows: i64,
    pub valid_rows: i64,
    pub rows_sealed: &'a str,
    pub report: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_batch(conn: &mut Conn, b: NewBatch<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO import_batches (batch_key, admin_id, org_id, file_sha256, total_rows, valid_rows, rows_sealed, report, status,
            created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(b.batch_key)
    .bind(b.admin_id)
    .bind(b.org_id)
    .bind(b.file_sha256)
    .bind(b.total_rows)
    .bind(b.valid_rows)
    .bind(b.rows_sealed)
    .bind(b.report)
    .bind(BatchStatus::Validated.as_str())
    .bind(b.now)
    .bind(b.expires_at)
    .fetch_one(conn)
    .await
}

/// An import batch as stored.
#[derive(Clone, Debug)]
pub struct Batch {
    pub id: i64,
    pub batch_key: String,
    pub admin_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_code: String,
    pub total_rows: i64,
    pub valid_rows: i64,
    pub rows_sealed: String,
    pub report: String,
    pub status: BatchStatus,
    pub imported: i64,
    pub skipped: i64,
    pub expires_at: i64,
}

pub async fn batch(conn: &mut Conn, id: i64) -> sqlx::Result<Option<Batch>> {
    let row = sqlx::query(
        "SELECT b.id, b.batch_key, b.admin_id, b.org_id, o.name AS org_name, o.code AS org_code, b.total_rows, b.valid_rows,
                b.rows_sealed, b.report, b.status, b.imported, b.skipped, b.expires_at
         FROM import_batches b JOIN orgs o ON o.id = b.org_id WHERE b.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(Batch {
            id: r.try_get("id")?,
            batch_key: r.try_get("batch_key")?,
            admin_id: r.try_get("admin_id")?,
            org_id: r.try_get("org_id")?,
            org_name: r.try_get("org_name")?,
            org_code: r.try_get("org_code")?,
            total_rows: r.try_get("total_rows")?,
            valid_rows: r.try_get("valid_rows")?,
            rows_sealed: r.try_get("rows_sealed")?,
            report: r.try_get("report")?,
            status: BatchStatus::parse(&r.try_get::<String, _>("status")?)
                .ok_or_else(|| sqlx::Error::Decode("import batch: unknown status".into()))?,
            imported: r.try_get("imported")?,
            skipped: r.try_get("skipped")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
}

/// Marks a validated batch imported — one conditional write: of two confirmations exactly one
/// gets `true` (on PostgreSQL the second waits for the first and then finds it imported).
pub async fn mark_imported(conn: &mut Conn, id: i64, now: i64) -> sqlx::Result<bool> {
    let n = sqlx::query("UPDATE import_batches SET status = $1, imported_at = $2 WHERE id = $3 AND status = $4")
        .bind(BatchStatus::Imported.as_str())
        .bind(now)
        .bind(id)
        .bind(BatchStatus::Validated.as_str())
        .execute(conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

pub async fn set_batch_counts(conn: &mut Conn, id: i64, imported: i64, skipped: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE import_batches SET imported = $1, skipped = $2, rows_sealed = '' WHERE id = $3")
        .bind(imported)
        .bind(skipped)
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// An imported person: approved at once, consent recorded as the importing admin's.
pub struct ImportedApplication<'a> {
    pub submission_key: &'a str,
    pub name: &'a str,
    pub id_cipher: Vec<u8>,
    pub id_key_id: i64,
    pub id_blind: &'a str,
    pub id_masked: &'a str,
    pub birth_date: String,
    pub sex: crate::domain::Sex,
    pub phone: &'a str,
    pub org_id: i64,
    pub plate: Option<&'a str>,
    pub admin_id: i64,
    pub consent_ip: &'a str,
    pub now: i64,
}

/// Inserts the application unless the person already has an open application or membership
/// (the `open_key` unique index decides, also against a concurrent import): its id, or None.
pub async fn insert_imported(conn: &mut Conn, a: ImportedApplication<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO applications (submission_key, name, id_cipher, id_key_id, id_blind, id_masked, birth_date, sex, phone,
            org_id, in_pool, plate, status, open_key, consent_version, consent_at, consent_ip,
            submitted_at, due_at, due_provisional, clock_from, decided_at, decided_by, decision_reason, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $5, $13, $14, $15, $14, $14, 0, $14, $14, $16, $17, $18)
         ON CONFLICT (open_key) DO NOTHING RETURNING id",
    )
    .bind(a.submission_key)
    .bind(a.name)
    .bind(a.id_cipher)
    .bind(a.id_key_id)
    .bind(a.id_blind)
    .bind(a.id_masked)
    .bind(a.birth_date)
    .bind(a.sex.code())
    .bind(a.phone)
    .bind(a.org_id)
    .bind(a.plate)
    .bind(crate::join::ApplicationStatus::Approved.as_str())
    .bind(super::import::CONSENT_IMPORTED)
    .bind(a.now)
    .bind(a.consent_ip)
    .bind(a.admin_id)
    .bind(super::import::CONSENT_IMPORTED)
    .bind(super::import::SOURCE_IMPORT)
    .fetch_optional(conn)
    .await
}

/// Reserves `n` member numbers of a union at once: `<union code>-000001`, … (the same series
/// approvals draw from).
pub async fn reserve_member_nos(conn: &mut Conn, org_id: i64, org_code: &str, n: i64) -> sqlx::Result<Vec<String>> {
    if n <= 0 {
        return Ok(Vec::new());
    }
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO member_counters (org_id, last_no) VALUES ($1, $2)
         ON CONFLICT (org_id) DO UPDATE SET last_no = member_counters.last_no + $2 RETURNING last_no",
    )
    .bind(org_id)
    .bind(n)
    .fetch_one(conn)
    .await?;
    Ok((last - n + 1..=last).map(|k| format!("{org_code}-{k:06}")).collect())
}

/// The unions of `root`'s subtree a member can belong to (every union but the federations),
/// for an import.
pub async fn import_targets(pool: &AnyPool, root: i64) -> sqlx::Result<Vec<crate::org::OrgChoice>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT o.id, o.name, c.distance FROM org_closure c JOIN orgs o ON o.id = c.descendant_id
         WHERE c.ancestor_id = $1 AND o.kind NOT IN ('city', 'county') ORDER BY o.depth, o.code",
    )
    .bind(root)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, depth)| crate::org::OrgChoice { id, name, depth }).collect())
}

/// Forgets the sealed rows of uploads never confirmed in time (their reports stay).
pub async fn purge_expired_batches(pool: &AnyPool, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("UPDATE import_batches SET rows_sealed = '' WHERE status = $1 AND expires_at <= $2 AND rows_sealed <> ''")
        .bind(BatchStatus::Validated.as_str())
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected())
}
