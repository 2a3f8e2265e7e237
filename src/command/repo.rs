//! The command centre's SQL. A screen reads the running totals of the unions it shows
//! (`org_tallies`, `org_daily`: one row per union, or per union and day) and counts pending
//! applications through the queue's index; nothing here grows with the number of members.
use super::Figures;
use crate::org::tally::local_day;
use crate::server::db::Conn;
use sqlx::AnyPool;
use std::collections::HashMap;

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// (id, name, has children) of each union directly below `org`, in code order.
pub async fn children(pool: &AnyPool, org: i64) -> sqlx::Result<Vec<(i64, String, bool)>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT o.id, o.name, CASE WHEN EXISTS (SELECT 1 FROM orgs k WHERE k.parent_id = o.id) THEN 1 ELSE 0 END
         FROM orgs o WHERE o.parent_id = $1 ORDER BY o.code",
    )
    .bind(org)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, has)| (id, name, has != 0)).collect())
}

/// The unions from `top` down to `org` (both included), when `org` is inside `top`'s subtree.
pub async fn crumbs(pool: &AnyPool, top: i64, org: i64) -> sqlx::Result<Option<Vec<(i64, String)>>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT o.id, o.name FROM org_closure c JOIN orgs o ON o.id = c.ancestor_id
         WHERE c.descendant_id = $1
           AND EXISTS (SELECT 1 FROM org_closure t WHERE t.ancestor_id = $2 AND t.descendant_id = o.id)
         ORDER BY o.depth",
    )
    .bind(org)
    .bind(top)
    .fetch_all(pool)
    .await?;
    Ok((!rows.is_empty()).then_some(rows))
}

/// Each listed union's figures over its subtree at `now`, except the transfer figures.
pub async fn figures(pool: &AnyPool, ids: &[i64], now: i64) -> sqlx::Result<HashMap<i64, Figures>> {
    let mut out: HashMap<i64, Figures> = ids.iter().map(|id| (*id, Figures::default())).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let list = placeholders(1, ids.len());
    let tallies = format!("SELECT org_id, members, pooled FROM org_tallies WHERE org_id IN ({list})");
    let mut q = sqlx::query_as::<_, (i64, i64, i64)>(&tallies);
    for id in ids {
        q = q.bind(*id);
    }
    for (org, members, pooled) in q.fetch_all(pool).await? {
        if let Some(f) = out.get_mut(&org) {
            f.members = members;
            f.pooled = pooled;
        }
    }

    let today = local_day(now);
    let date = crate::calendar::local_date(now);
    // Monday starts the week; the 1st starts the month.
    let week_start = today - (date.weekday() as i64 - 1);
    let month_start = today - (date.day() as i64 - 1);
    let since_30 = today - 29;
    let n = ids.len();
    let daily = format!(
        "SELECT org_id,
                CAST(SUM(CASE WHEN day = ${a} THEN joined ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN day >= ${b} THEN joined ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN day >= ${c} THEN joined ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN day >= ${d} THEN decided ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN day >= ${d} THEN on_time ELSE 0 END) AS BIGINT)
         FROM org_daily WHERE org_id IN ({list}) AND day >= ${e} GROUP BY org_id",
        a = n + 1,
        b = n + 2,
        c = n + 3,
        d = n + 4,
        e = n + 5,
    );
    let mut q = sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64)>(&daily);
    for id in ids {
        q = q.bind(*id);
    }
    q = q.bind(today).bind(week_start).bind(month_start).bind(since_30).bind(month_start.min(since_30).min(week_start));
    for (org, t, w, m, decided, on_time) in q.fetch_all(pool).await? {
        if let Some(f) = out.get_mut(&org) {
            f.joined_today = t;
            f.joined_week = w;
            f.joined_month = m;
            f.decided_30 = decided;
            f.on_time_30 = on_time;
        }
    }

    let pending = format!(
        "SELECT c.ancestor_id, COUNT(*), CAST(SUM(CASE WHEN a.due_at < ${} THEN 1 ELSE 0 END) AS BIGINT)
         FROM org_closure c JOIN applications a ON a.org_id = c.descendant_id AND a.status = 'pending'
         WHERE c.ancestor_id IN ({list}) GROUP BY c.ancestor_id",
        n + 1
    );
    let mut q = sqlx::query_as::<_, (i64, i64, i64)>(&pending);
    for id in ids {
        q = q.bind(*id);
    }
    for (org, p, o) in q.bind(now).fetch_all(pool).await? {
        if let Some(f) = out.get_mut(&org) {
            f.pending = p;
            f.overdue = o;
        }
    }
    Ok(out)
}

