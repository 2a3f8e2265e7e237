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
