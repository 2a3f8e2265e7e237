//! The SQL of review: every query is scoped by the admin's union through the closure table, so
//! anything outside the subtree simply does not exist for them.
use super::{QueueFilter, QueueItem};
use crate::calendar::format_local;
use crate::domain::{PersonName, Phone, Ymd};
use crate::join::ApplicationStatus;
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

pub const PAGE_SIZE: i64 = 50;

enum Arg {
    I(i64),
    S(String),
}

/// What the queue's search box asked for: a whole value, matched exactly — never a part of
/// one, so a phone or a name cannot be walked digit by digit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    /// The box is empty.
    Any,
    Phone(String),
    /// The blind index of a whole ID number under each key of the ring (active first).
    IdBlind(Vec<String>),
    Name(String),
    /// Not a whole phone, ID number or name: matches nothing.
    Nothing,
}

/// The queue of `root`'s subtree under `f`, soonest deadline first; and the total it matches.
pub async fn queue(pool: &AnyPool, root: i64, f: &QueueFilter, search: &Search, now: i64) -> sqlx::Result<(Vec<QueueItem>, i64)> {
    let mut args = vec![Arg::I(root)];
    let mut clauses = Vec::new();
    let push = |args: &mut Vec<Arg>, a: Arg| {
        args.push(a);
        args.len()
    };
    if let super::StatusFilter::Only(status) = f.status() {
        let n = push(&mut args, Arg::S(status.as_str().into()));
        clauses.push(format!("a.status = ${n}"));
    }
    if let Ok(org) = f.org.parse::<i64>() {
        let n = push(&mut args, Arg::I(org));
        clauses.push(format!("a.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ${n})"));
    }
    if let Ok(ch) = f.channel.parse::<i64>() {
        let n = push(&mut args, Arg::I(ch));
        clauses.push(format!("a.channel_id = ${n}"));
    }
    if let Some(d) = Ymd::parse(&f.from) {
        let n = push(&mut args, Arg::I(crate::calendar::local_to_unix(d, 0, 0)));
        clauses.push(format!("a.submitted_at >= ${n}"));
    }
    if let Some(d) = Ymd::parse(&f.to) {
        let n = push(&mut args, Arg::I(crate::calendar::local_to_unix(d.add_days(1), 0, 0)));
        clauses.push(format!("a.submitted_at < ${n}"));
    }
    if f.overdue == "1" {
        let n = push(&mut args, Arg::I(now));
        clauses.push(format!("a.status = 'pending' AND a.due_at < ${n}"));
    }
    let exact = match search {
        Search::Any => None,
        Search::Phone(p) => Some(("a.phone", std::slice::from_ref(p))),
        Search::IdBlind(b) => Some(("a.id_blind", b.as_slice())),
        Search::Name(n) => Some(("a.name", std::slice::from_ref(n))),
        Search::Nothing => {
            clauses.push("1 = 0".into());
            None
        }
    };
    if let Some((column, values)) = exact {
        let marks: Vec<String> = values.iter().map(|v| format!("${}", push(&mut args, Arg::S(v.clone())))).collect();
        clauses.push(if marks.is_empty() { "1 = 0".into() } else { format!("{column} IN ({})", marks.join(", ")) });
    }
    let filter = if clauses.is_empty() { String::new() } else { format!(" AND {}", clauses.join(" AND ")) };
    let from = format!(
        "FROM applications a JOIN org_closure c ON c.descendant_id = a.org_id AND c.ancestor_id = $1
         JOIN orgs o ON o.id = a.org_id LEFT JOIN channels ch ON ch.id = a.channel_id WHERE 1 = 1{filter}"
    );
    let page: i64 = f.page.parse().unwrap_or(0i64).clamp(0, 10_000);
    let list_sql = format!(
        "SELECT a.id, a.name, a.id_masked, a.phone, a.status, o.name AS org_name, a.in_pool, ch.name AS channel_name,
                a.submitted_at, a.due_at, {ESCALATION_COLUMN}
         {from} ORDER BY a.due_at, a.id LIMIT {PAGE_SIZE} OFFSET {}",
        page * PAGE_SIZE
    );
    let count_sql = format!("SELECT COUNT(*) {from}");
    let mut list = sqlx::query(&list_sql);
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for a in &args {
        match a {
            Arg::I(i) => {
                list = list.bind(*i);
                count = count.bind(*i);
            }
            Arg::S(s) => {
                list = list.bind(s.clone());
                count = count.bind(s.clone());
            }
        }
    }
    let rows = list.fetch_all(pool).await?;
    let total = count.fetch_one(pool).await?;
    let items = rows.iter().map(|r| item_from_row(r, now)).collect::<sqlx::Result<Vec<_>>>()?;
    Ok((items, total))
}

