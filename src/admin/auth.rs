//! Signing in: Argon2id passwords, sessions in the database (a new random id at every login,
//! idle and absolute timeouts, ended at logout or when the account is disabled, on every
//! instance), throttling that counts each attempt before checking it, slows repeated failures
//! and then stops the account or the address for a while — never a permanent lock-out — and
//! the same answer, in the same time, for an unknown user and a wrong password.
use super::repo::{self, AdminRow};
use super::AdminInfo;
use crate::server::audit::{Action, Outcome, Target};
use crate::server::cookie::{url_escape, Kept, SessionCookie};
use crate::server::crypto::{random_token, token_hash};
use crate::server::state::AppState;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::OnceLock;

pub const IDLE_SECS: i64 = 30 * 60;
pub const ABSOLUTE_SECS: i64 = 12 * 3600;
/// Failures in this window count; a stop lasts until enough of them leave it.
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// Failures of one username in the window before a hard stop.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures from one IP in the window before a hard stop.
pub const IP_LIMIT: i64 = 20;
/// Failed sign-ins from one IP recorded one by one in the audit trail per hour; beyond, one
/// summary row.
pub const AUDITED_FAILURES_PER_IP_HOUR: i64 = 20;
/// Longer usernames are cut (in the audit trail and the failure counts).
pub const MAX_USERNAME: usize = 64;

/// Argon2 hashes at once (each takes 19 MiB and a core): the only process-wide state here.
static ARGON2_PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// A fault of ours in the admin area (a refusal is an outcome, not this).
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("password hashing: {0}")]
    Hashing(String),
}

pub type AdminResult<T> = Result<T, AdminError>;

pub fn hash_password(password: &str) -> AdminResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| AdminError::Hashing(e.to_string()))?.to_string())
}

/// [`hash_password`] off the async threads, at most four at a time.
pub async fn hash_password_bounded(password: &str) -> AdminResult<String> {
    let _permit = ARGON2_PERMITS.acquire().await.map_err(|e| AdminError::Hashing(e.to_string()))?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|e| AdminError::Hashing(e.to_string()))?
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so both answers take as long.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password").expect("hashing works"))
}

/// The admin session cookie (`__Host-ejia_admin` over HTTPS).
pub const COOKIE: SessionCookie =
    SessionCookie { base: "ejia_admin", table: "sessions", idle_secs: IDLE_SECS, max_age_secs: ABSOLUTE_SECS };

pub fn session_cookie(state: &AppState, token: &str) -> String {
    COOKIE.set(state, token)
}

pub fn clear_cookie(state: &AppState) -> String {
    COOKIE.clear(state)
}

#[derive(Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Signed in: the new session token for the cookie.
    Ok { token: String, admin: AdminInfo },
    /// Unknown user or wrong password: one answer for both.
    Refused,
    /// Too many failures of this username or from this IP: no try before `until` (Unix time).
    Stopped { until: i64 },
}

/// When a stop on this username or IP ends, if one is on.
async fn stopped_until(conn: &mut crate::server::db::Conn, username: &str, ip: &str, now: i64) -> AdminResult<Option<i64>> {
    let since = now - FAILURE_WINDOW_SECS;
    let (by_user, by_ip) = repo::recent_failures(&mut *conn, username, ip, since).await?;
    let mut until = None;
    if by_user >= ACCOUNT_LIMIT {
        until = repo::nth_failure_at(&mut *conn, false, username, since, ACCOUNT_LIMIT - 1).await?.map(|at| at + FAILURE_WINDOW_SECS);
    }
    if by_ip >= IP_LIMIT {
        let ip_until = repo::nth_failure_at(&mut *conn, true, ip, since, IP_LIMIT - 1).await?.map(|at| at + FAILURE_WINDOW_SECS);
        until = until.max(ip_until);
    }
    Ok(until)
}

