//! One-time SMS codes: six digits, five minutes, single use, bound to phone and purpose, dead
//! after five wrong tries, kept only as a MAC and compared in constant time. Sending limits per
//! phone and per client network are counted from the same table, so they hold across instances.
//!
//! Everything that reads a count or a code and then writes runs under a per-value lock: on
//! PostgreSQL transaction-scoped advisory locks (always network before phone, so two writers
//! never wait on each other in a circle); on SQLite the single writer gate already serialises.
use crate::domain::{Phone, SmsCode};
use crate::i18n::T;
use crate::server::client_ip::ip_key;
use crate::server::config::Limits;
use crate::server::crypto::Keyring;
use crate::server::db::{Backend, Conn, WriteTx};
use crate::server::outbox;
use crate::server::sms::Template;
use rand::Rng;

/// What a code unlocks. The MAC binds it, so a code sent for one purpose never opens another;
/// the sending limits count every purpose together (one phone, one network).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Joining (the application form).
    Join,
    /// A member signing in.
    SignIn,
    /// A member moving to a new phone number (the code goes to the new number).
    PhoneChange,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Join => "join",
            Purpose::SignIn => "sign_in",
            Purpose::PhoneChange => "phone_change",
        }
    }

    fn template(self) -> Template {
        match self {
            Purpose::Join => Template::JoinCode,
            Purpose::SignIn => Template::SignInCode,
            Purpose::PhoneChange => Template::PhoneChangeCode,
        }
    }
}

/// One request for a code.
pub struct CodeRequest<'a> {
    pub purpose: Purpose,
    pub phone: &'a Phone,
    pub ip: &'a str,
    /// A solved picture check lets a busy network past the soft per-IP limit (never the hard one).
    pub captcha_solved: bool,
    /// False: everything is recorded and counted as for a real send, but no SMS leaves — for a
    /// number that must not learn (nor let anyone learn) that it is unknown.
    pub deliver: bool,
}

pub const CODE_TTL_SECS: i64 = 300;
pub const MAX_WRONG_TRIES: i64 = 5;

