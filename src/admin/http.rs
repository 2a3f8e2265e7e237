//! Admin HTTP: sign in and out, the registry (create and disable admins inside one's subtree,
//! granting only roles one holds), the audit trail for the city admin.
use super::auth::{self, AdminKeeper, Allowed, CityAdmin, LoginOutcome};
use super::repo::{self, NewAdmin};
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
/// screens only; anything else goes to the queue.
fn safe_next(next: &str) -> String {
    safe_local_path(next, Some("/admin")).unwrap_or_else(|| "/admin".into())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

pub async fn login_get(Query(q): Query<NextQuery>) -> Page<LoginView> {
    Page::ok(LoginView { next: safe_next(&q.next), username: String::new(), error: None, captcha: None }).no_store()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: String,
    captcha_id: String,
    captcha_answer: String,
}

pub async fn login_post(State(state): State<AppState>, ClientIp(ip): ClientIp, Form(form): Form<LoginForm>) -> AppResult<Response> {
    let now = state.now();
    let mut captcha_ok = false;
    if !form.captcha_id.is_empty() {
        let mut tx = state.db.begin_write().await?;
        captcha_ok = crate::join::captcha::solve(&mut tx, &state.keys, &form.captcha_id, &form.captcha_answer, now).await?;
        tx.commit().await?;
    }
    let outcome = auth::login(&state, &form.username, &form.password, &ip, captcha_ok).await?;
    let (error, captcha) = match outcome {
        LoginOutcome::Ok { token, .. } => {
            let mut res = Redirect::to(&safe_next(&form.next)).into_response();
            res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&auth::session_cookie(&state, &token)).map_err(anyhow::Error::from)?);
            return Ok(res);
        }
        LoginOutcome::Refused { captcha_needed } => (T::LoginRefused, captcha_needed),
        LoginOutcome::CaptchaNeeded => (T::LoginCaptcha, true),
    };
    let captcha = if captcha {
        let mut tx = state.db.begin_write().await?;
        let c = crate::join::captcha::create(&mut tx, &state.keys, &ip, now).await?;
        tx.commit().await?;
        Some(c)
    } else {
        None
    };
    let view = LoginView { next: safe_next(&form.next), username: form.username.trim().chars().take(64).collect(), error: Some(error), captcha };
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

/// A manager creates admins only inside their subtree and grants only roles they hold.
#[allow(clippy::too_many_arguments)] // one argument a form field; a request struct would be the fix
pub async fn create_admin_by(state: &AppState, me: &repo::AdminRow, ip: &str, username: &str, display_name: &str, phone: &str, org_id: i64, roles: &[Role], password: &str) -> AppResult<Result<i64, T>> {
    let info = me.info();
    let username = username.trim().to_lowercase();
    let allowed = info.can_manage_admins()
        && !roles.is_empty()
        && roles.iter().all(|r| info.has(*r))
        && crate::org::repo::is_within(&state.db.pool, org_id, me.org_id).await?;
    let now = state.now();
    if !allowed {
        audit::record_alone(&state.db, now, me.audit("admin_create", &format!("admin:{username}"), ip, "refused", &Role::join(roles))).await?;
        return Ok(Err(T::AdminRefused));
    }
    if username.len() < 3 || username.len() > 32 || !username.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
        return Ok(Err(T::Username));
    }
    if password.chars().count() < 10 {
        return Ok(Err(T::PasswordTooShort));
    }
    let hash = auth::hash_password(password)?;
    let phone = crate::domain::Phone::parse(phone).ok();
    let mut tx = state.db.begin_write().await?;
    let display = if display_name.trim().is_empty() { username.as_str() } else { display_name.trim() };
    let id = match repo::insert(&mut tx, NewAdmin { username: &username, display_name: display, org_id, roles, password_hash: &hash, phone: phone.as_ref().map(|p| p.as_str()), created_by: Some(me.id) }, now).await {
        Ok(id) => id,
        Err(e) if crate::server::db::is_unique_violation(&e) => return Ok(Err(T::UsernameTaken)),
        Err(e) => return Err(e.into()),
    };
    audit::record(&mut tx, state.db.backend, now, me.audit("admin_create", &format!("admin:{id}"), ip, "ok", &Role::join(roles))).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

pub async fn admins_post(State(state): State<AppState>, me: Allowed<AdminKeeper>, Form(form): Form<NewAdminForm>) -> AppResult<Page<AdminsView>> {
    let roles: Option<Vec<Role>> = form.roles.iter().map(|r| Role::parse(r)).collect();
    let org_id: i64 = form.org.parse().unwrap_or(-1);
    let result = match roles {
        Some(roles) => create_admin_by(&state, &me.admin, &me.ip, &form.username, &form.display_name, &form.phone, org_id, &roles, &form.password).await?,
        None => Err(T::AdminRefused),
    };
    let notice = match result {
        Ok(_) => (T::AdminCreated, true),
        Err(t) => (t, false),
    };
    Ok(Page::ok(admins_view(&state, &me.admin, Some(notice)).await?))
}

pub async fn disable_post(State(state): State<AppState>, me: Allowed<AdminKeeper>, Path(id): Path<i64>) -> AppResult<Response> {
    let now = state.now();
    let target = repo::by_id(&state.db.pool, id).await?;
    let allowed = match &target {
        Some(t) => me.admin.info().can_manage_admins() && t.id != me.admin.id && crate::org::repo::is_within(&state.db.pool, t.org_id, me.admin.org_id).await?,
        None => false,
    };
    let mut tx = state.db.begin_write().await?;
    if allowed {
        repo::disable(&mut tx, id).await?;
    }
    audit::record(&mut tx, state.db.backend, now, me.admin.audit("admin_disable", &format!("admin:{id}"), &me.ip, if allowed { "ok" } else { "not_found" }, "")).await?;
    tx.commit().await?;
    if !allowed {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/admin/admins").into_response())
}

pub async fn audit_get(State(state): State<AppState>, me: Allowed<CityAdmin>) -> AppResult<Page<AuditView>> {
    let chain = audit::verify(&state.db).await?;
    let rows = repo::audit_rows(&state.db.pool, 200).await?;
    Ok(Page::ok(AuditView { admin: me.admin.info(), rows, chain }))
}
