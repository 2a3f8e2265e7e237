//! The legal-aid rules: which slots are open (the rota on working days of the calendar, the
//! next two weeks), booking (a member holds a slot once — a unique index; seats exact under
//! load — one conditional write whose row count is checked; the SMS through the outbox in the
//! same transaction), cancelling, asking a question (it goes to the lawyer on duty today or
//! on the next working day with a duty), and answering it once.
use super::repo::{self, NewSlot, Station};
use super::{parse_answer, parse_question, parse_topic, Category, SlotKey, BOOK_DAYS, MAX_OPEN_BOOKINGS, REMIND_HOUR};
use crate::admin::repo::AdminRow;
use crate::calendar::{format_local, local_date, local_to_unix};
use crate::i18n::T;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;

/// A fault of ours in the legal area (a refusal is an outcome, not this).
#[derive(Debug, thiserror::Error)]
pub enum LegalError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Admin(#[from] crate::admin::auth::AdminError),
}

pub type LegalResult<T> = Result<T, LegalError>;

impl From<LegalError> for crate::server::error::AppError {
    fn from(e: LegalError) -> crate::server::error::AppError {
        match e {
            LegalError::Db(e) => crate::server::error::AppError::Db(e),
            LegalError::Admin(e) => e.into(),
        }
    }
}

/// A bookable slot worked out from the rota: when, who, seats, seats taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offered {
    pub station_id: i64,
    pub starts_at: i64,
    pub weekday: i64,
    pub start_min: i64,
    pub lawyer_id: i64,
    pub lawyer: String,
    pub capacity: i64,
    pub booked: i64,
}

/// The slots of a workstation from now to `BOOK_DAYS` ahead: working days only, the rota's
/// weekday duty, seats taken from the dated slots.
pub async fn offered(state: &AppState, station_id: i64) -> LegalResult<Vec<Offered>> {
    let now = state.now();
    let cal = state.calendar.get();
    let today = local_date(now);
    let until = local_to_unix(today.add_days(BOOK_DAYS + 1), 0, 0);
    let mut conn = state.db.pool.acquire().await?;
    let booked = repo::booked_between(&mut conn, station_id, now, until).await?;
    let mut duties = std::collections::HashMap::new();
    let mut out = Vec::new();
    for d in 0..=BOOK_DAYS {
        let date = today.add_days(d);
        if !cal.is_working_day(date) {
            continue;
        }
        let weekday = date.weekday() as i64;
        if let std::collections::hash_map::Entry::Vacant(e) = duties.entry(weekday) {
            e.insert(repo::duty(&mut conn, station_id, weekday).await?);
        }
        let Some(duty) = &duties[&weekday] else { continue };
        for s in duty.slots.slots() {
            let starts_at = local_to_unix(date, (s.start_min / 60) as u32, (s.start_min % 60) as u32);
            if starts_at <= now {
                continue;
            }
            let taken = booked.iter().find(|(at, _)| *at == starts_at).map(|(_, b)| *b).unwrap_or(0);
            out.push(Offered {
                station_id,
                starts_at,
                weekday,
                start_min: s.start_min,
                lawyer_id: duty.lawyer_id,
                lawyer: duty.lawyer.clone(),
                capacity: s.capacity,
                booked: taken,
            });
        }
    }
    Ok(out)
}

/// What a booking led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Booked {
    Ok(i64),
    /// Not a slot on offer (gone, past, not a working day, not on the rota): said at the slot.
    NoSuchSlot,
    Full,
    AlreadyBooked,
    TooMany,
    Topic(T),
    /// The member has left the union.
    Gone,
}

impl Booked {
    /// The field the refusal is shown beside, and its text.
    pub fn field_error(self) -> Option<(&'static str, T)> {
        match self {
            Booked::Ok(_) => None,
            Booked::NoSuchSlot => Some(("slot", T::LegalSlotGone)),
            Booked::Full => Some(("slot", T::LegalSlotFull)),
            Booked::AlreadyBooked => Some(("slot", T::LegalAlreadyBooked)),
            Booked::TooMany => Some(("slot", T::LegalTooMany)),
            Booked::Topic(t) => Some(("topic", t)),
            Booked::Gone => Some(("slot", T::LegalNotMember)),
        }
    }
}

/// When the reminder of an appointment starting at `starts_at` is due: the day before, from
/// `REMIND_HOUR`.
pub fn remind_at(starts_at: i64) -> i64 {
    local_to_unix(local_date(starts_at).add_days(-1), REMIND_HOUR, 0)
}

