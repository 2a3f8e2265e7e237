//! Pool and transfer HTTP: the pool list with its place forms, a member's transfer page, the
//! transfers of the admin's subtree with accept / decline / withdraw. Plain forms: each post
//! answers 303 to the list with a notice (Post/Redirect/Get), or the same page with the reason
//! it was refused. Anything outside the admin's subtree answers not-found and is audited (by
//! the service); a route the admin's roles do not reach is refused by the `Allowed` extractor.
use super::service::{self, Decided, Decision, Destination, Proposed, TransferError, Via};
use super::{repo, MemberFacts, MemberTransferView, PoolSection, PoolView, TransfersView};
use crate::admin::auth::{Allowed, Placer, SignedIn, Viewer};
use crate::calendar::format_local;
use crate::domain::{PersonName, Phone};
use crate::i18n::T;
use crate::server::audit;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

impl From<TransferError> for AppError {
    fn from(e: TransferError) -> AppError {
        match e {
            TransferError::Db(e) => AppError::Db(e),
        }
    }
}

/// `?done=` after a post: what happened, as a notice.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

fn done_notice(done: &str) -> Option<(T, bool)> {
    let t = match done {
        "proposed" => T::TransferProposed,
        "out" => T::TransferredOutNotice,
        "accepted" => T::TransferAcceptedNotice,
        "declined" => T::TransferDeclinedNotice,
        "cancelled" => T::TransferCancelledNotice,
        _ => return None,
    };
    Some((t, true))
}

async fn pool_view(state: &AppState, me: &SignedIn, notice: Option<(T, bool)>) -> AppResult<Page<PoolView>> {
    let pool = &state.db.pool;
    let (members, total) = repo::pool::pooled(pool, me.admin.org_id, state.now()).await?;
    let mut sections = Vec::new();
    for (pool_id, pool_name) in repo::pool::pools_in(pool, me.admin.org_id).await? {
        let choices = if me.admin.can_place() { repo::pool::placements(pool, pool_id).await? } else { Vec::new() };
        let members = members.iter().filter(|m| m.pool_id == pool_id).cloned().collect();
        sections.push(PoolSection { pool_id, pool_name, choices, members });
    }
    Ok(Page::ok(PoolView { admin: me.admin.info(), sections, total, notice }).no_store())
}

