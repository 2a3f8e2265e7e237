//! The HTTP surface: every route of every area, the site's own pages (home, privacy, language,
//! health), static files with long cache lifetimes for hashed assets, the guards, and serving
//! with TCP_NODELAY. Handlers return page values; `render::render_pages` makes them HTML.
use super::shell::SitePage;
use crate::i18n::Lang;
use crate::server::state::AppState;
use crate::server::web::{safe_local_path, Page, LANG_COOKIE};
use crate::server::{guard, telemetry};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, Request};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use std::net::SocketAddr;
use tower_http::services::ServeDir;

async fn home() -> Page<SitePage> {
    Page::ok(SitePage::Home)
}

async fn privacy() -> Page<SitePage> {
    Page::ok(SitePage::Privacy)
}

async fn not_found() -> Response {
    Page::not_found().into_response()
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

/// Sets the language cookie and goes back to a page of this site (anything else: home).
async fn set_lang(Path(tag): Path<String>, Query(q): Query<Next>) -> Response {
    let lang = Lang::from_tag(&tag).unwrap_or_default();
    let next = q.next.as_deref().and_then(|n| safe_local_path(n, None)).unwrap_or_else(|| "/".into());
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.short());
    let mut res = Redirect::to(&next).into_response();
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii cookie"));
    res
}

