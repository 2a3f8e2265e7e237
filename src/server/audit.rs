//! The audit trail: append-only, hash-chained records of logins, decisions, escalations, admin
//! changes, exports and reveals — who, which union, what, on what, when (UTC), from where, and
//! the outcome. Each row's hash is an HMAC (a key derived from the data keyring, never stored
//! in the database) over its content and the previous row's hash, so a row cannot be rewritten
//! and re-hashed; a signed head (row count, last id and hash) is updated in the same
//! transaction as each append, so deleting the newest rows is seen too; and on PostgreSQL the
//! table refuses UPDATE and DELETE. `verify` finds the first break.
//!
//! Each row (and the head) records the data key whose audit key MAC'd it (`key_id`; NULL: the
//! legacy key), so a key rotation changes the key of new rows only: old rows are verified under
//! their own key, which stays available after its data key is retired (`crypto::store`). The
//! first row under a new key covers the last row under the old one, so old rows cannot be
//! rewritten without breaking the new key's MAC.
use super::crypto::Keyring;
use super::db::{Backend, Conn};
use super::state::AppState;
use sha2::{Digest, Sha256};
use sqlx::Row;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What was done. Stored as its `as_str` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    /// A route the admin's roles do not reach.
    Access,
    Search,
    View,
    Approve,
    Reject,
    Return,
    Undo,
    Reveal,
    Resubmit,
    AdminCreate,
    AdminDisable,
    AdminEnable,
    CalendarChange,
    Reminder,
    Escalation,
    /// A membership transfer proposed (a placement out of a pool, a job change, out of the city).
    TransferPropose,
    TransferAccept,
    TransferDecline,
    /// Accepted by the engine after 30 days without an answer.
    TransferAutoAccept,
    TransferCancel,
    /// A roster export asked for (masked, or with full numbers and a reason) or finished.
    Export,
    /// A roster upload validated, or its valid rows imported.
    Import,
    /// A chase (督办) by hand from the overdue list.
    Chase,
    // member
    /// A member withdrew and was erased (the row says that it happened, not who).
    MemberLeft,
    // benefits
    /// A partner, merchant or campaign registered by the city admin.
    BenefitSetup,
    /// A coupon redeemed at a merchant's counter.
    Redeem,
    /// A mistaken redemption reversed, with its reason.
    RedeemReverse,
    // service hall
    /// A service request made (by a member, or by an admin for someone).
    ServiceAsk,
    /// A step taken on a service request (accepted, in progress, more needed, done, declined).
    ServiceStep,
    /// A service of the catalogue added or changed.
    ServiceSetup,
    // events
    /// An event created by a union's manager or the city admin.
    EventSetup,
    /// A ticket checked in at an event's door (or a scan outside the admin's subtree).
    EventCheckIn,
    // library
    /// A library opened, or a title or copy added to the shared catalogue.
    LibrarySetup,
    /// A book lent at a library's counter.
    Lend,
    /// A book taken back at a library's counter.
    BookReturn,
    // legal aid
    /// A workstation opened, a lawyer's account added, a weekday of the rota set.
    LegalSetup,
    /// A lawyer's written answer to a member's question.
    LegalAnswer,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Access => "access",
            Action::Search => "search",
            Action::View => "view",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Return => "return",
            Action::Undo => "undo",
            Action::Reveal => "reveal",
            Action::Resubmit => "resubmit",
            Action::AdminCreate => "admin_create",
            Action::AdminDisable => "admin_disable",
            Action::AdminEnable => "admin_enable",
            Action::CalendarChange => "calendar_change",
            Action::Reminder => "reminder",
            Action::Escalation => "escalation",
            Action::TransferPropose => "transfer_propose",
            Action::TransferAccept => "transfer_accept",
            Action::TransferDecline => "transfer_decline",
            Action::TransferAutoAccept => "transfer_auto_accept",
            Action::TransferCancel => "transfer_cancel",
            Action::Export => "export",
            Action::Import => "import",
            Action::Chase => "chase",
            // member
            Action::MemberLeft => "member_left",
            // benefits
            Action::BenefitSetup => "benefit_setup",
            Action::Redeem => "redeem",
            Action::RedeemReverse => "redeem_reverse",
            // service hall
            Action::ServiceAsk => "service_ask",
            Action::ServiceStep => "service_step",
            Action::ServiceSetup => "service_setup",
            // events
            Action::EventSetup => "event_setup",
            Action::EventCheckIn => "event_check_in",
            // library
            Action::LibrarySetup => "library_setup",
            Action::Lend => "lend",
            Action::BookReturn => "book_return",
            // legal aid
            Action::LegalSetup => "legal_setup",
            Action::LegalAnswer => "legal_answer",
        }
    }
}

