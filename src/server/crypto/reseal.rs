//! Sealing stored values again under the active key while the app serves: the walk over one
//! TEXT column of `seal_text` values, a batch at a time, in primary-key order. Each value is
//! written back with one conditional UPDATE on the ciphertext that was read, so a value a
//! writer changed meanwhile is left as that writer made it (already under the active key, or
//! erased); nothing is overwritten with an older plaintext. Values that do not open are counted
//! and passed over (they keep their key in use, and `ejia keys status` shows it).
use super::Keyring;
use crate::server::db::{Backend, Conn, Db};

/// A TEXT column holding `seal_text` values (any other value, e.g. `{}` or an empty string
/// after erasure, is left alone).
#[derive(Clone, Copy, Debug)]
pub struct SealedColumn {
    pub table: &'static str,
    /// An integer primary key.
    pub pk: &'static str,
    pub column: &'static str,
    /// An SQL expression over the row giving the identity the value was sealed with (its
    /// associated data), e.g. `'outbox:' || correlation_id`.
    pub identity_sql: &'static str,
}

/// A value read for sealing again.
pub struct Stale {
    pub pk: i64,
    pub identity: String,
    pub sealed: String,
}

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// The last primary key read (the next batch starts after it); `None`: nothing was left.
    pub last: Option<i64>,
    pub resealed: u64,
    /// Changed by another writer between the read and the write: left as that writer made it.
    pub changed_meanwhile: u64,
    /// Values that do not open under the ring (a key missing from `EJIA_DATA_KEY`, damage).
    pub failed: u64,
}

impl SealedColumn {
    pub fn name(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }

    /// Up to `limit` values after primary key `after` that are sealed under another key than `active`.
    pub async fn stale(&self, conn: &mut Conn, active: i64, after: i64, limit: i64) -> sqlx::Result<Vec<Stale>> {
        let (t, pk, c, ident) = (self.table, self.pk, self.column, self.identity_sql);
        let rows: Vec<(i64, String, String)> = sqlx::query_as(&format!(
            "SELECT {pk}, {ident}, {c} FROM {t} WHERE {pk} > $1 AND {c} LIKE 'v1.%' AND {c} NOT LIKE $2 ORDER BY {pk} LIMIT $3"
        ))
        .bind(after)
        .bind(format!("v1.{active}.%"))
        .bind(limit)
        .fetch_all(conn)
        .await?;
        Ok(rows.into_iter().map(|(pk, identity, sealed)| Stale { pk, identity, sealed }).collect())
    }

    /// Writes `new` where the row still holds `old`; whether it did.
    pub async fn store(&self, conn: &mut Conn, pk: i64, old: &str, new: &str) -> sqlx::Result<bool> {
        let (t, pkc, c) = (self.table, self.pk, self.column);
        let done = sqlx::query(&format!("UPDATE {t} SET {c} = $1 WHERE {pkc} = $2 AND {c} = $3"))
            .bind(new)
            .bind(pk)
            .bind(old)
            .execute(conn)
            .await?
            .rows_affected();
        Ok(done == 1)
    }

    /// How many sealed values each key holds: (key id, count); values whose key id cannot be
    /// read count under -1.
    pub async fn counts(&self, db: &Db) -> sqlx::Result<Vec<(i64, i64)>> {
        let c = self.column;
        let key = match db.backend {
            Backend::Sqlite => format!("substr({c}, 4, instr(substr({c}, 4), '.') - 1)"),
            Backend::Postgres => format!("split_part({c}, '.', 2)"),
        };
        let rows: Vec<(String, i64)> =
            sqlx::query_as(&format!("SELECT {key}, COUNT(*) FROM {} WHERE {c} LIKE 'v1.%' GROUP BY 1", self.table))
                .fetch_all(&db.pool)
                .await?;
        let mut out: Vec<(i64, i64)> = Vec::new();
        for (k, n) in rows {
            let k = k.parse().unwrap_or(-1);
            match out.iter_mut().find(|(id, _)| *id == k) {
                Some(e) => e.1 += n,
                None => out.push((k, n)),
            }
        }
        out.sort();
        Ok(out)
    }

    /// Reads up to `limit` stale values after `after`, seals them again in memory and writes
    /// them back in one write transaction (short: the app's writers wait only that long).
    pub async fn batch(&self, db: &Db, keys: &Keyring, after: i64, limit: i64) -> sqlx::Result<Batch> {
        let found = {
            let mut conn = db.pool.acquire().await?;
            self.stale(&mut conn, keys.active_id(), after, limit).await?
        };
        let Some(last) = found.last().map(|s| s.pk) else { return Ok(Batch::default()) };
        let mut out = Batch { last: Some(last), ..Batch::default() };
        let mut fresh = Vec::with_capacity(found.len());
        for s in &found {
            match keys.reseal_text(&s.sealed, &s.identity) {
                Ok(Some(new)) => fresh.push((s, new)),
                Ok(None) => {}
                Err(_) => {
                    out.failed += 1;
                    tracing::warn!(table = self.table, pk = s.pk, "a sealed value does not open under EJIA_DATA_KEY; left as it is");
                }
            }
        }
        let mut tx = db.begin_write().await?;
        for (s, new) in fresh {
            if self.store(&mut tx, s.pk, &s.sealed, &new).await? {
                out.resealed += 1;
            } else {
                out.changed_meanwhile += 1;
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}
