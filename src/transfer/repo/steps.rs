//! What the deadline engine reads and records: pending transfers with their highest step, the
//! steps, and who up the tree hears of them.
use super::PENDING;
use crate::server::db::Conn;
use sqlx::AnyPool;

/// The roles and phones of a union's admins who are not disabled and have a phone.
pub async fn admin_phones(conn: &mut Conn, org_id: i64) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT roles, phone FROM admins WHERE org_id = $1 AND disabled = 0 AND phone IS NOT NULL")
        .bind(org_id)
        .fetch_all(conn)
        .await
}

pub async fn org_name(conn: &mut Conn, org_id: i64) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1").bind(org_id).fetch_one(conn).await
}

/// The union `levels` steps up from `org_id` (or the root, if the tree is shallower).
pub async fn ancestor_within(conn: &mut Conn, org_id: i64, levels: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 AND distance <= $2 ORDER BY distance DESC LIMIT 1")
        .bind(org_id)
        .bind(levels)
        .fetch_one(conn)
        .await
}

/// Every pending transfer with the highest step recorded (-1: none): (transfer, receiving
/// union, proposed at, due).
pub async fn engine_candidates(pool: &AnyPool) -> sqlx::Result<Vec<(i64, i64, i64, i64, i64)>> {
    sqlx::query_as(
        "SELECT t.id, t.to_org_id, t.created_at, t.due_at, COALESCE((SELECT MAX(s.level) FROM transfer_steps s WHERE s.transfer_id = t.id), -1)
         FROM transfers t WHERE t.status = $1 AND t.to_org_id IS NOT NULL ORDER BY t.due_at LIMIT 5000",
    )
    .bind(PENDING)
    .fetch_all(pool)
    .await
}

/// Records a reminder (level 0) or escalation step once; false when another worker already did.
pub async fn record_step(conn: &mut Conn, transfer_id: i64, level: i64, org_id: i64, now: i64) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO transfer_steps (transfer_id, level, org_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (transfer_id, level) DO NOTHING",
    )
    .bind(transfer_id)
    .bind(level)
    .bind(org_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
