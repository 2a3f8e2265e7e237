//! Events over HTTP for union admins (`/admin/events…`): the events of the admin's subtree
//! with their figures and the form to add one (a union's managers, the city admin), an event's
//! registrations, waiting list and attendance, choosing the event this phone checks tickets in
//! for (the "door", a cookie), and the scanned ticket with its 签到 post. An event or ticket
//! outside the admin's subtree is the one not-found page, with an audit row.
use super::service::{self, EventResult};
use super::{checkin, repo, EventAdminView, EventInput, EventsAdminView, SignupStatus, TicketView};
use crate::admin::auth::{Allowed, Requirement, Viewer};
use crate::admin::repo::AdminRow;
use crate::admin::{AdminInfo, Role};
use crate::domain::PersonName;
use crate::i18n::T;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// Creates events: a union's managers and the city admin.
pub struct EventKeeper;

impl Requirement for EventKeeper {
    const NAME: &'static str = "event_keeper";
    fn allows(a: &AdminInfo) -> bool {
        a.has(Role::Manager) || a.has(Role::CityAdmin)
    }
}

/// Checks tickets in at the door: reviewers, managers, the city admin (not the read-only leader).
pub struct EventDoor;

impl Requirement for EventDoor {
    const NAME: &'static str = "event_door";
    fn allows(a: &AdminInfo) -> bool {
        a.can_review() || a.has(Role::CityAdmin)
    }
}

/// The cookie naming the event this browser checks tickets in for.
const DOOR_COOKIE: &str = "ejia_door";

fn door_of(headers: &HeaderMap) -> Option<i64> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(DOOR_COOKIE).and_then(|r| r.strip_prefix('=')).and_then(|v| v.parse().ok()))
}

fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "***".into();
    }
    format!("{}****{}", chars[..3].iter().collect::<String>(), chars[chars.len() - 4..].iter().collect::<String>())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

fn done_notice(done: &str) -> Option<(T, bool)> {
    match done {
        "created" => Some((T::EventCreated, true)),
        "door" => Some((T::EventDoorSet, true)),
        _ => None,
    }
}

async fn list_view(
    state: &AppState,
    me: &AdminRow,
    input: EventInput,
    notice: Option<(T, bool)>,
    field_error: Option<(&'static str, T)>,
) -> AppResult<Response> {
    let now = state.now();
    let rows = repo::in_subtree(&state.db.pool, me.org_id).await?;
    let mut conn = state.db.pool.acquire().await?;
    let mut events = Vec::with_capacity(rows.len());
    for e in &rows {
        events.push((service::item(e, now), service::figures(&mut conn, e, now).await?));
    }
    let view = EventsAdminView {
        admin: me.info(),
        can_create: EventKeeper::allows(&me.info),
        events,
        orgs: crate::org::repo::subtree(&state.db.pool, me.org_id).await?,
        input,
        notice,
        field_error,
    };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn list(State(state): State<AppState>, me: Allowed<Viewer>, Query(q): Query<Done>) -> AppResult<Response> {
    list_view(&state, &me.admin, EventInput::default(), done_notice(&q.done), None).await
}

pub async fn create(State(state): State<AppState>, me: Allowed<EventKeeper>, Form(f): Form<EventInput>) -> AppResult<Response> {
    match service::create(&state, &me.admin, &me.ip, &f).await? {
        Ok(id) => Ok(Redirect::to(&format!("/admin/events/{id}?done=created")).into_response()),
        Err((field, t)) => list_view(&state, &me.admin, f, None, Some((field, t))).await,
    }
}

/// The event if it is inside the admin's subtree; otherwise an audit row and `None`.
async fn scoped(state: &AppState, me: &AdminRow, ip: &str, id: i64) -> EventResult<Option<super::EventRow>> {
    let mut conn = state.db.pool.acquire().await?;
    let found = repo::event(&mut conn, id).await?;
    let inside = match &found {
        Some(e) => repo::within(&mut conn, e.org_id, me.org_id).await?,
        None => false,
    };
    drop(conn);
    if inside {
        return Ok(found);
    }
    audit::record_alone(state, state.now(), me.audit(Action::View, Target::Event(id), ip, Outcome::NotFound, "event")).await?;
    Ok(None)
}

pub async fn detail(
    State(state): State<AppState>,
    me: Allowed<Viewer>,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some(e) = scoped(&state, &me.admin, &me.ip, id).await? else { return Err(AppError::NotFound) };
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    let figures = service::figures(&mut conn, &e, now).await?;
    let (mut confirmed, mut waiting) = (Vec::new(), Vec::new());
    for (mut line, name, phone) in repo::signups(&mut conn, id).await? {
        line.name_masked = PersonName::mask_stored(&name);
        line.phone_masked = mask_phone(&phone);
        if line.status == SignupStatus::Waiting {
            line.position = Some(waiting.len() as i64 + 1);
            waiting.push(line);
        } else {
            confirmed.push(line);
        }
    }
    let view = EventAdminView {
        admin: me.admin.info(),
        event: service::item(&e, now),
        figures,
        confirmed,
        waiting,
        door_here: door_of(&headers) == Some(id),
        notice: done_notice(&q.done),
    };
    Ok(Page::ok(view).no_store().into_response())
}

/// This browser checks tickets in for this event from now on (a cookie for 24 hours).
pub async fn door(
    State(state): State<AppState>,
    me: Allowed<EventDoor>,
    Path(id): Path<i64>,
    Form(f): Form<BackForm>,
) -> AppResult<Response> {
    if scoped(&state, &me.admin, &me.ip, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let secure = if state.config.public_url.starts_with("https://") || state.config.production { "; Secure" } else { "" };
    let cookie = format!("{DOOR_COOKIE}={id}; Path=/admin/events; HttpOnly; SameSite=Lax; Max-Age=86400{secure}");
    // Back to the scanned ticket when the choice was made there, else to the event's page.
    let back =
        checkin::parse_token(&f.ticket).map(|t| format!("/admin/events/ticket/{t}")).unwrap_or(format!("/admin/events/{id}?done=door"));
    let mut res = Redirect::to(&back).into_response();
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(anyhow::Error::from)?);
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BackForm {
    ticket: String,
}

fn ticket_page(me: &AdminRow, token: &str, s: checkin::Scanned) -> Response {
    let view = TicketView {
        admin: me.info(),
        token: token.to_string(),
        event_id: s.event_id,
        event_title: s.event_title,
        event_when: s.event_when,
        name_masked: s.name_masked,
        state: s.state,
    };
    Page::ok(view).no_store().into_response()
}

/// A scanned ticket: what it is, and the 签到 button. Changes nothing.
pub async fn ticket_get(
    State(state): State<AppState>,
    me: Allowed<EventDoor>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some(token) = checkin::parse_token(&token) else { return Err(AppError::NotFound) };
    match checkin::look(&state, &me.admin, &me.ip, token, door_of(&headers)).await? {
        Some(s) => Ok(ticket_page(&me.admin, token, s)),
        None => Err(AppError::NotFound),
    }
}

pub async fn ticket_post(
    State(state): State<AppState>,
    me: Allowed<EventDoor>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some(token) = checkin::parse_token(&token) else { return Err(AppError::NotFound) };
    match checkin::check_in(&state, &me.admin, &me.ip, token, door_of(&headers)).await? {
        Some(s) => Ok(ticket_page(&me.admin, token, s)),
        None => Err(AppError::NotFound),
    }
}
