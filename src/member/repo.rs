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

/// Everything the member's application row holds, for the data page.
#[derive(sqlx::FromRow)]
pub struct PersonRow {
    pub name: String,
    pub phone: String,
    pub id_masked: String,
    pub sex: String,
    pub birth_date: String,
    pub plate: Option<String>,
    pub occupation: Option<String>,
    pub consent_version: String,
    pub consent_at: i64,
    pub consent_ip: String,
    pub submitted_at: i64,
    pub source: String,
    pub union_name: String,
    pub in_pool: i64,
    pub member_no: String,
    pub status: String,
    pub joined_at: i64,
}

pub async fn person(pool: &AnyPool, member_id: i64) -> sqlx::Result<Option<PersonRow>> {
    sqlx::query_as(
        "SELECT a.name, a.phone, a.id_masked, a.sex, a.birth_date, a.plate, a.occupation, a.consent_version, a.consent_at,
                a.consent_ip, a.submitted_at, a.source, o.name AS union_name, m.in_pool, m.member_no, m.status, m.joined_at
         FROM members m JOIN applications a ON a.id = m.application_id JOIN orgs o ON o.id = m.org_id
         WHERE m.id = $1 AND m.left_at IS NULL",
    )
    .bind(member_id)
    .fetch_optional(pool)
    .await
}

/// The member's sessions: (created, last seen, address).
pub async fn sessions_of(pool: &AnyPool, member_id: i64) -> sqlx::Result<Vec<(i64, i64, String)>> {
    sqlx::query_as("SELECT created_at, last_seen_at, ip FROM member_sessions WHERE member_id = $1 ORDER BY created_at DESC")
        .bind(member_id)
        .fetch_all(pool)
        .await
}

/// Corrects name and plate on the member's application; false when there is no such live member.
pub async fn correct(conn: &mut Conn, member_id: i64, name: &str, plate: Option<&str>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE applications SET name = $1, plate = $2
         WHERE id = (SELECT application_id FROM members WHERE id = $3 AND left_at IS NULL)",
    )
    .bind(name)
    .bind(plate)
    .bind(member_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a phone is on another person's open application or live membership.
pub async fn phone_taken(conn: &mut Conn, phone: &str, member_id: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM applications a LEFT JOIN members m ON m.application_id = a.id
         WHERE a.phone = $1 AND a.open_key IS NOT NULL AND (m.id IS NULL OR (m.left_at IS NULL AND m.id <> $2))",
    )
    .bind(phone)
    .bind(member_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// The member's current phone.
pub async fn phone_of(conn: &mut Conn, member_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT a.phone FROM members m JOIN applications a ON a.id = m.application_id WHERE m.id = $1 AND m.left_at IS NULL")
        .bind(member_id)
        .fetch_optional(conn)
        .await
}

/// Moves the member's application to a new phone; false when the member is gone.
pub async fn set_phone(conn: &mut Conn, member_id: i64, phone: &str) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE applications SET phone = $1 WHERE id = (SELECT application_id FROM members WHERE id = $2 AND left_at IS NULL)")
            .bind(phone)
            .bind(member_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Unions a member may ask to move to: every union that is not a federation.
pub async fn receiving_unions(pool: &AnyPool) -> sqlx::Result<Vec<crate::org::OrgOption>> {
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT o.id, o.name, p.name FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id
         WHERE o.kind NOT IN ('city', 'county') ORDER BY o.depth, o.name LIMIT 500",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, parent)| crate::org::OrgOption { id, name, parent }).collect())
}
