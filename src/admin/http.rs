//! Admin HTTP: sign in and out, the registry (create, disable and re-enable admins under the
//! rules of `service`), the audit trail for the city admin.
use super::auth::{self, LoginOutcome, SignedIn};
use super::repo;
use super::service::{self, Creator, NewAdminInput};
use super::{AdminListRow, AdminsView, AuditRowView, AuditView, LoginView, Role};
use crate::app::PageData;
use crate::i18n::T;
use crate::server::audit;
use crate::server::client_ip::client_ip;
use crate::server::error::{AppError, AppResult};
use crate::server::http::render_page;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::Row;

const MAX_FORM: usize = 16 * 1024;

pub async fn read_form<T: serde::de::DeserializeOwned>(body: Body) -> AppResult<T> {
    let bytes = axum::body::to_bytes(body, MAX_FORM).await.map_err(|_| AppError::BadRequest("表单内容过长 / Form too large"))?;
    serde_html_form::from_bytes(&bytes).map_err(|_| AppError::BadRequest("表单格式不正确 / Malformed form"))
}

fn safe_next(next: &str) -> String {
    if next.starts_with("/admin") && !next.starts_with("//") { next.to_string() } else { "/admin".into() }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

pub async fn login_get(State(state): State<AppState>, Query(q): Query<NextQuery>, req: Request<Body>) -> AppResult<Response> {
    let view = LoginView { next: safe_next(&q.next), username: String::new(), error: None, captcha: None, stopped_until: None };
    render_page(&state, req, PageData::AdminLogin(view), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
}

pub async fn login_post(State(state): State<AppState>, req: Request<Body>) -> AppResult<Response> {
    let (parts, body) = req.into_parts();
    let form: LoginForm = read_form(body).await?;
    let ip = client_ip(&parts, state.config.trusted_proxy_hops);
    let (error, stopped_until) = match auth::login(&state, &form.username, &form.password, &ip).await? {
        LoginOutcome::Ok { token, .. } => {
            let mut res = Redirect::to(&safe_next(&form.next)).into_response();
            res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&auth::session_cookie(&state, &token)).map_err(anyhow::Error::from)?);
            return Ok(res);
        }
        LoginOutcome::Refused => (T::LoginRefused, None),
        // "HH:MM" in China time.
        LoginOutcome::Stopped { until } => (T::TooManyAttempts, crate::calendar::format_local(until).get(11..).map(str::to_string)),
    };
    let view = LoginView { next: safe_next(&form.next), username: form.username.trim().chars().take(64).collect(), error: Some(error), captcha: None, stopped_until };
    render_page(&state, Request::from_parts(parts, Body::empty()), PageData::AdminLogin(view), StatusCode::OK).await
}

pub async fn logout(State(state): State<AppState>, req: Request<Body>) -> AppResult<Response> {
    auth::logout(&state, req.headers()).await?;
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
    let orgs = crate::review::repo::subtree_orgs(&state.db.pool, me.org_id)
        .await?
        .into_iter()
        .map(|(id, name, depth)| crate::review::OrgChoice { id, name, depth })
        .collect();
    Ok(AdminsView { admin: me.info(), rows, orgs, notice })
}

pub async fn admins_get(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    if !me.admin.info().can_manage_admins() {
        return render_page(&state, req, PageData::NotFound, StatusCode::NOT_FOUND).await;
    }
    let view = admins_view(&state, &me.admin, None).await?;
    render_page(&state, req, PageData::Admins(view), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewAdminForm {
    username: String,
    display_name: String,
    phone: String,
    org: String,
    roles: Vec<String>,
    password: String,
}

pub async fn admins_post(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    let (parts, body) = req.into_parts();
    let form: NewAdminForm = read_form(body).await?;
    let roles: Option<Vec<Role>> = form.roles.iter().map(|r| Role::parse(r)).collect();
    let result = match roles {
        Some(roles) => {
            let input = NewAdminInput { username: form.username, display_name: form.display_name, phone: form.phone, org_id: form.org.parse().unwrap_or(-1), roles, password: form.password };
            service::create_admin(&state, Creator::Admin(&me.admin), &me.ip, input).await?
        }
        None => Err(T::AdminRefused),
    };
    let notice = match result {
        Ok(_) => (T::AdminCreated, true),
        Err(t) => (t, false),
    };
    if !me.admin.info().can_manage_admins() {
        return render_page(&state, Request::from_parts(parts, Body::empty()), PageData::NotFound, StatusCode::NOT_FOUND).await;
    }
    let view = admins_view(&state, &me.admin, Some(notice)).await?;
    render_page(&state, Request::from_parts(parts, Body::empty()), PageData::Admins(view), StatusCode::OK).await
}

pub async fn disable_post(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>) -> AppResult<Response> {
    set_disabled(&state, &me, id, true).await
}

pub async fn enable_post(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>) -> AppResult<Response> {
    set_disabled(&state, &me, id, false).await
}

async fn set_disabled(state: &AppState, me: &SignedIn, id: i64, disabled: bool) -> AppResult<Response> {
    if !service::set_disabled(state, &me.admin, &me.ip, id, disabled).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/admin/admins").into_response())
}

pub async fn audit_get(State(state): State<AppState>, me: SignedIn, req: Request<Body>) -> AppResult<Response> {
    if !me.admin.info().has(Role::CityAdmin) {
        return render_page(&state, req, PageData::NotFound, StatusCode::NOT_FOUND).await;
    }
    let chain = audit::verify(&state).await?;
    let rows = sqlx::query(
        "SELECT l.id, l.at, COALESCE(a.username, '-') AS who, l.action, l.target, l.ip, l.outcome
         FROM audit_log l LEFT JOIN admins a ON a.id = l.admin_id ORDER BY l.id DESC LIMIT 200",
    )
    .fetch_all(&state.db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(AuditRowView {
            id: r.try_get("id")?,
            at: crate::calendar::format_local(r.try_get("at")?),
            who: r.try_get("who")?,
            action: r.try_get("action")?,
            target: r.try_get("target")?,
            ip: r.try_get("ip")?,
            outcome: r.try_get("outcome")?,
        })
    })
    .collect::<sqlx::Result<Vec<_>>>()?;
    render_page(&state, req, PageData::Audit(AuditView { admin: me.admin.info(), rows, chain }), StatusCode::OK).await
}
