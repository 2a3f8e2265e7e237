//! The SQL of the turnover pool and of transfers. Lists and look-ups are scoped by the admin's
//! union through the closure table: a member or transfer outside the subtree does not exist.
pub mod moves;
pub mod pool;
pub mod steps;

use super::{TransferCounts, TransferItem, TransferKind, TransferStatus};
use crate::calendar::format_local;
use crate::domain::{PersonName, Phone};
use crate::org::OrgKind;
use crate::server::db::{Backend, Conn};
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// Rows a list shows at most.
pub const LIST_LIMIT: i64 = 200;

pub(super) const PENDING: &str = "pending";

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what}").into())
}

/// A member as the transfer rules need them.
#[derive(Clone, Debug)]
pub struct MemberRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub member_no: String,
    pub in_pool: bool,
    pub active: bool,
    pub joined_at: i64,
    pub name: String,
    pub phone: String,
}

/// A member whose union lies inside `root`'s subtree; `None` otherwise — as if it did not exist.
pub async fn member_in(conn: &mut Conn, root: i64, member_id: i64) -> sqlx::Result<Option<MemberRow>> {
    let row = sqlx::query(
        "SELECT m.id, m.org_id, o.name AS org_name, m.member_no, m.in_pool, m.status, m.joined_at, a.name, a.phone
         FROM members m JOIN org_closure c ON c.descendant_id = m.org_id AND c.ancestor_id = $1
         JOIN orgs o ON o.id = m.org_id JOIN applications a ON a.id = m.application_id WHERE m.id = $2 AND m.left_at IS NULL",
    )
    .bind(root)
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(MemberRow {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            org_name: r.try_get("org_name")?,
            member_no: r.try_get("member_no")?,
            in_pool: r.try_get::<i64, _>("in_pool")? != 0,
            active: r.try_get::<String, _>("status")? == "active",
            joined_at: r.try_get("joined_at")?,
            name: r.try_get("name")?,
            phone: r.try_get("phone")?,
        })
    })
    .transpose()
}

/// A union as a transfer's destination needs it.
#[derive(Clone, Debug)]
pub struct Receiver {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub has_pool: bool,
}

pub async fn receiver(conn: &mut Conn, org_id: i64) -> sqlx::Result<Option<Receiver>> {
    let row: Option<(i64, String, String, i64)> =
        sqlx::query_as("SELECT id, name, kind, has_pool FROM orgs WHERE id = $1").bind(org_id).fetch_optional(conn).await?;
    row.map(|(id, name, kind, has_pool)| {
        Ok(Receiver { id, name, kind: OrgKind::parse(&kind).ok_or_else(|| bad("org kind"))?, has_pool: has_pool != 0 })
    })
    .transpose()
}

/// Is `node` inside `root`'s subtree (itself included)?
pub async fn is_within(conn: &mut Conn, node: i64, root: i64) -> sqlx::Result<bool> {
    let hit: Option<i64> = sqlx::query_scalar("SELECT distance FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
        .bind(root)
        .bind(node)
        .fetch_optional(conn)
        .await?;
    Ok(hit.is_some())
}

pub struct NewTransfer<'a> {
    pub member_id: i64,
    pub kind: TransferKind,
    pub from_org_id: i64,
    pub from_pool: bool,
    pub to_org_id: Option<i64>,
    pub to_pool: bool,
    pub outside_to: Option<&'a str>,
    pub status: TransferStatus,
    pub proposed_by: i64,
    pub note: Option<&'a str>,
    pub created_at: i64,
    pub due_at: i64,
    /// Set for a transfer recorded as done at once (out of the city).
    pub decided: Option<(i64, i64)>,
}

