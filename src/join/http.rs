//! The join pages over plain HTTP: GET renders the form; POST is the no-JavaScript path — it
//! runs the same core as the island's server function and answers 303 to the status page, or
//! re-renders the page with the input kept and the errors beside their fields. Personal data
//! never goes into a URL, and these pages are never cached.
use super::service;
use super::types::{JoinForm, JoinOutcome};
use crate::app::PageData;
use crate::server::client_ip::client_ip;
use crate::server::error::{AppError, AppResult};
use crate::server::http::{lang_of, render_page};
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// The largest join form body we read; anything bigger is refused with a message.
const MAX_FORM_BYTES: usize = 16 * 1024;

pub async fn join_get(State(state): State<AppState>, req: Request<Body>) -> AppResult<Response> {
    show(state, None, req, JoinForm::default(), None, StatusCode::OK).await
}

pub async fn channel_get(State(state): State<AppState>, Path(code): Path<String>, req: Request<Body>) -> AppResult<Response> {
    if let Some(code) = crate::channel::normalize_code(&code) {
        if let Some((id, _)) = crate::channel::repo::active_by_code(&state.db.pool, &code).await? {
            crate::channel::repo::count_scan(&state.db, id).await?;
        }
    }
    show(state, Some(code), req, JoinForm::default(), None, StatusCode::OK).await
}

pub async fn join_post(State(state): State<AppState>, req: Request<Body>) -> AppResult<Response> {
    post(state, None, req).await
}

pub async fn channel_post(State(state): State<AppState>, Path(code): Path<String>, req: Request<Body>) -> AppResult<Response> {
    post(state, Some(code), req).await
}

async fn post(state: AppState, channel: Option<String>, req: Request<Body>) -> AppResult<Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| AppError::BadRequest("表单内容过长 / Form too large"))?;
    let mut form: JoinForm = serde_urlencoded::from_bytes(&bytes).map_err(|_| AppError::BadRequest("表单格式不正确 / Malformed form"))?;
    if let Some(code) = &channel {
        form.channel = code.clone();
    }
    let ip = client_ip(&parts, state.config.trusted_proxy_hops);
    let outcome = service::handle(&state, form.clone(), &ip).await?;
    if let JoinOutcome::Submitted { status_path } = &outcome {
        return Ok(Redirect::to(status_path).into_response());
    }
    // 200, not 422: the page is a normal page to the browser (an error status would be logged
    // as a failed resource on the console of every phone that sends a typo).
    show(state, channel, Request::from_parts(parts, Body::empty()), form, Some(outcome), StatusCode::OK).await
}

async fn show(
    state: AppState,
    channel: Option<String>,
    req: Request<Body>,
    form: JoinForm,
    outcome: Option<JoinOutcome>,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = lang_of(req.headers(), req.uri());
    let Some(view) = service::view(&state, lang, channel.as_deref(), form, outcome).await? else {
        return render_page(&state, req, PageData::NotFound, StatusCode::NOT_FOUND).await;
    };
    let mut res = render_page(&state, req, PageData::Join(view), status).await?;
    res.headers_mut().insert(header::CACHE_CONTROL, "no-store".parse().expect("static header"));
    Ok(res)
}

fn plausible_token(token: &str) -> bool {
    token.len() == 22 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn show_status(state: &AppState, token: &str, req: Request<Body>, error: Option<crate::i18n::T>) -> AppResult<Response> {
    let view = if plausible_token(token) {
        super::repo::status_by_token_hash(&state.db.pool, &crate::server::crypto::token_hash(token), state.now()).await?
    } else {
        None
    };
    let view = view.map(|v| super::ui::status::StatusView { path: format!("/s/{token}"), error, ..v });
    let status = match &view {
        Some(v) if v.expired => StatusCode::GONE,
        Some(_) => StatusCode::OK,
        None => StatusCode::NOT_FOUND,
    };
    let mut res = render_page(state, req, PageData::Status(view), status).await?;
    res.headers_mut().insert(header::CACHE_CONTROL, "no-store".parse().expect("static header"));
    Ok(res)
}

/// The status page behind an SMS link: masked data, the progress, and — after 退回补充 — the
/// correction form.
pub async fn status_get(State(state): State<AppState>, Path(token): Path<String>, req: Request<Body>) -> AppResult<Response> {
    show_status(&state, &token, req, None).await
}

/// The applicant's correction after 退回补充. Only the correctable fields are accepted: a post
/// that carries anything else (`status`, `org`, …) is refused whole.
pub async fn status_post(State(state): State<AppState>, Path(token): Path<String>, req: Request<Body>) -> AppResult<Response> {
    let (parts, body) = req.into_parts();
    let ip = client_ip(&parts, state.config.trusted_proxy_hops);
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| AppError::BadRequest("表单内容过长 / Form too large"))?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| AppError::BadRequest("表单格式不正确 / Malformed form"))?;
    if fields.iter().any(|(k, _)| !matches!(k.as_str(), "name" | "plate")) {
        return Err(AppError::BadRequest("这些内容不能由申请人修改 / These fields cannot be changed by the applicant"));
    }
    let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let found = if plausible_token(&token) {
        super::repo::by_token_hash(&state.db.pool, &crate::server::crypto::token_hash(&token), state.now()).await?
    } else {
        None
    };
    let Some((application_id, status)) = found else { return Err(AppError::NotFound) };
    let req_back = Request::from_parts(parts, Body::empty());
    if status != "returned" {
        return show_status(&state, &token, req_back, None).await;
    }
    let (name, plate) = (super::validate::name(&get("name")), super::validate::plate(&get("plate")));
    let (name, plate) = match (name, plate) {
        (Ok(n), Ok(p)) => (n, p),
        (Err(t), _) | (_, Err(t)) => return show_status(&state, &token, req_back, Some(t)).await,
    };
    service::resubmit(&state, application_id, &name, plate.as_ref(), &ip).await?;
    Ok(Redirect::to(&format!("/s/{token}")).into_response())
}
