//! The SQL of events and sign-ups: creation, the lists, the lock on an event row that queues
//! sign-ups, cancellations and promotions behind each other, the conditional writes that take
//! and give back a place, the waiting list in order, tickets (MACs only) and check-in.
use super::{Audience, EventKind, EventRow, SignupLine, SignupStatus};
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what}").into())
}

/// An event as the form made it (validated by the service).
pub struct NewEvent<'a> {
    pub org_id: i64,
    pub kind: EventKind,
    pub title: &'a str,
    pub description: &'a str,
    pub place: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub signup_until: i64,
    pub capacity: i64,
    pub audience: Audience,
    pub created_by: Option<i64>,
}

pub async fn insert_event(conn: &mut Conn, e: &NewEvent<'_>, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO events (org_id, kind, title, description, place, starts_at, ends_at, signup_until, capacity, confirmed, queued,
                             version, audience, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, 0, $10, $11, $12) RETURNING id",
    )
    .bind(e.org_id)
    .bind(e.kind.as_str())
    .bind(e.title)
    .bind(e.description)
    .bind(e.place)
    .bind(e.starts_at)
    .bind(e.ends_at)
    .bind(e.signup_until)
    .bind(e.capacity)
    .bind(e.audience.as_str())
    .bind(e.created_by)
    .bind(now)
    .fetch_one(conn)
    .await
}

const EVENT: &str = "e.id, e.org_id, o.name AS org_name, e.kind, e.title, e.description, e.place, e.starts_at, e.ends_at,
                     e.signup_until, e.capacity, e.confirmed, e.audience";

fn event_from(r: &sqlx::any::AnyRow) -> sqlx::Result<EventRow> {
    Ok(EventRow {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        kind: EventKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| bad("event kind"))?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        place: r.try_get("place")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        signup_until: r.try_get("signup_until")?,
        capacity: r.try_get("capacity")?,
        confirmed: r.try_get("confirmed")?,
        audience: Audience::parse(&r.try_get::<String, _>("audience")?).ok_or_else(|| bad("audience"))?,
    })
}

pub async fn event(conn: &mut Conn, id: i64) -> sqlx::Result<Option<EventRow>> {
    let row = sqlx::query(&format!("SELECT {EVENT} FROM events e JOIN orgs o ON o.id = e.org_id WHERE e.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(event_from).transpose()
}

/// Events not yet ended at `now`, of a kind or all, soonest first.
pub async fn upcoming(pool: &AnyPool, kind: Option<EventKind>, now: i64) -> sqlx::Result<Vec<EventRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {EVENT} FROM events e JOIN orgs o ON o.id = e.org_id
         WHERE e.ends_at >= $1 AND ($2 = '' OR e.kind = $2) ORDER BY e.starts_at, e.id LIMIT 200"
    ))
    .bind(now)
    .bind(kind.map(|k| k.as_str()).unwrap_or(""))
    .fetch_all(pool)
    .await?;
    rows.iter().map(event_from).collect()
}

/// The events organised inside `root`'s subtree, newest first (the admin's list).
pub async fn in_subtree(pool: &AnyPool, root: i64) -> sqlx::Result<Vec<EventRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {EVENT} FROM events e JOIN orgs o ON o.id = e.org_id
         JOIN org_closure c ON c.descendant_id = e.org_id AND c.ancestor_id = $1
         ORDER BY e.starts_at DESC, e.id DESC LIMIT 200"
    ))
    .bind(root)
    .fetch_all(pool)
    .await?;
    rows.iter().map(event_from).collect()
}

