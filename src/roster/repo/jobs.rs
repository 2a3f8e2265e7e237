//! Export jobs as stored: queued, claimed with a lease, progress, finished, expired.
use super::Scope;
use crate::roster::{ExportFormat, ExportKind, JobStatus};
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

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
