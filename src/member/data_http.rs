//! My data and rights over HTTP: `/me/data` (see and correct), `/me/data.json` (download),
//! `/me/data/correct`, `/me/data/phone`, and leaving (`/me/leave`, a confirmation step). Plain
//! POST forms: 303 on success, the page again with errors beside the fields and input kept.
use super::auth::{self, SignedMember};
use super::data;
use super::repo;
use super::types::{DataForms, DataView, LeaveView, LEAVE_WORD};
use crate::i18n::T;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{Form, Page};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

async fn page(state: &AppState, member: &SignedMember, forms: Option<DataForms>, notice: Option<T>) -> AppResult<Page<DataView>> {
    let Some(data) = data::my_data(state, member).await? else { return Err(AppError::NotFound) };
    let forms = forms.unwrap_or_else(|| DataForms {
        name: data.name.clone(),
        plate: data.plate.clone().unwrap_or_default(),
        ..DataForms::default()
    });
    let unions = repo::receiving_unions(&state.db.pool).await?;
    Ok(Page::ok(DataView { data, forms, unions, notice }).no_store())
}

pub async fn data_get(State(state): State<AppState>, member: SignedMember, Query(q): Query<Done>) -> AppResult<Page<DataView>> {
    let notice = match q.done.as_str() {
        "corrected" => Some(T::DataCorrected),
        "phone" => Some(T::PhoneChanged),
        "requested" => Some(T::TransferRequested),
        _ => None,
    };
    page(&state, &member, None, notice).await
}

/// Everything about me as a JSON file, never kept by a cache.
pub async fn data_json(State(state): State<AppState>, member: SignedMember) -> AppResult<Response> {
    let Some(data) = data::my_data(&state, &member).await? else { return Err(AppError::NotFound) };
    let body = serde_json::to_string_pretty(&data).map_err(anyhow::Error::from)?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"my-data.json\"")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    Ok((headers, body).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CorrectForm {
    name: String,
    plate: String,
}

pub async fn correct_post(State(state): State<AppState>, member: SignedMember, Form(f): Form<CorrectForm>) -> AppResult<Response> {
    let mut forms =
        DataForms { name: f.name.chars().take(50).collect(), plate: f.plate.chars().take(20).collect(), ..DataForms::default() };
    if data::correct(&state, &member, &mut forms).await? {
        return Ok(Redirect::to("/me/data?done=corrected").into_response());
    }
    Ok(page(&state, &member, Some(forms), None).await?.into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PhoneForm {
    phone: String,
    code: String,
    intent: String,
}

pub async fn phone_post(State(state): State<AppState>, member: SignedMember, Form(f): Form<PhoneForm>) -> AppResult<Response> {
    let Some(current) = data::my_data(&state, &member).await? else { return Err(AppError::NotFound) };
    let mut forms = DataForms {
        name: current.name,
        plate: current.plate.unwrap_or_default(),
        new_phone: f.phone.chars().take(20).collect(),
        ..DataForms::default()
    };
    if f.intent == "send_code" {
        data::send_phone_code(&state, &member, &mut forms).await?;
    } else if let Some(token) = data::change_phone(&state, &member, &mut forms, &f.code).await? {
        // Every session ended with the old number; this device goes on with a new one.
        let mut res = Redirect::to("/me/data?done=phone").into_response();
        let cookie = HeaderValue::from_str(&auth::COOKIE.set(&state, &token)).map_err(anyhow::Error::from)?;
        res.headers_mut().insert(header::SET_COOKIE, cookie);
        return Ok(res);
    } else {
        forms.code_sent = forms.code_error.is_some();
    }
    Ok(page(&state, &member, Some(forms), None).await?.into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TransferForm {
    to: String,
    reason: String,
}

pub async fn transfer_post(State(state): State<AppState>, member: SignedMember, Form(f): Form<TransferForm>) -> AppResult<Response> {
    let Some(current) = data::my_data(&state, &member).await? else { return Err(AppError::NotFound) };
    let mut forms = DataForms {
        name: current.name,
        plate: current.plate.unwrap_or_default(),
        transfer_to: f.to.chars().take(20).collect(),
        transfer_reason: f.reason.chars().take(crate::transfer::requests::MAX_REASON_CHARS).collect(),
        ..DataForms::default()
    };
    if data::ask_transfer(&state, &member, &mut forms).await? {
        return Ok(Redirect::to("/me/data?done=requested").into_response());
    }
    Ok(page(&state, &member, Some(forms), None).await?.into_response())
}

pub async fn leave_get(_member: SignedMember) -> Page<LeaveView> {
    Page::ok(LeaveView::default()).no_store()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LeaveForm {
    confirm: String,
}

/// Leaves for good: the typed word confirms; the session ends with everything else.
pub async fn leave_post(State(state): State<AppState>, member: SignedMember, Form(f): Form<LeaveForm>) -> AppResult<Response> {
    if f.confirm.trim() != LEAVE_WORD {
        return Ok(Page::ok(LeaveView { error: Some(T::LeaveConfirmNeeded), done: false }).no_store().into_response());
    }
    // A second device that left first: the same end, told the same way.
    data::withdraw(&state, &member).await?;
    let mut res = Redirect::to("/me/left").into_response();
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&auth::COOKIE.clear(&state)).map_err(anyhow::Error::from)?);
    Ok(res)
}

pub async fn left_get() -> Page<LeaveView> {
    Page::ok(LeaveView { error: None, done: true }).no_store()
}
