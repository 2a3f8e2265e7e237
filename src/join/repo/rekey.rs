//! Applications under another key than the active one: the sealed ID number (`id_cipher`
//! under `id_key_id`) and its blind index (`id_blind`, repeated in `open_key` while the
//! application is open, made under `id_blind_key`; NULL: the legacy key).
//!
//! All applications of one person carry the same index, so the self-joins that find a
//! person's other applications (history, erasure, duplicates on the review page) stay right
//! while indexes are re-keyed: `person` moves every row holding an old index at once, both
//! when rotation reaches one of them and when a writer adds an application for the person
//! (`join::service`, roster imports), before the `open_key` unique index judges the new row.
use crate::server::db::{Conn, Db};
use sqlx::{AnyPool, Row};

/// Moves the person's rows indexed under another key (`old`: their index under each other
/// key of the ring) to `blind`, made under `key`; how many rows moved. One statement: a
/// concurrent writer sees the person's rows all before or all after.
pub async fn person(conn: &mut Conn, old: &[String], blind: &str, key: i64) -> sqlx::Result<u64> {
    if old.is_empty() {
        return Ok(0);
    }
    let marks: Vec<String> = (0..old.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "UPDATE applications SET id_blind = $1, id_blind_key = $2, open_key = CASE WHEN open_key IS NULL THEN NULL ELSE $1 END
         WHERE id_blind IN ({}) AND id_blind <> ''",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(blind).bind(key);
    for o in old {
        q = q.bind(o);
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// An application whose sealed ID or index is under another key than the active one.
pub struct Stale {
    pub id: i64,
    pub submission_key: String,
    pub key_id: i64,
    pub cipher: Vec<u8>,
    pub blind: String,
    pub blind_key: Option<i64>,
}

/// Up to `limit` stale applications after id `after`, in id order (erased ones included: an
/// empty `id_cipher` holds nothing, and only its key id is brought up to date).
pub async fn stale(pool: &AnyPool, active: i64, after: i64, limit: i64) -> sqlx::Result<Vec<Stale>> {
    let rows = sqlx::query(
        "SELECT id, submission_key, id_key_id, id_cipher, id_blind, id_blind_key FROM applications
         WHERE id > $1 AND (id_key_id <> $2 OR id_blind_key IS NULL OR id_blind_key <> $2) ORDER BY id LIMIT $3",
    )
    .bind(after)
    .bind(active)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Stale {
                id: r.try_get("id")?,
                submission_key: r.try_get("submission_key")?,
                key_id: r.try_get("id_key_id")?,
                cipher: r.try_get("id_cipher")?,
                blind: r.try_get("id_blind")?,
                blind_key: r.try_get("id_blind_key")?,
            })
        })
        .collect()
}

/// Writes the ID number sealed again where the row still holds what was read; whether it did.
pub async fn store_cipher(conn: &mut Conn, s: &Stale, key: i64, cipher: &[u8]) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE applications SET id_cipher = $1, id_key_id = $2 WHERE id = $3 AND id_key_id = $4 AND id_cipher = $5")
        .bind(cipher)
        .bind(key)
        .bind(s.id)
        .bind(s.key_id)
        .bind(&s.cipher)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(done == 1)
}

/// An erased application (nothing sealed, no index) marked as under the active key, so no
/// stored value names the old one.
pub async fn mark_erased(conn: &mut Conn, id: i64, key: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE applications SET id_key_id = $1, id_blind_key = $1 WHERE id = $2 AND id_blind = '' AND length(id_cipher) = 0")
        .bind(key)
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// (sealed ID numbers by key id, blind indexes by key id — `None`: the legacy key), erased
/// rows left out.
pub async fn counts(db: &Db) -> sqlx::Result<(Vec<(i64, i64)>, Vec<(Option<i64>, i64)>)> {
    let sealed = sqlx::query_as("SELECT id_key_id, COUNT(*) FROM applications WHERE length(id_cipher) > 0 GROUP BY id_key_id ORDER BY 1")
        .fetch_all(&db.pool)
        .await?;
    let index = sqlx::query_as("SELECT id_blind_key, COUNT(*) FROM applications WHERE id_blind <> '' GROUP BY id_blind_key ORDER BY 1")
        .fetch_all(&db.pool)
        .await?;
    Ok((sealed, index))
}
