//! One-time SMS codes: six digits, five minutes, single use, bound to phone and purpose, dead
//! after five wrong tries, kept only as a MAC and compared in constant time. Sending limits per
//! phone and per client network are counted from the same table, so they hold across instances.
//!
//! Everything that reads a count or a code and then writes runs under a per-value lock: on
//! PostgreSQL transaction-scoped advisory locks (always network before phone, so two writers
//! never wait on each other in a circle); on SQLite the single writer gate already serialises.
use crate::domain::{Phone, SmsCode};
use crate::i18n::T;
use crate::server::client_ip::ip_key;
use crate::server::config::Limits;
use crate::server::crypto::Keyring;
use crate::server::db::{Backend, Conn, WriteTx};
use crate::server::outbox;
use crate::server::sms::Template;
use rand::Rng;
use sqlx::Row;

pub const PURPOSE_JOIN: &str = "join";
pub const CODE_TTL_SECS: i64 = 300;
pub const MAX_WRONG_TRIES: i64 = 5;

#[derive(Debug, PartialEq, Eq)]
pub enum Issue {
    Sent,
    Refused(T),
    /// The network has sent many codes: a picture check must be solved first.
    NeedCaptcha,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verify {
    Ok { code_id: i64 },
    Wrong,
    Expired,
    Missing,
    TooManyTries,
}

impl Verify {
    pub fn error_text(&self) -> Option<T> {
        match self {
            Verify::Ok { .. } => None,
            Verify::Wrong => Some(T::ErrCodeWrong),
            Verify::Expired => Some(T::ErrCodeExpired),
            Verify::Missing => Some(T::ErrCodeMissing),
            Verify::TooManyTries => Some(T::ErrCodeTooMany),
        }
    }
}

/// Holds a PostgreSQL advisory lock on (`class`, `value`) until the transaction ends; nothing on
/// SQLite, whose write transactions are serialised already.
pub async fn lock(conn: &mut Conn, backend: Backend, class: &str, value: &str) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))").bind(class).bind(value).execute(conn).await?;
    }
    Ok(())
}

pub const LOCK_NETWORK: &str = "ejia/network";
pub const LOCK_PHONE: &str = "ejia/phone";

async fn count(conn: &mut Conn, column: &str, value: &str, since: i64) -> sqlx::Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM sms_codes WHERE {column} = $1 AND created_at > $2");
    sqlx::query_scalar(&sql).bind(value).bind(since).fetch_one(conn).await
}