/// How it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Not allowed (a rule or a role said no).
    Refused,
    /// Outside the admin's subtree, or no such thing: the same answer.
    NotFound,
    /// The role may never do this.
    Forbidden,
    /// Sign-in stopped for a while after too many failures.
    Stopped,
    /// One summary row standing for more failures that were counted, not listed.
    Throttled,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::NotFound => "not_found",
            Outcome::Forbidden => "forbidden",
            Outcome::Stopped => "stopped",
            Outcome::Throttled => "throttled",
        }
    }
}

/// What it was done to. Stored as its `Display` text (`application:12`, `admin:3`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Application(i64),
    Admin(i64),
    /// An admin by sign-in name (a sign-in, or an account not created): at most 64 characters.
    AdminName(String),
    /// The applications of a subtree (a search).
    Applications,
    /// A route, as `METHOD /path` with any token cut.
    Route(String),
    /// A calendar setting: `office_hours:08:30-17:30`, `override:2026-10-01:off`, …
    Calendar(String),
    Member(i64),
    Transfer(i64),
    /// The members of a subtree (a search of the members list).
    Members,
    /// An export job.
    Export(i64),
    /// An import batch.
    Import(i64),
    /// A union (a screen about it).
    Org(i64),
    // benefits
    Partner(i64),
    Merchant(i64),
    Campaign(i64),
    Coupon(i64),
    Redemption(i64),
    // service hall
    Service(i64),
    ServiceRequest(i64),
    /// An attachment of a service request.
    ServiceFile(i64),
    // events
    Event(i64),
    EventSignup(i64),
    // library
    Library(i64),
    BookCopy(i64),
    Loan(i64),
    // legal aid
    LegalStation(i64),
    LegalQuestion(i64),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Application(id) => write!(f, "application:{id}"),
            Target::Admin(id) => write!(f, "admin:{id}"),
            Target::AdminName(name) => write!(f, "admin:{}", name.chars().take(64).collect::<String>()),
            Target::Applications => f.write_str("applications"),
            Target::Route(r) => write!(f, "route:{r}"),
            Target::Org(id) => write!(f, "org:{id}"),
            Target::Calendar(c) => f.write_str(c),
            Target::Member(id) => write!(f, "member:{id}"),
            Target::Transfer(id) => write!(f, "transfer:{id}"),
            Target::Members => f.write_str("members"),
            Target::Export(id) => write!(f, "export:{id}"),
            Target::Import(id) => write!(f, "import:{id}"),
            // benefits
            Target::Partner(id) => write!(f, "partner:{id}"),
            Target::Merchant(id) => write!(f, "merchant:{id}"),
            Target::Campaign(id) => write!(f, "campaign:{id}"),
            Target::Coupon(id) => write!(f, "coupon:{id}"),
            Target::Redemption(id) => write!(f, "redemption:{id}"),
            // service hall
            Target::Service(id) => write!(f, "service:{id}"),
            Target::ServiceRequest(id) => write!(f, "service_request:{id}"),
            Target::ServiceFile(id) => write!(f, "service_file:{id}"),
            // events
            Target::Event(id) => write!(f, "event:{id}"),
            Target::EventSignup(id) => write!(f, "event_signup:{id}"),
            // library
            Target::Library(id) => write!(f, "library:{id}"),
            Target::BookCopy(id) => write!(f, "book_copy:{id}"),
            Target::Loan(id) => write!(f, "loan:{id}"),
            // legal aid
            Target::LegalStation(id) => write!(f, "legal_station:{id}"),
            Target::LegalQuestion(id) => write!(f, "legal_question:{id}"),
        }
    }
}

