//! Turns the page values handlers return (`server::web::Page<V>`) into whole HTML documents:
//! a layer round the router sees a response carrying a view, renders the shell with it through
//! Leptos (no streaming: pages must work without JavaScript) and keeps the handler's status and
//! headers. Admin pages are never stored by a browser or proxy.
use super::shell::PageData;
use crate::server::state::AppState;
use crate::server::web::{lang_of, PendingPage};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::provide_context;

/// What the renderer needs beside the application state: the stylesheet's address, worked
/// out once (with hashed file names it carries the build's hash).
#[derive(Clone)]
pub struct SiteState {
    app: AppState,
    css: super::shell::StylesheetHref,
}

impl SiteState {
    pub fn new(app: AppState) -> SiteState {
        let css = super::shell::StylesheetHref(stylesheet_href(&app.leptos_options).into());
        SiteState { app, css }
    }
}

/// `/pkg/ejia.css`, or `/pkg/ejia.<hash>.css` when cargo-leptos hashed the build's files (its
/// hash file lies beside the server binary, as Leptos' own hydration scripts expect).
fn stylesheet_href(options: &leptos::config::LeptosOptions) -> String {
    let mut name = options.output_name.to_string();
    if options.hash_files {
        let hashes = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        match hashes.lines().find_map(|l| l.strip_prefix("css:")) {
            Some(hash) => name.push_str(&format!(".{}", hash.trim())),
            None => tracing::warn!("file hashing is on but the hash file names no stylesheet"),
        }
    }
    format!("/{}/{name}.css", options.site_pkg_dir)
}

/// Renders a page for these request parts, with a Content-Security-Policy whose nonce admits
/// only this response's own start-up script.
pub async fn render(site: &SiteState, parts: axum::http::request::Parts, page: PageData, framable: bool) -> Response {
    let lang = lang_of(&parts.headers, &parts.uri);
    let options = site.app.leptos_options.clone();
    let st = site.app.clone();
    let css = site.css.clone();
    let request_ref = parts.extensions.get::<crate::server::telemetry::RequestId>().map(|r| super::shell::RequestRef(r.0.as_str().into()));
    let nonce = crate::server::crypto::random_token();
    let csp = crate::server::guard::content_security_policy(Some(&nonce), framable);
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(st.clone());
            provide_context(page.clone());
            provide_context(lang);
            provide_context(css.clone());
            if let Some(r) = request_ref.clone() {
                provide_context(r);
            }
            provide_context(leptos::nonce::Nonce::from_value(nonce.clone()));
        },
        move || super::shell::shell(options.clone()),
    );
    let mut res = handler(Request::from_parts(parts, Body::empty())).await.into_response();
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("ascii policy"));
    res
}

/// The layer: every response that carries a page value leaves as its rendered page.
pub async fn render_pages(State(site): State<SiteState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let keep = parts.clone();
    let res = next.run(Request::from_parts(parts, body)).await;
    let admin = keep.uri.path().starts_with("/admin");
    let mut res = match res.extensions().get::<PendingPage>().cloned() {
        None => match bare_rejection(&res, keep.uri.path(), &keep.method) {
            Some(message) => {
                let status = res.status();
                let mut page = render(&site, keep, PageData::Error(message), false).await;
                *page.status_mut() = status;
                page.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                page
            }
            None => res,
        },
        Some(PendingPage(view)) => {
            let (mut handler_parts, _) = res.into_parts();
            let page = PageData::from_view(view).unwrap_or_else(|| {
                tracing::error!(path = %crate::server::web::loggable_path(keep.uri.path()), "a handler returned a view no page shows");
                handler_parts.status = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                PageData::Error(crate::i18n::T::Busy)
            });
            let framable = handler_parts.headers.get("x-frame-options").is_some_and(|v| v == "SAMEORIGIN");
            let mut page = render(&site, keep, page, framable).await;
            *page.status_mut() = handler_parts.status;
            handler_parts.headers.remove(header::CONTENT_LENGTH);
            handler_parts.headers.remove(header::CONTENT_TYPE);
            for name in handler_parts.headers.keys() {
                page.headers_mut().remove(name);
            }
            for (name, value) in handler_parts.headers.iter() {
                page.headers_mut().append(name.clone(), value.clone());
            }
            page
        }
    };
    if admin {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A request refused before any handler ran (an address segment or query that does not parse,
/// a body too large or of another type): the framework answers in plain text; a person reads
/// a page, with the words for it. Machine endpoints keep their own answers.
fn bare_rejection(res: &Response, path: &str, method: &axum::http::Method) -> Option<crate::i18n::T> {
    use crate::i18n::T;
    let status = res.status();
    let plain = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/plain"));
    let machine = ["/api/", "/metrics", "/healthz", "/readyz"].iter().any(|p| path.starts_with(p));
    if !status.is_client_error() || !plain || machine {
        return None;
    }
    Some(if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        T::FormTooLarge
    } else if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        T::BadAddress
    } else {
        T::FormMalformed
    })
}
