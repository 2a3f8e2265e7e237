//! The SQL of legal aid: workstations, the rota and its slots, dated slots with their seats,
//! bookings, questions and answers.
use super::{SlotList, SlotTime};
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Station {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub org_name: String,
}

const STATION: &str = "SELECT s.id, s.org_id, s.name, o.name AS org_name FROM legal_stations s JOIN orgs o ON o.id = s.org_id";

fn station_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Station> {
    Ok(Station { id: r.try_get("id")?, org_id: r.try_get("org_id")?, name: r.try_get("name")?, org_name: r.try_get("org_name")? })
}

pub async fn stations(pool: &AnyPool) -> sqlx::Result<Vec<Station>> {
    sqlx::query(&format!("{STATION} ORDER BY s.id")).fetch_all(pool).await?.iter().map(station_row).collect()
}

/// The workstations inside `root`'s subtree.
pub async fn stations_within(pool: &AnyPool, root: i64) -> sqlx::Result<Vec<Station>> {
    sqlx::query(&format!("{STATION} JOIN org_closure c ON c.descendant_id = s.org_id AND c.ancestor_id = $1 ORDER BY s.id"))
        .bind(root)
        .fetch_all(pool)
        .await?
        .iter()
        .map(station_row)
        .collect()
}

pub async fn station(pool: &AnyPool, id: i64) -> sqlx::Result<Option<Station>> {
    sqlx::query(&format!("{STATION} WHERE s.id = $1")).bind(id).fetch_optional(pool).await?.as_ref().map(station_row).transpose()
}

/// The workstation run by this union (a lawyer's).
pub async fn station_of_org(pool: &AnyPool, org_id: i64) -> sqlx::Result<Option<Station>> {
    sqlx::query(&format!("{STATION} WHERE s.org_id = $1")).bind(org_id).fetch_optional(pool).await?.as_ref().map(station_row).transpose()
}

/// A new workstation; `None` when the union runs one already.
pub async fn insert_station(conn: &mut Conn, org_id: i64, name: &str, now: i64) -> sqlx::Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO legal_stations (org_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (org_id) DO NOTHING RETURNING id",
    )
    .bind(org_id)
    .bind(name)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// (lawyers, open questions) of a workstation.
pub async fn station_counts(pool: &AnyPool, station: &Station) -> sqlx::Result<(i64, i64)> {
    let lawyers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM admins WHERE org_id = $1 AND merchant_id IS NULL AND roles = 'lawyer'")
        .bind(station.org_id)
        .fetch_one(pool)
        .await?;
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM legal_questions WHERE station_id = $1 AND answered_at IS NULL")
        .bind(station.id)
        .fetch_one(pool)
        .await?;
    Ok((lawyers, open))
}

/// The workstation's lawyers: (id, username, display name, disabled).
pub async fn lawyers(pool: &AnyPool, org_id: i64) -> sqlx::Result<Vec<(i64, String, String, bool)>> {
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, username, display_name, disabled FROM admins
         WHERE org_id = $1 AND merchant_id IS NULL AND roles = 'lawyer' ORDER BY username",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, u, n, d)| (id, u, n, d != 0)).collect())
}

/// A weekday's duty: the lawyer (live accounts only) with their name, and the slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duty {
    pub lawyer_id: i64,
    pub lawyer: String,
    pub slots: SlotList,
}

async fn slots_of(conn: &mut Conn, station_id: i64, weekday: i64) -> sqlx::Result<SlotList> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT start_min, capacity FROM legal_rota_slots WHERE station_id = $1 AND weekday = $2 ORDER BY start_min")
            .bind(station_id)
            .bind(weekday)
            .fetch_all(conn)
            .await?;
    Ok(SlotList::from_stored(rows.into_iter().map(|(start_min, capacity)| SlotTime { start_min, capacity }).collect()))
}

/// Who is on duty on a weekday, if anyone (a disabled lawyer is no one).
pub async fn duty(conn: &mut Conn, station_id: i64, weekday: i64) -> sqlx::Result<Option<Duty>> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT a.id, a.display_name FROM legal_rota r JOIN admins a ON a.id = r.lawyer_id
         WHERE r.station_id = $1 AND r.weekday = $2 AND a.disabled = 0",
    )
    .bind(station_id)
    .bind(weekday)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((lawyer_id, lawyer)) = row else { return Ok(None) };
    Ok(Some(Duty { lawyer_id, lawyer, slots: slots_of(conn, station_id, weekday).await? }))
}