/// One thing to record.
pub struct Entry<'a> {
    pub admin_id: Option<i64>,
    pub org_id: Option<i64>,
    pub action: Action,
    pub target: Target,
    pub ip: &'a str,
    pub outcome: Outcome,
    pub detail: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn canonical(
    prev: &str,
    at: i64,
    admin_id: Option<i64>,
    org_id: Option<i64>,
    action: &str,
    target: &str,
    ip: &str,
    outcome: &str,
    detail: &str,
) -> String {
    serde_json::json!([prev, at, admin_id, org_id, action, target, ip, outcome, detail]).to_string()
}

/// A row's hash: keyed (under the key the row records: `None` for the legacy key); rows
/// written before the keyed chain (`legacy`) used plain SHA-256. `None` when the row's key is
/// not available.
fn row_hash(keys: &Keyring, legacy: bool, key_id: Option<i64>, canonical: &str) -> Option<String> {
    if legacy {
        Some(hex::encode(Sha256::digest(canonical.as_bytes())))
    } else {
        keys.audit_mac_under(key_id, &["row", canonical])
    }
}

/// The head as stored: (row_count, last_id, last_hash, legacy_last_id, mac, key_id).
type Head = (i64, i64, String, i64, String, Option<i64>);

fn head_parts(count: i64, last_id: i64, last_hash: &str, legacy_last_id: i64) -> [String; 5] {
    ["head".into(), count.to_string(), last_id.to_string(), last_hash.to_string(), legacy_last_id.to_string()]
}

/// The head's MAC under the active key.
fn head_mac(keys: &Keyring, count: i64, last_id: i64, last_hash: &str, legacy_last_id: i64) -> String {
    let parts = head_parts(count, last_id, last_hash, legacy_last_id);
    keys.audit_mac(&parts.each_ref().map(String::as_str))
}

async fn read_head(conn: &mut Conn) -> sqlx::Result<Option<Head>> {
    sqlx::query_as("SELECT row_count, last_id, last_hash, legacy_last_id, mac, key_id FROM audit_head WHERE id = 1")
        .fetch_optional(conn)
        .await
}

/// Appends inside the caller's write transaction (on PostgreSQL a transaction lock keeps the
/// chain linear across instances; SQLite's write gate already does), and moves the signed
/// head in the same transaction. The key comes from `state.keys`.
pub async fn record(conn: &mut Conn, state: &AppState, now: i64, e: Entry<'_>) -> sqlx::Result<()> {
    record_keyed(conn, state.db.backend, &state.keys, now, e).await
}

