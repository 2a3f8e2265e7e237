//! Router-wide guards: refuse state-changing requests sent from another site (Leptos has no CSRF
//! protection of its own), and set the headers every response needs — a Content-Security-Policy
//! (pages rendered by the shell get one with a per-response nonce for the islands' start-up
//! script; this default covers everything else), HSTS in production, no sniffing, no framing.
use super::config::Config;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The policy of a page; `nonce` allows the islands' inline start-up script, `framable` lets
/// this site frame the page (the printable poster).
pub fn content_security_policy(nonce: Option<&str>, framable: bool) -> String {
    let scripts = match nonce {
        Some(n) => format!("script-src 'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "script-src 'self'".to_string(),
    };
    let frames = if framable { "'self'" } else { "'none'" };
    format!(
        "default-src 'self'; {scripts}; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frames}"
    )
}

/// A non-GET request is refused when the browser says it is cross-site (`Sec-Fetch-Site`) or its
/// `Origin` names another host than the one it was sent to.
pub async fn same_origin_only(State(config): State<Arc<Config>>, req: Request<Body>, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) && is_cross_site(&req) {
        tracing::warn!(path = %super::web::loggable_path(req.uri().path()), "refused a cross-site request");
        return (StatusCode::FORBIDDEN, "跨站请求被拒绝 / Cross-site request refused").into_response();
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // Status links carry a token in the path: never send it to another site. (Not
    // `no-referrer`: with it browsers send `Origin: null` on our own form posts.)
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.entry("x-frame-options").or_insert(HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = content_security_policy(None, false);
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("ascii policy"));
    }
    if config.production {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    res
}

fn is_cross_site(req: &Request<Body>) -> bool {
    let headers = req.headers();
    // Browsers that send Fetch Metadata say exactly where a request comes from; a sibling
    // subdomain (`same-site`) is not us either.
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == "null" {
        return true;
    }
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin_host != host
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(origin: Option<&str>, site: Option<&str>) -> Request<Body> {
        let mut b = Request::builder().method("POST").uri("/join").header("host", "ejia.example:3000");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        if let Some(s) = site {
            b = b.header("sec-fetch-site", s);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn judges_origins() {
        assert!(!is_cross_site(&req(Some("http://ejia.example:3000"), Some("same-origin"))));
        assert!(is_cross_site(&req(Some("https://evil.example"), None)));
        assert!(is_cross_site(&req(None, Some("cross-site"))));
        assert!(is_cross_site(&req(None, Some("same-site"))));
        assert!(!is_cross_site(&req(Some("null"), Some("same-origin"))));
        assert!(is_cross_site(&req(Some("null"), None)));
        assert!(!is_cross_site(&req(None, None)));
    }
}
