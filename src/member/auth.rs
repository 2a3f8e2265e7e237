//! Member sign-in by phone and SMS code, and member sessions. The codes are joining's codes
//! (`join::codes`, purpose `SignIn`): the same limits per phone and network, the same outbox.
//! "Send code" answers the same for every well-formed number and records the attempt either
//! way, so neither the answer nor the limits tell whether a number is a member's; only a live
//! member's number is actually sent an SMS. Sessions live in the database (a new random id at
//! every sign-in, only its SHA-256 stored), apart from admin sessions, with idle and absolute
//! timeouts; sign-out ends one, leaving ends all of a member's.
use super::repo;
use super::types::{intent, LoginForm, LoginView};
use crate::i18n::T;
use crate::join::codes::{self, CodeRequest, Issue, Purpose, Verify};
use crate::join::{captcha, validate};
use crate::server::cookie::{url_escape, Kept, SessionCookie};
use crate::server::crypto::{random_token, token_hash};
use crate::server::error::AppError;
use crate::server::state::AppState;
use crate::server::web::{safe_local_path, Page};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Redirect, Response};

/// Idle timeout: a day. A driver opens the card at a counter now and then; signing in again
/// costs an SMS each time, so the session outlives a shift — yet not a day of neglect.
pub const IDLE_SECS: i64 = 24 * 3600;
/// Absolute timeout: a week. A phone is personal and the session grants no admin power, so
/// longer than an admin's 12 hours; a lost phone's session still dies within the week.
pub const ABSOLUTE_SECS: i64 = 7 * 86_400;

/// The member session cookie (`__Host-ejia_member` over HTTPS), apart from the admin's.
pub const COOKIE: SessionCookie =
    SessionCookie { base: "ejia_member", table: "member_sessions", idle_secs: IDLE_SECS, max_age_secs: ABSOLUTE_SECS };

/// A fault of ours on the member side (a refusal is an outcome, not this).
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub type MemberResult<T> = Result<T, MemberError>;

impl From<MemberError> for AppError {
    fn from(e: MemberError) -> AppError {
        match e {
            MemberError::Db(e) => AppError::Db(e),
        }
    }
}

/// Where the browser goes after signing in: a page of the member side (legal aid's included),
/// else 我的.
pub fn safe_next(next: &str) -> String {
    safe_local_path(next, Some("/me")).or_else(|| safe_local_path(next, Some("/legal"))).unwrap_or_else(|| "/me".into())
}

/// What a sign-in post led to.
pub enum LoginAnswer {
    /// Signed in: the session token for the cookie, and where to go.
    SignedIn { token: String, next: String },
    /// The form again, with a notice or errors (input kept).
    Form(LoginView),
}

fn echo(form: &LoginForm) -> LoginView {
    LoginView { next: safe_next(&form.next), phone: form.phone.chars().take(20).collect(), ..LoginView::default() }
}

/// Runs what the pressed button asks for.
pub async fn handle(state: &AppState, form: LoginForm, ip: &str) -> MemberResult<LoginAnswer> {
    if form.intent == intent::SEND_CODE {
        return Ok(LoginAnswer::Form(send_code(state, &form, ip).await?));
    }
    sign_in(state, &form, ip).await
}

