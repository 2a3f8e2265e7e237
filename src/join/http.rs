//! The join pages over plain HTTP: GET renders the form; POST is the no-JavaScript path — it
//! runs the same core as the island's server function and answers 303 to the status page, or
//! re-renders the page with the input kept and the errors beside their fields. Personal data
//! never goes into a URL, and these pages are never cached.
use super::service;
use super::types::{JoinForm, JoinOutcome, JoinView, StatusToken};
use super::ui::status::StatusView;
use crate::i18n::Lang;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{ClientIp, Form, Page};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

impl From<service::JoinError> for AppError {
    fn from(e: service::JoinError) -> AppError {
        match e {
            service::JoinError::Db(e) => AppError::Db(e),
        }
    }
}

pub async fn join_get(State(state): State<AppState>, lang: Lang) -> AppResult<Page<JoinView>> {
    show(&state, lang, None, JoinForm::default(), None).await
}

pub async fn channel_get(State(state): State<AppState>, Path(code): Path<String>, lang: Lang) -> AppResult<Page<JoinView>> {
    if let Some(code) = crate::channel::ChannelCode::parse(&code) {
        if let Some((id, _)) = crate::channel::repo::active_by_code(&state.db.pool, &code).await? {
            crate::channel::repo::count_scan(&state.db, id).await?;
        }
    }
    show(&state, lang, Some(code), JoinForm::default(), None).await
}

pub async fn join_post(State(state): State<AppState>, lang: Lang, ip: ClientIp, Form(form): Form<JoinForm>) -> AppResult<Response> {
    post(state, lang, ip, None, form).await
}

pub async fn channel_post(
    State(state): State<AppState>,
    Path(code): Path<String>,
    lang: Lang,
    ip: ClientIp,
    Form(form): Form<JoinForm>,
) -> AppResult<Response> {
    post(state, lang, ip, Some(code), form).await
}

async fn post(state: AppState, lang: Lang, ClientIp(ip): ClientIp, channel: Option<String>, mut form: JoinForm) -> AppResult<Response> {
    if let Some(code) = &channel {
        form.channel = code.clone();
    }
    let outcome = service::handle(&state, form.clone(), &ip).await?;
    if let JoinOutcome::Submitted { status_path } = &outcome {
        return Ok(Redirect::to(status_path).into_response());
    }
    // 200, not 422: the page is a normal page to the browser (an error status would be logged
    // as a failed resource on the console of every phone that sends a typo).
    Ok(show(&state, lang, channel, form, Some(outcome)).await?.into_response())
}

async fn show(
    state: &AppState,
    lang: Lang,
    channel: Option<String>,
    form: JoinForm,
    outcome: Option<JoinOutcome>,
) -> AppResult<Page<JoinView>> {
    match service::view(state, lang, channel.as_deref(), form, outcome).await? {
        Some(view) => Ok(Page::ok(view).no_store()),
        None => Err(AppError::NotFound),
    }
}

async fn show_status(state: &AppState, token: &str, error: Option<crate::i18n::T>) -> AppResult<Page<Option<StatusView>>> {
    let token = StatusToken::parse(token);
    let view = match &token {
        Some(t) => super::repo::status_by_token_hash(&state.db.pool, &t.hash(), state.now()).await?,
        None => None,
    };
    let view = view.map(|v| StatusView { path: token.map(|t| t.path()).unwrap_or_default(), error, ..v });
    let status = match &view {
        Some(v) if v.expired => axum::http::StatusCode::GONE,
        Some(_) => axum::http::StatusCode::OK,
        None => axum::http::StatusCode::NOT_FOUND,
    };
    Ok(Page::ok(view).with_status(status).no_store())
}

/// The status page behind an SMS link: masked data, the progress, and — after 退回补充 — the
/// correction form.
pub async fn status_get(State(state): State<AppState>, Path(token): Path<String>) -> AppResult<Page<Option<StatusView>>> {
    show_status(&state, &token, None).await
}

/// The applicant's correction after 退回补充. Only the correctable fields are accepted: a post
/// that carries anything else (`status`, `org`, …) is refused whole.
pub async fn status_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientIp(ip): ClientIp,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    if fields.iter().any(|(k, _)| !matches!(k.as_str(), "name" | "plate")) {
        return Err(AppError::BadRequest(crate::i18n::T::ProtectedFields));
    }
    let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let found = match StatusToken::parse(&token) {
        Some(t) => super::repo::by_token_hash(&state.db.pool, &t.hash(), state.now()).await?,
        None => None,
    };
    let Some((application_id, status)) = found else { return Err(AppError::NotFound) };
    if status != super::types::ApplicationStatus::Returned {
        return Ok(show_status(&state, &token, None).await?.into_response());
    }
    let (name, plate) = (super::validate::name(&get("name")), super::validate::plate(&get("plate")));
    let (name, plate) = match (name, plate) {
        (Ok(n), Ok(p)) => (n, p),
        (Err(t), _) | (_, Err(t)) => return Ok(show_status(&state, &token, Some(t)).await?.into_response()),
    };
    service::resubmit(&state, application_id, &name, plate.as_ref(), &ip).await?;
    Ok(Redirect::to(&format!("/s/{token}")).into_response())
}