/// Issues a code and enqueues its SMS, inside the caller's write transaction. `captcha_solved`
/// lets a busy network past the soft per-IP limit (never past the hard one). Addresses count by
/// network (`ip_key`: an IPv6 /64 is one network).
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    conn: &mut WriteTx,
    backend: Backend,
    keys: &Keyring,
    limits: &Limits,
    phone: &Phone,
    ip: &str,
    captcha_solved: bool,
    now: i64,
) -> sqlx::Result<Issue> {
    let network = ip_key(ip);
    // Serialise sends from one network and to one phone across instances, in that order.
    lock(conn, backend, LOCK_NETWORK, &network).await?;
    lock(conn, backend, LOCK_PHONE, phone.as_str()).await?;
    let p = phone.as_str();
    if count(conn, "phone", p, now - 60).await? >= limits.phone_per_minute {
        return Ok(Issue::Refused(T::ErrTooSoon));
    }
    if count(conn, "phone", p, now - 3600).await? >= limits.phone_per_hour {
        return Ok(Issue::Refused(T::ErrHourLimit));
    }
    if count(conn, "phone", p, now - 86_400).await? >= limits.phone_per_day {
        return Ok(Issue::Refused(T::ErrDayLimit));
    }
    let from_ip = count(conn, "ip_key", &network, now - 3600).await?;
    if from_ip >= limits.ip_hard_per_hour {
        return Ok(Issue::Refused(T::ErrIpLimit));
    }
    if from_ip >= limits.ip_per_hour && !captcha_solved {
        return Ok(Issue::NeedCaptcha);
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    // A new code replaces any earlier one for the same phone and purpose.
    sqlx::query("UPDATE sms_codes SET used_at = $1 WHERE phone = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(now)
        .bind(p)
        .bind(PURPOSE_JOIN)
        .execute(&mut **conn)
        .await?;
    sqlx::query(
        "INSERT INTO sms_codes (phone, purpose, code_mac, ip, ip_key, created_at, expires_at, wrong_tries)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
    )
    .bind(p)
    .bind(PURPOSE_JOIN)
    .bind(keys.mac(&[PURPOSE_JOIN, p, &code]))
    .bind(ip)
    .bind(&network)
    .bind(now)
    .bind(now + CODE_TTL_SECS)
    .execute(&mut **conn)
    .await?;
    outbox::enqueue(conn, now, p, Template::JoinCode, serde_json::json!({ "code": code })).await?;
    Ok(Issue::Sent)
}

/// Checks a typed code against the phone's live code; counts a wrong try. The caller holds the
/// phone's lock (`lock(…, LOCK_PHONE, phone)`) and consumes a good code in the same transaction
/// as what it unlocks.
pub async fn verify(conn: &mut Conn, keys: &Keyring, phone: &Phone, code: &SmsCode, now: i64) -> sqlx::Result<Verify> {
    let row = sqlx::query(
        "SELECT id, code_mac, expires_at, wrong_tries FROM sms_codes
         WHERE phone = $1 AND purpose = $2 AND used_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(phone.as_str())
    .bind(PURPOSE_JOIN)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(Verify::Missing) };
    let id: i64 = row.try_get("id")?;
    let tries: i64 = row.try_get("wrong_tries")?;
    if row.try_get::<i64, _>("expires_at")? <= now {
        return Ok(Verify::Expired);
    }
    if tries >= MAX_WRONG_TRIES {
        return Ok(Verify::TooManyTries);
    }
    if keys.mac_matches(&[PURPOSE_JOIN, phone.as_str(), code.as_str()], &row.try_get::<String, _>("code_mac")?) {
        return Ok(Verify::Ok { code_id: id });
    }
    let counted = sqlx::query("UPDATE sms_codes SET wrong_tries = wrong_tries + 1 WHERE id = $1 AND wrong_tries < $2")
        .bind(id)
        .bind(MAX_WRONG_TRIES)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(if counted == 0 || tries + 1 >= MAX_WRONG_TRIES { Verify::TooManyTries } else { Verify::Wrong })
}

/// Consumes a verified code: true exactly once, for the transaction that may use it.
pub async fn mark_used(conn: &mut Conn, code_id: i64, now: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE sms_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL").bind(now).bind(code_id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `phone` and `code` are those of the (spent) code `code_id`, typed again while that
/// code would still be live: the twin of the post it was spent on. A miss counts a wrong try
/// against that code, so a replay cannot search its code space.
pub async fn twin_matches(conn: &mut Conn, keys: &Keyring, code_id: i64, phone: &Phone, code: &SmsCode, now: i64) -> sqlx::Result<bool> {
    let row: Option<(String, String, i64, i64)> =
        sqlx::query_as("SELECT phone, code_mac, expires_at, wrong_tries FROM sms_codes WHERE id = $1 AND purpose = $2")
            .bind(code_id)
            .bind(PURPOSE_JOIN)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((on_file, mac, expires_at, tries)) = row else { return Ok(false) };
    let same = keys.mac_matches(&[PURPOSE_JOIN, phone.as_str(), code.as_str()], &mac);
    if same && on_file == phone.as_str() && expires_at > now && tries < MAX_WRONG_TRIES {
        return Ok(true);
    }
    sqlx::query("UPDATE sms_codes SET wrong_tries = wrong_tries + 1 WHERE id = $1 AND wrong_tries < $2")
        .bind(code_id)
        .bind(MAX_WRONG_TRIES)
        .execute(&mut *conn)
        .await?;
    Ok(false)
}
