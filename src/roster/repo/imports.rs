//! Import batches as stored (sealed rows between report and confirmation) and the applications,
//! members and member numbers an import makes.
use crate::roster::BatchStatus;
use crate::server::crypto::reseal::SealedColumn;
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

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

/// The batch's rows, sealed with `import:<batch key>` as associated data (emptied once imported
/// or expired), for rotation.
pub const RESEALED: SealedColumn =
    SealedColumn { table: "import_batches", pk: "id", column: "rows_sealed", identity_sql: "'import:' || batch_key" };

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
    /// The key that made `id_blind` (the active one).
    pub id_blind_key: i64,
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
            submitted_at, due_at, due_provisional, clock_from, decided_at, decided_by, decision_reason, source, id_blind_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $5, $13, $14, $15, $14, $14, 0, $14, $14, $16, $17, $18, $19)
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
    .bind(crate::roster::import::CONSENT_IMPORTED)
    .bind(a.now)
    .bind(a.consent_ip)
    .bind(a.admin_id)
    .bind(crate::roster::import::CONSENT_IMPORTED)
    .bind(crate::roster::import::SOURCE_IMPORT)
    .bind(a.id_blind_key)
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
