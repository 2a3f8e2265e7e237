//! The member pages over plain HTTP: sign in and out, 我的. Every form works without
//! JavaScript (POST, then 303 or the form again with the input kept and errors beside their
//! fields); member pages are never stored by a browser or a proxy.
use super::auth::{self, LoginAnswer, SignedMember};
use super::repo;
use super::types::{LoginForm, LoginView, MeView};
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::{ClientIp, Form, Page};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

pub async fn login_get(Query(q): Query<NextQuery>) -> Page<LoginView> {
    Page::ok(LoginView { next: auth::safe_next(&q.next), ..LoginView::default() }).no_store()
}

pub async fn login_post(State(state): State<AppState>, ClientIp(ip): ClientIp, Form(form): Form<LoginForm>) -> AppResult<Response> {
    match auth::handle(&state, form, &ip).await? {
        LoginAnswer::SignedIn { token, next } => {
            let mut res = Redirect::to(&next).into_response();
            let cookie = HeaderValue::from_str(&auth::COOKIE.set(&state, &token)).map_err(anyhow::Error::from)?;
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(res)
        }
        LoginAnswer::Form(view) => Ok(Page::ok(view).no_store().into_response()),
    }
}

pub async fn logout_post(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    auth::sign_out(&state, &headers).await?;
    let mut res = Redirect::to("/me/login").into_response();
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&auth::COOKIE.clear(&state)).map_err(anyhow::Error::from)?);
    Ok(res)
}

/// 我的: the member card, the union history, my applications and requests.
pub async fn me_get(State(state): State<AppState>, member: SignedMember) -> AppResult<Page<MeView>> {
    let pool = &state.db.pool;
    let Some((name, member_no, union, joined_at, _)) = repo::card_facts(pool, member.member_id).await? else {
        return Err(AppError::NotFound);
    };
    let fmt = crate::calendar::format_local;
    let (applications, requests) = super::data::my_items(pool, &member).await?;
    let view = MeView {
        name_masked: crate::domain::PersonName::mask_stored(&name),
        member_no,
        union,
        member_since: fmt(joined_at).chars().take(10).collect(),
        history: crate::transfer::repo::moves::history(pool, member.member_id).await?,
        applications,
        requests,
        notice: None,
    };
    Ok(Page::ok(view).no_store())
}
