//! The SQL of one-time codes (`sms_codes`): the send history the limits count, the live code of
//! a phone, wrong tries, and consuming a code. The rules are in `join::codes`.
use crate::server::db::{advisory_calls, Backend, Conn};

/// Holds a PostgreSQL advisory lock on (`class`, `value`) until the transaction ends; nothing on
/// SQLite, whose write transactions are serialised already.
pub async fn lock(conn: &mut Conn, backend: Backend, class: &str, value: &str) -> sqlx::Result<()> {
    lock_all(conn, backend, &[(class, value)]).await
}

/// Holds several advisory locks in one round trip, taken in the order given (PostgreSQL;
/// nothing on SQLite). The same keys as `Db::begin_write_locked`.
pub async fn lock_all(conn: &mut Conn, backend: Backend, locks: &[(&str, &str)]) -> sqlx::Result<()> {
    if backend == Backend::Postgres && !locks.is_empty() {
        sqlx::query(&format!("SELECT {}", advisory_calls(locks))).execute(conn).await?;
    }
    Ok(())
}

/// What the send limits count by.
#[derive(Clone, Copy)]
pub enum Counted {
    Phone,
    /// A network (`ip_key`: an IPv6 /64 is one network).
    Network,
}

/// Codes sent since `since` to a phone or from a network.
pub async fn sent_since(conn: &mut Conn, by: Counted, value: &str, since: i64) -> sqlx::Result<i64> {
    let sql = match by {
        Counted::Phone => "SELECT COUNT(*) FROM sms_codes WHERE phone = $1 AND created_at > $2",
        Counted::Network => "SELECT COUNT(*) FROM sms_codes WHERE ip_key = $1 AND created_at > $2",
    };
    sqlx::query_scalar(sql).bind(value).bind(since).fetch_one(conn).await
}

/// A new code for a phone and purpose, replacing any earlier live one.
pub struct NewCode<'a> {
    pub phone: &'a str,
    pub purpose: &'a str,
    pub code_mac: &'a str,
    pub ip: &'a str,
    pub ip_key: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn replace(conn: &mut Conn, c: NewCode<'_>) -> sqlx::Result<()> {
    sqlx::query("UPDATE sms_codes SET used_at = $1 WHERE phone = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(c.now)
        .bind(c.phone)
        .bind(c.purpose)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO sms_codes (phone, purpose, code_mac, ip, ip_key, created_at, expires_at, wrong_tries)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
    )
    .bind(c.phone)
    .bind(c.purpose)
    .bind(c.code_mac)
    .bind(c.ip)
    .bind(c.ip_key)
    .bind(c.now)
    .bind(c.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A code as stored.
pub struct StoredCode {
    pub id: i64,
    pub phone: String,
    pub code_mac: String,
    pub expires_at: i64,
    pub wrong_tries: i64,
}

/// The phone's newest unused code for a purpose.
pub async fn live(conn: &mut Conn, phone: &str, purpose: &str) -> sqlx::Result<Option<StoredCode>> {
    let row: Option<(i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, phone, code_mac, expires_at, wrong_tries FROM sms_codes
         WHERE phone = $1 AND purpose = $2 AND used_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(phone)
    .bind(purpose)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id, phone, code_mac, expires_at, wrong_tries)| StoredCode { id, phone, code_mac, expires_at, wrong_tries }))
}

/// A code by id (spent or not), for a purpose.
pub async fn by_id(conn: &mut Conn, id: i64, purpose: &str) -> sqlx::Result<Option<StoredCode>> {
    let row: Option<(i64, String, String, i64, i64)> =
        sqlx::query_as("SELECT id, phone, code_mac, expires_at, wrong_tries FROM sms_codes WHERE id = $1 AND purpose = $2")
            .bind(id)
            .bind(purpose)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(id, phone, code_mac, expires_at, wrong_tries)| StoredCode { id, phone, code_mac, expires_at, wrong_tries }))
}

/// Counts a wrong try, unless the code already has `max`: false when it had.
pub async fn count_wrong_try(conn: &mut Conn, id: i64, max: i64) -> sqlx::Result<bool> {
    let counted = sqlx::query("UPDATE sms_codes SET wrong_tries = wrong_tries + 1 WHERE id = $1 AND wrong_tries < $2")
        .bind(id)
        .bind(max)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(counted == 1)
}

/// Consumes a code: true exactly once.
pub async fn mark_used(conn: &mut Conn, id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE sms_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL").bind(now).bind(id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}
