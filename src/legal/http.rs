//! Legal-aid HTTP: the member's pages (`/legal`: slots, booking, my appointments and questions;
//! `/legal/ask`: a written question; `/legal/questions/{id}`: one of mine), the workstation's
//! admin screens (`/admin/legal…`, managers and the city admin, inside their subtree) and the
//! lawyer's desk (`/lawyer…`, lawyers' accounts only). Plain forms that work without
//! JavaScript: a post answers 303 (Post/Redirect/Get) or the same page with the reason beside
//! the field and the input kept.
use super::repo::{self, QuestionRow, Station};
use super::service::{self, Answered, Booked};
use super::*;
use crate::admin::auth::{Allowed, CityAdmin, Requirement};
use crate::admin::repo::AdminRow;
use crate::admin::{AdminInfo, Role};
use crate::calendar::{format_local, local_date, local_to_unix};
use crate::domain::{PersonName, Phone};
use crate::i18n::T;
use crate::member::auth::SignedMember;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The workstations' admin screens: managers and the city admin (scoped to their subtree).
pub struct LegalKeeper;

impl Requirement for LegalKeeper {
    const NAME: &'static str = "legal_keeper";
    fn allows(a: &AdminInfo) -> bool {
        a.can_manage_admins()
    }
}

/// The lawyer's desk: a lawyer's account, nothing else.
pub struct LawyerSide;

