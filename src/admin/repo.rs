//! The SQL of admins, sessions and login failures.
use super::{AdminInfo, Role};
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

/// An admin as stored: what pages see (`AdminInfo`, reachable through `Deref`) and the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminRow {
    pub info: AdminInfo,
    pub password_hash: String,
    pub phone: Option<String>,
    pub disabled: bool,
    pub last_active_at: Option<i64>,
}

impl AdminRow {
    pub fn info(&self) -> AdminInfo {
        self.info.clone()
    }

    /// An audit entry of something this admin did.
    pub fn audit<'a>(
        &self,
        action: crate::server::audit::Action,
        target: crate::server::audit::Target,
        ip: &'a str,
        outcome: crate::server::audit::Outcome,
        detail: &'a str,
    ) -> crate::server::audit::Entry<'a> {
        crate::server::audit::Entry { admin_id: Some(self.id), org_id: Some(self.org_id), action, target, ip, outcome, detail }
    }
}

impl std::ops::Deref for AdminRow {
    type Target = AdminInfo;
    fn deref(&self) -> &AdminInfo {
        &self.info
    }
}

const COLUMNS: &str =
    "a.id, a.username, a.display_name, a.org_id, o.name AS org_name, a.roles, a.password_hash, a.phone, a.disabled, a.last_active_at, a.merchant_id";

fn from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<AdminRow> {
    Ok(AdminRow {
        info: AdminInfo {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            org_id: r.try_get("org_id")?,
            org_name: r.try_get("org_name")?,
            roles: Role::parse_stored_list(&r.try_get::<String, _>("roles")?),
            merchant_id: r.try_get("merchant_id")?,
        },
        password_hash: r.try_get("password_hash")?,
        phone: r.try_get("phone")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        last_active_at: r.try_get("last_active_at")?,
    })
}

pub async fn by_username(pool: &AnyPool, username: &str) -> sqlx::Result<Option<AdminRow>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM admins a JOIN orgs o ON o.id = a.org_id WHERE a.username = $1"))
        .bind(username)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_id(pool: &AnyPool, id: i64) -> sqlx::Result<Option<AdminRow>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM admins a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Admins bound to a union inside `root`'s subtree.
pub async fn in_subtree(pool: &AnyPool, root: i64) -> sqlx::Result<Vec<AdminRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM admins a JOIN orgs o ON o.id = a.org_id
         JOIN org_closure c ON c.descendant_id = a.org_id AND c.ancestor_id = $1 ORDER BY o.depth, o.code, a.username"
    ))
    .bind(root)
    .fetch_all(pool)
    .await?;
    rows.iter().map(from_row).collect()
}

pub struct NewAdmin<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub org_id: i64,
    pub roles: &'a [Role],
    pub password_hash: &'a str,
    pub phone: Option<&'a str>,
    pub created_by: Option<i64>,
}

pub async fn insert(conn: &mut Conn, a: NewAdmin<'_>, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO admins (username, display_name, org_id, roles, password_hash, phone, disabled, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8) RETURNING id",
    )
    .bind(a.username)
    .bind(a.display_name)
    .bind(a.org_id)
    .bind(Role::join(a.roles))
    .bind(a.password_hash)
    .bind(a.phone)
    .bind(a.created_by)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Binds a new account to a merchant (the benefit area's staff accounts), in its creating
/// transaction.
pub async fn bind_merchant(conn: &mut Conn, id: i64, merchant_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE admins SET merchant_id = $1 WHERE id = $2").bind(merchant_id).bind(id).execute(conn).await.map(|_| ())
}

/// Disables an account and ends all its sessions.
pub async fn disable(conn: &mut Conn, id: i64) -> sqlx::Result<()> {
    set_disabled(conn, id, true).await
}

/// Disables (ending all its sessions) or re-enables an account.
pub async fn set_disabled(conn: &mut Conn, id: i64, disabled: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE admins SET disabled = $1 WHERE id = $2").bind(disabled as i64).bind(id).execute(&mut *conn).await?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE admin_id = $1").bind(id).execute(conn).await?;
    }
    Ok(())
}

