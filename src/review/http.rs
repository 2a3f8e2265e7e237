//! Review HTTP: the queue, the detail, decisions, undo and bulk approval. Anything outside the
//! admin's subtree answers not-found, changes nothing, and is audited.
use super::service::{self, Action, Decided, Undone};
use super::{repo, DetailView, OrgChoice, QueueFilter, QueueView};
use crate::admin::auth::SignedIn;
use crate::admin::http::read_form;
use crate::app::PageData;
use crate::i18n::T;
use crate::server::audit;
use crate::server::error::{AppError, AppResult};
use crate::server::http::render_page;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

async fn queue_view(state: &AppState, me: &SignedIn, filter: QueueFilter, notice: Option<T>, extra: Option<String>) -> AppResult<QueueView> {
    let now = state.now();
    let search = service::search(state, &me.admin, &me.ip, &filter.q).await?;
    let (items, total) = repo::queue(&state.db.pool, me.admin.org_id, &filter, &search, now).await?;
    let orgs = repo::subtree_orgs(&state.db.pool, me.admin.org_id)
        .await?
        .into_iter()
        .map(|(id, name, depth)| OrgChoice { id, name, depth })
        .collect();
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

pub async fn queue(State(state): State<AppState>, me: SignedIn, Query(filter): Query<QueueFilter>, req: Request<Body>) -> AppResult<Response> {
    if !me.admin.info().can_view() {
        return render_page(&state, req, PageData::NotFound, StatusCode::NOT_FOUND).await;
    }
    let view = queue_view(&state, &me, filter, None, None).await?;
    render_page(&state, req, PageData::Queue(view), StatusCode::OK).await
}

async fn not_found(state: &AppState, me: &SignedIn, action: &str, id: i64, req: Request<Body>) -> AppResult<Response> {
    audit::record_alone(
        state,
        state.now(),
        me.admin.audit(action, &format!("application:{id}"), &me.ip, "not_found", ""),
    )
    .await?;
    render_page(state, req, PageData::NotFound, StatusCode::NOT_FOUND).await
}

pub async fn detail(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>, req: Request<Body>) -> AppResult<Response> {
    show_detail(&state, &me, id, None, req).await
}

async fn show_detail(state: &AppState, me: &SignedIn, id: i64, notice: Option<T>, req: Request<Body>) -> AppResult<Response> {
    show_detail_revealed(state, me, id, notice, None, req).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevealForm {
    reason: String,
}

/// Shows the full ID number and phone: only to a manager or the city admin, only with a stated
/// reason, only inside the subtree — and every reveal is in the audit trail.
pub async fn reveal(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>, req: Request<Body>) -> AppResult<Response> {
    let (parts, body) = req.into_parts();
    let req_back = Request::from_parts(parts, Body::empty());
    let form: RevealForm = read_form(body).await?;
    let info = me.admin.info();
    if !(info.has(crate::admin::Role::Manager) || info.has(crate::admin::Role::CityAdmin)) {
        return not_found(&state, &me, "reveal", id, req_back).await;
    }
    let reason: String = form.reason.trim().chars().take(100).collect();
    if reason.is_empty() {
        return show_detail(&state, &me, id, Some(T::RevealNeedsReason), req_back).await;
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if repo::detail(&mut tx, me.admin.org_id, id, now).await?.is_none() {
        drop(tx);
        return not_found(&state, &me, "reveal", id, req_back).await;
    }
    let (key_id, cipher, key, phone): (i64, Vec<u8>, String, String) =
        sqlx::query_as("SELECT id_key_id, id_cipher, submission_key, phone FROM applications WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
    let full_id = state.keys.open_id(key_id, &cipher, &format!("application:{key}"))?;
    audit::record(
        &mut tx,
        &state,
        now,
        me.admin.audit("reveal", &format!("application:{id}"), &me.ip, "ok", &reason),
    )
    .await?;
    tx.commit().await?;
    let mut res = show_detail_revealed(&state, &me, id, None, Some((full_id, phone)), req_back).await?;
    res.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(res)
}

async fn show_detail_revealed(state: &AppState, me: &SignedIn, id: i64, notice: Option<T>, revealed: Option<(String, String)>, req: Request<Body>) -> AppResult<Response> {
    let now = state.now();
    let found = if me.admin.info().can_view() {
        let mut conn = state.db.pool.acquire().await?;
        repo::detail(&mut conn, me.admin.org_id, id, now).await?
    } else {
        None
    };
    let Some(d) = found else { return not_found(state, me, "view", id, req).await };
    let age = crate::domain::Ymd::parse(&d.birth_date).map(|b| b.years_until(state.today())).unwrap_or(0);
    let view = DetailView {
        admin: me.admin.info(),
        item: d.item,
        age_ok: age >= crate::domain::id_number::MIN_WORKING_AGE,
        age_band: super::age_band(age),
        sex_female: d.sex == "F",
        plate: d.plate,
        duplicates: d.duplicates,
        reason: d.decision_reason,
        notice,
        revealed,
    };
    render_page(state, req, PageData::Detail(view), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecideForm {
    action: String,
    reason: String,
    preset: String,
}

pub async fn decide(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>, req: Request<Body>) -> AppResult<Response> {
    let (parts, body) = req.into_parts();
    let form: DecideForm = read_form(body).await?;
    let action = Action::parse(&form.action).ok_or(AppError::BadRequest("未知操作 / Unknown action"))?;
    let reason = if form.reason.trim().is_empty() { form.preset.clone() } else { form.reason.clone() };
    match service::decide(&state, &me.admin, &me.ip, id, action, &reason).await? {
        Decided::Done { .. } => Ok(Redirect::to(&format!("/admin?done={id}")).into_response()),
        Decided::NotFound | Decided::Forbidden => render_page(&state, Request::from_parts(parts, Body::empty()), PageData::NotFound, StatusCode::NOT_FOUND).await,
        Decided::NotPending => show_detail(&state, &me, id, Some(T::NotPending), Request::from_parts(parts, Body::empty())).await,
        Decided::ReasonNeeded => show_detail(&state, &me, id, Some(T::ReasonNeeded), Request::from_parts(parts, Body::empty())).await,
    }
}

pub async fn undo(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>, req: Request<Body>) -> AppResult<Response> {
    let outcome = service::undo(&state, &me.admin, &me.ip, id).await?;
    let notice = match outcome {
        Undone::Done => T::UndoDone,
        Undone::TooLate => T::UndoTooLate,
        Undone::NotFound => return not_found(&state, &me, "undo", id, req).await,
    };
    let view = queue_view(&state, &me, QueueFilter::default(), Some(notice), None).await?;
    render_page(&state, req, PageData::Queue(view), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BulkForm {
    ids: Vec<i64>,
}

pub async fn bulk(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    let (parts, body) = req.into_parts();
    let form: BulkForm = read_form(body).await?;
    let (ok, skipped) = service::bulk_approve(&state, &me.admin, &me.ip, &form.ids).await?;
    let extra = Some(format!(" {ok} · {} {skipped}", T::Skipped.get(crate::server::http::lang_of(&parts.headers, &parts.uri))));
    let view = queue_view(&state, &me, QueueFilter::default(), Some(T::BulkDone), extra).await?;
    render_page(&state, Request::from_parts(parts, Body::empty()), PageData::Queue(view), StatusCode::OK).await
}
