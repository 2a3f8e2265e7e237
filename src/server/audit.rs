//! The audit trail: append-only, hash-chained records of logins, decisions, escalations, admin
//! changes, exports and reveals — who, which union, what, on what, when (UTC), from where, and
//! the outcome. Each row's hash covers its content and the previous row's hash, so editing or
//! deleting a row breaks every hash after it; `verify` finds the first break.
use super::db::{Backend, Conn, Db};
use sha2::{Digest, Sha256};
use sqlx::Row;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One thing to record.
pub struct Entry<'a> {
    pub admin_id: Option<i64>,
    pub org_id: Option<i64>,
    pub action: &'a str,
    pub target: &'a str,
    pub ip: &'a str,
    pub outcome: &'a str,
    pub detail: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn row_hash(prev: &str, at: i64, admin_id: Option<i64>, org_id: Option<i64>, action: &str, target: &str, ip: &str, outcome: &str, detail: &str) -> String {
    let canonical = serde_json::json!([prev, at, admin_id, org_id, action, target, ip, outcome, detail]).to_string();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Appends inside the caller's write transaction (on PostgreSQL a transaction lock keeps the
/// chain linear across instances; SQLite's write gate already does).
pub async fn record(conn: &mut Conn, backend: Backend, now: i64, e: Entry<'_>) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7001)").execute(&mut *conn).await?;
    }
    let prev: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let prev = prev.unwrap_or_else(|| GENESIS.to_string());
    let hash = row_hash(&prev, now, e.admin_id, e.org_id, e.action, e.target, e.ip, e.outcome, e.detail);
    sqlx::query(
        "INSERT INTO audit_log (at, admin_id, org_id, action, target, ip, outcome, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(now)
    .bind(e.admin_id)
    .bind(e.org_id)
    .bind(e.action)
    .bind(e.target)
    .bind(e.ip)
    .bind(e.outcome)
    .bind(e.detail)
    .bind(&prev)
    .bind(&hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records in a transaction of its own (for events that change nothing else, like a refused access).
pub async fn record_alone(db: &Db, now: i64, e: Entry<'_>) -> sqlx::Result<()> {
    let mut tx = db.begin_write().await?;
    record(&mut tx, db.backend, now, e).await?;
    tx.commit().await
}

/// Walks the chain; `Ok(n)` = n rows intact, `Err(id)` = the first row whose hash does not hold.
pub async fn verify(db: &Db) -> sqlx::Result<Result<usize, i64>> {
    let rows = sqlx::query("SELECT id, at, admin_id, org_id, action, target, ip, outcome, detail, prev_hash, hash FROM audit_log ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    let mut prev = GENESIS.to_string();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let stored_prev: String = r.try_get("prev_hash")?;
        let expected = row_hash(
            &prev,
            r.try_get("at")?,
            r.try_get("admin_id")?,
            r.try_get("org_id")?,
            &r.try_get::<String, _>("action")?,
            &r.try_get::<String, _>("target")?,
            &r.try_get::<String, _>("ip")?,
            &r.try_get::<String, _>("outcome")?,
            &r.try_get::<String, _>("detail")?,
        );
        let hash: String = r.try_get("hash")?;
        if stored_prev != prev || hash != expected {
            return Ok(Err(id));
        }
        prev = hash;
    }
    Ok(Ok(rows.len()))
}