/// Books a slot for a member. The slot must be one on offer now; in one transaction the
/// dated slot is written if new, the booking inserted (the unique index refuses a second one
/// of the same member) and, last, a seat taken by one conditional write — full: all rolled
/// back. The SMS is queued in the same transaction.
pub async fn book(state: &AppState, member_id: i64, slot: &str, topic: &str) -> LegalResult<Booked> {
    let Some(key) = SlotKey::parse(slot) else { return Ok(Booked::NoSuchSlot) };
    let topic = match parse_topic(topic) {
        Ok(t) => t,
        Err(t) => return Ok(Booked::Topic(t)),
    };
    let Some(station) = repo::station(&state.db.pool, key.station_id).await? else { return Ok(Booked::NoSuchSlot) };
    let Some(o) = offered(state, station.id).await?.into_iter().find(|o| o.starts_at == key.starts_at) else {
        return Ok(Booked::NoSuchSlot);
    };
    if o.booked >= o.capacity {
        // Seats only come back by a cancellation: a full slot needs no lock to say so.
        return Ok(Booked::Full);
    }
    let phone = {
        let mut conn = state.db.pool.acquire().await?;
        match repo::member(&mut conn, member_id).await? {
            Some((phone, _, true)) => phone,
            _ => return Ok(Booked::Gone),
        }
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    // The per-member count is exact under a lock on the member (SQLite: the write gate).
    crate::join::repo::codes::lock(&mut tx, state.db.backend, "legal-book", &member_id.to_string()).await?;
    if repo::open_bookings(&mut tx, member_id, now).await? >= MAX_OPEN_BOOKINGS {
        return Ok(Booked::TooMany);
    }
    let new = NewSlot {
        station_id: o.station_id,
        starts_at: o.starts_at,
        weekday: o.weekday,
        start_min: o.start_min,
        lawyer_id: o.lawyer_id,
        capacity: o.capacity,
    };
    let slot_id = repo::ensure_slot(&mut tx, &new).await?;
    // Booked inside the reminder window: the booking's SMS says it all, no reminder after it.
    let reminded = (now >= remind_at(o.starts_at)).then_some(now);
    let Some(booking) = repo::insert_booking(&mut tx, slot_id, member_id, &topic, reminded, now).await? else {
        return Ok(Booked::AlreadyBooked);
    };
    if !repo::take_seat(&mut tx, slot_id).await? {
        return Ok(Booked::Full);
    }
    let link = format!("{}/legal", state.config.public_url);
    let params = serde_json::json!({ "time": format_local(o.starts_at), "place": station.name, "link": link });
    outbox::enqueue(&mut tx, now, &phone, Template::LegalBooked, params).await?;
    tx.commit().await?;
    state.outbox_notify.notify_one();
    Ok(Booked::Ok(booking))
}

/// Cancels a member's own booking that is still ahead; `false`: no such booking of theirs.
pub async fn cancel(state: &AppState, member_id: i64, booking_id: i64) -> LegalResult<bool> {
    let mut tx = state.db.begin_write().await?;
    if !repo::cancel_booking(&mut tx, booking_id, member_id, state.now()).await? {
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

/// The lawyer on duty at a workstation today (a working day with a duty) or on the next such
/// day within a month.
pub async fn duty_lawyer(state: &AppState, station_id: i64) -> LegalResult<Option<i64>> {
    let cal = state.calendar.get();
    let today = local_date(state.now());
    let mut conn = state.db.pool.acquire().await?;
    for d in 0..31 {
        let date = today.add_days(d);
        if !cal.is_working_day(date) {
            continue;
        }
        if let Some(duty) = repo::duty(&mut conn, station_id, date.weekday() as i64).await? {
            return Ok(Some(duty.lawyer_id));
        }
    }
    Ok(None)
}

/// Records a member's written question; `Err((field, text))` says what to fix.
pub async fn ask(
    state: &AppState,
    member_id: i64,
    station: &str,
    category: &str,
    question: &str,
) -> LegalResult<Result<i64, (&'static str, T)>> {
    let stations = repo::stations(&state.db.pool).await?;
    let station = match station.trim() {
        "" if stations.len() == 1 => stations[0].clone(),
        s => match stations.iter().find(|st| st.id.to_string() == s) {
            Some(st) => st.clone(),
            None => return Ok(Err(("station", T::LegalChooseStation))),
        },
    };
    let category = match category.trim() {
        "" => "",
        c => match Category::parse(c) {
            Some(c) => c.as_str(),
            None => return Ok(Err(("category", T::FormMalformed))),
        },
    };
    let question = match parse_question(question) {
        Ok(q) => q,
        Err(t) => return Ok(Err(("question", t))),
    };
    {
        let mut conn = state.db.pool.acquire().await?;
        if !matches!(repo::member(&mut conn, member_id).await?, Some((_, _, true))) {
            return Ok(Err(("question", T::LegalNotMember)));
        }
    }
    let Some(lawyer) = duty_lawyer(state, station.id).await? else { return Ok(Err(("station", T::LegalNoDuty))) };
    let mut tx = state.db.begin_write().await?;
    let id = repo::insert_question(&mut tx, station.id, member_id, lawyer, category, &question, state.now()).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// What an answer led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answered {
    Ok,
    Invalid(T),
    /// Answered before (by this or another lawyer).
    Already,
    /// Not this workstation's question, or none: audited, the not-found page.
    NotFound,
}

/// A lawyer answers a question of their workstation, once; the member gets an SMS and the
/// answer is audited, all in one transaction.
pub async fn answer(state: &AppState, me: &AdminRow, ip: &str, station: &Station, id: i64, text: &str) -> LegalResult<Answered> {
    let now = state.now();
    let Some(q) = repo::question(&state.db.pool, id).await?.filter(|q| q.station_id == station.id) else {
        audit::record_alone(state, now, me.audit(Action::LegalAnswer, Target::LegalQuestion(id), ip, Outcome::NotFound, "")).await?;
        return Ok(Answered::NotFound);
    };
    let text = match parse_answer(text) {
        Ok(t) => t,
        Err(t) => return Ok(Answered::Invalid(t)),
    };
    let mut tx = state.db.begin_write().await?;
    if !repo::answer(&mut tx, id, station.id, me.id, &text, now).await? {
        return Ok(Answered::Already);
    }
    audit::record(&mut tx, state, now, me.audit(Action::LegalAnswer, Target::LegalQuestion(id), ip, Outcome::Ok, "")).await?;
    if let Some((phone, _, true)) = repo::member(&mut tx, q.member_id).await? {
        let link = format!("{}/legal/questions/{id}", state.config.public_url);
        outbox::enqueue(&mut tx, now, &phone, Template::LegalAnswered, serde_json::json!({ "link": link })).await?;
    }
    tx.commit().await?;
    state.outbox_notify.notify_one();
    Ok(Answered::Ok)
}

// ---- the workstation's admins ----

/// Opens a workstation at a union (the city admin).
pub async fn open_station(state: &AppState, me: &AdminRow, ip: &str, org: &str, name: &str) -> LegalResult<Result<i64, T>> {
    let Some(org) = org.trim().parse::<i64>().ok() else { return Ok(Err(T::FormMalformed)) };
    if crate::org::repo::get(&state.db.pool, org).await?.is_none() || !crate::org::repo::is_within(&state.db.pool, org, me.org_id).await? {
        return Ok(Err(T::FormMalformed));
    }
    let name: String = name.trim().chars().take(61).collect();
    if name.is_empty() || name.chars().count() > 60 {
        return Ok(Err(T::LegalStationNameNeeded));
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let Some(id) = repo::insert_station(&mut tx, org, &name, now).await? else { return Ok(Err(T::LegalStationExists)) };
    audit::record(&mut tx, state, now, me.audit(Action::LegalSetup, Target::LegalStation(id), ip, Outcome::Ok, &name)).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// What the new-lawyer form carries.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NewLawyer {
    pub username: String,
    pub display_name: String,
    pub phone: String,
    pub password: String,
}

/// A lawyer's account at the workstation's union (the admin area's rules create and audit it).
pub async fn add_lawyer(state: &AppState, me: &AdminRow, ip: &str, station: &Station, f: NewLawyer) -> LegalResult<Result<i64, T>> {
    if f.display_name.trim().is_empty() {
        return Ok(Err(T::LegalLawyerNameNeeded));
    }
    let input = crate::admin::service::NewAdminInput {
        username: f.username,
        display_name: f.display_name.trim().chars().take(30).collect(),
        phone: f.phone,
        org_id: station.org_id,
        roles: vec![crate::admin::Role::Lawyer],
        password: f.password,
    };
    Ok(crate::admin::service::create_lawyer_account(state, me, ip, input).await?)
}

/// Sets one weekday of the rota: a lawyer of this workstation (or none) and the slots.
pub async fn set_rota(
    state: &AppState,
    me: &AdminRow,
    ip: &str,
    station: &Station,
    weekday: &str,
    lawyer: &str,
    slots: &str,
) -> LegalResult<Result<(), (String, T)>> {
    let Some(weekday) = weekday.trim().parse::<i64>().ok().filter(|w| (1..=7).contains(w)) else {
        return Ok(Err((String::new(), T::FormMalformed)));
    };
    let field = weekday.to_string();
    let slots = match super::SlotList::parse(slots) {
        Ok(s) => s,
        Err(t) => return Ok(Err((field, t))),
    };
    let lawyers = repo::lawyers(&state.db.pool, station.org_id).await?;
    let lawyer = match lawyer.trim() {
        "" => None,
        l => match lawyers.iter().find(|(id, _, _, disabled)| id.to_string() == l && !disabled) {
            Some((id, ..)) => Some(*id),
            None => return Ok(Err((field, T::LegalChooseLawyer))),
        },
    };
    if lawyer.is_none() && !slots.slots().is_empty() {
        return Ok(Err((field, T::LegalChooseLawyer)));
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    repo::set_rota_day(&mut tx, station.id, weekday, lawyer, &slots, now).await?;
    let detail = format!("weekday {weekday}: {} {}", lawyer.map(|l| l.to_string()).unwrap_or_default(), slots.text());
    audit::record(&mut tx, state, now, me.audit(Action::LegalSetup, Target::LegalStation(station.id), ip, Outcome::Ok, &detail)).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