/// Server functions. Arguments that do not decode are the caller's fault: 400, not the 500
/// the framework gives every error.
async fn server_fns(State(state): State<AppState>, req: Request<Body>) -> Response {
    let res = leptos_axum::handle_server_fns_with_context(move || provide_context(state.clone()), req).await.into_response();
    if res.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    if ["Args|", "Deserialization|", "MissingArg|", "Request|"].iter().any(|p| bytes.starts_with(p.as_bytes())) {
        parts.status = axum::http::StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

pub fn router(state: AppState) -> Router {
    // Leptos renders on tokio; `leptos_routes` would set this up, our handlers render directly.
    let _ = any_spawner::Executor::init_tokio();
    let site_root = state.leptos_options.site_root.to_string();
    // Build-time compressed copies (`.br`, `.gz`) are served when the browser takes them.
    let static_files = ServeDir::new(&site_root).precompressed_br().precompressed_gzip().fallback(get(not_found));
    let hashed = state.leptos_options.hash_files;
    let static_files = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn(move |req: Request<Body>, next: axum::middleware::Next| cache_static(hashed, req, next)))
        .service(static_files);
    let site = super::render::SiteState::new(state.clone());
    let observe = telemetry::Observe { metrics: state.metrics.clone(), trust_proxy_id: state.config.trusted_proxy_hops > 0 };
    use crate::{admin, benefit, channel, command, event, hall, join, legal, library, member, review, roster, transfer, workdays};
    Router::new()
        .route("/", get(home))
        .route("/privacy", get(privacy))
        .route("/join", get(join::http::join_get).post(join::http::join_post))
        .route("/j/{code}", get(join::http::channel_get).post(join::http::channel_post))
        .route("/j/{code}/poster", get(channel::http::poster))
        .route("/s/{token}", get(join::http::status_get).post(join::http::status_post))
        .route("/lang/{tag}", get(set_lang))
        .route("/api/{*fn_name}", post(server_fns))
        .route("/healthz", get(super::ops::healthz))
        .route("/readyz", get(super::ops::readyz))
        .route("/metrics", get(super::ops::metrics))
        .route("/admin/login", get(admin::http::login_get).post(admin::http::login_post))
        .route("/admin/logout", post(admin::http::logout))
        .route("/admin/admins", get(admin::http::admins_get).post(admin::http::admins_post))
        .route("/admin/admins/{id}/disable", post(admin::http::disable_post))
        .route("/admin/admins/{id}/enable", post(admin::http::enable_post))
        .route("/admin/audit", get(admin::http::audit_get))
        .route("/admin", get(review::http::queue))
        .route("/admin/a/{id}", get(review::http::detail))
        .route("/admin/a/{id}/decide", post(review::http::decide))
        .route("/admin/a/{id}/undo", post(review::http::undo))
        .route("/admin/a/{id}/reveal", post(review::http::reveal))
        .route("/admin/bulk-approve", post(review::http::bulk))
        .route("/admin/calendar", get(workdays::http::calendar_get))
        .route("/admin/calendar/hours", post(workdays::http::hours_post))
        .route("/admin/calendar/override", post(workdays::http::override_post))
        .route("/admin/calendar/remove", post(workdays::http::remove_post))
        .route("/admin/calendar/publish", post(workdays::http::publish_post))
        .route("/admin/stats", get(workdays::http::stats_get))
        // The command centre.
        .route("/admin/command", get(command::http::board))
        .route("/admin/command/live", get(command::http::live))
        .route("/admin/command/overdue", get(command::http::overdue))
        .route("/admin/command/overdue/{id}/chase", post(command::http::chase))
        // The turnover pool and membership transfers.
        .route("/admin/pool", get(transfer::http::pool_get))
        .route("/admin/pool/place", post(transfer::http::place_post))
        .route("/admin/members/{id}/transfer", get(transfer::http::member_get).post(transfer::http::member_post))
        .route("/admin/transfers", get(transfer::http::transfers_get))
        .route("/admin/transfers/{id}/accept", post(transfer::http::accept_post))
        .route("/admin/transfers/{id}/decline", post(transfer::http::decline_post))
        .route("/admin/transfers/{id}/cancel", post(transfer::http::cancel_post))
        // Rosters out and in.
        .route("/admin/members", get(roster::http::members))
        .route("/admin/exports", post(roster::http::export_post))
        .route("/admin/exports/{id}", get(roster::http::export_get))
        .route("/admin/exports/{id}/download", get(roster::http::download))
        .route(
            "/admin/import",
            get(roster::http::import_get)
                .post(roster::http::import_post)
                .layer(axum::extract::DefaultBodyLimit::max(crate::roster::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/admin/import/template.xlsx", get(roster::http::template_xlsx))
        .route("/admin/import/template.csv", get(roster::http::template_csv))
        .route("/admin/import/{id}", get(roster::http::batch_get))
        .route("/admin/import/{id}/report.xlsx", get(roster::http::report))
        .route("/admin/import/{id}/confirm", post(roster::http::confirm))
        // member
        .route("/me/login", get(member::http::login_get).post(member::http::login_post))
        .route("/me/logout", post(member::http::logout_post))
        .route("/me", get(member::http::me_get))
        .route("/me/card", get(member::card_http::card_get))
        .route("/v/{code}", get(member::card_http::verify_get))
        .route("/me/data", get(member::data_http::data_get))
        .route("/me/data.json", get(member::data_http::data_json))
        .route("/me/data/correct", post(member::data_http::correct_post))
        .route("/me/data/phone", post(member::data_http::phone_post))
        .route("/me/data/transfer", post(member::data_http::transfer_post))
        .route("/me/leave", get(member::data_http::leave_get).post(member::data_http::leave_post))
        .route("/me/left", get(member::data_http::left_get))
        // benefits
        .route("/admin/benefits", get(benefit::http::admin_get))
        .route("/admin/benefits/partners", post(benefit::http::partner_post))
        .route("/admin/benefits/merchants", post(benefit::http::merchant_post))
        .route("/admin/benefits/staff", post(benefit::http::staff_post))
        .route("/admin/benefits/campaigns", post(benefit::http::campaign_post))
        .route("/admin/benefits/{id}", get(benefit::http::campaign_get))
        .route("/admin/benefits/{id}/export", get(benefit::http::export))
        .route("/admin/benefits/redemptions/{id}/reverse", post(benefit::http::admin_reverse))
        .route("/me/benefits", get(benefit::me::my_get))
        .route("/me/benefits/{id}/claim", post(benefit::me::claim_post))
        .route("/me/benefits/coupons/{id}", get(benefit::me::coupon_get))
        .route("/me/benefits/coupons/{id}/code", post(benefit::me::code_post))
        .route("/merchant", get(benefit::http::merchant_get))
        .route("/merchant/staff", post(benefit::http::merchant_staff_post))
        .route("/merchant/redeem", get(benefit::http::redeem_get).post(benefit::http::redeem_post))
        .route("/merchant/redemptions/{id}/reverse", post(benefit::http::merchant_reverse))
        // the service hall
        .route("/hall", get(hall::http::hall_get))
        .route(
            "/hall/{code}",
            get(hall::http::service_get)
                .post(hall::http::service_post)
                .layer(axum::extract::DefaultBodyLimit::max(crate::hall::POST_MAX_BYTES)),
        )
        .route("/me/requests", get(hall::http::mine_get))
        .route("/me/requests/{id}", get(hall::http::my_request_get))
        .route("/me/requests/{id}/supplement", post(hall::http::supplement_post))
        .route("/me/requests/{id}/files/{file}", get(hall::http::my_file))
        .route("/admin/hall", get(hall::admin_http::queue_get))
        .route("/admin/hall/{id}", get(hall::admin_http::request_get))
        .route("/admin/hall/{id}/step", post(hall::admin_http::step_post))
        .route("/admin/hall/{id}/reveal", post(hall::admin_http::reveal_post))
        .route("/admin/hall/{id}/files/{file}", get(hall::admin_http::file_get))
        .route(
            "/admin/hall/file/{code}",
            get(hall::admin_http::file_for_get)
                .post(hall::admin_http::file_for_post)
                .layer(axum::extract::DefaultBodyLimit::max(crate::hall::POST_MAX_BYTES)),
        )
        .route("/admin/services", get(hall::catalogue::list_get))
        .route("/admin/services/new", get(hall::catalogue::new_get).post(hall::catalogue::new_post))
        .route("/admin/services/{id}", get(hall::catalogue::edit_get).post(hall::catalogue::edit_post))
        // events and training
        .route("/events", get(event::http::list))
        .route("/events/{id}", get(event::http::detail))
        .route("/events/{id}/signup", post(event::http::sign_up))
        .route("/events/{id}/cancel", post(event::http::cancel))
        .route("/events/{id}/ticket", post(event::http::ticket))
        .route("/admin/events", get(event::admin_http::list).post(event::admin_http::create))
        .route("/admin/events/{id}", get(event::admin_http::detail))
        .route("/admin/events/{id}/door", post(event::admin_http::door))
        .route("/admin/events/ticket/{token}", get(event::admin_http::ticket_get).post(event::admin_http::ticket_post))
        // library
        .route("/library", get(library::http::library_get))
        .route("/admin/library", get(library::http::admin_get).post(library::http::admin_post))
        .route("/admin/library/{id}", get(library::http::counter_get))
        .route("/admin/library/{id}/lend", post(library::http::lend_post))
        .route("/admin/library/{id}/return", post(library::http::return_post))
        .route("/admin/library/{id}/copies", post(library::http::copies_post))
        // legal aid
        .route("/legal", get(legal::http::home_get).post(legal::http::book_post))
        .route("/legal/bookings/{id}/cancel", post(legal::http::cancel_post))
        .route("/legal/ask", get(legal::http::ask_get).post(legal::http::ask_post))
        .route("/legal/questions/{id}", get(legal::http::question_get))
        .route("/admin/legal", get(legal::http::admin_get))
        .route("/admin/legal/stations", post(legal::http::station_post))
        .route("/admin/legal/{id}", get(legal::http::station_get))
        .route("/admin/legal/{id}/lawyers", post(legal::http::lawyer_post))
        .route("/admin/legal/{id}/rota", post(legal::http::rota_post))
        .route("/lawyer", get(legal::http::lawyer_get))
        .route("/lawyer/questions/{id}", get(legal::http::lawyer_question_get).post(legal::http::answer_post))
        .fallback_service(static_files)
        .layer(axum::middleware::from_fn_with_state(site, super::render::render_pages))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(state.config.clone(), guard::same_origin_only))
        // Outermost: the request id and the timing cover every layer above.
        .layer(axum::middleware::from_fn_with_state(observe, telemetry::observe))
        .with_state(state)
}

/// Hashed build outputs (`/pkg/ejia.<hash>.wasm` …) never change: a year, `immutable`. Other
/// files are checked again each time (their names stay when their content changes).
async fn cache_static(hashed: bool, req: Request<Body>, next: axum::middleware::Next) -> Response {
    // No file has a name longer than the file system allows: not found, without asking it
    // (it would answer ENAMETOOLONG, a 500).
    if req.uri().path().split('/').any(|segment| segment.len() > 255) {
        return not_found().await;
    }
    let long = hashed && req.uri().path().starts_with("/pkg/");
    let mut res = next.run(req).await;
    if res.status().is_success() {
        let value = if long { "public, max-age=31536000, immutable" } else { "no-cache" };
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}

/// Serves until the stop signal, then stops accepting and returns once the requests in flight
/// are answered (live streams end on the signal too); every accepted socket gets TCP_NODELAY
/// (without it keep-alive responses stall ~40 ms on delayed ACKs).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let stop = state.shutdown.clone();
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move { stop.wait().await })
        .await
}
