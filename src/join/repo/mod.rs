//! The SQL of the join area: applications and their status links (here), one-time codes and
//! picture checks (submodules).
pub mod captchas;
pub mod codes;
pub mod grouped;
pub mod receive;
pub mod rekey;

use super::ui::status::StatusView;
use crate::server::db::Conn;
use sqlx::any::AnyArguments;
use sqlx::{AnyPool, Arguments, Row};

pub struct NewApplication<'a> {
    pub submission_key: &'a str,
    pub name: &'a str,
    pub id_cipher: Vec<u8>,
    pub id_key_id: i64,
    pub id_blind: &'a str,
    /// The key that made `id_blind` (the active one).
    pub id_blind_key: i64,
    pub id_masked: &'a str,
    pub birth_date: String,
    pub sex: crate::domain::Sex,
    pub phone: &'a str,
    pub org_id: i64,
    pub in_pool: bool,
    pub channel_id: Option<i64>,
    pub occupation: Option<&'a str>,
    pub plate: Option<&'a str>,
    pub consent_ip: &'a str,
    pub now: i64,
    pub due_at: i64,
    pub due_provisional: bool,
    /// The code the application was made with (its twin post must present it again).
    pub join_code_id: Option<i64>,
}

pub use super::types::ApplicationStatus;

/// Adds an application; `None` when the person has an open one already (the `open_key` unique
/// index answers, so the check and the write are one statement and no race slips between).
pub async fn insert(conn: &mut Conn, a: NewApplication<'_>) -> sqlx::Result<Option<i64>> {
    let sql = format!(
        "INSERT INTO applications ({APPLICATION_COLUMNS}) VALUES ({}) ON CONFLICT (open_key) DO NOTHING RETURNING id",
        application_values("$22")
    );
    sqlx::query_scalar_with(&sql, application_args(a)?).fetch_optional(conn).await
}

/// The columns an application is written with, and their values as parameters `$1`…`$22` in
/// the order `application_args` gives them (`$1` is the submission key, `$17` the time, `$22`
/// the code: see `application_values`).
const APPLICATION_COLUMNS: &str = "submission_key, name, id_cipher, id_key_id, id_blind, id_masked, birth_date, sex, phone,
    org_id, in_pool, channel_id, occupation, plate, status, open_key, consent_version, consent_at, consent_ip,
    submitted_at, due_at, due_provisional, clock_from, id_blind_key, join_code_id";
const APPLICATION_VALUES: &str =
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $5, $16, $17, $18, $17, $19, $20, $17, $21";

/// The values of `APPLICATION_COLUMNS` in order, the last one, the code, given as SQL (`$22`,
/// or what a statement finds).
fn application_values(join_code: &str) -> String {
    format!("{APPLICATION_VALUES}, {join_code}")
}

fn application_args(a: NewApplication<'_>) -> sqlx::Result<AnyArguments<'_>> {
    let mut args = AnyArguments::default();
    let added = (|| {
        args.add(a.submission_key)?;
        args.add(a.name)?;
        args.add(a.id_cipher)?;
        args.add(a.id_key_id)?;
        args.add(a.id_blind)?;
        args.add(a.id_masked)?;
        args.add(a.birth_date)?;
        args.add(a.sex.code())?;
        args.add(a.phone)?;
        args.add(a.org_id)?;
        args.add(a.in_pool as i64)?;
        args.add(a.channel_id)?;
        args.add(a.occupation)?;
        args.add(a.plate)?;
        args.add(ApplicationStatus::Pending.as_str())?;
        args.add(super::types::CONSENT_VERSION)?;
        args.add(a.now)?;
        args.add(a.consent_ip)?;
        args.add(a.due_at)?;
        args.add(a.due_provisional as i64)?;
        args.add(a.id_blind_key)?;
        args.add(a.join_code_id)
    })();
    added.map_err(sqlx::Error::Encode)?;
    Ok(args)
}

/// A status link stops showing its application this long after the decision (or after the
/// link was issued, for a link sent after the decision). Pending applications' links live on.
pub const STATUS_LINK_SECS_AFTER_DECISION: i64 = 90 * 86_400;

fn link_expired(decided_at: Option<i64>, link_created_at: i64, now: i64) -> bool {
    decided_at.is_some_and(|d| now >= d.max(link_created_at) + STATUS_LINK_SECS_AFTER_DECISION)
}

/// The open application or membership of a person (by blind index): id and phone on file.
pub async fn open_by_blind_index(conn: &mut Conn, blind: &str) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as("SELECT id, phone FROM applications WHERE open_key = $1").bind(blind).fetch_optional(conn).await
}