pub async fn pool_get(State(state): State<AppState>, me: Allowed<Viewer>, Query(q): Query<Done>) -> AppResult<Page<PoolView>> {
    pool_view(&state, &me.signed_in(), done_notice(&q.done)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PlaceForm {
    member: String,
    to: String,
}

pub async fn place_post(State(state): State<AppState>, me: Allowed<Placer>, Form(form): Form<PlaceForm>) -> AppResult<Response> {
    let me = me.signed_in();
    let member: i64 = form.member.parse().map_err(|_| AppError::BadRequest(T::FormMalformed))?;
    let Ok(to) = form.to.parse::<i64>() else {
        return Ok(pool_view(&state, &me, Some((T::ChooseUnion, false))).await?.into_response());
    };
    match service::propose(&state, &me.admin, &me.ip, member, Destination::Union(to), Via::Placement).await? {
        Proposed::Waiting { .. } | Proposed::TransferredOut { .. } => Ok(Redirect::to("/admin/pool?done=proposed").into_response()),
        Proposed::NotFound => Err(AppError::NotFound),
        Proposed::Refused(t) => Ok(pool_view(&state, &me, Some((t, false))).await?.into_response()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MemberQuery {
    q: String,
}

async fn member_view(
    state: &AppState,
    me: &SignedIn,
    id: i64,
    q: &str,
    outside_to: &str,
    notice: Option<(T, bool)>,
) -> AppResult<Response> {
    let found = {
        let mut conn = state.db.pool.acquire().await?;
        repo::member_in(&mut conn, me.admin.org_id, id).await?
    };
    let Some(m) = found else {
        audit::record_alone(
            state,
            state.now(),
            me.admin.audit(audit::Action::View, audit::Target::Member(id), &me.ip, audit::Outcome::NotFound, ""),
        )
        .await?;
        return Err(AppError::NotFound);
    };
    let q: String = q.trim().chars().take(30).collect();
    let matches = crate::org::repo::search_workplaces(&state.db.pool, &q, 20).await?.into_iter().filter(|o| o.id != m.org_id).collect();
    let now = state.now();
    let transfers = repo::list(&state.db.pool, m.id, repo::List::OfMember, now).await?;
    let pending = transfers.into_iter().find(|t| t.status == super::TransferStatus::Pending);
    let view = MemberTransferView {
        admin: me.admin.info(),
        member: MemberFacts {
            id: m.id,
            name_masked: PersonName::mask_stored(&m.name),
            phone_masked: Phone::mask_stored(&m.phone),
            member_no: m.member_no,
            org_name: m.org_name,
            in_pool: m.in_pool,
            transferred_out: !m.active,
            joined_at: format_local(m.joined_at),
        },
        q,
        matches,
        pools: crate::org::repo::pools(&state.db.pool).await?.into_iter().map(|(o, _)| o).filter(|o| o.id != m.org_id).collect(),
        pending,
        history: repo::moves::history(&state.db.pool, m.id).await?,
        outside_to: outside_to.to_string(),
        notice,
    };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn member_get(
    State(state): State<AppState>,
    me: Allowed<Viewer>,
    Path(id): Path<i64>,
    Query(q): Query<MemberQuery>,
) -> AppResult<Response> {
    member_view(&state, &me.signed_in(), id, &q.q, "", None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProposeForm {
    /// A union's id, or `outside`.
    to: String,
    outside_to: String,
}

pub async fn member_post(
    State(state): State<AppState>,
    me: Allowed<Placer>,
    Path(id): Path<i64>,
    Form(form): Form<ProposeForm>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let dest = match form.to.as_str() {
        "outside" => Destination::Outside(form.outside_to.clone()),
        other => match other.parse::<i64>() {
            Ok(to) => Destination::Union(to),
            Err(_) => return member_view(&state, &me, id, "", &form.outside_to, Some((T::ChooseUnion, false))).await,
        },
    };
    match service::propose(&state, &me.admin, &me.ip, id, dest, Via::MemberPage).await? {
        Proposed::Waiting { .. } => Ok(Redirect::to("/admin/transfers?done=proposed").into_response()),
        Proposed::TransferredOut { .. } => Ok(Redirect::to("/admin/transfers?done=out").into_response()),
        Proposed::NotFound => Err(AppError::NotFound),
        Proposed::Refused(t) => member_view(&state, &me, id, "", &form.outside_to, Some((t, false))).await,
    }
}

async fn transfers_view(state: &AppState, me: &SignedIn, notice: Option<(T, bool)>) -> AppResult<Page<TransfersView>> {
    let (pool, root, now) = (&state.db.pool, me.admin.org_id, state.now());
    Ok(Page::ok(TransfersView {
        admin: me.admin.info(),
        requests: super::requests::open_in(pool, root).await?,
        incoming: repo::list(pool, root, repo::List::Incoming, now).await?,
        outgoing: repo::list(pool, root, repo::List::Outgoing, now).await?,
        history: repo::list(pool, root, repo::List::History, now).await?,
        notice,
    })
    .no_store())
}

pub async fn transfers_get(State(state): State<AppState>, me: Allowed<Viewer>, Query(q): Query<Done>) -> AppResult<Page<TransfersView>> {
    transfers_view(&state, &me.signed_in(), done_notice(&q.done)).await
}

async fn after_decision(state: &AppState, me: &SignedIn, outcome: Decided, done: &str) -> AppResult<Response> {
    match outcome {
        Decided::Done => Ok(Redirect::to(&format!("/admin/transfers?done={done}")).into_response()),
        Decided::NotFound => Err(AppError::NotFound),
        Decided::NotPending => Ok(transfers_view(state, me, Some((T::TransferNotPending, false))).await?.into_response()),
        Decided::ReasonNeeded => Ok(transfers_view(state, me, Some((T::DeclineNeedsReason, false))).await?.into_response()),
    }
}

pub async fn accept_post(State(state): State<AppState>, me: Allowed<Placer>, Path(id): Path<i64>) -> AppResult<Response> {
    let me = me.signed_in();
    let outcome = service::decide(&state, &me.admin, &me.ip, id, Decision::Accept).await?;
    after_decision(&state, &me, outcome, "accepted").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeclineForm {
    reason: String,
}

pub async fn decline_post(
    State(state): State<AppState>,
    me: Allowed<Placer>,
    Path(id): Path<i64>,
    Form(form): Form<DeclineForm>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let outcome = service::decide(&state, &me.admin, &me.ip, id, Decision::Decline(form.reason)).await?;
    after_decision(&state, &me, outcome, "declined").await
}

pub async fn cancel_post(State(state): State<AppState>, me: Allowed<Placer>, Path(id): Path<i64>) -> AppResult<Response> {
    let me = me.signed_in();
    let outcome = service::cancel(&state, &me.admin, &me.ip, id).await?;
    after_decision(&state, &me, outcome, "cancelled").await
}