impl Requirement for LawyerSide {
    const NAME: &'static str = "lawyer";
    const FOR_LAWYERS: bool = true;
    fn allows(a: &AdminInfo) -> bool {
        a.has(Role::Lawyer)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

fn done_notice(done: &str) -> Option<(T, bool)> {
    let t = match done {
        "booked" => T::LegalBookedDone,
        "cancelled" => T::LegalCancelledDone,
        "asked" => T::LegalAskedDone,
        "answered" => T::LegalAnsweredDone,
        "saved" => T::LegalSaved,
        _ => return None,
    };
    Some((t, true))
}

fn my_question(q: QuestionRow) -> MyQuestion {
    MyQuestion {
        id: q.id,
        asked_at: format_local(q.asked_at),
        category: Category::label_of(&q.category),
        question: q.question,
        station: q.station,
        answer: match (q.answer, q.answered_at) {
            (Some(a), Some(at)) => Some((a, format_local(at), q.answered_by.unwrap_or_default())),
            _ => None,
        },
    }
}

// ---- the member ----

async fn home_view(
    state: &AppState,
    member_id: i64,
    input: BookInput,
    field_error: Option<(&'static str, T)>,
    notice: Option<(T, bool)>,
) -> AppResult<Response> {
    let now = state.now();
    let mut days: Vec<DaySlots> = Vec::new();
    for station in repo::stations(&state.db.pool).await? {
        for o in service::offered(state, station.id).await? {
            let date = local_date(o.starts_at).to_string();
            let slot = OpenSlot {
                key: SlotKey { station_id: o.station_id, starts_at: o.starts_at }.text(),
                time: format_local(o.starts_at).get(11..).unwrap_or_default().to_string(),
                lawyer: o.lawyer.clone(),
                left: (o.capacity - o.booked).max(0),
            };
            match days.last_mut() {
                Some(d) if d.date == date && d.station == station.name => d.slots.push(slot),
                _ => days.push(DaySlots { station: station.name.clone(), date, weekday: weekday_label(o.weekday), slots: vec![slot] }),
            }
        }
    }
    let questions = repo::questions_of_member(&state.db.pool, member_id).await?.into_iter().map(my_question).collect();
    // One connection at a time: a request never waits for a second one while holding the first.
    let rows = {
        let mut conn = state.db.pool.acquire().await?;
        repo::bookings_of(&mut conn, member_id).await?
    };
    let bookings = rows
        .into_iter()
        .map(|(id, starts_at, station, lawyer, topic, status)| MyBooking {
            id,
            when: format_local(starts_at),
            station,
            lawyer,
            topic,
            open: status == "booked" && starts_at > now,
            cancelled: status == "cancelled",
        })
        .collect();
    Ok(Page::ok(LegalHomeView { days, bookings, questions, input, field_error, notice }).no_store().into_response())
}

pub async fn home_get(State(state): State<AppState>, me: SignedMember, Query(q): Query<Done>) -> AppResult<Response> {
    home_view(&state, me.member_id, BookInput::default(), None, done_notice(&q.done)).await
}

pub async fn book_post(State(state): State<AppState>, me: SignedMember, Form(f): Form<BookInput>) -> AppResult<Response> {
    let input = BookInput { slot: f.slot.chars().take(40).collect(), topic: f.topic.chars().take(200).collect() };
    match service::book(&state, me.member_id, &input.slot, &input.topic).await? {
        Booked::Ok(_) => Ok(Redirect::to("/legal?done=booked").into_response()),
        other => home_view(&state, me.member_id, input, other.field_error(), None).await,
    }
}

pub async fn cancel_post(State(state): State<AppState>, me: SignedMember, Path(id): Path<i64>) -> AppResult<Response> {
    if service::cancel(&state, me.member_id, id).await? {
        Ok(Redirect::to("/legal?done=cancelled").into_response())
    } else {
        Err(AppError::NotFound)
    }
}

async fn ask_view(state: &AppState, input: AskInput, field_error: Option<(&'static str, T)>) -> AppResult<Response> {
    let stations = repo::stations(&state.db.pool).await?.into_iter().map(|s| (s.id, s.name)).collect();
    Ok(Page::ok(AskView { stations, input, field_error }).no_store().into_response())
}

pub async fn ask_get(State(state): State<AppState>, _me: SignedMember) -> AppResult<Response> {
    ask_view(&state, AskInput::default(), None).await
}

pub async fn ask_post(State(state): State<AppState>, me: SignedMember, Form(f): Form<AskInput>) -> AppResult<Response> {
    let input = AskInput {
        station: f.station.chars().take(20).collect(),
        category: f.category.chars().take(20).collect(),
        question: f.question.chars().take(2100).collect(),
    };
    match service::ask(&state, me.member_id, &input.station, &input.category, &input.question).await? {
        Ok(_) => Ok(Redirect::to("/legal?done=asked").into_response()),
        Err(e) => ask_view(&state, input, Some(e)).await,
    }
}

/// One of the member's questions; anyone else's does not exist.
pub async fn question_get(State(state): State<AppState>, me: SignedMember, Path(id): Path<i64>) -> AppResult<Response> {
    let Some(q) = repo::question(&state.db.pool, id).await?.filter(|q| q.member_id == me.member_id) else { return Err(AppError::NotFound) };
    Ok(Page::ok(MyQuestionView { question: my_question(q) }).no_store().into_response())
}

// ---- the workstation's admins ----

/// The workstation if it lies inside the admin's subtree; otherwise the not-found page and an
/// audit row (the same answer for one that does not exist).
async fn scoped(state: &AppState, me: &AdminRow, ip: &str, id: i64, action: Action) -> AppResult<Station> {
    if let Some(s) = repo::station(&state.db.pool, id).await? {
        if crate::org::repo::is_within(&state.db.pool, s.org_id, me.org_id).await? {
            return Ok(s);
        }
    }
    audit::record_alone(state, state.now(), me.audit(action, Target::LegalStation(id), ip, Outcome::NotFound, "")).await?;
    Err(AppError::NotFound)
}

async fn admin_view(state: &AppState, me: &AdminRow, notice: Option<(T, bool)>) -> AppResult<Response> {
    let mut stations = Vec::new();
    for s in repo::stations_within(&state.db.pool, me.org_id).await? {
        let (lawyers, open_questions) = repo::station_counts(&state.db.pool, &s).await?;
        stations.push(StationItem { id: s.id, name: s.name, org_name: s.org_name, lawyers, open_questions });
    }
    let orgs = if me.has(Role::CityAdmin) { crate::org::repo::subtree(&state.db.pool, me.org_id).await? } else { Vec::new() };
    Ok(Page::ok(LegalAdminView { admin: me.info(), stations, orgs, notice }).no_store().into_response())
}

pub async fn admin_get(State(state): State<AppState>, me: Allowed<LegalKeeper>, Query(q): Query<Done>) -> AppResult<Response> {
    admin_view(&state, &me.admin, done_notice(&q.done)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StationForm {
    org: String,
    name: String,
}

pub async fn station_post(State(state): State<AppState>, me: Allowed<CityAdmin>, Form(f): Form<StationForm>) -> AppResult<Response> {
    match service::open_station(&state, &me.admin, &me.ip, &f.org, &f.name).await? {
        Ok(id) => Ok(Redirect::to(&format!("/admin/legal/{id}?done=saved")).into_response()),
        Err(t) => admin_view(&state, &me.admin, Some((t, false))).await,
    }
}

async fn station_view(
    state: &AppState,
    me: &AdminRow,
    ip: &str,
    station: Station,
    notice: Option<(T, bool)>,
    field_error: Option<(String, T)>,
) -> AppResult<Response> {
    let pool = &state.db.pool;
    let rows = {
        let mut conn = pool.acquire().await?;
        repo::rota(&mut conn, station.id).await?
    };
    let rota = rows.into_iter().map(|(weekday, lawyer_id, slots)| RotaDay { weekday, lawyer_id, slots: slots.text() }).collect();
    let lawyers = repo::lawyers(pool, station.org_id)
        .await?
        .into_iter()
        .map(|(id, username, name, disabled)| LawyerItem { id, username, name, disabled })
        .collect();
    let questions = repo::questions_of_station(pool, station.id).await?.into_iter().map(|q| question_item(&q, None)).collect();
    // The list names no one and quotes nothing; still, who looked is kept.
    let entry = me.audit(Action::View, Target::LegalStation(station.id), ip, Outcome::Ok, "");
    audit::record_alone(state, state.now(), entry).await?;
    let view = StationAdminView {
        admin: me.info(),
        id: station.id,
        booked_ahead: repo::booked_ahead(pool, station.id, state.now()).await?,
        name: station.name,
        org_name: station.org_name,
        lawyers,
        rota,
        questions,
        notice,
        field_error,
    };
    Ok(Page::ok(view).no_store().into_response())
}

fn question_item(q: &QuestionRow, me: Option<i64>) -> QuestionItem {
    QuestionItem {
        id: q.id,
        asked_at: format_local(q.asked_at),
        category: Category::label_of(&q.category),
        lawyer: q.lawyer.clone(),
        answered: q.answered_at.is_some(),
        mine: me == Some(q.lawyer_id),
    }
}

pub async fn station_get(
    State(state): State<AppState>,
    me: Allowed<LegalKeeper>,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let station = scoped(&state, &me.admin, &me.ip, id, Action::View).await?;
    station_view(&state, &me.admin, &me.ip, station, done_notice(&q.done), None).await
}

pub async fn lawyer_post(
    State(state): State<AppState>,
    me: Allowed<LegalKeeper>,
    Path(id): Path<i64>,
    Form(f): Form<service::NewLawyer>,
) -> AppResult<Response> {
    let station = scoped(&state, &me.admin, &me.ip, id, Action::LegalSetup).await?;
    match service::add_lawyer(&state, &me.admin, &me.ip, &station, f).await? {
        Ok(_) => Ok(Redirect::to(&format!("/admin/legal/{id}?done=saved")).into_response()),
        Err(t) => station_view(&state, &me.admin, &me.ip, station, None, Some(("lawyer".into(), t))).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RotaForm {
    weekday: String,
    lawyer: String,
    slots: String,
}

pub async fn rota_post(
    State(state): State<AppState>,
    me: Allowed<LegalKeeper>,
    Path(id): Path<i64>,
    Form(f): Form<RotaForm>,
) -> AppResult<Response> {
    let station = scoped(&state, &me.admin, &me.ip, id, Action::LegalSetup).await?;
    let slots: String = f.slots.chars().take(400).collect();
    match service::set_rota(&state, &me.admin, &me.ip, &station, &f.weekday, &f.lawyer, &slots).await? {
        Ok(()) => Ok(Redirect::to(&format!("/admin/legal/{id}?done=saved")).into_response()),
        Err(e) => station_view(&state, &me.admin, &me.ip, station, None, Some(e)).await,
    }
}

// ---- the lawyer ----

async fn my_station(state: &AppState, me: &AdminRow) -> AppResult<Station> {
    repo::station_of_org(&state.db.pool, me.org_id).await?.ok_or(AppError::NotFound)
}

pub async fn lawyer_get(State(state): State<AppState>, me: Allowed<LawyerSide>, Query(q): Query<Done>) -> AppResult<Response> {
    let station = my_station(&state, &me.admin).await?;
    let today = local_date(state.now());
    let (from, until) = (local_to_unix(today, 0, 0), local_to_unix(today.add_days(1), 0, 0));
    let rows = {
        let mut conn = state.db.pool.acquire().await?;
        repo::appointments(&mut conn, me.admin.id, from, until).await?
    };
    let appointments = rows
        .into_iter()
        .map(|(at, name, phone, topic)| Appointment {
            time: format_local(at).get(11..).unwrap_or_default().to_string(),
            name_masked: PersonName::mask_stored(&name),
            phone_masked: Phone::mask_stored(&phone),
            topic,
        })
        .collect();
    let questions =
        repo::questions_of_station(&state.db.pool, station.id).await?.iter().map(|q| question_item(q, Some(me.admin.id))).collect();
    let view = LawyerHomeView {
        admin: me.admin.info(),
        station: station.name,
        today: today.to_string(),
        appointments,
        questions,
        notice: done_notice(&q.done),
    };
    Ok(Page::ok(view).no_store().into_response())
}

async fn lawyer_question_view(state: &AppState, me: &AdminRow, ip: &str, id: i64, input: String, error: Option<T>) -> AppResult<Response> {
    let station = my_station(state, me).await?;
    let now = state.now();
    let Some(q) = repo::question(&state.db.pool, id).await?.filter(|q| q.station_id == station.id) else {
        audit::record_alone(state, now, me.audit(Action::View, Target::LegalQuestion(id), ip, Outcome::NotFound, "")).await?;
        return Err(AppError::NotFound);
    };
    audit::record_alone(state, now, me.audit(Action::View, Target::LegalQuestion(id), ip, Outcome::Ok, "")).await?;
    let view = LawyerQuestionView {
        admin: me.info(),
        id,
        asked_at: format_local(q.asked_at),
        category: Category::label_of(&q.category),
        name_masked: PersonName::mask_stored(&q.member_name),
        question: q.question,
        answer: match (q.answer, q.answered_at) {
            (Some(a), Some(at)) => Some((a, format_local(at), q.answered_by.unwrap_or_default())),
            _ => None,
        },
        input,
        error,
    };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn lawyer_question_get(State(state): State<AppState>, me: Allowed<LawyerSide>, Path(id): Path<i64>) -> AppResult<Response> {
    lawyer_question_view(&state, &me.admin, &me.ip, id, String::new(), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    answer: String,
}

pub async fn answer_post(
    State(state): State<AppState>,
    me: Allowed<LawyerSide>,
    Path(id): Path<i64>,
    Form(f): Form<AnswerForm>,
) -> AppResult<Response> {
    let station = my_station(&state, &me.admin).await?;
    let input: String = f.answer.chars().take(4100).collect();
    match service::answer(&state, &me.admin, &me.ip, &station, id, &input).await? {
        Answered::Ok => Ok(Redirect::to("/lawyer?done=answered").into_response()),
        Answered::NotFound => Err(AppError::NotFound),
        Answered::Invalid(t) => lawyer_question_view(&state, &me.admin, &me.ip, id, input, Some(t)).await,
        Answered::Already => lawyer_question_view(&state, &me.admin, &me.ip, id, String::new(), Some(T::LegalAnsweredBefore)).await,
    }
}
