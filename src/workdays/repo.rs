//! The SQL of workdays: moving open deadlines after a calendar change, and each union's
//! progress inside a subtree.
use super::UnionStats;
use crate::calendar::Calendar;
use crate::server::db::Conn;
use sqlx::AnyPool;

/// Moves every open deadline the calendar changes (from the application's clock start);
/// returns how many moved.
pub async fn recompute_open_deadlines(conn: &mut Conn, cal: &Calendar) -> sqlx::Result<usize> {
    let open: Vec<(i64, i64, i64, i64)> =
        sqlx::query_as("SELECT id, COALESCE(clock_from, submitted_at), due_at, due_provisional FROM applications WHERE status = 'pending'")
            .fetch_all(&mut *conn)
            .await?;
    let mut moved = 0;
    for (id, from, due, provisional) in open {
        let d = cal.deadline(from);
        if d.due_at != due || d.provisional as i64 != provisional {
            sqlx::query("UPDATE applications SET due_at = $1, due_provisional = $2 WHERE id = $3")
                .bind(d.due_at)
                .bind(d.provisional as i64)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Pending, overdue, decided and decided-in-time counts of each union of `root`'s subtree.
pub async fn union_stats(pool: &AnyPool, root: i64, now: i64) -> sqlx::Result<Vec<UnionStats>> {
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT o.name,
                CAST(SUM(CASE WHEN a.status = 'pending' THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN a.status = 'pending' AND a.due_at < $2 THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN a.decided_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN a.decided_at IS NOT NULL AND a.decided_at <= a.due_at THEN 1 ELSE 0 END) AS BIGINT)
         FROM applications a JOIN org_closure c ON c.descendant_id = a.org_id AND c.ancestor_id = $1
         JOIN orgs o ON o.id = a.org_id GROUP BY o.id, o.name, o.code ORDER BY o.code",
    )
    .bind(root)
    .bind(now)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(name, pending, overdue, decided, on_time)| UnionStats { name, pending, overdue, decided, on_time }).collect())
}