/// Audits a failed or stopped sign-in, at most `AUDITED_FAILURES_PER_IP_HOUR` a hour from one
/// IP, then one summary row: unauthenticated requests cannot flood the trail.
async fn audit_failure(state: &AppState, username: &str, ip: &str, now: i64, outcome: Outcome) -> AdminResult<()> {
    use crate::server::audit;
    let mut tx = state.db.begin_write().await?;
    audit::lock_chain(&mut tx, state.db.backend).await?;
    let listed = audit::count_from_ip(&mut tx, Action::Login, ip, now - 3600, &[Outcome::Refused, Outcome::Stopped]).await?;
    let entry = |outcome, detail| audit::Entry {
        admin_id: None,
        org_id: None,
        action: Action::Login,
        target: Target::AdminName(username.to_string()),
        ip,
        outcome,
        detail,
    };
    if listed < AUDITED_FAILURES_PER_IP_HOUR {
        audit::record(&mut tx, state, now, entry(outcome, "")).await?;
    } else if audit::count_from_ip(&mut tx, Action::Login, ip, now - 3600, &[Outcome::Throttled]).await? == 0 {
        crate::server::audit::record(
            &mut tx,
            state,
            now,
            entry(Outcome::Throttled, "more failed sign-ins from this address this hour: counted, not listed"),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn login(state: &AppState, username: &str, password: &str, ip: &str) -> AdminResult<LoginOutcome> {
    let now = state.now();
    let username: String = username.trim().to_lowercase().chars().take(MAX_USERNAME).collect();
    // Count this attempt before checking it, in one step with the check of the limits, so a
    // parallel burst is counted in full and stops at the limit.
    let mut tx = state.db.begin_write().await?;
    repo::lock_sign_in(&mut tx, state.db.backend).await?;
    if let Some(until) = stopped_until(&mut tx, &username, ip, now).await? {
        drop(tx);
        audit_failure(state, &username, ip, now, Outcome::Stopped).await?;
        return Ok(LoginOutcome::Stopped { until });
    }
    let (by_user, by_ip) = repo::recent_failures(&mut tx, &username, ip, now - FAILURE_WINDOW_SECS).await?;
    let attempt = repo::record_failure(&mut tx, &username, ip, now).await?;
    tx.commit().await?;
    // Slow down after a few failures: 0.5 s per failure beyond the second, at most 3 s.
    let delay = ((by_user.max(by_ip / 4) - 2).clamp(0, 6) as u64) * 500;
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let row = repo::by_username(&state.db.pool, &username).await?;
    let (hash, usable) = match &row {
        Some(r) if !r.disabled => (r.password_hash.as_str(), true),
        Some(r) => (r.password_hash.as_str(), false),
        None => (dummy_hash(), false),
    };
    let password = password.to_string();
    let hash = hash.to_string();
    let matches = {
        let _permit = ARGON2_PERMITS.acquire().await.map_err(|e| AdminError::Hashing(e.to_string()))?;
        tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.map_err(|e| AdminError::Hashing(e.to_string()))?
    };
    match row {
        Some(r) if usable && matches => {
            let token = random_token();
            let mut tx = state.db.begin_write().await?;
            repo::forget_failure(&mut tx, attempt).await?;
            repo::create_session(&mut tx, &token_hash(&token), r.id, ip, now).await?;
            repo::touch_admin(&mut tx, r.id, now).await?;
            crate::server::audit::record(
                &mut tx,
                state,
                now,
                r.audit(Action::Login, Target::AdminName(username.clone()), ip, Outcome::Ok, ""),
            )
            .await?;
            tx.commit().await?;
            Ok(LoginOutcome::Ok { token, admin: r.info() })
        }
        _ => {
            audit_failure(state, &username, ip, now, Outcome::Refused).await?;
            Ok(LoginOutcome::Refused)
        }
    }
}

/// The admin behind a request's session cookie, if the session is alive; refreshes its idle clock.
pub async fn current(state: &AppState, headers: &HeaderMap) -> AdminResult<Option<(AdminRow, String)>> {
    let Some(token) = COOKIE.token(state, headers) else { return Ok(None) };
    let now = state.now();
    let hash = token_hash(&token);
    let Some((row, created_at, last_seen)) = repo::session(&state.db.pool, &hash).await? else { return Ok(None) };
    match COOKIE.keep(&state.db, &hash, created_at, last_seen, now, !row.disabled).await? {
        Kept::Dead => return Ok(None),
        Kept::Alive { touched: true } => {
            let mut tx = state.db.begin_write().await?;
            repo::touch_admin(&mut tx, row.id, now).await?;
            tx.commit().await?;
        }
        Kept::Alive { touched: false } => {}
    }
    Ok(Some((row, hash)))
}

pub async fn logout(state: &AppState, headers: &HeaderMap) -> AdminResult<()> {
    Ok(COOKIE.end(state, headers).await?)
}

/// A signed-in admin, for handlers; without a live session the browser goes to the login page.
pub struct SignedIn {
    pub admin: AdminRow,
    pub ip: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ip = crate::server::client_ip::client_ip(parts, state.config.trusted_proxy_hops);
        match current(state, &parts.headers).await {
            Ok(Some((admin, _))) => Ok(SignedIn { admin, ip }),
            Ok(None) => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/admin");
                let next: String = url_escape(next);
                Err(Redirect::to(&format!("/admin/login?next={next}")).into_response())
            }
            Err(e) => Err(crate::server::error::AppError::from(e).into_response()),
        }
    }
}

/// What a route asks of the signed-in admin's roles.
pub trait Requirement: Send + Sync + 'static {
    const NAME: &'static str;
    /// The merchant screens' requirements say yes; every union screen's stays no, so a merchant
    /// account is refused there even if a role check were too loose.
    const FOR_MERCHANTS: bool = false;
    /// Likewise for lawyers' accounts: only the lawyer's screens say yes.
    const FOR_LAWYERS: bool = false;
    fn allows(admin: &AdminInfo) -> bool;
}