/// Members joined per day under `org`, from `first_day` on: (day, count) for days with any.
pub async fn joins_per_day(pool: &AnyPool, org: i64, first_day: i64) -> sqlx::Result<Vec<(i64, i64)>> {
    sqlx::query_as("SELECT day, joined FROM org_daily WHERE org_id = $1 AND day >= $2 ORDER BY day")
        .bind(org)
        .bind(first_day)
        .fetch_all(pool)
        .await
}

/// Every union id of `org`'s subtree (the live stream's filter).
pub async fn subtree_ids(pool: &AnyPool, org: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT descendant_id FROM org_closure WHERE ancestor_id = $1").bind(org).fetch_all(pool).await
}

/// One overdue application as read: (id, name, org id, org name, submitted, due, level,
/// last chase at, last chaser's union).
pub type OverdueRow = (i64, String, i64, String, i64, i64, Option<i64>, Option<i64>, Option<String>);

/// Pending applications past their deadline inside `root`'s subtree, oldest deadline first.
pub async fn overdue(pool: &AnyPool, root: i64, now: i64, limit: i64, offset: i64) -> sqlx::Result<(Vec<OverdueRow>, i64)> {
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM applications a JOIN org_closure c ON c.descendant_id = a.org_id AND c.ancestor_id = $1
         WHERE a.status = 'pending' AND a.due_at < $2",
    )
    .bind(root)
    .bind(now)
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query_as(
        "SELECT a.id, a.name, a.org_id, o.name, a.submitted_at, a.due_at,
                (SELECT MAX(e.level) FROM escalations e WHERE e.application_id = a.id),
                (SELECT MAX(h.created_at) FROM chases h WHERE h.application_id = a.id),
                (SELECT ho.name FROM chases h JOIN admins ad ON ad.id = h.admin_id JOIN orgs ho ON ho.id = ad.org_id
                  WHERE h.application_id = a.id ORDER BY h.created_at DESC, h.id DESC LIMIT 1)
         FROM applications a JOIN org_closure c ON c.descendant_id = a.org_id AND c.ancestor_id = $1
         JOIN orgs o ON o.id = a.org_id
         WHERE a.status = 'pending' AND a.due_at < $2
         ORDER BY a.due_at, a.id LIMIT $3 OFFSET $4",
    )
    .bind(root)
    .bind(now)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok((rows, total))
}

/// For a chase: the application's union and name when it is pending, overdue and inside
/// `root`'s subtree.
pub async fn chase_target(conn: &mut Conn, root: i64, id: i64, now: i64) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "SELECT a.org_id, o.name FROM applications a JOIN org_closure c ON c.descendant_id = a.org_id AND c.ancestor_id = $1
         JOIN orgs o ON o.id = a.org_id
         WHERE a.id = $2 AND a.status = 'pending' AND a.due_at < $3",
    )
    .bind(root)
    .bind(id)
    .bind(now)
    .fetch_optional(conn)
    .await
}

pub async fn last_chase(conn: &mut Conn, id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT MAX(created_at) FROM chases WHERE application_id = $1").bind(id).fetch_one(conn).await
}

pub async fn record_chase(conn: &mut Conn, id: i64, admin_id: i64, org_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO chases (application_id, admin_id, org_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(admin_id)
        .bind(org_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}