/// [`record`] with the backend and the keyring given separately.
pub async fn record_keyed(conn: &mut Conn, backend: Backend, keys: &Keyring, now: i64, e: Entry<'_>) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7001)").execute(&mut *conn).await?;
    }
    let (count, _, last_hash, legacy_last_id, mac, _) =
        read_head(&mut *conn).await?.unwrap_or((0, 0, String::new(), 0, String::new(), None));
    // A sealed head says where the chain ends: the new row links to it, so rows deleted from
    // the end stay visible as a gap instead of being papered over by the next append.
    let (count, prev) = if mac.is_empty() {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(&mut *conn).await?;
        let prev: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(&mut *conn).await?;
        (count, prev.unwrap_or_else(|| GENESIS.to_string()))
    } else {
        (count, if count == 0 { GENESIS.to_string() } else { last_hash })
    };
    let target = e.target.to_string();
    let key_id = keys.audit_key_id();
    let hash = keys
        .audit_mac(&["row", &canonical(&prev, now, e.admin_id, e.org_id, e.action.as_str(), &target, e.ip, e.outcome.as_str(), e.detail)]);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO audit_log (at, admin_id, org_id, action, target, ip, outcome, detail, prev_hash, hash, key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(now)
    .bind(e.admin_id)
    .bind(e.org_id)
    .bind(e.action.as_str())
    .bind(&target)
    .bind(e.ip)
    .bind(e.outcome.as_str())
    .bind(e.detail)
    .bind(&prev)
    .bind(&hash)
    .bind(key_id)
    .fetch_one(&mut *conn)
    .await?;
    let count = count + 1;
    let mac = head_mac(keys, count, id, &hash, legacy_last_id);
    let moved = sqlx::query("UPDATE audit_head SET row_count = $1, last_id = $2, last_hash = $3, mac = $4, key_id = $5 WHERE id = 1")
        .bind(count)
        .bind(id)
        .bind(&hash)
        .bind(&mac)
        .bind(key_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if moved == 0 {
        sqlx::query(
            "INSERT INTO audit_head (id, row_count, last_id, last_hash, legacy_last_id, mac, key_id) VALUES (1, $1, $2, $3, 0, $4, $5)",
        )
        .bind(count)
        .bind(id)
        .bind(&hash)
        .bind(head_mac(keys, count, id, &hash, 0))
        .bind(key_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records in a transaction of its own (for events that change nothing else, like a refused access).
/// Takes the chain's lock for the rest of the transaction (PostgreSQL; SQLite's write gate
/// already serialises writers), so a count and the append after it are one step.
pub async fn lock_chain(conn: &mut Conn, backend: Backend) -> sqlx::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7001)").execute(conn).await?;
    }
    Ok(())
}

/// Rows of `action` from `ip` since `since` whose outcome is one of `outcomes`.
pub async fn count_from_ip(conn: &mut Conn, action: Action, ip: &str, since: i64, outcomes: &[Outcome]) -> sqlx::Result<i64> {
    let mut n = 0;
    for outcome in outcomes {
        n += sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND ip = $2 AND at > $3 AND outcome = $4")
            .bind(action.as_str())
            .bind(ip)
            .bind(since)
            .bind(outcome.as_str())
            .fetch_one(&mut *conn)
            .await?;
    }
    Ok(n)
}

pub async fn record_alone(state: &AppState, now: i64, e: Entry<'_>) -> sqlx::Result<()> {
    let mut tx = state.db.begin_write().await?;
    record(&mut tx, state, now, e).await?;
    tx.commit().await
}

/// Walks the chain and checks the signed head; `Ok(n)` = n rows intact, `Err(id)` = the first
/// row whose hash does not hold (or, when rows are missing from the end, the newest one the
/// head says was written).
pub async fn verify(state: &AppState) -> sqlx::Result<Result<usize, i64>> {
    let keys = &state.keys;
    let head = {
        let mut conn = state.db.pool.acquire().await?;
        read_head(&mut conn).await?
    };
    let (count, last_id, last_hash, legacy_last_id, mac, head_key) = head.unwrap_or((0, 0, String::new(), 0, String::new(), None));
    let rows = sqlx::query(
        "SELECT id, at, admin_id, org_id, action, target, ip, outcome, detail, prev_hash, hash, key_id FROM audit_log ORDER BY id",
    )
    .fetch_all(&state.db.pool)
    .await?;
    let mut prev = GENESIS.to_string();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let stored_prev: String = r.try_get("prev_hash")?;
        let content = canonical(
            &prev,
            r.try_get("at")?,
            r.try_get("admin_id")?,
            r.try_get("org_id")?,
            &r.try_get::<String, _>("action")?,
            &r.try_get::<String, _>("target")?,
            &r.try_get::<String, _>("ip")?,
            &r.try_get::<String, _>("outcome")?,
            &r.try_get::<String, _>("detail")?,
        );
        let hash: String = r.try_get("hash")?;
        // Rows after the legacy ones need a sealed head: without it nothing keyed was written.
        let legacy = id <= legacy_last_id;
        let expected = row_hash(keys, legacy, r.try_get("key_id")?, &content);
        if stored_prev != prev || expected.as_deref() != Some(hash.as_str()) || (!legacy && mac.is_empty()) {
            return Ok(Err(id));
        }
        prev = hash;
    }
    if mac.is_empty() {
        return Ok(Ok(rows.len()));
    }
    let parts = head_parts(count, last_id, &last_hash, legacy_last_id);
    let head_holds = keys.audit_mac_under(head_key, &parts.each_ref().map(String::as_str)).as_deref() == Some(mac.as_str())
        && count == rows.len() as i64
        && rows.last().map(|r| r.try_get::<i64, _>("id")).transpose()? == Some(last_id)
        && prev == last_hash;
    if !head_holds {
        return Ok(Err(last_id.max(1)));
    }
    Ok(Ok(rows.len()))
}

/// Rows by the key that MAC'd them (`None`: the legacy key), for `ejia keys status`.
pub async fn counts_by_key(pool: &sqlx::AnyPool) -> sqlx::Result<Vec<(Option<i64>, i64)>> {
    sqlx::query_as("SELECT key_id, COUNT(*) FROM audit_log GROUP BY key_id ORDER BY 1").fetch_all(pool).await
}