async fn send_code(state: &AppState, form: &LoginForm, ip: &str) -> MemberResult<LoginView> {
    let mut view = echo(form);
    let phone = match validate::phone(&form.phone) {
        Ok(p) => p,
        Err(t) => return Ok(LoginView { phone_error: Some(t), ..view }),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let captcha_solved = match captcha::check_posted(&mut tx, &state.keys, &form.captcha_id, &form.captcha_answer, ip, now).await? {
        Ok(solved) => solved,
        Err(fresh) => {
            tx.commit().await?;
            return Ok(LoginView { captcha: Some(fresh), captcha_error: Some(T::CaptchaWrong), ..view });
        }
    };
    let deliver = repo::live_member_by_phone(&mut tx, phone.as_str()).await?.is_some();
    let request = CodeRequest { purpose: Purpose::SignIn, phone: &phone, ip, captcha_solved, deliver };
    match codes::issue(&mut tx, state.db.backend, &state.keys, &state.config.limits, request, now).await? {
        Issue::Sent => view.notice = Some(T::CodeSent),
        Issue::Refused(text) => view.code_error = Some(text),
        Issue::NeedCaptcha => {
            view.captcha_error = Some(T::CaptchaNeeded);
            view.captcha = Some(captcha::create(&mut tx, &state.keys, ip, now).await?);
        }
    }
    tx.commit().await?;
    if deliver && view.notice.is_some() {
        state.outbox_notify.notify_one();
    }
    Ok(view)
}

async fn sign_in(state: &AppState, form: &LoginForm, ip: &str) -> MemberResult<LoginAnswer> {
    let view = echo(form);
    let (phone, code) = match (validate::phone(&form.phone), validate::code(&form.code)) {
        (Ok(p), Ok(c)) => (p, c),
        (p, c) => return Ok(LoginAnswer::Form(LoginView { phone_error: p.err(), code_error: c.err(), ..view })),
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    codes::lock(&mut tx, state.db.backend, codes::LOCK_PHONE, phone.as_str()).await?;
    let code_id = match codes::verify(&mut tx, &state.keys, Purpose::SignIn, &phone, &code, now).await? {
        Verify::Ok { code_id } => code_id,
        other => {
            tx.commit().await?; // keeps the counted wrong try
            return Ok(LoginAnswer::Form(LoginView { code_error: other.error_text(), ..view }));
        }
    };
    // One code, one session: a replay finds it spent.
    if !codes::mark_used(&mut tx, code_id, now).await? {
        return Ok(LoginAnswer::Form(LoginView { code_error: Some(T::ErrCodeMissing), ..view }));
    }
    // A code of an unknown number was never sent, so it cannot be typed; still, no member, no session.
    let Some(member_id) = repo::live_member_by_phone(&mut tx, phone.as_str()).await? else {
        tx.commit().await?;
        return Ok(LoginAnswer::Form(LoginView { code_error: Some(T::ErrCodeWrong), ..view }));
    };
    let token = random_token();
    repo::create_session(&mut tx, &token_hash(&token), member_id, ip, now).await?;
    tx.commit().await?;
    tracing::info!(member_id, "member signed in");
    Ok(LoginAnswer::SignedIn { token, next: view.next })
}

/// The live member session behind a request, if any; refreshes its idle clock (at most one
/// write a minute).
pub async fn current(state: &AppState, headers: &HeaderMap) -> MemberResult<Option<(repo::SessionRow, String)>> {
    let Some(token) = COOKIE.token(state, headers) else { return Ok(None) };
    let now = state.now();
    let hash = token_hash(&token);
    let Some(row) = repo::session(&state.db.pool, &hash).await? else { return Ok(None) };
    let (_, _, _, created_at, last_seen) = row;
    if COOKIE.keep(&state.db, &hash, created_at, last_seen, now, true).await? == Kept::Dead {
        return Ok(None);
    }
    Ok(Some((row, hash)))
}

pub async fn sign_out(state: &AppState, headers: &HeaderMap) -> MemberResult<()> {
    Ok(COOKIE.end(state, headers).await?)
}

/// A signed-in member, for handlers. Without a live session a GET goes to the sign-in page
/// (coming back afterwards); any other method gets the one not-found page.
pub struct SignedMember {
    pub member_id: i64,
    pub org_id: i64,
    pub application_id: i64,
    pub ip: String,
}

impl FromRequestParts<AppState> for SignedMember {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ip = crate::server::client_ip::client_ip(parts, state.config.trusted_proxy_hops);
        match current(state, &parts.headers).await {
            Ok(Some(((member_id, org_id, application_id, _, _), _))) => Ok(SignedMember { member_id, org_id, application_id, ip }),
            Ok(None) if parts.method == Method::GET => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/me");
                Err(Redirect::to(&format!("/me/login?next={}", url_escape(next))).into_response())
            }
            Ok(None) => Err(Page::not_found().into_response()),
            Err(e) => Err(AppError::from(e).into_response()),
        }
    }
}