pub async fn create_session(conn: &mut Conn, token_hash: &str, admin_id: i64, ip: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, admin_id, created_at, last_seen_at, ip) VALUES ($1, $2, $3, $3, $4)")
        .bind(token_hash)
        .bind(admin_id)
        .bind(now)
        .bind(ip)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The admin of a session, with the session's start and last activity.
pub async fn session(pool: &AnyPool, token_hash: &str) -> sqlx::Result<Option<(AdminRow, i64, i64)>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, s.created_at AS s_created, s.last_seen_at AS s_seen FROM sessions s
         JOIN admins a ON a.id = s.admin_id JOIN orgs o ON o.id = a.org_id WHERE s.token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    row.map(|r| Ok((from_row(&r)?, r.try_get("s_created")?, r.try_get("s_seen")?))).transpose()
}

pub async fn touch_admin(conn: &mut Conn, admin_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE admins SET last_active_at = $1 WHERE id = $2").bind(now).bind(admin_id).execute(conn).await.map(|_| ())
}

/// Records a sign-in attempt as a failure before its password is checked (a success deletes
/// it again), so a parallel burst counts in full; returns its id.
pub async fn record_failure(conn: &mut Conn, username: &str, ip: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO login_failures (username, ip, at) VALUES ($1, $2, $3) RETURNING id")
        .bind(username)
        .bind(ip)
        .bind(now)
        .fetch_one(conn)
        .await
}

pub async fn forget_failure(conn: &mut Conn, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE id = $1").bind(id).execute(conn).await.map(|_| ())
}

/// Failures since `since` for the username and for the IP.
pub async fn recent_failures(conn: &mut Conn, username: &str, ip: &str, since: i64) -> sqlx::Result<(i64, i64)> {
    let by_user: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at > $2")
        .bind(username)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
    let by_ip: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE ip = $1 AND at > $2").bind(ip).bind(since).fetch_one(conn).await?;
    Ok((by_user, by_ip))
}

/// The newest entries of the audit trail, with the admin's username.
pub async fn audit_rows(pool: &AnyPool, limit: i64) -> sqlx::Result<Vec<super::AuditRowView>> {
    sqlx::query(
        "SELECT l.id, l.at, COALESCE(a.username, '-') AS who, l.action, l.target, l.ip, l.outcome
         FROM audit_log l LEFT JOIN admins a ON a.id = l.admin_id ORDER BY l.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        Ok(super::AuditRowView {
            id: r.try_get("id")?,
            at: crate::calendar::format_local(r.try_get("at")?),
            who: r.try_get("who")?,
            action: r.try_get("action")?,
            target: r.try_get("target")?,
            ip: r.try_get("ip")?,
            outcome: r.try_get("outcome")?,
        })
    })
    .collect()
}

/// The time of the `nth` most recent failure (0 = newest) since `since`, by username or by IP.
pub async fn nth_failure_at(conn: &mut Conn, column_is_ip: bool, value: &str, since: i64, nth: i64) -> sqlx::Result<Option<i64>> {
    let column = if column_is_ip { "ip" } else { "username" };
    sqlx::query_scalar(&format!(
        "SELECT at FROM login_failures WHERE {column} = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET {}",
        nth.max(0)
    ))
    .bind(value)
    .bind(since)
    .fetch_optional(conn)
    .await
}

/// Sign-in attempts are counted and checked one at a time across instances (PostgreSQL; SQLite's
/// write gate already serialises writers), so a parallel burst is counted in full.
pub async fn lock_sign_in(conn: &mut Conn, backend: crate::server::db::Backend) -> sqlx::Result<()> {
    if backend == crate::server::db::Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7002)").execute(conn).await?;
    }
    Ok(())
}
