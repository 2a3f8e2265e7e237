//! What handlers take and return on the web, for every area: a typed page value (`Page`) that
//! the composition layer renders into HTML, so no area names the page shell; extractors for a
//! form body, the client's address and the reader's language; and the one rule for where a
//! `next=` parameter may send the browser.
use super::error::AppError;
use super::state::AppState;
use crate::i18n::Lang;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::any::Any;
use std::sync::Arc;

/// The largest form body any handler reads; a bigger one is refused with a message.
pub const MAX_FORM_BYTES: usize = 16 * 1024;
pub const LANG_COOKIE: &str = "ejia_lang";

/// A page to render: the area's view value, the status and extra headers. The response it
/// becomes carries the view in its extensions; the composition layer's renderer turns it into
/// the whole HTML document.
pub struct Page<V> {
    view: V,
    status: StatusCode,
    headers: HeaderMap,
}

/// The view a `Page` carried, waiting for the renderer (response extensions need `Clone`).
#[derive(Clone)]
pub struct PendingPage(pub Arc<dyn Any + Send + Sync>);

/// "Not found": unknown addresses, and everything outside an admin's subtree or role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotFoundView;

/// A request that could not be served: the words to show, from the dictionary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorView {
    pub message: crate::i18n::T,
}

impl<V: Send + Sync + 'static> Page<V> {
    pub fn ok(view: V) -> Page<V> {
        Page { view, status: StatusCode::OK, headers: HeaderMap::new() }
    }
    pub fn with_status(mut self, status: StatusCode) -> Page<V> {
        self.status = status;
        self
    }
    /// Never kept by a browser or a proxy: pages with personal data, forms with typed input.
    pub fn no_store(self) -> Page<V> {
        self.header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
    }
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Page<V> {
        self.headers.insert(name, value);
        self
    }
}

impl Page<NotFoundView> {
    pub fn not_found() -> Page<NotFoundView> {
        Page::ok(NotFoundView).with_status(StatusCode::NOT_FOUND)
    }
}

impl<V: Send + Sync + 'static> IntoResponse for Page<V> {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.headers).into_response();
        res.extensions_mut().insert(PendingPage(Arc::new(self.view)));
        res
    }
}

/// A urlencoded form body (repeated names become lists), at most `MAX_FORM_BYTES`.
pub struct Form<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes =
            axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES).await.map_err(|_| AppError::BadRequest(crate::i18n::T::FormTooLarge))?;
        serde_html_form::from_bytes(&without_nul(&bytes)).map(Form).map_err(|_| AppError::BadRequest(crate::i18n::T::FormMalformed))
    }
}

/// A urlencoded body with every NUL character (`%00`, or a raw zero byte) read as U+FFFD: no
/// text a user types holds one, and PostgreSQL refuses it in text.
pub fn without_nul(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !body.contains(&0) && !body.windows(3).any(|w| w == b"%00") {
        return std::borrow::Cow::Borrowed(body);
    }
    let mut out = Vec::with_capacity(body.len() + 16);
    let mut i = 0;
    while i < body.len() {
        if body[i] == 0 {
            out.extend_from_slice(b"%EF%BF%BD");
            i += 1;
        } else if body[i..].starts_with(b"%00") {
            out.extend_from_slice(b"%EF%BF%BD");
            i += 3;
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The client's address as the configured proxies report it (see `client_ip`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(super::client_ip::client_ip(parts, state.config.trusted_proxy_hops)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(lang_of(&parts.headers, &parts.uri))
    }
}

/// The reader's language: `?lang=` first, then the cookie, else Chinese.
pub fn lang_of(headers: &HeaderMap, uri: &Uri) -> Lang {
    let from_query = uri.query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")).and_then(Lang::from_tag));
    let from_cookie = || {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix(LANG_COOKIE).and_then(|r| r.strip_prefix('=')).and_then(Lang::from_tag))
    };
    from_query.or_else(from_cookie).unwrap_or_default()
}

/// Where a `next=` parameter may send the browser: a path of this site, parsed — one leading
/// `/`, no scheme or authority, no backslash, no control or whitespace character (browsers
/// drop tabs and newlines, so `/\t/evil.example` would become `//evil.example`), no `..`
/// segment — and, when `under` is given, inside that part of the site. Anything else is
/// `None`; callers fall back to a fixed page.
pub fn safe_local_path(next: &str, under: Option<&str>) -> Option<String> {
    let ok_chars = next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if !ok_chars || !next.starts_with('/') || next.starts_with("//") {
        return None;
    }
    let uri: Uri = next.parse().ok()?;
    if uri.scheme().is_some() || uri.authority().is_some() {
        return None;
    }
    let path = uri.path();
    // Percent-encoded slashes, backslashes and controls could be decoded into the above later.
    let lower = path.to_ascii_lowercase();
    if path.split('/').any(|seg| seg == ".." || seg == ".") || ["%2f", "%5c", "%09", "%0a", "%0d", "%00"].iter().any(|e| lower.contains(e))
    {
        return None;
    }
    if let Some(prefix) = under {
        if !(path == prefix || path.starts_with(&format!("{prefix}/")) || path.starts_with(&format!("{prefix}?"))) {
            return None;
        }
    }
    Some(uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| path.to_string()))
}

/// A path as logs may show it: a status link's token (`/s/<token>`) is cut.
pub fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/s/") {
        Some(_) => "/s/…".to_string(),
        None => path.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_paths_of_this_site() {
        assert_eq!(safe_local_path("/admin?x=1", None).as_deref(), Some("/admin?x=1"));
        assert_eq!(safe_local_path("/join", None).as_deref(), Some("/join"));
        for bad in [
            "/\t/evil.example",
            "/%09/evil.example",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "/admin\r\nSet-Cookie: x=1",
            "/a/../../x",
            "/%2F%2Fevil.example",
            "evil.example",
            "",
            "/ad min",
        ] {
            assert_eq!(safe_local_path(bad, None), None, "{bad:?}");
        }
    }

    #[test]
    fn next_can_be_held_inside_a_part_of_the_site() {
        assert_eq!(safe_local_path("/admin/a/3", Some("/admin")).as_deref(), Some("/admin/a/3"));
        assert_eq!(safe_local_path("/admin", Some("/admin")).as_deref(), Some("/admin"));
        assert_eq!(safe_local_path("/administrator", Some("/admin")), None);
        assert_eq!(safe_local_path("/join", Some("/admin")), None);
    }

    #[test]
    fn a_nul_in_a_form_reads_as_the_replacement_character() {
        #[derive(serde::Deserialize)]
        struct F {
            name: String,
        }
        for body in [&b"name=a%00b"[..], &b"name=a\0b"[..]] {
            let f: F = serde_html_form::from_bytes(&without_nul(body)).unwrap();
            assert_eq!(f.name, "a\u{FFFD}b");
        }
        let f: F = serde_html_form::from_bytes(&without_nul(b"name=%25001")).unwrap();
        assert_eq!(f.name, "%001", "an encoded percent sign followed by 00 is not a NUL");
    }
}