/// Is the union `org` inside `root`'s subtree (itself included)?
pub async fn within(conn: &mut Conn, org: i64, root: i64) -> sqlx::Result<bool> {
    let hit: Option<i64> = sqlx::query_scalar("SELECT distance FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
        .bind(root)
        .bind(org)
        .fetch_optional(conn)
        .await?;
    Ok(hit.is_some())
}

/// A member as sign-up needs them: (union, live, phone).
pub async fn member(conn: &mut Conn, member_id: i64) -> sqlx::Result<Option<(i64, bool, String)>> {
    let row = sqlx::query(
        "SELECT m.org_id, m.status, m.left_at, a.phone FROM members m JOIN applications a ON a.id = m.application_id WHERE m.id = $1",
    )
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let live = r.try_get::<String, _>("status")? == "active" && r.try_get::<Option<i64>, _>("left_at")?.is_none();
        Ok((r.try_get("org_id")?, live, r.try_get("phone")?))
    })
    .transpose()
}

/// Writes the event row first thing in a transaction: on PostgreSQL every other sign-up,
/// cancellation or promotion of this event waits for this transaction's end (SQLite's write
/// gate already serialises writers). `false`: no such event.
pub async fn lock_event(conn: &mut Conn, event_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE events SET version = version + 1 WHERE id = $1").bind(event_id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Takes a place: one conditional write; `false` when the event is full.
pub async fn take_place(conn: &mut Conn, event_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE events SET confirmed = confirmed + 1 WHERE id = $1 AND confirmed < capacity")
        .bind(event_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a place back: one conditional write (never below zero).
pub async fn give_place(conn: &mut Conn, event_id: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE events SET confirmed = confirmed - 1 WHERE id = $1 AND confirmed > 0").bind(event_id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// The next waiting-list number of the event.
pub async fn next_queue_no(conn: &mut Conn, event_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("UPDATE events SET queued = queued + 1 WHERE id = $1 RETURNING queued").bind(event_id).fetch_one(conn).await
}

/// A new live sign-up; `None` when the member holds one already (the unique index says so).
pub async fn insert_signup(
    conn: &mut Conn,
    event_id: i64,
    member_id: i64,
    status: SignupStatus,
    queue_no: Option<i64>,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let confirmed_at = (status == SignupStatus::Confirmed).then_some(now);
    sqlx::query_scalar(
        "INSERT INTO event_signups (event_id, member_id, status, queue_no, signed_at, confirmed_at, promoted)
         VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(event_id)
    .bind(member_id)
    .bind(status.as_str())
    .bind(queue_no)
    .bind(now)
    .bind(confirmed_at)
    .fetch_optional(conn)
    .await
}

/// The member's live sign-up of an event: (id, status, queue number, checked in at).
pub async fn live_signup(
    conn: &mut Conn,
    event_id: i64,
    member_id: i64,
) -> sqlx::Result<Option<(i64, SignupStatus, Option<i64>, Option<i64>)>> {
    let row: Option<(i64, String, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT id, status, queue_no, checked_in_at FROM event_signups WHERE event_id = $1 AND member_id = $2 AND status <> 'cancelled'",
    )
    .bind(event_id)
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    row.map(|(id, s, q, c)| Ok((id, SignupStatus::parse(&s).ok_or_else(|| bad("sign-up status"))?, q, c))).transpose()
}

/// Where a waiting sign-up stands: 1 + those waiting before it.
pub async fn position(conn: &mut Conn, event_id: i64, queue_no: i64) -> sqlx::Result<i64> {
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_signups WHERE event_id = $1 AND status = 'waiting' AND queue_no < $2")
        .bind(event_id)
        .bind(queue_no)
        .fetch_one(conn)
        .await?;
    Ok(before + 1)
}

/// Cancels a live sign-up: one conditional write from the status it was read in; `true` when
/// this call did it.
pub async fn cancel(conn: &mut Conn, signup_id: i64, from: SignupStatus, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE event_signups SET status = 'cancelled', cancelled_at = $1 WHERE id = $2 AND status = $3")
        .bind(now)
        .bind(signup_id)
        .bind(from.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The first on the waiting list of an event: (sign-up id, member id).
pub async fn first_waiting(conn: &mut Conn, event_id: i64) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query_as("SELECT id, member_id FROM event_signups WHERE event_id = $1 AND status = 'waiting' ORDER BY queue_no, id LIMIT 1")
        .bind(event_id)
        .fetch_optional(conn)
        .await
}

/// Moves a waiting sign-up up: one conditional write (waiting → confirmed).
pub async fn promote(conn: &mut Conn, signup_id: i64, now: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE event_signups SET status = 'confirmed', confirmed_at = $1, promoted = 1 WHERE id = $2 AND status = 'waiting'")
            .bind(now)
            .bind(signup_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// A confirmed, not yet checked-in sign-up gets a new ticket MAC (the old one stops working).
pub async fn set_ticket(conn: &mut Conn, signup_id: i64, member_id: i64, mac: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE event_signups SET ticket_mac = $1 WHERE id = $2 AND member_id = $3 AND status = 'confirmed' AND checked_in_at IS NULL",
    )
    .bind(mac)
    .bind(signup_id)
    .bind(member_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A ticket as its MAC finds it.
pub struct TicketHit {
    pub signup_id: i64,
    pub event_id: i64,
    pub status: SignupStatus,
    pub checked_in_at: Option<i64>,
    pub name: String,
}

pub async fn ticket(conn: &mut Conn, mac: &str) -> sqlx::Result<Option<TicketHit>> {
    let row = sqlx::query(
        "SELECT s.id, s.event_id, s.status, s.checked_in_at, a.name FROM event_signups s
         JOIN members m ON m.id = s.member_id JOIN applications a ON a.id = m.application_id WHERE s.ticket_mac = $1",
    )
    .bind(mac)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(TicketHit {
            signup_id: r.try_get("id")?,
            event_id: r.try_get("event_id")?,
            status: SignupStatus::parse(&r.try_get::<String, _>("status")?).ok_or_else(|| bad("sign-up status"))?,
            checked_in_at: r.try_get("checked_in_at")?,
            name: r.try_get("name")?,
        })
    })
    .transpose()
}

/// Checks a ticket in: one conditional write (confirmed, of this event, not yet checked in).
pub async fn check_in(conn: &mut Conn, mac: &str, event_id: i64, by: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE event_signups SET checked_in_at = $1, checked_in_by = $2
         WHERE ticket_mac = $3 AND event_id = $4 AND status = 'confirmed' AND checked_in_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(mac)
    .bind(event_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// (confirmed, waiting, checked in) of an event, counted from the sign-ups.
pub async fn counts(conn: &mut Conn, event_id: i64) -> sqlx::Result<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN status = 'confirmed' AND checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0)
         FROM event_signups WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_one(conn)
    .await
}

/// The live sign-ups of an event, confirmed first (in order of confirmation), then the waiting
/// list in order; names and phones as stored (the service masks them).
pub async fn signups(conn: &mut Conn, event_id: i64) -> sqlx::Result<Vec<(SignupLine, String, String)>> {
    let rows = sqlx::query(
        "SELECT s.status, s.queue_no, s.promoted, s.checked_in_at, a.name, a.phone FROM event_signups s
         JOIN members m ON m.id = s.member_id JOIN applications a ON a.id = m.application_id
         WHERE s.event_id = $1 AND s.status <> 'cancelled'
         ORDER BY CASE WHEN s.status = 'confirmed' THEN 0 ELSE 1 END, CASE WHEN s.status = 'confirmed' THEN s.confirmed_at ELSE s.queue_no END, s.id
         LIMIT 2000",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let line = SignupLine {
                name_masked: String::new(),
                phone_masked: String::new(),
                status: SignupStatus::parse(&r.try_get::<String, _>("status")?).ok_or_else(|| bad("sign-up status"))?,
                position: None,
                promoted: r.try_get::<i64, _>("promoted")? != 0,
                checked_in: r.try_get::<Option<i64>, _>("checked_in_at")?.map(crate::calendar::format_local),
            };
            Ok((line, r.try_get("name")?, r.try_get("phone")?))
        })
        .collect()
}

/// The events the member holds a live sign-up of.
pub async fn signed_events(conn: &mut Conn, member_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT event_id FROM event_signups WHERE member_id = $1 AND status <> 'cancelled'")
        .bind(member_id)
        .fetch_all(conn)
        .await
}