/// The rota as stored, every weekday: (weekday, lawyer, slots).
pub async fn rota(conn: &mut Conn, station_id: i64) -> sqlx::Result<Vec<(i64, Option<i64>, SlotList)>> {
    let mut out = Vec::new();
    for weekday in 1..=7 {
        let lawyer: Option<i64> = sqlx::query_scalar("SELECT lawyer_id FROM legal_rota WHERE station_id = $1 AND weekday = $2")
            .bind(station_id)
            .bind(weekday)
            .fetch_optional(&mut *conn)
            .await?;
        out.push((weekday, lawyer, slots_of(conn, station_id, weekday).await?));
    }
    Ok(out)
}

/// Sets a weekday: its lawyer (None: nobody, no slots) and slots. Dated slots ahead that were
/// booked already follow the new lawyer and seats (their bookings stand).
pub async fn set_rota_day(
    conn: &mut Conn,
    station_id: i64,
    weekday: i64,
    lawyer_id: Option<i64>,
    slots: &SlotList,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM legal_rota_slots WHERE station_id = $1 AND weekday = $2")
        .bind(station_id)
        .bind(weekday)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM legal_rota WHERE station_id = $1 AND weekday = $2").bind(station_id).bind(weekday).execute(&mut *conn).await?;
    let Some(lawyer_id) = lawyer_id else { return Ok(()) };
    sqlx::query("INSERT INTO legal_rota (station_id, weekday, lawyer_id, updated_at) VALUES ($1, $2, $3, $4)")
        .bind(station_id)
        .bind(weekday)
        .bind(lawyer_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    for s in slots.slots() {
        sqlx::query("INSERT INTO legal_rota_slots (station_id, weekday, start_min, capacity) VALUES ($1, $2, $3, $4)")
            .bind(station_id)
            .bind(weekday)
            .bind(s.start_min)
            .bind(s.capacity)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE legal_slots SET lawyer_id = $1, capacity = $2
             WHERE station_id = $3 AND weekday = $4 AND start_min = $5 AND starts_at > $6",
        )
        .bind(lawyer_id)
        .bind(s.capacity)
        .bind(station_id)
        .bind(weekday)
        .bind(s.start_min)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Seats taken in the dated slots of a workstation between two times: starts_at → booked.
pub async fn booked_between(conn: &mut Conn, station_id: i64, from: i64, until: i64) -> sqlx::Result<Vec<(i64, i64)>> {
    sqlx::query_as("SELECT starts_at, booked FROM legal_slots WHERE station_id = $1 AND starts_at > $2 AND starts_at <= $3")
        .bind(station_id)
        .bind(from)
        .bind(until)
        .fetch_all(conn)
        .await
}

pub struct NewSlot {
    pub station_id: i64,
    pub starts_at: i64,
    pub weekday: i64,
    pub start_min: i64,
    pub lawyer_id: i64,
    pub capacity: i64,
}

/// The dated slot's id, writing it on its first booking (two first bookings make one row).
pub async fn ensure_slot(conn: &mut Conn, s: &NewSlot) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO legal_slots (station_id, starts_at, weekday, start_min, lawyer_id, capacity, booked)
         VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT (station_id, starts_at) DO NOTHING",
    )
    .bind(s.station_id)
    .bind(s.starts_at)
    .bind(s.weekday)
    .bind(s.start_min)
    .bind(s.lawyer_id)
    .bind(s.capacity)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT id FROM legal_slots WHERE station_id = $1 AND starts_at = $2")
        .bind(s.station_id)
        .bind(s.starts_at)
        .fetch_one(conn)
        .await
}