#[derive(Debug, PartialEq, Eq)]
pub enum Issue {
    Sent,
    Refused(T),
    /// The network has sent many codes: a picture check must be solved first.
    NeedCaptcha,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verify {
    Ok { code_id: i64 },
    Wrong,
    Expired,
    Missing,
    TooManyTries,
}

impl Verify {
    pub fn error_text(&self) -> Option<T> {
        match self {
            Verify::Ok { .. } => None,
            Verify::Wrong => Some(T::ErrCodeWrong),
            Verify::Expired => Some(T::ErrCodeExpired),
            Verify::Missing => Some(T::ErrCodeMissing),
            Verify::TooManyTries => Some(T::ErrCodeTooMany),
        }
    }
}

pub use super::repo::codes::lock;
use super::repo::codes::{self as stored, lock_all, Counted};

pub const LOCK_NETWORK: &str = "ejia/network";
pub const LOCK_PHONE: &str = "ejia/phone";

/// Issues a code and enqueues its SMS, inside the caller's write transaction. Addresses count by
/// network (`ip_key`: an IPv6 /64 is one network).
pub async fn issue(
    conn: &mut WriteTx,
    backend: Backend,
    keys: &Keyring,
    limits: &Limits,
    req: CodeRequest<'_>,
    now: i64,
) -> sqlx::Result<Issue> {
    let CodeRequest { purpose, phone, ip, captcha_solved, deliver } = req;
    let network = ip_key(ip);
    // Serialise sends from one network and to one phone across instances, in that order.
    lock_all(conn, backend, &[(LOCK_NETWORK, &network), (LOCK_PHONE, phone.as_str())]).await?;
    let p = phone.as_str();
    if stored::sent_since(conn, Counted::Phone, p, now - 60).await? >= limits.phone_per_minute {
        return Ok(Issue::Refused(T::ErrTooSoon));
    }
    if stored::sent_since(conn, Counted::Phone, p, now - 3600).await? >= limits.phone_per_hour {
        return Ok(Issue::Refused(T::ErrHourLimit));
    }
    if stored::sent_since(conn, Counted::Phone, p, now - 86_400).await? >= limits.phone_per_day {
        return Ok(Issue::Refused(T::ErrDayLimit));
    }
    let from_ip = stored::sent_since(conn, Counted::Network, &network, now - 3600).await?;
    if from_ip >= limits.ip_hard_per_hour {
        return Ok(Issue::Refused(T::ErrIpLimit));
    }
    if from_ip >= limits.ip_per_hour && !captcha_solved {
        return Ok(Issue::NeedCaptcha);
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    // A new code replaces any earlier one for the same phone and purpose.
    let code_mac = keys.mac(&[purpose.as_str(), p, &code]);
    let new = stored::NewCode {
        phone: p,
        purpose: purpose.as_str(),
        code_mac: &code_mac,
        ip,
        ip_key: &network,
        now,
        expires_at: now + CODE_TTL_SECS,
    };
    stored::replace(conn, new).await?;
    if deliver {
        outbox::enqueue(conn, now, p, purpose.template(), serde_json::json!({ "code": code })).await?;
    }
    Ok(Issue::Sent)
}

/// Checks a typed code against the phone's live code; counts a wrong try. The caller holds the
/// phone's lock (`lock(…, LOCK_PHONE, phone)`) and consumes a good code in the same transaction
/// as what it unlocks.
pub async fn verify(conn: &mut Conn, keys: &Keyring, purpose: Purpose, phone: &Phone, code: &SmsCode, now: i64) -> sqlx::Result<Verify> {
    let live = stored::live(conn, phone.as_str(), purpose.as_str()).await?;
    judge(conn, keys, Check { purpose, phone, code, now }, live).await
}

/// A typed code to check.
pub struct Check<'a> {
    pub purpose: Purpose,
    pub phone: &'a Phone,
    pub code: &'a SmsCode,
    pub now: i64,
}

/// `verify` with the phone's live code already read (in the same transaction, under the lock).
pub async fn judge(conn: &mut Conn, keys: &Keyring, c: Check<'_>, live: Option<stored::StoredCode>) -> sqlx::Result<Verify> {
    let Check { purpose, phone, code, now } = c;
    let Some(row) = live else { return Ok(Verify::Missing) };
    if row.expires_at <= now {
        return Ok(Verify::Expired);
    }
    if row.wrong_tries >= MAX_WRONG_TRIES {
        return Ok(Verify::TooManyTries);
    }
    if keys.mac_matches(&[purpose.as_str(), phone.as_str(), code.as_str()], &row.code_mac) {
        return Ok(Verify::Ok { code_id: row.id });
    }
    let counted = stored::count_wrong_try(conn, row.id, MAX_WRONG_TRIES).await?;
    Ok(if !counted || row.wrong_tries + 1 >= MAX_WRONG_TRIES { Verify::TooManyTries } else { Verify::Wrong })
}

/// Consumes a verified code: true exactly once, for the transaction that may use it.
pub async fn mark_used(conn: &mut Conn, code_id: i64, now: i64) -> sqlx::Result<bool> {
    stored::mark_used(conn, code_id, now).await
}

/// Whether `phone` and `code` are those of the (spent) code `code_id`, typed again while that
/// code would still be live: the twin of the post it was spent on. A miss counts a wrong try
/// against that code, so a replay cannot search its code space.
pub async fn twin_matches(conn: &mut Conn, keys: &Keyring, code_id: i64, phone: &Phone, code: &SmsCode, now: i64) -> sqlx::Result<bool> {
    let Some(row) = stored::by_id(conn, code_id, Purpose::Join.as_str()).await? else { return Ok(false) };
    let same = keys.mac_matches(&[Purpose::Join.as_str(), phone.as_str(), code.as_str()], &row.code_mac);
    if same && row.phone == phone.as_str() && row.expires_at > now && row.wrong_tries < MAX_WRONG_TRIES {
        return Ok(true);
    }
    stored::count_wrong_try(conn, code_id, MAX_WRONG_TRIES).await?;
    Ok(false)
}
