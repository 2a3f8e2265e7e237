//! Running totals per union, kept in the transaction of the change that moves them, for every
//! union up the tree (a union's figures include its whole subtree). A dashboard then reads one
//! row per union shown instead of counting a million members. Each update is one statement that
//! touches its rows in id order, so concurrent changes queue on the shared ancestors instead of
//! deadlocking (PostgreSQL) — and the totals stay exact.
use crate::server::db::Conn;

/// Days are counted in China's time (UTC+8): day n starts at n × 86,400 − 8 h.
pub fn local_day(unix: i64) -> i64 {
    (unix + 8 * 3600).div_euclid(86_400)
}

/// A change of membership counted under a union: members and pooled members (±1 each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberDelta {
    pub org_id: i64,
    pub members: i64,
    pub pooled: i64,
}

impl MemberDelta {
    pub fn added(org_id: i64, in_pool: bool) -> MemberDelta {
        MemberDelta { org_id, members: 1, pooled: in_pool as i64 }
    }
    pub fn removed(org_id: i64, in_pool: bool) -> MemberDelta {
        MemberDelta { org_id, members: -1, pooled: -(in_pool as i64) }
    }
}

/// Applies membership changes to every union above (and including) each named union.
pub async fn members(conn: &mut Conn, deltas: &[MemberDelta]) -> sqlx::Result<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = (0..deltas.len())
        .map(|i| {
            let b = i * 3;
            format!(
                "SELECT ancestor_id AS org_id, CAST(${} AS BIGINT) AS dm, CAST(${} AS BIGINT) AS dp FROM org_closure WHERE descendant_id = ${}",
                b + 2,
                b + 3,
                b + 1
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO org_tallies (org_id, members, pooled)
         SELECT org_id, SUM(dm), SUM(dp) FROM ({}) d GROUP BY org_id ORDER BY org_id
         ON CONFLICT (org_id) DO UPDATE SET members = org_tallies.members + excluded.members, pooled = org_tallies.pooled + excluded.pooled",
        parts.join(" UNION ALL ")
    );
    let mut q = sqlx::query(&sql);
    for d in deltas {
        q = q.bind(d.org_id).bind(d.members).bind(d.pooled);
    }
    q.execute(conn).await.map(|_| ())
}

/// A day's events counted under a union: members joined (approvals), decisions, decisions made
/// by their deadline (negative to take back an undone one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayDelta {
    pub joined: i64,
    pub decided: i64,
    pub on_time: i64,
}

pub async fn day(conn: &mut Conn, org_id: i64, at: i64, d: DayDelta) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO org_daily (org_id, day, joined, decided, on_time)
         SELECT ancestor_id, CAST($2 AS BIGINT), CAST($3 AS BIGINT), CAST($4 AS BIGINT), CAST($5 AS BIGINT) FROM org_closure WHERE descendant_id = $1 ORDER BY ancestor_id
         ON CONFLICT (org_id, day) DO UPDATE SET joined = org_daily.joined + excluded.joined,
             decided = org_daily.decided + excluded.decided, on_time = org_daily.on_time + excluded.on_time",
    )
    .bind(org_id)
    .bind(local_day(at))
    .bind(d.joined)
    .bind(d.decided)
    .bind(d.on_time)
    .execute(conn)
    .await
    .map(|_| ())
}

/// A member moved from one union to another (`to` None: out of the city) on the day of `at`:
/// each union above the receiving side counts a move in, each above the sending side a move
/// out — except the unions above both, for which nothing left their subtree; `placed` counts a
/// placement out of a pool at every union above the receiving side.
pub async fn moved(conn: &mut Conn, from: i64, to: Option<i64>, placed: bool, at: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO org_moves (org_id, day, placed, moved_in, moved_out)
         SELECT org_id, CAST($4 AS BIGINT), SUM(p), SUM(i), SUM(o) FROM (
             SELECT ancestor_id AS org_id, CAST($3 AS BIGINT) AS p,
                    CASE WHEN ancestor_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = $1) THEN 0 ELSE 1 END AS i,
                    0 AS o
             FROM org_closure WHERE descendant_id = $2
             UNION ALL
             SELECT ancestor_id, 0, 0,
                    CASE WHEN ancestor_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = $2) THEN 0 ELSE 1 END
             FROM org_closure WHERE descendant_id = $1
         ) d GROUP BY org_id ORDER BY org_id
         ON CONFLICT (org_id, day) DO UPDATE SET placed = org_moves.placed + excluded.placed,
             moved_in = org_moves.moved_in + excluded.moved_in, moved_out = org_moves.moved_out + excluded.moved_out",
    )
    .bind(from)
    .bind(to)
    .bind(placed as i64)
    .bind(local_day(at))
    .execute(conn)
    .await
    .map(|_| ())
}

/// Recounts every total from the members and applications (after a bulk load, or to check).
/// A decision counts on the day it was made; a returned application that came back corrected
/// no longer carries its return, so after resubmissions the recount holds fewer decisions than
/// the running totals, which keep every decision made.
pub async fn rebuild(conn: &mut Conn) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM org_tallies").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM org_daily").execute(&mut *conn).await?;
    // (Transfers' day totals, `org_moves`, are kept by the moves alone and stay as they are.)
    sqlx::query(
        "INSERT INTO org_tallies (org_id, members, pooled)
         SELECT c.ancestor_id, SUM(m.n), SUM(m.p) FROM org_closure c
         JOIN (SELECT org_id, COUNT(*) AS n, SUM(in_pool) AS p FROM members GROUP BY org_id) m ON m.org_id = c.descendant_id
         GROUP BY c.ancestor_id",
    )
    .execute(&mut *conn)
    .await?;
    // Joins by the day of approval, decisions by the day they were made; both under the
    // application's union (members moved since then still count where they joined). Imported
    // members joined, but nobody decided on them.
    sqlx::query(
        "INSERT INTO org_daily (org_id, day, joined, decided, on_time)
         SELECT c.ancestor_id, a.day, SUM(a.joined), SUM(a.decided), SUM(a.on_time) FROM org_closure c
         JOIN (SELECT org_id, (decided_at + 28800) / 86400 AS day,
                      SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) AS joined,
                      SUM(CASE WHEN source = 'join' THEN 1 ELSE 0 END) AS decided,
                      SUM(CASE WHEN source = 'join' AND decided_at <= due_at THEN 1 ELSE 0 END) AS on_time
               FROM applications WHERE decided_at IS NOT NULL GROUP BY org_id, (decided_at + 28800) / 86400) a
           ON a.org_id = c.descendant_id
         GROUP BY c.ancestor_id, a.day",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::local_day;

    #[test]
    fn days_turn_at_midnight_in_china() {
        // 2026-11-30 15:59:59 UTC is 23:59:59 in China; one second later is the next day.
        let before = 1_796_054_399;
        assert_eq!(local_day(before) + 1, local_day(before + 1));
    }
}
