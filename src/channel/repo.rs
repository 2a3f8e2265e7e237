//! The SQL of join channels.
use super::{ChannelCode, ChannelInfo, Occupation, CODE_ALPHABET};
use crate::server::db::Conn;
use rand::Rng;
use sqlx::{AnyPool, Row};

pub async fn insert(conn: &mut Conn, code: &ChannelCode, org_id: i64, name: &str, occupation: Occupation, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO channels (code, org_id, name, occupation, active, scans, completed, created_at)
         VALUES ($1, $2, $3, $4, 1, 0, 0, $5) RETURNING id",
    )
    .bind(code.as_str())
    .bind(org_id)
    .bind(name)
    .bind(occupation.as_str())
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A fresh random public code of six characters.
pub fn new_code() -> ChannelCode {
    let mut rng = rand::thread_rng();
    let code: String = (0..6).map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char).collect();
    ChannelCode::parse(&code).expect("six characters of the alphabet make a code")
}

/// An active channel by its public code, with its union's name.
pub async fn active_by_code(pool: &AnyPool, code: &ChannelCode) -> sqlx::Result<Option<(i64, ChannelInfo)>> {
    let row = sqlx::query(
        "SELECT c.id, c.code, c.name, c.org_id, c.occupation, o.name AS org_name
         FROM channels c JOIN orgs o ON o.id = c.org_id WHERE c.code = $1 AND c.active = 1",
    )
    .bind(code.as_str())
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("id")?,
            ChannelInfo {
                code: ChannelCode::parse(&r.try_get::<String, _>("code")?)
                    .ok_or_else(|| sqlx::Error::Decode("a stored channel code is malformed".into()))?,
                name: r.try_get("name")?,
                org_id: r.try_get("org_id")?,
                org_name: r.try_get("org_name")?,
                occupation: Occupation::parse(&r.try_get::<String, _>("occupation")?).unwrap_or(Occupation::TruckDriver),
            },
        ))
    })
    .transpose()
}

pub async fn count_scan(db: &crate::server::db::Db, channel_id: i64) -> sqlx::Result<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE channels SET scans = scans + 1 WHERE id = $1").bind(channel_id).execute(&mut *tx).await?;
    tx.commit().await
}

pub async fn count_completed(conn: &mut Conn, channel_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE channels SET completed = completed + 1 WHERE id = $1").bind(channel_id).execute(conn).await.map(|_| ())
}

/// (scans, completed) of a channel.
pub async fn counts(pool: &AnyPool, code: &str) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query_as("SELECT scans, completed FROM channels WHERE code = $1").bind(code).fetch_optional(pool).await
}