/// The queue columns of a row (`ESCALATION_COLUMN` included) as the pages show them: masked.
fn item_from_row(r: &sqlx::any::AnyRow, now: i64) -> sqlx::Result<QueueItem> {
    let due: i64 = r.try_get("due_at")?;
    Ok(QueueItem {
        id: r.try_get("id")?,
        name_masked: PersonName::mask_stored(&r.try_get::<String, _>("name")?),
        id_masked: r.try_get("id_masked")?,
        phone_masked: Phone::mask_stored(&r.try_get::<String, _>("phone")?),
        status: crate::join::repo::status_of(&r.try_get::<String, _>("status")?)?,
        org_name: r.try_get("org_name")?,
        in_pool: r.try_get::<i64, _>("in_pool")? != 0,
        channel: r.try_get("channel_name")?,
        submitted_at: format_local(r.try_get("submitted_at")?),
        due_at: format_local(due),
        secs_left: due - now,
        escalation: r.try_get("esc_level")?,
    })
}

/// The highest escalation level of an application, as a column.
const ESCALATION_COLUMN: &str = "(SELECT MAX(e.level) FROM escalations e WHERE e.application_id = a.id AND e.level > 0) AS esc_level";

/// What the detail page shows, and what the decision needs.
#[derive(Clone, Debug)]
pub struct Detail {
    pub item: QueueItem,
    pub org_id: i64,
    pub org_code: String,
    pub name: String,
    pub phone: String,
    pub birth_date: String,
    pub sex: crate::domain::Sex,
    pub plate: Option<String>,
    pub occupation: Option<String>,
    pub id_blind: String,
    pub open_key: Option<String>,
    pub consent_at: i64,
    pub decision_reason: Option<String>,
    /// Other applications of the same person (by blind index).
    pub duplicates: i64,
}

/// One application, if it lies inside `root`'s subtree; `None` otherwise — as if it did not exist.
pub async fn detail(conn: &mut crate::server::db::Conn, root: i64, id: i64, now: i64) -> sqlx::Result<Option<Detail>> {
    let row = sqlx::query(&format!(
        "SELECT a.id, a.name, a.id_masked, a.phone, a.status, o.name AS org_name, o.code AS org_code, a.org_id, a.in_pool,
                ch.name AS channel_name, a.submitted_at, a.due_at, a.birth_date, a.sex, a.plate, a.occupation, a.id_blind,
                a.open_key, a.consent_at, a.decision_reason, {ESCALATION_COLUMN}
         FROM applications a JOIN org_closure c ON c.descendant_id = a.org_id AND c.ancestor_id = $1
         JOIN orgs o ON o.id = a.org_id LEFT JOIN channels ch ON ch.id = a.channel_id WHERE a.id = $2"
    ))
    .bind(root)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let blind: String = r.try_get("id_blind")?;
    let duplicates: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE id_blind = $1 AND id <> $2")
        .bind(&blind)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some(Detail {
        item: item_from_row(&r, now)?,
        org_id: r.try_get("org_id")?,
        org_code: r.try_get("org_code")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        birth_date: r.try_get("birth_date")?,
        sex: crate::domain::Sex::from_code(&r.try_get::<String, _>("sex")?)
            .ok_or_else(|| sqlx::Error::Decode("unknown sex code".into()))?,
        plate: r.try_get("plate")?,
        occupation: r.try_get("occupation")?,
        id_blind: blind,
        open_key: r.try_get("open_key")?,
        consent_at: r.try_get("consent_at")?,
        decision_reason: r.try_get("decision_reason")?,
        duplicates,
    }))
}