/// Sees queues, details and progress (any admin role).
pub struct Viewer;
/// Decides applications (reviewer or manager).
pub struct Decider;
/// Keeps the registry of admins (manager or city admin).
pub struct AdminKeeper;
/// Reveals full numbers with a reason (manager or city admin).
pub struct Revealer;
/// The city federation's own screens: the audit trail, the calendar.
pub struct CityAdmin;
/// Places pooled members and proposes, accepts, declines or withdraws membership transfers
/// (manager or city admin).
pub struct Placer;

impl Requirement for Viewer {
    const NAME: &'static str = "viewer";
    fn allows(a: &AdminInfo) -> bool {
        a.can_view()
    }
}
impl Requirement for Decider {
    const NAME: &'static str = "decider";
    fn allows(a: &AdminInfo) -> bool {
        a.can_review()
    }
}
impl Requirement for AdminKeeper {
    const NAME: &'static str = "admin_keeper";
    fn allows(a: &AdminInfo) -> bool {
        a.can_manage_admins()
    }
}
impl Requirement for Revealer {
    const NAME: &'static str = "revealer";
    fn allows(a: &AdminInfo) -> bool {
        a.has(super::Role::Manager) || a.has(super::Role::CityAdmin)
    }
}
impl Requirement for Placer {
    const NAME: &'static str = "placer";
    fn allows(a: &AdminInfo) -> bool {
        a.can_place()
    }
}
/// Watches the command centre and chases what is overdue (leader, manager or city admin).
pub struct Commander;

impl Requirement for Commander {
    const NAME: &'static str = "commander";
    fn allows(a: &AdminInfo) -> bool {
        a.has(super::Role::Leader) || a.has(super::Role::Manager) || a.has(super::Role::CityAdmin)
    }
}

/// A merchant's own manager: adds staff to its merchant and reverses its redemptions. A merchant
/// requirement (union accounts never pass); a merchant's plain staff account does not.
pub struct MerchantManager;

impl Requirement for MerchantManager {
    const NAME: &'static str = "merchant_manager";
    const FOR_MERCHANTS: bool = true;
    fn allows(a: &AdminInfo) -> bool {
        a.merchant_id.is_some() && a.has(super::Role::MerchantManager)
    }
}

impl Requirement for CityAdmin {
    const NAME: &'static str = "city_admin";
    fn allows(a: &AdminInfo) -> bool {
        a.has(super::Role::CityAdmin)
    }
}

/// A signed-in admin whose roles meet `R`. Anyone else gets the one not-found page (the route
/// does not exist for them) and the refusal is written to the audit trail.
pub struct Allowed<R: Requirement> {
    pub admin: AdminRow,
    pub ip: String,
    _requirement: std::marker::PhantomData<R>,
}

impl<R: Requirement> FromRequestParts<AppState> for Allowed<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let SignedIn { admin, ip } = SignedIn::from_request_parts(parts, state).await?;
        if R::FOR_MERCHANTS == admin.is_merchant() && R::FOR_LAWYERS == admin.is_lawyer() && R::allows(&admin) {
            return Ok(Allowed { admin, ip, _requirement: std::marker::PhantomData });
        }
        let target = Target::Route(format!("{} {}", parts.method, crate::server::web::loggable_path(parts.uri.path())));
        let entry = admin.audit(Action::Access, target, &ip, Outcome::Refused, R::NAME);
        if let Err(e) = crate::server::audit::record_alone(state, state.now(), entry).await {
            return Err(crate::server::error::AppError::from(e).into_response());
        }
        Err(crate::server::web::Page::not_found().into_response())
    }
}

impl<R: Requirement> Allowed<R> {
    /// The admin as any signed-in admin (for code shared between routes).
    pub fn signed_in(self) -> SignedIn {
        SignedIn { admin: self.admin, ip: self.ip }
    }
}

impl From<AdminError> for crate::server::error::AppError {
    fn from(e: AdminError) -> crate::server::error::AppError {
        match e {
            AdminError::Db(e) => crate::server::error::AppError::Db(e),
            other => crate::server::error::AppError::Internal(anyhow::Error::new(other)),
        }
    }
}