/// Future appointments the member holds.
pub async fn open_bookings(conn: &mut Conn, member_id: i64, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM legal_bookings b JOIN legal_slots s ON s.id = b.slot_id
         WHERE b.member_id = $1 AND b.status = 'booked' AND s.starts_at > $2",
    )
    .bind(member_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A booking; `None` when the member holds this slot already (the unique index says so).
pub async fn insert_booking(
    conn: &mut Conn,
    slot_id: i64,
    member_id: i64,
    topic: &str,
    reminded: Option<i64>,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM legal_bookings WHERE slot_id = $1 AND member_id = $2 AND status = 'booked'")
        .bind(slot_id)
        .bind(member_id)
        .fetch_one(&mut *conn)
        .await?;
    if held > 0 {
        return Ok(None);
    }
    let id = sqlx::query_scalar(
        "INSERT INTO legal_bookings (slot_id, member_id, topic, status, created_at, reminded_at)
         VALUES ($1, $2, $3, 'booked', $4, $5) RETURNING id",
    )
    .bind(slot_id)
    .bind(member_id)
    .bind(topic)
    .bind(now)
    .bind(reminded)
    .fetch_one(conn)
    .await;
    match id {
        Ok(id) => Ok(Some(id)),
        Err(e) if crate::server::db::is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Takes a seat: one conditional write; `false` when the slot is full.
pub async fn take_seat(conn: &mut Conn, slot_id: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE legal_slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity").bind(slot_id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels the member's own booking while it is ahead and gives the seat back; `false` when
/// there is no such booking to cancel.
pub async fn cancel_booking(conn: &mut Conn, booking_id: i64, member_id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE legal_bookings SET status = 'cancelled', cancelled_at = $1
         WHERE id = $2 AND member_id = $3 AND status = 'booked'
           AND slot_id IN (SELECT id FROM legal_slots WHERE starts_at > $1)",
    )
    .bind(now)
    .bind(booking_id)
    .bind(member_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE legal_slots SET booked = booked - 1 WHERE id = (SELECT slot_id FROM legal_bookings WHERE id = $1)")
        .bind(booking_id)
        .execute(conn)
        .await?;
    Ok(true)
}

/// A booking as its member's list shows it: (id, starts_at, station, lawyer, topic, status).
pub type BookingRow = (i64, i64, String, String, String, String);

pub async fn bookings_of(conn: &mut Conn, member_id: i64) -> sqlx::Result<Vec<BookingRow>> {
    sqlx::query_as(
        "SELECT b.id, s.starts_at, st.name, a.display_name, b.topic, b.status
         FROM legal_bookings b JOIN legal_slots s ON s.id = b.slot_id JOIN legal_stations st ON st.id = s.station_id
         JOIN admins a ON a.id = s.lawyer_id
         WHERE b.member_id = $1 ORDER BY s.starts_at DESC LIMIT 50",
    )
    .bind(member_id)
    .fetch_all(conn)
    .await
}

/// A lawyer's booked appointments between two times: (starts_at, member name, phone, topic).
pub async fn appointments(conn: &mut Conn, lawyer_id: i64, from: i64, until: i64) -> sqlx::Result<Vec<(i64, String, String, String)>> {
    sqlx::query_as(
        "SELECT s.starts_at, ap.name, ap.phone, b.topic
         FROM legal_bookings b JOIN legal_slots s ON s.id = b.slot_id
         JOIN members m ON m.id = b.member_id JOIN applications ap ON ap.id = m.application_id
         WHERE s.lawyer_id = $1 AND b.status = 'booked' AND s.starts_at >= $2 AND s.starts_at < $3
         ORDER BY s.starts_at, b.id",
    )
    .bind(lawyer_id)
    .bind(from)
    .bind(until)
    .fetch_all(conn)
    .await
}

/// Booked appointments ahead at a workstation.
pub async fn booked_ahead(pool: &AnyPool, station_id: i64, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM legal_bookings b JOIN legal_slots s ON s.id = b.slot_id
         WHERE s.station_id = $1 AND b.status = 'booked' AND s.starts_at > $2",
    )
    .bind(station_id)
    .bind(now)
    .fetch_one(pool)
    .await
}

/// What the member's SMS and pages need: (phone, name, live).
pub async fn member(conn: &mut Conn, member_id: i64) -> sqlx::Result<Option<(String, String, bool)>> {
    let row: Option<(Option<String>, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT a.phone, a.name, m.status, m.left_at FROM members m JOIN applications a ON a.id = m.application_id WHERE m.id = $1",
    )
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(phone, name, status, left_at)| (phone.unwrap_or_default(), name, status == "active" && left_at.is_none())))
}

/// Bookings whose reminder is not sent, starting between two times: (id, member, starts_at, station name).
pub async fn unreminded(pool: &AnyPool, from: i64, until: i64) -> sqlx::Result<Vec<(i64, i64, i64, String)>> {
    sqlx::query_as(
        "SELECT b.id, b.member_id, s.starts_at, st.name
         FROM legal_bookings b JOIN legal_slots s ON s.id = b.slot_id JOIN legal_stations st ON st.id = s.station_id
         WHERE b.status = 'booked' AND b.reminded_at IS NULL AND s.starts_at > $1 AND s.starts_at <= $2 ORDER BY b.id",
    )
    .bind(from)
    .bind(until)
    .fetch_all(pool)
    .await
}

/// Marks a booking reminded: one conditional write; `false` when another worker did.
pub async fn mark_reminded(conn: &mut Conn, booking_id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE legal_bookings SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL AND status = 'booked'")
        .bind(now)
        .bind(booking_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_question(
    conn: &mut Conn,
    station_id: i64,
    member_id: i64,
    lawyer_id: i64,
    category: &str,
    question: &str,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO legal_questions (station_id, member_id, lawyer_id, category, question, asked_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(station_id)
    .bind(member_id)
    .bind(lawyer_id)
    .bind(category)
    .bind(question)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A question in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionRow {
    pub id: i64,
    pub station_id: i64,
    pub station: String,
    pub member_id: i64,
    pub lawyer_id: i64,
    pub lawyer: String,
    pub category: String,
    pub question: String,
    pub asked_at: i64,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
    pub member_name: String,
}

const QUESTION: &str = "SELECT q.id, q.station_id, st.name AS station, q.member_id, q.lawyer_id, la.display_name AS lawyer, q.category,
        q.question, q.asked_at, q.answer, ab.display_name AS answered_by, q.answered_at, ap.name AS member_name
    FROM legal_questions q JOIN legal_stations st ON st.id = q.station_id JOIN admins la ON la.id = q.lawyer_id
    LEFT JOIN admins ab ON ab.id = q.answered_by
    JOIN members m ON m.id = q.member_id JOIN applications ap ON ap.id = m.application_id";

fn question_row(r: &sqlx::any::AnyRow) -> sqlx::Result<QuestionRow> {
    Ok(QuestionRow {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        station: r.try_get("station")?,
        member_id: r.try_get("member_id")?,
        lawyer_id: r.try_get("lawyer_id")?,
        lawyer: r.try_get("lawyer")?,
        category: r.try_get("category")?,
        question: r.try_get("question")?,
        asked_at: r.try_get("asked_at")?,
        answer: r.try_get("answer")?,
        answered_by: r.try_get("answered_by")?,
        answered_at: r.try_get("answered_at")?,
        member_name: r.try_get("member_name")?,
    })
}

pub async fn question(pool: &AnyPool, id: i64) -> sqlx::Result<Option<QuestionRow>> {
    sqlx::query(&format!("{QUESTION} WHERE q.id = $1")).bind(id).fetch_optional(pool).await?.as_ref().map(question_row).transpose()
}

pub async fn questions_of_member(pool: &AnyPool, member_id: i64) -> sqlx::Result<Vec<QuestionRow>> {
    sqlx::query(&format!("{QUESTION} WHERE q.member_id = $1 ORDER BY q.asked_at DESC, q.id DESC LIMIT 50"))
        .bind(member_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(question_row)
        .collect()
}

/// A workstation's questions, open ones first, newest first.
pub async fn questions_of_station(pool: &AnyPool, station_id: i64) -> sqlx::Result<Vec<QuestionRow>> {
    sqlx::query(&format!(
        "{QUESTION} WHERE q.station_id = $1 ORDER BY CASE WHEN q.answered_at IS NULL THEN 0 ELSE 1 END, q.asked_at DESC, q.id DESC LIMIT 200"
    ))
    .bind(station_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(question_row)
    .collect()
}

/// Writes the answer once: one conditional write; `false` when it was answered already (or
/// is not this workstation's).
pub async fn answer(conn: &mut Conn, id: i64, station_id: i64, lawyer_id: i64, text: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE legal_questions SET answer = $1, answered_by = $2, answered_at = $3
         WHERE id = $4 AND station_id = $5 AND answered_at IS NULL",
    )
    .bind(text)
    .bind(lawyer_id)
    .bind(now)
    .bind(id)
    .bind(station_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
