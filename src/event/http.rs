//! Events over HTTP for members (`/events…`). The lists and an event's page are open to
//! anyone (a signed-in member sees only what they may join, and their own sign-up); signing
//! up, cancelling and showing the ticket are plain posts of a live member session that answer
//! 303 (Post/Redirect/Get) or the same page with the reason in Chinese.
use super::service::{self, Cancelled, SignedUp};
use super::{checkin, repo, EventDetailView, EventKind, EventsView, MySignup};
use crate::i18n::T;
use crate::member::auth::SignedMember;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::Page;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

/// The member behind the request, if a live member session is there (no redirect without one).
pub struct MaybeMember(pub Option<(i64, i64)>);

impl FromRequestParts<AppState> for MaybeMember {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match crate::member::auth::current(state, &parts.headers).await {
            Ok(Some(((member_id, org_id, _, _, _), _))) => Ok(MaybeMember(Some((member_id, org_id)))),
            Ok(None) => Ok(MaybeMember(None)),
            Err(e) => Err(AppError::from(e).into_response()),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    kind: String,
}

pub async fn list(State(state): State<AppState>, me: MaybeMember, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let now = state.now();
    let kind = EventKind::parse(&q.kind);
    let rows = repo::upcoming(&state.db.pool, kind, now).await?;
    let mut conn = state.db.pool.acquire().await?;
    let mine: HashMap<i64, MySignup> = match me.0 {
        Some((member_id, _)) => {
            let mut map = HashMap::new();
            for event_id in repo::signed_events(&mut conn, member_id).await? {
                if let Some(s) = service::my_signup(&mut conn, event_id, member_id).await? {
                    map.insert(event_id, s);
                }
            }
            map
        }
        None => HashMap::new(),
    };
    let mut events = Vec::new();
    for e in &rows {
        if let Some((_, org)) = me.0 {
            if !mine.contains_key(&e.id) && !service::eligible(&mut conn, e, org).await? {
                continue;
            }
        }
        events.push((service::item(e, now), mine.get(&e.id).cloned()));
    }
    Ok(Page::ok(EventsView { kind, events, signed_in: me.0.is_some() }).no_store().into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

fn done_notice(done: &str) -> Option<(T, bool)> {
    match done {
        "signed" => Some((T::EventSignedUp, true)),
        "waiting" => Some((T::EventOnWaitingList, true)),
        "cancelled" => Some((T::EventCancelDone, true)),
        _ => None,
    }
}

async fn detail_view(
    state: &AppState,
    member: Option<(i64, i64)>,
    id: i64,
    notice: Option<(T, bool)>,
    qr: Option<(String, String)>,
) -> AppResult<Response> {
    let mut conn = state.db.pool.acquire().await?;
    let Some(e) = repo::event(&mut conn, id).await? else { return Err(AppError::NotFound) };
    let (eligible, mine) = match member {
        Some((member_id, org)) => (Some(service::eligible(&mut conn, &e, org).await?), service::my_signup(&mut conn, id, member_id).await?),
        None => (None, None),
    };
    // A member outside the audience learns nothing of the event but that it is not for them.
    let view =
        EventDetailView { event: service::item(&e, state.now()), signed_in: member.is_some(), eligible, mine, notice, ticket_qr: qr };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn detail(State(state): State<AppState>, me: MaybeMember, Path(id): Path<i64>, Query(q): Query<Done>) -> AppResult<Response> {
    detail_view(&state, me.0, id, done_notice(&q.done), None).await
}

pub async fn sign_up(State(state): State<AppState>, me: SignedMember, Path(id): Path<i64>) -> AppResult<Response> {
    match service::sign_up(&state, me.member_id, id).await? {
        SignedUp::Confirmed => Ok(Redirect::to(&format!("/events/{id}?done=signed")).into_response()),
        SignedUp::Waiting(_) => Ok(Redirect::to(&format!("/events/{id}?done=waiting")).into_response()),
        other => detail_view(&state, Some((me.member_id, me.org_id)), id, Some((other.text(), false)), None).await,
    }
}

pub async fn cancel(State(state): State<AppState>, me: SignedMember, Path(id): Path<i64>) -> AppResult<Response> {
    let t = match service::cancel(&state, me.member_id, id).await? {
        Cancelled::Done(_) => return Ok(Redirect::to(&format!("/events/{id}?done=cancelled")).into_response()),
        Cancelled::NotFound => T::EventNothingToCancel,
        Cancelled::TooLate => T::EventTooLateToCancel,
    };
    detail_view(&state, Some((me.member_id, me.org_id)), id, Some((t, false)), None).await
}

/// Shows the ticket: a new token (a post: it replaces the old one), as a QR drawn on the server.
pub async fn ticket(State(state): State<AppState>, me: SignedMember, Path(id): Path<i64>) -> AppResult<Response> {
    let member = Some((me.member_id, me.org_id));
    let Some(token) = checkin::new_ticket(&state, me.member_id, id).await? else {
        return detail_view(&state, member, id, Some((T::EventNoTicket, false)), None).await;
    };
    let link = format!("{}/admin/events/ticket/{token}", state.config.public_url);
    let svg = crate::channel::qr_svg(&link).map_err(|e| AppError::Internal(anyhow::anyhow!("qr: {e:?}")))?;
    detail_view(&state, member, id, None, Some((svg, link))).await
}