/// Inserts a transfer; a second pending one for the same member fails on the unique index.
pub async fn insert(conn: &mut Conn, t: NewTransfer<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO transfers (member_id, kind, from_org_id, from_pool, to_org_id, to_pool, outside_to, status, proposed_by, note,
                                created_at, due_at, decided_at, decided_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(t.member_id)
    .bind(t.kind.as_str())
    .bind(t.from_org_id)
    .bind(t.from_pool as i64)
    .bind(t.to_org_id)
    .bind(t.to_pool as i64)
    .bind(t.outside_to)
    .bind(t.status.as_str())
    .bind(t.proposed_by)
    .bind(t.note)
    .bind(t.created_at)
    .bind(t.due_at)
    .bind(t.decided.map(|d| d.0))
    .bind(t.decided.map(|d| d.1))
    .fetch_one(conn)
    .await
}

/// A transfer with what a decision needs.
#[derive(Clone, Debug)]
pub struct TransferRow {
    pub id: i64,
    pub member_id: i64,
    pub kind: TransferKind,
    pub status: TransferStatus,
    pub from_org_id: i64,
    pub from_name: String,
    pub from_pool: bool,
    pub to_org_id: Option<i64>,
    pub to_name: Option<String>,
    pub to_pool: bool,
    pub created_at: i64,
    pub due_at: i64,
    pub member_no: String,
    pub joined_at: i64,
    pub name: String,
    pub phone: String,
}

/// Which end of a transfer must lie inside the admin's subtree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The receiving union (to accept or decline).
    Receiving,
    /// The sending union (to withdraw).
    Sending,
}

/// A transfer whose `side` lies inside `root`'s subtree; `None` otherwise.
pub async fn transfer_in(conn: &mut Conn, root: i64, side: Side, id: i64) -> sqlx::Result<Option<TransferRow>> {
    let end = match side {
        Side::Receiving => "t.to_org_id",
        Side::Sending => "t.from_org_id",
    };
    let row = sqlx::query(&format!(
        "SELECT t.id, t.member_id, t.kind, t.status, t.from_org_id, fo.name AS from_name, t.from_pool, t.to_org_id,
                tor.name AS to_name, t.to_pool, t.created_at, t.due_at, m.member_no, m.joined_at, a.name, a.phone
         FROM transfers t JOIN org_closure c ON c.descendant_id = {end} AND c.ancestor_id = $1
         JOIN members m ON m.id = t.member_id JOIN applications a ON a.id = m.application_id
         JOIN orgs fo ON fo.id = t.from_org_id LEFT JOIN orgs tor ON tor.id = t.to_org_id WHERE t.id = $2"
    ))
    .bind(root)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(transfer_from_row).transpose()
}

/// A transfer by id, unscoped (for the engine).
pub async fn transfer(conn: &mut Conn, id: i64) -> sqlx::Result<Option<TransferRow>> {
    let row = sqlx::query(
        "SELECT t.id, t.member_id, t.kind, t.status, t.from_org_id, fo.name AS from_name, t.from_pool, t.to_org_id,
                tor.name AS to_name, t.to_pool, t.created_at, t.due_at, m.member_no, m.joined_at, a.name, a.phone
         FROM transfers t JOIN members m ON m.id = t.member_id JOIN applications a ON a.id = m.application_id
         JOIN orgs fo ON fo.id = t.from_org_id LEFT JOIN orgs tor ON tor.id = t.to_org_id WHERE t.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(transfer_from_row).transpose()
}

fn transfer_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<TransferRow> {
    Ok(TransferRow {
        id: r.try_get("id")?,
        member_id: r.try_get("member_id")?,
        kind: TransferKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| bad("transfer kind"))?,
        status: TransferStatus::parse(&r.try_get::<String, _>("status")?).ok_or_else(|| bad("transfer status"))?,
        from_org_id: r.try_get("from_org_id")?,
        from_name: r.try_get("from_name")?,
        from_pool: r.try_get::<i64, _>("from_pool")? != 0,
        to_org_id: r.try_get("to_org_id")?,
        to_name: r.try_get("to_name")?,
        to_pool: r.try_get::<i64, _>("to_pool")? != 0,
        created_at: r.try_get("created_at")?,
        due_at: r.try_get("due_at")?,
        member_no: r.try_get("member_no")?,
        joined_at: r.try_get("joined_at")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
    })
}

/// The member's pending transfer, if one waits.
pub async fn pending_of(conn: &mut Conn, member_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM transfers WHERE member_id = $1 AND status = $2")
        .bind(member_id)
        .bind(PENDING)
        .fetch_optional(conn)
        .await
}

