//! The HTTP surface: the router, page rendering through Leptos with the page's data handed in
//! as context, static files, language choice, and serving with TCP_NODELAY.
use super::error::{AppError, AppResult};
use super::guard;
use super::state::AppState;
use crate::app::{PageData, PosterView};
use crate::i18n::Lang;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use std::net::SocketAddr;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

pub const LANG_COOKIE: &str = "ejia_lang";

/// The reader's language: `?lang=` first, then the cookie, else Chinese.
pub fn lang_of(headers: &HeaderMap, uri: &Uri) -> Lang {
    let from_query = uri.query().and_then(|q| {
        q.split('&').find_map(|kv| kv.strip_prefix("lang=")).and_then(Lang::from_tag)
    });
    let from_cookie = || {
        headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
            c.trim().strip_prefix(LANG_COOKIE).and_then(|r| r.strip_prefix('=')).and_then(Lang::from_tag)
        })
    };
    from_query.or_else(from_cookie).unwrap_or_default()
}

/// Renders the whole page (no streaming: it must work without JavaScript) with its data.
pub async fn render_page(state: &AppState, req: Request<Body>, page: PageData, status: StatusCode) -> AppResult<Response> {
    let lang = lang_of(req.headers(), req.uri());
    let options = state.leptos_options.clone();
    let st = state.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(st.clone());
            provide_context(page.clone());
            provide_context(lang);
        },
        move || crate::app::shell(options.clone()),
    );
    let mut res = handler(req).await;
    *res.status_mut() = status;
    Ok(res.into_response())
}

async fn home(State(state): State<AppState>, req: Request<Body>) -> AppResult<Response> {
    render_page(&state, req, PageData::Home, StatusCode::OK).await
}

async fn privacy(State(state): State<AppState>, req: Request<Body>) -> AppResult<Response> {
    render_page(&state, req, PageData::Privacy, StatusCode::OK).await
}

async fn not_found(State(state): State<AppState>, req: Request<Body>) -> AppResult<Response> {
    render_page(&state, req, PageData::NotFound, StatusCode::NOT_FOUND).await
}

async fn poster(State(state): State<AppState>, Path(code): Path<String>, req: Request<Body>) -> AppResult<Response> {
    let channel = match crate::channel::normalize_code(&code) {
        Some(code) => crate::channel::repo::active_by_code(&state.db.pool, &code).await?,
        None => None,
    };
    let Some((_, channel)) = channel else {
        return render_page(&state, req, PageData::NotFound, StatusCode::NOT_FOUND).await;
    };
    let link = format!("{}/j/{}", state.config.public_url, channel.code);
    let qr_svg = crate::channel::qr_svg(&link).map_err(|e| AppError::Internal(anyhow::anyhow!("QR code: {e:?}")))?;
    let mut res = render_page(&state, req, PageData::Poster(PosterView { channel, link, qr_svg }), StatusCode::OK).await?;
    res.headers_mut().insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    Ok(res)
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

/// Sets the language cookie and goes back; works without JavaScript.
async fn set_lang(Path(tag): Path<String>, Query(q): Query<Next>) -> Response {
    let lang = Lang::from_tag(&tag).unwrap_or_default();
    let next = q.next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\')).unwrap_or_else(|| "/".into());
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.short());
    let mut res = Redirect::to(&next).into_response();
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii cookie"));
    res
}

async fn server_fns(State(state): State<AppState>, req: Request<Body>) -> Response {
    leptos_axum::handle_server_fns_with_context(move || provide_context(state.clone()), req).await.into_response()
}

async fn healthz(State(state): State<AppState>) -> AppResult<&'static str> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok("ok")
}

pub fn router(state: AppState) -> Router {
    // Leptos renders on tokio; `leptos_routes` would set this up, our handlers render directly.
    let _ = any_spawner::Executor::init_tokio();
    let site_root = state.leptos_options.site_root.to_string();
    let static_files = ServeDir::new(&site_root).fallback(axum::routing::any(not_found).with_state(state.clone()));
    Router::new()
        .route("/", get(home))
        .route("/privacy", get(privacy))
        .route("/join", get(crate::join::http::join_get).post(crate::join::http::join_post))
        .route("/j/{code}", get(crate::join::http::channel_get).post(crate::join::http::channel_post))
        .route("/j/{code}/poster", get(poster))
        .route("/s/{token}", get(crate::join::http::status_get).post(crate::join::http::status_post))
        .route("/lang/{tag}", get(set_lang))
        .route("/api/{*fn_name}", post(server_fns))
        .route("/healthz", get(healthz))
        .route("/admin/login", get(crate::admin::http::login_get).post(crate::admin::http::login_post))
        .route("/admin/logout", post(crate::admin::http::logout))
        .route("/admin/admins", get(crate::admin::http::admins_get).post(crate::admin::http::admins_post))
        .route("/admin/admins/{id}/disable", post(crate::admin::http::disable_post))
        .route("/admin/admins/{id}/enable", post(crate::admin::http::enable_post))
        .route("/admin/audit", get(crate::admin::http::audit_get))
        .route("/admin", get(crate::review::http::queue))
        .route("/admin/a/{id}", get(crate::review::http::detail))
        .route("/admin/a/{id}/decide", post(crate::review::http::decide))
        .route("/admin/a/{id}/undo", post(crate::review::http::undo))
        .route("/admin/a/{id}/reveal", post(crate::review::http::reveal))
        .route("/admin/bulk-approve", post(crate::review::http::bulk))
        .route("/admin/calendar", get(crate::workdays::http::calendar_get))
        .route("/admin/calendar/hours", post(crate::workdays::http::hours_post))
        .route("/admin/calendar/override", post(crate::workdays::http::override_post))
        .route("/admin/calendar/remove", post(crate::workdays::http::remove_post))
        .route("/admin/calendar/publish", post(crate::workdays::http::publish_post))
        .route("/admin/stats", get(crate::workdays::http::stats_get))
        .fallback_service(static_files)
        .layer(axum::middleware::from_fn(guard::same_origin_only))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// Serves until the process ends; every accepted socket gets TCP_NODELAY (without it
/// keep-alive responses stall ~40 ms on delayed ACKs).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>()).await
}
