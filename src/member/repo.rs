//! The SQL of the member side: sessions, finding a live member by phone, and what 我的 shows.
use crate::server::db::Conn;
use sqlx::AnyPool;

/// The live member (not withdrawn) whose application carries this phone, newest first.
pub async fn live_member_by_phone(conn: &mut Conn, phone: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT m.id FROM members m JOIN applications a ON a.id = m.application_id
         WHERE a.phone = $1 AND m.left_at IS NULL ORDER BY m.id DESC LIMIT 1",
    )
    .bind(phone)
    .fetch_optional(conn)
    .await
}

pub async fn create_session(conn: &mut Conn, token_hash: &str, member_id: i64, ip: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO member_sessions (token_hash, member_id, created_at, last_seen_at, ip) VALUES ($1, $2, $3, $3, $4)")
        .bind(token_hash)
        .bind(member_id)
        .bind(now)
        .bind(ip)
        .execute(conn)
        .await
        .map(|_| ())
}

/// A session of a live member: (member, union, application, created, last seen).
pub type SessionRow = (i64, i64, i64, i64, i64);

pub async fn session(pool: &AnyPool, token_hash: &str) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT m.id, m.org_id, m.application_id, s.created_at, s.last_seen_at FROM member_sessions s
         JOIN members m ON m.id = s.member_id WHERE s.token_hash = $1 AND m.left_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await
}

pub async fn touch_session(conn: &mut Conn, token_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE member_sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(conn)
        .await
        .map(|_| ())
}

pub async fn delete_session(conn: &mut Conn, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM member_sessions WHERE token_hash = $1").bind(token_hash).execute(conn).await.map(|_| ())
}

/// Ends every session of a member (leaving, a new phone number).
pub async fn delete_sessions_of(conn: &mut Conn, member_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM member_sessions WHERE member_id = $1").bind(member_id).execute(conn).await.map(|_| ())
}

/// The member card's facts: (name, member number, union, joined at, status).
pub async fn card_facts(pool: &AnyPool, member_id: i64) -> sqlx::Result<Option<(String, String, String, i64, String)>> {
    sqlx::query_as(
        "SELECT a.name, m.member_no, o.name, m.joined_at, m.status FROM members m
         JOIN applications a ON a.id = m.application_id JOIN orgs o ON o.id = m.org_id
         WHERE m.id = $1 AND m.left_at IS NULL",
    )
    .bind(member_id)
    .fetch_optional(pool)
    .await
}

/// The person's applications (same blind index as the member's): (union, status, submitted at).
pub async fn applications_of(pool: &AnyPool, application_id: i64) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT o.name, a.status, a.submitted_at FROM applications a JOIN orgs o ON o.id = a.org_id
         WHERE a.id_blind = (SELECT id_blind FROM applications WHERE id = $1) ORDER BY a.submitted_at DESC, a.id DESC",
    )
    .bind(application_id)
    .fetch_all(pool)
    .await
}

/// The member's transfers: (kind, to union or place, status, created at).
pub async fn transfers_of(pool: &AnyPool, member_id: i64) -> sqlx::Result<Vec<(String, Option<String>, String, i64)>> {
    sqlx::query_as(
        "SELECT t.kind, COALESCE(o.name, t.outside_to), t.status, t.created_at FROM transfers t LEFT JOIN orgs o ON o.id = t.to_org_id
         WHERE t.member_id = $1 ORDER BY t.created_at DESC, t.id DESC",
    )
    .bind(member_id)
    .fetch_all(pool)
    .await
}

/// The card's facts: (card id if made, name, union, status).
pub async fn card_of(pool: &AnyPool, member_id: i64) -> sqlx::Result<Option<(Option<String>, String, String, String)>> {
    sqlx::query_as(
        "SELECT m.card_key, a.name, o.name, m.status FROM members m
         JOIN applications a ON a.id = m.application_id JOIN orgs o ON o.id = m.org_id WHERE m.id = $1 AND m.left_at IS NULL",
    )
    .bind(member_id)
    .fetch_optional(pool)
    .await
}

/// Gives a member a card id, unless one was given meanwhile (then that one stands).
pub async fn set_card_key(conn: &mut Conn, member_id: i64, card_key: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE members SET card_key = $1 WHERE id = $2 AND card_key IS NULL")
        .bind(card_key)
        .bind(member_id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// A card by its id: (name, union, status, left at).
pub async fn by_card_key(pool: &AnyPool, card_key: &str) -> sqlx::Result<Option<(String, String, String, Option<i64>)>> {
    sqlx::query_as(
        "SELECT a.name, o.name, m.status, m.left_at FROM members m
         JOIN applications a ON a.id = m.application_id JOIN orgs o ON o.id = m.org_id WHERE m.card_key = $1",
    )
    .bind(card_key)
    .fetch_optional(pool)
    .await
}
