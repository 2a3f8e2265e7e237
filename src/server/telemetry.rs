//! What every request leaves behind: a request id (in a response header, in every log line
//! written while it is handled, and on the error page a user sees, so a user's report finds its
//! log lines), its count and time in the metrics by route pattern, and a log line for a server
//! fault. Logs are text, or JSON lines with `EJIA_LOG_FORMAT=json`; neither ever holds a path's
//! token (routes are logged by their pattern) nor the body of a request.
use super::metrics::Metrics;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use tracing::Instrument;

/// This request's id (16 hex characters, or a proxy's `X-Request-Id` when proxies are trusted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A proxy's id is kept when it is plain (letters, digits, `-`, 8 to 64 of them).
fn plain_id(v: &str) -> bool {
    (8..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn new_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// What the layer needs: the metrics, and whether an incoming `X-Request-Id` comes from our
/// own proxy (only then is it kept).
#[derive(Clone)]
pub struct Observe {
    pub metrics: Arc<Metrics>,
    pub trust_proxy_id: bool,
}

/// The route as metrics and logs name it: the pattern it matched; `/pkg/…` files as one
/// route; anything else unmatched as one.
fn route_of(req: &Request) -> String {
    if let Some(p) = req.extensions().get::<MatchedPath>() {
        return p.as_str().to_string();
    }
    if req.uri().path().starts_with("/pkg/") {
        "/pkg/{file}".into()
    } else {
        "(static or unmatched)".into()
    }
}

/// The layer round every route (added last, so it times all the others).
pub async fn observe(State(o): State<Observe>, mut req: Request, next: Next) -> Response {
    let incoming = req.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).filter(|v| o.trust_proxy_id && plain_id(v));
    let id = incoming.map(str::to_string).unwrap_or_else(new_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    // A client may invent methods: only the standard ones get a label of their own.
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "PATCH") => m.to_string(),
        _ => "OTHER".to_string(),
    };
    let route = route_of(&req);
    let started = std::time::Instant::now();
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let mut res = next.run(req).instrument(span.clone()).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    o.metrics.request(&method, &route, status, seconds);
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, ms = (seconds * 1000.0) as u64, "answered with a server fault");
        } else {
            tracing::debug!(status, ms = (seconds * 1000.0) as u64, "answered");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    res
}

/// The log format `EJIA_LOG_FORMAT` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    pub fn parse(v: &str) -> Option<LogFormat> {
        match v.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Installs the process's log writer (standard error is for people, standard output for
/// commands' results): `RUST_LOG` filters, `EJIA_LOG_FORMAT` chooses text or JSON lines. An
/// unknown format falls back to text here; the configuration check then names it.
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    let format = std::env::var("EJIA_LOG_FORMAT").ok().and_then(|v| LogFormat::parse(&v)).unwrap_or(LogFormat::Text);
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).flatten_event(true).init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_from_a_proxy_are_kept() {
        assert!(plain_id("0123abcd-ef"));
        assert!(!plain_id("short"));
        assert!(!plain_id("has space in it"));
        assert!(!plain_id(&"a".repeat(65)));
        assert!(!plain_id("abc\r\nSet-Cookie: x"));
        assert_eq!(new_id().len(), 16);
    }

    #[test]
    fn log_formats() {
        assert_eq!(LogFormat::parse("JSON"), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse(""), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("xml"), None);
    }
}
