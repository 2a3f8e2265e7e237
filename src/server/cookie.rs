//! Session cookies, for every kind of session (admin, member): one name per kind, `__Host-`
//! and `Secure` when served over HTTPS (always in production), HttpOnly, SameSite=Lax, and how
//! a token is read back from a request. Also the escaping of a path carried in `next=`.
use super::state::AppState;
use axum::http::{header, HeaderMap};

/// One kind of session cookie: its base name and lifetime.
#[derive(Clone, Copy, Debug)]
pub struct SessionCookie {
    /// e.g. `ejia_admin`; `__Host-` is put in front over HTTPS.
    pub base: &'static str,
    pub max_age_secs: i64,
}

impl SessionCookie {
    pub fn name(self, state: &AppState) -> String {
        if secure(state) {
            format!("__Host-{}", self.base)
        } else {
            self.base.to_string()
        }
    }

    /// The `Set-Cookie` value that starts a session.
    pub fn set(self, state: &AppState, token: &str) -> String {
        let secure = if secure(state) { "; Secure" } else { "" };
        format!("{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", self.name(state), self.max_age_secs)
    }

    /// The `Set-Cookie` value that ends it in the browser.
    pub fn clear(self, state: &AppState) -> String {
        let secure = if secure(state) { "; Secure" } else { "" };
        format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", self.name(state))
    }

    /// The session token a request carries, if it has the shape of one (22 characters).
    pub fn token(self, state: &AppState, headers: &HeaderMap) -> Option<String> {
        let name = self.name(state);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix(name.as_str()).and_then(|r| r.strip_prefix('=')).map(str::to_string))
            .filter(|t| t.len() == 22)
    }
}

fn secure(state: &AppState) -> bool {
    state.config.production || state.config.public_url.starts_with("https://")
}

/// A path made safe to carry in a query parameter (`next=`).
pub fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