/// On PostgreSQL, holds the transfer's row until the transaction ends, so decisions on it
/// queue (the conditional write below then sees the first one's outcome); SQLite's write gate
/// already serialises write transactions.
pub async fn lock(conn: &mut Conn, backend: Backend, id: i64) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM transfers WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(conn).await?;
    }
    Ok(())
}

/// On PostgreSQL, holds the member's row until the transaction ends, so two proposals for one
/// member (a transfer and a move out of the city) queue instead of both passing their checks.
pub async fn lock_member(conn: &mut Conn, backend: Backend, member_id: i64) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM members WHERE id = $1 FOR UPDATE").bind(member_id).fetch_optional(conn).await?;
    }
    Ok(())
}

/// Ends a pending transfer — one conditional write; false when it was no longer pending.
pub async fn settle(
    conn: &mut Conn,
    id: i64,
    status: TransferStatus,
    now: i64,
    by: Option<i64>,
    reason: Option<&str>,
) -> sqlx::Result<bool> {
    let changed =
        sqlx::query("UPDATE transfers SET status = $1, decided_at = $2, decided_by = $3, reason = $4 WHERE id = $5 AND status = $6")
            .bind(status.as_str())
            .bind(now)
            .bind(by)
            .bind(reason)
            .bind(id)
            .bind(PENDING)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(changed == 1)
}

/// Which transfers a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    /// Pending, into the subtree: soonest deadline first.
    Incoming,
    /// Pending, out of the subtree: oldest first.
    Outgoing,
    /// Settled, touching the subtree at either end: newest first.
    History,
    /// Every transfer of one member (`root` is the member's id): newest first.
    OfMember,
}

const ITEM_COLUMNS: &str = "t.id, t.kind, t.status, t.member_id, a.name, a.phone, m.member_no, fo.name AS from_name, t.from_pool,
    tor.name AS to_name, t.outside_to, t.created_at, t.due_at, t.decided_at, t.reason,
    (SELECT MAX(s.level) FROM transfer_steps s WHERE s.transfer_id = t.id AND s.level > 0) AS esc_level";

const ITEM_FROM: &str = "FROM transfers t JOIN members m ON m.id = t.member_id JOIN applications a ON a.id = m.application_id
    JOIN orgs fo ON fo.id = t.from_org_id LEFT JOIN orgs tor ON tor.id = t.to_org_id";

pub async fn list(pool: &AnyPool, root: i64, which: List, now: i64) -> sqlx::Result<Vec<TransferItem>> {
    let subtree = "SELECT descendant_id FROM org_closure WHERE ancestor_id = $1";
    let filter = match which {
        List::Incoming => format!("t.status = 'pending' AND t.to_org_id IN ({subtree}) ORDER BY t.due_at, t.id"),
        List::Outgoing => format!("t.status = 'pending' AND t.from_org_id IN ({subtree}) ORDER BY t.created_at, t.id"),
        List::History => format!(
            "t.status <> 'pending' AND (t.to_org_id IN ({subtree}) OR t.from_org_id IN ({subtree})) ORDER BY t.decided_at DESC, t.id DESC"
        ),
        List::OfMember => "t.member_id = $1 ORDER BY t.created_at DESC, t.id DESC".to_string(),
    };
    let rows =
        sqlx::query(&format!("SELECT {ITEM_COLUMNS} {ITEM_FROM} WHERE {filter} LIMIT {LIST_LIMIT}")).bind(root).fetch_all(pool).await?;
    rows.iter().map(|r| item_from_row(r, now)).collect()
}

