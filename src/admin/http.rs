//! Admin HTTP: sign in and out, the registry (create, disable and re-enable admins under the
//! rules of `service`), the audit trail for the city admin.
use super::auth::{self, AdminKeeper, Allowed, CityAdmin, LoginOutcome};
use super::repo;
use super::service::{self, Creator, NewAdminInput};
use super::{AdminListRow, AdminsView, AuditView, LoginView, Role};
use crate::i18n::T;
use crate::server::audit;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{safe_local_path, ClientIp, Form, Page};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// After sign-in the browser goes back where it was asked to sign in — inside the admin
/// screens (or the merchant screens) only; anything else goes to the queue.
fn safe_next(next: &str) -> String {
    safe_local_path(next, Some("/admin"))
        .or_else(|| safe_local_path(next, Some("/merchant")))
        .or_else(|| safe_local_path(next, Some("/lawyer")))
        .unwrap_or_else(|| "/admin".into())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

pub async fn login_get(Query(q): Query<NextQuery>) -> Page<LoginView> {
    Page::ok(LoginView { next: safe_next(&q.next), username: String::new(), error: None, stopped_until: None }).no_store()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: String,
}

pub async fn login_post(State(state): State<AppState>, ClientIp(ip): ClientIp, Form(form): Form<LoginForm>) -> AppResult<Response> {
    let (error, stopped_until) = match auth::login(&state, &form.username, &form.password, &ip).await? {
        LoginOutcome::Ok { token, admin } => {
            // A merchant's account lands on the merchant screens (the only ones it reaches).
            // A lawyer's account lands on the lawyer's desk.
            let to = match admin.merchant_id {
                Some(_) => safe_local_path(&form.next, Some("/merchant")).unwrap_or_else(|| "/merchant".into()),
                None if admin.is_lawyer() => safe_local_path(&form.next, Some("/lawyer")).unwrap_or_else(|| "/lawyer".into()),
                None => safe_local_path(&form.next, Some("/admin")).unwrap_or_else(|| "/admin".into()),
            };
            let mut res = Redirect::to(&to).into_response();
            res.headers_mut()
                .insert(header::SET_COOKIE, HeaderValue::from_str(&auth::session_cookie(&state, &token)).map_err(anyhow::Error::from)?);
            return Ok(res);
        }
        LoginOutcome::Refused => (T::LoginRefused, None),
        // "HH:MM" in China time.
        LoginOutcome::Stopped { until } => (T::TooManyAttempts, crate::calendar::format_local(until).get(11..).map(str::to_string)),
    };
    let view = LoginView {
        next: safe_next(&form.next),
        username: form.username.trim().chars().take(64).collect(),
        error: Some(error),
        stopped_until,
    };
    Ok(Page::ok(view).no_store().into_response())
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    auth::logout(&state, &headers).await?;
    let mut res = Redirect::to("/admin/login").into_response();
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&auth::clear_cookie(&state)).map_err(anyhow::Error::from)?);
    Ok(res)
}

async fn admins_view(state: &AppState, me: &repo::AdminRow, notice: Option<(T, bool)>) -> AppResult<AdminsView> {
    let rows = repo::in_subtree(&state.db.pool, me.org_id)
        .await?
        .into_iter()
        .map(|r| AdminListRow {
            id: r.id,
            username: r.info.username,
            display_name: r.info.display_name,
            org_name: r.info.org_name,
            roles: r.info.roles,
            disabled: r.disabled,
            last_active: r.last_active_at.map(crate::calendar::format_local).unwrap_or_default(),
        })
        .collect();
    let orgs = crate::org::repo::subtree(&state.db.pool, me.org_id).await?;
    Ok(AdminsView { admin: me.info(), rows, orgs, notice })
}

pub async fn admins_get(State(state): State<AppState>, me: Allowed<AdminKeeper>) -> AppResult<Page<AdminsView>> {
    Ok(Page::ok(admins_view(&state, &me.admin, None).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewAdminForm {
    username: String,
    display_name: String,
    phone: String,
    org: String,
    roles: Vec<String>,
    password: String,
}

pub async fn admins_post(
    State(state): State<AppState>,
    me: Allowed<AdminKeeper>,
    Form(form): Form<NewAdminForm>,
) -> AppResult<Page<AdminsView>> {
    let roles: Option<Vec<Role>> = form.roles.iter().map(|r| Role::parse(r)).collect();
    let result = match roles {
        Some(roles) => {
            let input = NewAdminInput {
                username: form.username,
                display_name: form.display_name,
                phone: form.phone,
                org_id: form.org.parse().unwrap_or(-1),
                roles,
                password: form.password,
            };
            service::create_admin(&state, Creator::Admin(&me.admin), &me.ip, input).await?
        }
        None => Err(T::AdminRefused),
    };
    let notice = match result {
        Ok(_) => (T::AdminCreated, true),
        Err(t) => (t, false),
    };
    Ok(Page::ok(admins_view(&state, &me.admin, Some(notice)).await?))
}

pub async fn disable_post(State(state): State<AppState>, me: Allowed<AdminKeeper>, Path(id): Path<i64>) -> AppResult<Response> {
    set_disabled(&state, &me, id, true).await
}

pub async fn enable_post(State(state): State<AppState>, me: Allowed<AdminKeeper>, Path(id): Path<i64>) -> AppResult<Response> {
    set_disabled(&state, &me, id, false).await
}

async fn set_disabled(state: &AppState, me: &Allowed<AdminKeeper>, id: i64, disabled: bool) -> AppResult<Response> {
    if !service::set_disabled(state, &me.admin, &me.ip, id, disabled).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/admin/admins").into_response())
}

pub async fn audit_get(State(state): State<AppState>, me: Allowed<CityAdmin>) -> AppResult<Page<AuditView>> {
    let chain = audit::verify(&state).await?;
    let rows = repo::audit_rows(&state.db.pool, 200).await?;
    Ok(Page::ok(AuditView { admin: me.admin.info(), rows, chain }))
}