pub async fn add_status_token(conn: &mut Conn, application_id: i64, token_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO status_tokens (token_hash, application_id, created_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(application_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}

/// What the status page shows: masked values only; for an expired link nothing but that.
pub async fn status_by_token_hash(pool: &AnyPool, token_hash: &str, now: i64) -> sqlx::Result<Option<StatusView>> {
    let row = sqlx::query(
        "SELECT a.name, a.id_masked, a.phone, a.status, a.in_pool, a.submitted_at, a.due_at, a.due_provisional,
                a.decided_at, a.decision_reason, o.name AS org_name, t.created_at AS link_created_at
         FROM status_tokens t JOIN applications a ON a.id = t.application_id JOIN orgs o ON o.id = a.org_id
         WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        if link_expired(r.try_get("decided_at")?, r.try_get("link_created_at")?, now) {
            return Ok(StatusView::expired());
        }
        let name: String = r.try_get("name")?;
        let phone: String = r.try_get("phone")?;
        Ok(StatusView {
            name_masked: crate::domain::PersonName::mask_stored(&name),
            id_masked: r.try_get("id_masked")?,
            phone_masked: crate::domain::Phone::mask_stored(&phone),
            status: status_of(&r.try_get::<String, _>("status")?)?,
            org_name: r.try_get("org_name")?,
            in_pool: r.try_get::<i64, _>("in_pool")? != 0,
            submitted_at: crate::calendar::format_local(r.try_get("submitted_at")?),
            due_at: crate::calendar::format_local(r.try_get("due_at")?),
            due_provisional: r.try_get::<i64, _>("due_provisional")? != 0,
            decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(crate::calendar::format_local),
            reason: r.try_get("decision_reason")?,
            path: String::new(),
            error: None,
            expired: false,
        })
    })
    .transpose()
}

/// A stored status as its type; anything else is a fault of the data, reported as such.
pub fn status_of(stored: &str) -> sqlx::Result<ApplicationStatus> {
    ApplicationStatus::parse(stored).ok_or_else(|| sqlx::Error::Decode(format!("unknown application status {stored:?}").into()))
}

/// The application behind a live (unexpired) status link, with its status.
pub async fn by_token_hash(pool: &AnyPool, token_hash: &str, now: i64) -> sqlx::Result<Option<(i64, ApplicationStatus)>> {
    let row: Option<(i64, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT a.id, a.status, a.decided_at, t.created_at FROM status_tokens t JOIN applications a ON a.id = t.application_id
         WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    row.filter(|(_, _, decided_at, created_at)| !link_expired(*decided_at, *created_at, now))
        .map(|(id, status, _, _)| Ok((id, status_of(&status)?)))
        .transpose()
}

/// A returned application back to pending with the corrected fields and a fresh deadline — one
/// conditional write; false when it was not (or no longer) returned.
/// The union an application is counted under.
pub async fn org_of(conn: &mut Conn, application_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT org_id FROM applications WHERE id = $1").bind(application_id).fetch_one(conn).await
}

pub async fn resubmit(
    conn: &mut Conn,
    application_id: i64,
    name: &crate::domain::PersonName,
    plate: Option<&crate::domain::PlateNumber>,
    now: i64,
    deadline: &crate::calendar::Deadline,
) -> sqlx::Result<bool> {
    let changed = sqlx::query(
        "UPDATE applications SET name = $1, plate = $2, status = $3, clock_from = $4, due_at = $5, due_provisional = $6,
                decided_at = NULL, decided_by = NULL, decision_reason = NULL
         WHERE id = $7 AND status = $8",
    )
    .bind(name.as_str())
    .bind(plate.map(|p| p.as_str()))
    .bind(ApplicationStatus::Pending.as_str())
    .bind(now)
    .bind(deadline.due_at)
    .bind(deadline.provisional as i64)
    .bind(application_id)
    .bind(ApplicationStatus::Returned.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_expire_90_days_after_the_decision_or_their_issue() {
        let day = 86_400;
        assert!(!link_expired(None, 0, 1000 * day), "pending: never");
        assert!(!link_expired(Some(10 * day), 0, 99 * day));
        assert!(link_expired(Some(10 * day), 0, 100 * day));
        assert!(!link_expired(Some(10 * day), 50 * day, 100 * day), "a link sent after the decision lives 90 days");
    }
}
