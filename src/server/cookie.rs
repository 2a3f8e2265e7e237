//! Sessions kept in the database, for every kind (admin, member): the cookie — one name per
//! kind, `__Host-` and `Secure` when served over HTTPS (always in production), HttpOnly,
//! SameSite=Lax —, how a token is read back from a request, and the row's life (idle and
//! absolute timeouts, the idle clock refreshed at most once a minute, ended at sign-out). Only a
//! SHA-256 of the token is stored. Also the escaping of a path carried in `next=`.
use super::crypto::token_hash;
use super::db::Db;
use super::state::AppState;
use axum::http::{header, HeaderMap};

/// One kind of session: its cookie's base name, its table, and its timeouts.
#[derive(Clone, Copy, Debug)]
pub struct SessionCookie {
    /// e.g. `ejia_admin`; `__Host-` is put in front over HTTPS.
    pub base: &'static str,
    /// The table of its rows (`token_hash`, `created_at`, `last_seen_at`).
    pub table: &'static str,
    pub idle_secs: i64,
    pub max_age_secs: i64,
}

/// What became of a session row on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Timed out (or no longer usable): the row is gone.
    Dead,
    /// Alive; `touched` when its idle clock was just moved on.
    Alive { touched: bool },
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

impl SessionCookie {
    /// Judges a session row by its age (and `usable`: e.g. the account is not disabled): a
    /// dead one is deleted; a live one's idle clock moves on, at most one write a minute.
    pub async fn keep(self, db: &Db, hash: &str, created_at: i64, last_seen: i64, now: i64, usable: bool) -> sqlx::Result<Kept> {
        if !usable || now - last_seen > self.idle_secs || now - created_at > self.max_age_secs {
            self.delete(db, hash).await?;
            return Ok(Kept::Dead);
        }
        if now - last_seen < 60 {
            return Ok(Kept::Alive { touched: false });
        }
        let mut tx = db.begin_write().await?;
        sqlx::query(&format!("UPDATE {} SET last_seen_at = $1 WHERE token_hash = $2", self.table))
            .bind(now)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Kept::Alive { touched: true })
    }

    /// Ends the session a request carries (sign-out); nothing when it carries none.
    pub async fn end(self, state: &AppState, headers: &HeaderMap) -> sqlx::Result<()> {
        match self.token(state, headers) {
            Some(token) => self.delete(&state.db, &token_hash(&token)).await,
            None => Ok(()),
        }
    }

    async fn delete(self, db: &Db, hash: &str) -> sqlx::Result<()> {
        let mut tx = db.begin_write().await?;
        sqlx::query(&format!("DELETE FROM {} WHERE token_hash = $1", self.table)).bind(hash).execute(&mut *tx).await?;
        tx.commit().await
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