fn item_from_row(r: &sqlx::any::AnyRow, now: i64) -> sqlx::Result<TransferItem> {
    let due: i64 = r.try_get("due_at")?;
    let to_name: Option<String> = r.try_get("to_name")?;
    let outside: Option<String> = r.try_get("outside_to")?;
    Ok(TransferItem {
        id: r.try_get("id")?,
        kind: TransferKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| bad("transfer kind"))?,
        status: TransferStatus::parse(&r.try_get::<String, _>("status")?).ok_or_else(|| bad("transfer status"))?,
        member_id: r.try_get("member_id")?,
        name_masked: PersonName::mask_stored(&r.try_get::<String, _>("name")?),
        phone_masked: Phone::mask_stored(&r.try_get::<String, _>("phone")?),
        member_no: r.try_get("member_no")?,
        from_name: r.try_get("from_name")?,
        from_pool: r.try_get::<i64, _>("from_pool")? != 0,
        to_name: to_name.or(outside).unwrap_or_default(),
        created_at: format_local(r.try_get("created_at")?),
        due_at: format_local(due),
        secs_left: due - now,
        decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(format_local),
        reason: r.try_get("reason")?,
        escalation: r.try_get("esc_level")?,
    })
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The command centre's transfer figures for each of `org_ids` (every one gets an entry), each
/// over its whole subtree: transfers waiting to come in; since `month_start` (until `now`),
/// placements accepted at the receiving side, members moved in from outside the subtree and
/// out of it (a move between two unions of the subtree is neither); and when the
/// longest-waiting pooled member of the subtree entered the pool.
///
/// Transfers are few (a pilot city moves about a hundred members a month), unions many: the
/// month's settled transfers and the pending ones are read once through their indexes and
/// counted against the subtrees asked for (their closure rows), instead of joining every
/// union's subtree with the transfers.
pub async fn counts(pool: &AnyPool, org_ids: &[i64], month_start: i64, now: i64) -> sqlx::Result<HashMap<i64, TransferCounts>> {
    let mut out: HashMap<i64, TransferCounts> = org_ids.iter().map(|&id| (id, TransferCounts::default())).collect();
    if org_ids.is_empty() {
        return Ok(out);
    }
    // For each union of the asked subtrees: which of the asked unions it lies under.
    let mut under: HashMap<i64, Vec<i64>> = HashMap::new();
    // Well below both databases' limits on bound values.
    for chunk in org_ids.chunks(500) {
        let sql = format!("SELECT ancestor_id, descendant_id FROM org_closure WHERE ancestor_id IN ({})", placeholders(1, chunk.len()));
        for r in fetch(pool, &sql, chunk).await? {
            under.entry(r.try_get("descendant_id")?).or_default().push(r.try_get("ancestor_id")?);
        }
        let oldest = format!(
            "SELECT c.ancestor_id, MIN(COALESCE(m.pooled_since, m.joined_at)) AS since
             FROM org_closure c JOIN members m ON m.org_id = c.descendant_id AND m.in_pool = 1
             WHERE c.ancestor_id IN ({}) GROUP BY c.ancestor_id",
            placeholders(1, chunk.len())
        );
        for r in fetch(pool, &oldest, chunk).await? {
            out.entry(r.try_get("ancestor_id")?).or_default().pool_oldest_since = r.try_get("since")?;
        }
    }
    let none = Vec::new();
    let ancestors = |org: Option<i64>| org.and_then(|o| under.get(&o)).unwrap_or(&none);
    let pending: Vec<i64> =
        sqlx::query_scalar("SELECT to_org_id FROM transfers WHERE status = 'pending' AND to_org_id IS NOT NULL").fetch_all(pool).await?;
    for to in pending {
        for a in ancestors(Some(to)) {
            out.entry(*a).or_default().waiting += 1;
        }
    }
    // The month's moves from the running totals (one row per union and day).
    let first_day = crate::org::tally::local_day(month_start);
    for chunk in org_ids.chunks(500) {
        let sql = format!(
            "SELECT org_id, CAST(SUM(placed) AS BIGINT) AS placed, CAST(SUM(moved_in) AS BIGINT) AS moved_in,
                    CAST(SUM(moved_out) AS BIGINT) AS moved_out
             FROM org_moves WHERE org_id IN ({}) AND day >= ${} AND day <= ${} GROUP BY org_id",
            placeholders(1, chunk.len()),
            chunk.len() + 1,
            chunk.len() + 2
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.bind(first_day).bind(crate::org::tally::local_day(now)).fetch_all(pool).await? {
            let e = out.entry(r.try_get("org_id")?).or_default();
            e.placed = r.try_get("placed")?;
            e.transferred_in = r.try_get("moved_in")?;
            e.transferred_out = r.try_get("moved_out")?;
        }
    }
    Ok(out)
}

async fn fetch(pool: &AnyPool, sql: &str, ids: &[i64]) -> sqlx::Result<Vec<sqlx::any::AnyRow>> {
    let mut q = sqlx::query(sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(pool).await
}
