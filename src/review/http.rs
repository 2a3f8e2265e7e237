//! Review HTTP: the queue, the detail, decisions, undo and bulk approval. Anything outside the
//! admin's subtree answers not-found, changes nothing, and is audited; a route the admin's
//! roles do not reach is refused the same way by the `Allowed` extractor.
use super::service::{self, Action, Decided, Undone};
use super::{repo, DetailView, QueueFilter, QueueView};
use crate::admin::auth::{Allowed, Decider, Revealer, SignedIn, Viewer};
use crate::i18n::{Lang, T};
use crate::server::audit;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

impl From<service::ReviewError> for AppError {
    fn from(e: service::ReviewError) -> AppError {
        match e {
            service::ReviewError::Db(e) => AppError::Db(e),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

async fn queue_view(
    state: &AppState,
    me: &SignedIn,
    filter: QueueFilter,
    notice: Option<T>,
    extra: Option<String>,
) -> AppResult<QueueView> {
    let now = state.now();
    let search = service::search(state, &me.admin, &me.ip, &filter.q).await?;
    let (items, total) = repo::queue(&state.db.pool, me.admin.org_id, &filter, &search, now).await?;
    let orgs = crate::org::repo::subtree(&state.db.pool, me.admin.org_id).await?;
    let channels = repo::subtree_channels(&state.db.pool, me.admin.org_id).await?;
    let done = match filter.done.parse::<i64>() {
        Ok(id) => {
            let mut conn = state.db.pool.acquire().await?;
            repo::detail(&mut conn, me.admin.org_id, id, now).await?.map(|d| d.item)
        }
        Err(_) => None,
    };
    Ok(QueueView { admin: me.admin.info(), filter, items, total, orgs, channels, done, notice, extra })
}

pub async fn queue(State(state): State<AppState>, me: Allowed<Viewer>, Query(filter): Query<QueueFilter>) -> AppResult<Page<QueueView>> {
    Ok(Page::ok(queue_view(&state, &me.signed_in(), filter, None, None).await?))
}

/// Not found, audited: the application is outside the admin's subtree or does not exist.
async fn not_found(state: &AppState, me: &SignedIn, action: audit::Action, id: i64) -> AppResult<Response> {
    audit::record_alone(state, state.now(), me.admin.audit(action, audit::Target::Application(id), &me.ip, audit::Outcome::NotFound, ""))
        .await?;
    Err(AppError::NotFound)
}

pub async fn detail(State(state): State<AppState>, me: Allowed<Viewer>, Path(id): Path<i64>) -> AppResult<Response> {
    show_detail(&state, &me.signed_in(), id, None, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevealForm {
    reason: String,
}

/// Shows the full ID number and phone: only to a manager or the city admin, only with a stated
/// reason, only inside the subtree — and every reveal is in the audit trail.
pub async fn reveal(
    State(state): State<AppState>,
    me: Allowed<Revealer>,
    Path(id): Path<i64>,
    Form(form): Form<RevealForm>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let reason: String = form.reason.trim().chars().take(100).collect();
    if reason.is_empty() {
        return show_detail(&state, &me, id, Some(T::RevealNeedsReason), None).await;
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if repo::detail(&mut tx, me.admin.org_id, id, now).await?.is_none() {
        drop(tx);
        return not_found(&state, &me, audit::Action::Reveal, id).await;
    }
    let sealed = repo::sealed_id(&mut tx, id).await?;
    let full_id = state.keys.open_id(sealed.key_id, &sealed.cipher, &format!("application:{}", sealed.submission_key))?;
    audit::record(
        &mut tx,
        &state,
        now,
        me.admin.audit(audit::Action::Reveal, audit::Target::Application(id), &me.ip, audit::Outcome::Ok, &reason),
    )
    .await?;
    tx.commit().await?;
    show_detail(&state, &me, id, None, Some((full_id, sealed.phone))).await
}

async fn show_detail(
    state: &AppState,
    me: &SignedIn,
    id: i64,
    notice: Option<T>,
    revealed: Option<(String, String)>,
) -> AppResult<Response> {
    let now = state.now();
    let found = {
        let mut conn = state.db.pool.acquire().await?;
        repo::detail(&mut conn, me.admin.org_id, id, now).await?
    };
    let Some(d) = found else { return not_found(state, me, audit::Action::View, id).await };
    let age = crate::domain::Ymd::parse(&d.birth_date).map(|b| b.years_until(state.today())).unwrap_or(0);
    let view = DetailView {
        admin: me.admin.info(),
        item: d.item,
        age_ok: age >= crate::domain::id_number::MIN_WORKING_AGE,
        age_band: super::age_band(age),
        sex: d.sex,
        plate: d.plate,
        duplicates: d.duplicates,
        reason: d.decision_reason,
        notice,
        revealed,
    };
    Ok(Page::ok(view).no_store().into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecideForm {
    action: String,
    reason: String,
    preset: String,
}

pub async fn decide(
    State(state): State<AppState>,
    me: Allowed<Decider>,
    Path(id): Path<i64>,
    Form(form): Form<DecideForm>,
) -> AppResult<Response> {
    let me = me.signed_in();
    let action = Action::parse(&form.action).ok_or(AppError::BadRequest(T::UnknownAction))?;
    let reason = if form.reason.trim().is_empty() { form.preset.clone() } else { form.reason.clone() };
    match service::decide(&state, &me.admin, &me.ip, id, action, &reason).await? {
        Decided::Done { .. } => Ok(Redirect::to(&format!("/admin?done={id}")).into_response()),
        Decided::NotFound | Decided::Forbidden => Err(AppError::NotFound),
        Decided::NotPending => show_detail(&state, &me, id, Some(T::NotPending), None).await,
        Decided::ReasonNeeded => show_detail(&state, &me, id, Some(T::ReasonNeeded), None).await,
    }
}

pub async fn undo(State(state): State<AppState>, me: Allowed<Decider>, Path(id): Path<i64>) -> AppResult<Response> {
    let me = me.signed_in();
    let notice = match service::undo(&state, &me.admin, &me.ip, id).await? {
        Undone::Done => T::UndoDone,
        Undone::TooLate => T::UndoTooLate,
        Undone::NotFound => return not_found(&state, &me, audit::Action::Undo, id).await,
    };
    Ok(Page::ok(queue_view(&state, &me, QueueFilter::default(), Some(notice), None).await?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BulkForm {
    ids: Vec<i64>,
}

pub async fn bulk(
    State(state): State<AppState>,
    me: Allowed<Decider>,
    lang: Lang,
    Form(form): Form<BulkForm>,
) -> AppResult<Page<QueueView>> {
    let me = me.signed_in();
    let (ok, skipped) = service::bulk_approve(&state, &me.admin, &me.ip, &form.ids).await?;
    let extra = Some(format!(" {ok} · {} {skipped}", T::Skipped.get(lang)));
    Ok(Page::ok(queue_view(&state, &me, QueueFilter::default(), Some(T::BulkDone), extra).await?))
}
