//! The data keys a database has seen (`data_keys`): each key's suite, its audit key sealed
//! under the active data key, and which key made the values stored without a key id (the one
//! with the lowest id at the first start of this version — what every earlier version used).
//! Start-up records the ring's keys here and reads back the audit keys of keys that have left
//! the ring, so audit rows they MAC'd stay verifiable; `ejia keys rotate` seals the kept audit
//! keys again under the new active key (see `RESEALED`), so retiring a data key loses nothing.
//! The audit key is an HMAC output: it verifies (and could forge) audit rows, but opens nothing.
use super::alg::Alg;
use super::reseal::SealedColumn;
use super::{Keyring, RetiredAudit};
use crate::server::db::Db;
use anyhow::bail;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The sealed column of this table, for rotation.
pub const RESEALED: SealedColumn =
    SealedColumn { table: "data_keys", pk: "key_id", column: "audit_key", identity_sql: "'data_key:' || CAST(key_id AS TEXT)" };

fn identity(key_id: i64) -> String {
    format!("data_key:{key_id}")
}

/// Checks the ring against what the database knew, records the ring's new keys, and hands
/// the ring the legacy key's id and the audit keys of retired keys. Refuses (before writing
/// anything) a key id the database knew as another key — another suite, or bytes that do not
/// open what that id sealed; ids are never reused — and a kept audit key sealed under a key
/// that is not in the ring (a key retired before `ejia keys rotate` had finished).
pub async fn attach(db: &Db, keys: &mut Keyring, now: i64) -> anyhow::Result<()> {
    let var = super::entry::VAR;
    let rows: Vec<(i64, String, String, i64)> =
        sqlx::query_as("SELECT key_id, alg, audit_key, legacy FROM data_keys ORDER BY key_id").fetch_all(&db.pool).await?;
    let in_ring = |id: i64| keys.keys.iter().find(|k| k.id == id);
    let mut retired = Vec::new();
    let mut legacy = None;
    for (id, alg, sealed, is_legacy) in &rows {
        let id = *id;
        if *is_legacy != 0 {
            legacy = Some(id);
        }
        let Some(alg) = Alg::parse(alg) else { bail!("data_keys: key {id} has the unknown algorithm {alg}") };
        let under = super::text_key_id(sealed);
        let opened: Option<[u8; 32]> =
            keys.open_text(sealed, &identity(id)).ok().and_then(|b64| STANDARD.decode(b64).ok()).and_then(|b| b.try_into().ok());
        if let (None, Some(u)) = (opened, under.filter(|u| in_ring(*u).is_some())) {
            bail!("{var}: key {u} is not the key this database knew as key {u} (what it sealed does not open): a key id is never reused — give a new key a new id");
        }
        match in_ring(id) {
            Some(k) if k.alg != alg => bail!(
                "{var}: key {id} is {} but this database knew key {id} as {}: a key id is never reused — give a new key a new id",
                k.alg.name(),
                alg.name()
            ),
            Some(k) if opened.is_some_and(|a| a != k.audit_key) => {
                bail!("{var}: key {id} is not the key this database knew as key {id}: a key id is never reused — give a new key a new id")
            }
            Some(_) => {}
            None => match opened {
                Some(key) => retired.push(RetiredAudit { id, alg, key }),
                None => {
                    let under = under.map_or("an unknown key".to_string(), |k| format!("key {k}"));
                    bail!("{var}: key {id} has left it, but its audit key is sealed under {under}, which is not in {var}: put that key back and run `ejia keys rotate` before retiring it")
                }
            },
        }
    }
    let known: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let first = rows.is_empty();
    let mut tx = db.begin_write().await?;
    for k in keys.keys.iter().filter(|k| !known.contains(&k.id)) {
        sqlx::query(
            "INSERT INTO data_keys (key_id, alg, audit_key, legacy, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO NOTHING",
        )
        .bind(k.id)
        .bind(k.alg.name())
        .bind(keys.seal_text(&STANDARD.encode(k.audit_key), &identity(k.id)))
        .bind(i64::from(first && k.id == keys.legacy))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    if let Some(id) = legacy {
        keys.legacy = id;
    }
    keys.retired = retired;
    Ok(())
}

/// Every key the database has seen: (id, suite name, the id of the key its audit key is sealed under).
pub async fn known(db: &Db) -> sqlx::Result<Vec<(i64, String, Option<i64>)>> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT key_id, alg, audit_key FROM data_keys ORDER BY key_id").fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|(id, alg, sealed)| (id, alg, super::text_key_id(&sealed))).collect())
}
