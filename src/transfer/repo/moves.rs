//! A member's move: the members row changed (the number stays) and the history of unions.
use crate::calendar::format_local;
use crate::server::db::Conn;
use crate::transfer::UnionSpell;
use sqlx::AnyPool;

/// Moves an active member from `from` to `to` (the number stays); false when the member is not
/// (or no longer) an active member of `from`.
pub async fn move_member(conn: &mut Conn, member_id: i64, from: i64, to: i64, to_pool: bool, now: i64) -> sqlx::Result<bool> {
    let changed =
        sqlx::query("UPDATE members SET org_id = $1, in_pool = $2, pooled_since = $3 WHERE id = $4 AND org_id = $5 AND status = 'active'")
            .bind(to)
            .bind(to_pool as i64)
            .bind(to_pool.then_some(now))
            .bind(member_id)
            .bind(from)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(changed == 1)
}

/// Records an active member of `from` as transferred out of the city.
pub async fn mark_transferred_out(conn: &mut Conn, member_id: i64, from: i64) -> sqlx::Result<bool> {
    let changed = sqlx::query(
        "UPDATE members SET status = 'transferred_out', in_pool = 0, pooled_since = NULL WHERE id = $1 AND org_id = $2 AND status = 'active'",
    )
    .bind(member_id)
    .bind(from)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// The member's union history after a move: the spell at the union left is closed (written
/// whole, from the joining, if the member never moved before) and the new one opened.
pub struct Move<'a> {
    pub member_id: i64,
    pub joined_at: i64,
    pub from_org_id: i64,
    pub from_pool: bool,
    pub to_org_id: Option<i64>,
    pub to_pool: bool,
    pub outside_to: Option<&'a str>,
    pub transfer_id: i64,
    pub at: i64,
}

pub async fn record_move(conn: &mut Conn, m: Move<'_>) -> sqlx::Result<()> {
    let closed = sqlx::query("UPDATE member_unions SET until_at = $1 WHERE member_id = $2 AND until_at IS NULL")
        .bind(m.at)
        .bind(m.member_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if closed == 0 {
        sqlx::query("INSERT INTO member_unions (member_id, org_id, in_pool, since_at, until_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(m.member_id)
            .bind(m.from_org_id)
            .bind(m.from_pool as i64)
            .bind(m.joined_at)
            .bind(m.at)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("INSERT INTO member_unions (member_id, org_id, in_pool, outside_to, since_at, transfer_id) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(m.member_id)
        .bind(m.to_org_id)
        .bind(m.to_pool as i64)
        .bind(m.outside_to)
        .bind(m.at)
        .bind(m.transfer_id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// (union name, place outside the city, in a pool, since, until).
type SpellRow = (Option<String>, Option<String>, i64, i64, Option<i64>);

/// The unions a member belonged to, oldest first (empty when the member never moved).
pub async fn history(pool: &AnyPool, member_id: i64) -> sqlx::Result<Vec<UnionSpell>> {
    let rows: Vec<SpellRow> = sqlx::query_as(
        "SELECT o.name, h.outside_to, h.in_pool, h.since_at, h.until_at FROM member_unions h LEFT JOIN orgs o ON o.id = h.org_id
         WHERE h.member_id = $1 ORDER BY h.since_at, h.id",
    )
    .bind(member_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, outside, in_pool, since, until)| UnionSpell {
            name: name.or(outside).unwrap_or_default(),
            in_pool: in_pool != 0,
            since: format_local(since),
            until: until.map(format_local),
        })
        .collect())
}
