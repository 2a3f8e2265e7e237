//! The SQL of a join in few round trips. A post that keeps every rule is written with the
//! joins posted at the same time, in one transaction (`grouped`). Any other takes the full
//! path: what the submit reads (one statement: the chosen union, the post's earlier
//! application and the phone's live code) and what it writes (one statement: the code
//! consumed, the application, its status link and its receipt SMS).
//! Writers of one phone are serialised (its advisory lock on PostgreSQL, the write gate on
//! SQLite), so what is read still holds when the write runs.
use super::codes::StoredCode;
use super::{application_args, application_values, NewApplication, APPLICATION_COLUMNS};
use crate::org::OrgKind;
use crate::server::db::{Backend, Conn};
use crate::server::outbox;
use sqlx::{Arguments, Row};

/// What the submit reads before it writes.
pub struct Prior {
    /// The chosen union, when one was asked for and exists: its kind and whether it runs a
    /// turnover pool.
    pub workplace: Option<(OrgKind, bool)>,
    /// The application this submission key made already, and the code it was made with.
    pub by_key: Option<(i64, Option<i64>)>,
    /// The phone's newest unused code for the purpose.
    pub live_code: Option<StoredCode>,
}

pub async fn prior(conn: &mut Conn, key: &str, phone: &str, purpose: &str, workplace: Option<i64>) -> sqlx::Result<Prior> {
    let row = sqlx::query(
        "SELECT a.id, a.join_code_id, c.id, c.phone, c.code_mac, c.expires_at, c.wrong_tries, w.kind, w.has_pool
         FROM (SELECT 1 AS one) o
         LEFT JOIN applications a ON a.submission_key = $1
         LEFT JOIN sms_codes c ON c.id = (SELECT id FROM sms_codes WHERE phone = $2 AND purpose = $3 AND used_at IS NULL
                                          ORDER BY created_at DESC, id DESC LIMIT 1)
         LEFT JOIN orgs w ON w.id = $4",
    )
    .bind(key)
    .bind(phone)
    .bind(purpose)
    .bind(workplace)
    .fetch_one(conn)
    .await?;
    let by_key = row.try_get::<Option<i64>, _>(0)?.map(|id| Ok::<_, sqlx::Error>((id, row.try_get(1)?))).transpose()?;
    let live_code = match row.try_get::<Option<i64>, _>(2)? {
        Some(id) => Some(StoredCode {
            id,
            phone: row.try_get(3)?,
            code_mac: row.try_get(4)?,
            expires_at: row.try_get(5)?,
            wrong_tries: row.try_get(6)?,
        }),
        None => None,
    };
    let workplace = match row.try_get::<Option<String>, _>(7)? {
        Some(kind) => Some((OrgKind::parse(&kind).unwrap_or(OrgKind::Enterprise), row.try_get::<i64, _>(8)? != 0)),
        None => None,
    };
    Ok(Prior { workplace, by_key, live_code })
}

/// What a submit writes once its code checked out.
pub struct Receipt<'a> {
    pub code_id: i64,
    pub application: NewApplication<'a>,
    pub status_token_hash: &'a str,
    pub message: &'a outbox::Prepared,
}

/// What `receive` did.
#[derive(Debug, PartialEq, Eq)]
pub struct Received {
    /// The code was unused and is consumed now (false: nothing was written).
    pub code_consumed: bool,
    /// The new application; `None` when the person has an open application or membership (the
    /// code is consumed, no link and no SMS are written).
    pub application_id: Option<i64>,
    /// The receipt's outbox row, written with the application.
    pub message_id: Option<i64>,
}

/// Consumes the code and writes the application, its status link and its receipt SMS, in one
/// round trip: a statement of data-modifying parts on PostgreSQL, a script of statements each
/// gated on the one before (`changes()`) on SQLite.
pub async fn receive(conn: &mut Conn, backend: Backend, r: Receipt<'_>) -> sqlx::Result<Received> {
    // $1…$22 the application ($1 its submission key, $17 the time), then these.
    const CODE: usize = 23;
    const TOKEN: usize = 24;
    const MESSAGE: usize = 25;
    let values = application_values("$22");
    let sql = match backend {
        Backend::Postgres => format!(
            "WITH used AS (UPDATE sms_codes SET used_at = $17 WHERE id = ${CODE} AND used_at IS NULL RETURNING id),
             app AS (INSERT INTO applications ({APPLICATION_COLUMNS}) SELECT {values} FROM used
                     ON CONFLICT (open_key) DO NOTHING RETURNING id),
             link AS (INSERT INTO status_tokens (token_hash, application_id, created_at) SELECT ${TOKEN}, id, $17 FROM app),
             message AS ({})
             SELECT (SELECT COUNT(*) FROM used), (SELECT id FROM app), (SELECT id FROM message)",
            outbox::Prepared::insert_sql(MESSAGE, 17, "FROM app RETURNING id")
        ),
        // `changes()` is the row count of the statement before: each part runs only when the
        // one before it wrote its row (the code consumed, the application not a duplicate).
        Backend::Sqlite => format!(
            "UPDATE sms_codes SET used_at = $17 WHERE id = ${CODE} AND used_at IS NULL;
             INSERT INTO applications ({APPLICATION_COLUMNS}) SELECT {values} WHERE changes() = 1
                ON CONFLICT (open_key) DO NOTHING;
             INSERT INTO status_tokens (token_hash, application_id, created_at)
                SELECT ${TOKEN}, id, $17 FROM applications WHERE submission_key = $1 AND changes() = 1;
             {};
             SELECT (SELECT COUNT(*) FROM sms_codes WHERE id = ${CODE} AND used_at = $17),
                    (SELECT id FROM applications WHERE submission_key = $1),
                    (SELECT id FROM outbox WHERE correlation_id = ${MESSAGE})",
            outbox::Prepared::insert_sql(MESSAGE, 17, "WHERE changes() = 1")
        ),
    };
    let mut args = application_args(r.application)?;
    let added = (|| {
        args.add(r.code_id)?;
        args.add(r.status_token_hash)?;
        r.message.add_to(&mut args)
    })();
    added.map_err(sqlx::Error::Encode)?;
    // Every row of the script, not the first: on SQLite the earlier statements yield results.
    let rows = sqlx::query_with(&sql, args).fetch_all(conn).await?;
    let row = rows.last().ok_or(sqlx::Error::RowNotFound)?;
    Ok(Received { code_consumed: row.try_get::<i64, _>(0)? == 1, application_id: row.try_get(1)?, message_id: row.try_get(2)? })
}

/// Where a direct join may go: the union must still take applications (checked in the
/// statement, as `prior` reads it for the full path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Fixed by an active join channel, read before.
    Channel,
    /// A union that is not a federation.
    Union,
    /// A federation's turnover pool.
    Pool,
}

/// A join that keeps every rule, written with the others posted at the same time
/// (`grouped`): the phone's newest unused code is the one typed (MAC under the active key), live
/// and not worn out, and the union takes applications; the application is written from the
/// code's row (not when the person has an open one, nor when this post's key made one
/// already), and only then are the code consumed and the link and the receipt written.
pub struct Direct<'a> {
    /// The application; its `join_code_id` is the code the statement finds.
    pub application: NewApplication<'a>,
    pub place: Place,
    pub purpose: &'a str,
    /// The typed code's MAC under the active key.
    pub code_mac: &'a str,
    pub max_wrong_tries: i64,
    pub status_token_hash: &'a str,
    pub message: &'a outbox::Prepared,
}