/// Join channels of unions inside `root`'s subtree, for the filter.
pub async fn subtree_channels(pool: &AnyPool, root: i64) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "SELECT ch.id, ch.name FROM channels ch JOIN org_closure c ON c.descendant_id = ch.org_id AND c.ancestor_id = $1 ORDER BY ch.id",
    )
    .bind(root)
    .fetch_all(pool)
    .await
}

/// The sealed ID number of an application (with what opens it) and the phone, for a reveal.
pub struct SealedId {
    pub key_id: i64,
    pub cipher: Vec<u8>,
    pub submission_key: String,
    pub phone: String,
}

pub async fn sealed_id(conn: &mut crate::server::db::Conn, id: i64) -> sqlx::Result<SealedId> {
    let (key_id, cipher, submission_key, phone): (i64, Vec<u8>, String, String) =
        sqlx::query_as("SELECT id_key_id, id_cipher, submission_key, phone FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(conn)
            .await?;
    Ok(SealedId { key_id, cipher, submission_key, phone })
}

/// On PostgreSQL, holds the application's row until the transaction ends, so decisions on it
/// queue; SQLite's write gate already serialises whole write transactions.
pub async fn lock_for_decision(conn: &mut Conn, backend: crate::server::db::Backend, id: i64) -> sqlx::Result<()> {
    if backend == crate::server::db::Backend::Postgres {
        sqlx::query("SELECT id FROM applications WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(conn).await?;
    }
    Ok(())
}

/// The next member number of a union: `<union code>-000001`, …
pub async fn next_member_no(conn: &mut Conn, org_id: i64, org_code: &str) -> sqlx::Result<String> {
    let n: i64 = sqlx::query_scalar(
        "INSERT INTO member_counters (org_id, last_no) VALUES ($1, 1)
         ON CONFLICT (org_id) DO UPDATE SET last_no = member_counters.last_no + 1 RETURNING last_no",
    )
    .bind(org_id)
    .fetch_one(conn)
    .await?;
    Ok(format!("{org_code}-{n:06}"))
}

pub async fn insert_member(
    conn: &mut Conn,
    application_id: i64,
    org_id: i64,
    member_no: &str,
    in_pool: bool,
    now: i64,
) -> sqlx::Result<()> {
    // A pooled member's days in the pool count from joining.
    sqlx::query("INSERT INTO members (application_id, org_id, member_no, in_pool, joined_at, pooled_since) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(application_id)
        .bind(org_id)
        .bind(member_no)
        .bind(in_pool as i64)
        .bind(now)
        .bind(in_pool.then_some(now))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Takes back the membership an approval made: false when it is no longer the approval's alone
/// — the member has left, signed in or holds something (a row elsewhere refers to it).
pub async fn delete_member(conn: &mut Conn, application_id: i64) -> sqlx::Result<bool> {
    match sqlx::query("DELETE FROM members WHERE application_id = $1 AND left_at IS NULL").bind(application_id).execute(conn).await {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(e) if crate::server::db::is_foreign_key_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Records a decision on a pending application — one conditional write; false when it was no
/// longer pending (someone else decided first). A rejection frees the person's open key.
pub async fn set_decided(
    conn: &mut Conn,
    id: i64,
    status: ApplicationStatus,
    now: i64,
    admin_id: i64,
    reason: Option<&str>,
    free_open_key: bool,
) -> sqlx::Result<bool> {
    let open_key_sql = if free_open_key { ", open_key = NULL" } else { "" };
    let changed = sqlx::query(&format!(
        "UPDATE applications SET status = $1, decided_at = $2, decided_by = $3, decision_reason = $4{open_key_sql} WHERE id = $5 AND status = $6"
    ))
    .bind(status.as_str())
    .bind(now)
    .bind(admin_id)
    .bind(reason)
    .bind(id)
    .bind(ApplicationStatus::Pending.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Back to pending after an undo, with the person's open key restored from the row's own
/// blind index as it is now (a rotation may have re-keyed it since the page was read) — a
/// unique violation when they applied again after a rejection.
pub async fn restore_pending(conn: &mut Conn, id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE applications SET status = $1, decided_at = NULL, decided_by = NULL, decision_reason = NULL, open_key = id_blind WHERE id = $2",
    )
    .bind(ApplicationStatus::Pending.as_str())
    .bind(id)
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn insert_decision(
    conn: &mut Conn,
    id: i64,
    admin_id: i64,
    action: &str,
    reason: &str,
    outbox_id: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO decisions (application_id, admin_id, action, reason, outbox_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(admin_id)
        .bind(action)
        .bind(reason)
        .bind(outbox_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}

/// This admin's last decision on the application that is not undone: (id, action, its SMS, when).
pub async fn last_decision_of(conn: &mut Conn, id: i64, admin_id: i64) -> sqlx::Result<Option<(i64, String, Option<i64>, i64)>> {
    sqlx::query_as(
        "SELECT id, action, outbox_id, created_at FROM decisions
         WHERE application_id = $1 AND admin_id = $2 AND undone_at IS NULL AND action <> 'undo' ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .bind(admin_id)
    .fetch_optional(conn)
    .await
}

pub async fn mark_undone(conn: &mut Conn, decision_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE decisions SET undone_at = $1 WHERE id = $2").bind(now).bind(decision_id).execute(conn).await.map(|_| ())
}

/// Pending applications due before `until`, with the highest step already recorded (-1: none):
/// (application, union, due, recorded level).
pub async fn engine_candidates(pool: &AnyPool, until: i64) -> sqlx::Result<Vec<(i64, i64, i64, i64)>> {
    sqlx::query_as(
        "SELECT a.id, a.org_id, a.due_at, COALESCE((SELECT MAX(e.level) FROM escalations e WHERE e.application_id = a.id), -1)
         FROM applications a WHERE a.status = $1 AND a.due_at <= $2 ORDER BY a.due_at LIMIT 5000",
    )
    .bind(ApplicationStatus::Pending.as_str())
    .bind(until)
    .fetch_all(pool)
    .await
}

/// The union `levels` steps up from `org_id` (or the root, if the tree is shallower).
pub async fn ancestor_within(conn: &mut Conn, org_id: i64, levels: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 AND distance <= $2 ORDER BY distance DESC LIMIT 1")
        .bind(org_id)
        .bind(levels)
        .fetch_one(conn)
        .await
}

/// Records a reminder (level 0) or escalation step once; false when another worker already did.
pub async fn record_escalation(conn: &mut Conn, application_id: i64, level: i64, org_id: i64, now: i64) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO escalations (application_id, level, org_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (application_id, level) DO NOTHING",
    )
    .bind(application_id)
    .bind(level)
    .bind(org_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn org_name(conn: &mut Conn, org_id: i64) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1").bind(org_id).fetch_one(conn).await
}

/// The roles and phones of a union's admins who are not disabled.
pub async fn active_admins_of(conn: &mut Conn, org_id: i64) -> sqlx::Result<Vec<(String, Option<String>)>> {
    sqlx::query_as("SELECT roles, phone FROM admins WHERE org_id = $1 AND disabled = 0").bind(org_id).fetch_all(conn).await
}

/// Pending applications past their deadline, everywhere (for `/metrics`).
pub async fn overdue_count(pool: &AnyPool, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE status = 'pending' AND due_at < $1").bind(now).fetch_one(pool).await
}
