//! The transactional outbox. `enqueue` writes a message inside the caller's transaction, so a
//! message exists exactly when the change that causes it commits. The dispatcher claims due
//! messages under a lease (`SKIP LOCKED` on PostgreSQL, so several instances never take the same
//! one), sends each once, and records the outcome: sent; rate-limited or failed → rescheduled
//! with back-off; unknown → reconciled through the provider's delivery records, never resent
//! blindly. A message whose lease ran out mid-send is treated as unknown too.
//!
//! A message a request writes for this instance to send at once (a join's receipt) skips the
//! claim: it is written already leased to the running dispatcher and handed to it in memory
//! after the commit (`Handoff`), one write per message less. Should the hand-off never arrive (a
//! crash between commit and send), the lease runs out and the message is reconciled like any
//! other caught mid-send.
//!
//! Parameters carry secrets (codes, status links), so a row never holds them readable: they are
//! sealed with the keyring (the correlation id as associated data) when written, opened only to
//! send, and replaced by `{}` once the message is final (sent, cancelled or failed).
//!
//! Here: a message written, sealed, cancelled, counted. `dispatcher`: sending and reconciling.
//! `handoff`: the in-memory way from a request to its instance's dispatcher.
mod dispatcher;
mod handoff;

pub use dispatcher::{Claimed, Dispatcher};
pub use handoff::{Handoff, Lease};

use super::crypto::{random_token, Keyring};
use super::db::{Conn, Db, WriteTx};
use super::sms::Template;
use sqlx::any::AnyArguments;
use sqlx::Arguments;

/// After this many failed attempts a message stops and waits for an admin.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claim protects a message being sent.
pub const LEASE_SECS: i64 = 60;

/// What a final message keeps of its parameters.
pub const REDACTED_PARAMS: &str = "{}";

fn row_identity(correlation_id: &str) -> String {
    format!("outbox:{correlation_id}")
}

/// The sealed parameters, for rotation (`row_identity` in SQL).
pub const RESEALED: super::crypto::reseal::SealedColumn =
    super::crypto::reseal::SealedColumn { table: "outbox", pk: "id", column: "params", identity_sql: "'outbox:' || correlation_id" };

/// The parameters as stored: sealed with the database handle's keyring, bound to the message.
fn seal_params(keys: Option<&Keyring>, correlation_id: &str, params: &serde_json::Value) -> sqlx::Result<String> {
    let keys = keys.ok_or_else(|| sqlx::Error::Configuration("the outbox needs the keyring (Db::with_keys)".into()))?;
    Ok(keys.seal_text(&params.to_string(), &row_identity(correlation_id)))
}

/// The parameters to send: opened, or read as they are from a row written before sealing.
fn open_params(keys: Option<&Keyring>, correlation_id: &str, stored: &str) -> Option<serde_json::Value> {
    let plain = if stored.starts_with(super::crypto::SEALED_TEXT_PREFIX) {
        keys?.open_text(stored, &row_identity(correlation_id)).ok()?
    } else {
        stored.to_string()
    };
    serde_json::from_str(&plain).ok()
}

/// Writes a message to the outbox inside the caller's transaction; returns its correlation id.
pub async fn enqueue(conn: &mut WriteTx, now: i64, to: &str, template: Template, params: serde_json::Value) -> sqlx::Result<String> {
    let message = Prepared::new(conn, to, template, &params)?;
    let mut args = AnyArguments::default();
    message.add_to(&mut args).and_then(|_| args.add(now)).map_err(sqlx::Error::Encode)?;
    sqlx::query_with(&Prepared::insert_sql(1, Prepared::VALUES + 1, ""), args).execute(&mut **conn).await?;
    Ok(message.correlation_id)
}

/// A message sealed and ready to be written by a statement of the caller's, one that also writes
/// what causes the message (a single round trip to the database for both): `insert_sql` is the
/// INSERT, `add_to` gives its `VALUES` values in order. Written pending, or leased to this
/// instance's dispatcher (`handed_to`) and then given to it by `hand` after the commit.
pub struct Prepared {
    correlation_id: String,
    to: String,
    template: &'static str,
    sealed: String,
    lease: Option<Lease>,
}

impl Prepared {
    /// How many values `add_to` gives.
    pub const VALUES: usize = 9;

    pub fn new(tx: &WriteTx, to: &str, template: Template, params: &serde_json::Value) -> sqlx::Result<Prepared> {
        Prepared::sealed(tx.keys(), to, template, params)
    }

    /// `new` for a statement that is its own transaction (see `Db::write_once`).
    pub fn for_db(db: &Db, to: &str, template: Template, params: &serde_json::Value) -> sqlx::Result<Prepared> {
        Prepared::sealed(db.keys(), to, template, params)
    }

    fn sealed(keys: Option<&Keyring>, to: &str, template: Template, params: &serde_json::Value) -> sqlx::Result<Prepared> {
        let correlation_id = random_token();
        let sealed = seal_params(keys, &correlation_id, params)?;
        Ok(Prepared { correlation_id, to: to.to_string(), template: template.as_str(), sealed, lease: None })
    }

    /// Written leased to the dispatcher that gave `lease` (`None`: none runs or its queue is
    /// full; the message is written pending).
    pub fn handed_to(self, lease: Option<Lease>) -> Prepared {
        Prepared { lease, ..self }
    }

    /// `INSERT INTO outbox … SELECT $first … $first+8, $now, $now … {tail}`: the message's values
    /// from parameter `first` on; `tail` is the rest of the SELECT (a `FROM` or a `WHERE` that
    /// decides whether the message is written).
    pub fn insert_sql(first: usize, now: usize, tail: &str) -> String {
        let values: Vec<String> = (first..first + Prepared::VALUES).map(|i| format!("${i}")).collect();
        format!(
            "INSERT INTO outbox (correlation_id, to_phone, template, params, status, attempts, lease_owner, lease_until,
                 last_attempt_at, next_attempt_at, created_at)
             SELECT {}, ${now}, ${now} {tail}",
            values.join(", ")
        )
    }

    pub fn add_to(&self, args: &mut AnyArguments<'_>) -> Result<(), sqlx::error::BoxDynError> {
        let (status, attempts, lease_owner, lease_until, last_attempt_at) = self.lease_values();
        args.add(self.correlation_id.clone())?;
        args.add(self.to.clone())?;
        args.add(self.template)?;
        args.add(self.sealed.clone())?;
        args.add(status)?;
        args.add(attempts)?;
        args.add(lease_owner)?;
        args.add(lease_until)?;
        args.add(last_attempt_at)
    }

    /// The columns of a message given as a JSON row (`json_to_recordset`), for a statement that
    /// writes many (see `server::group`): `add_json` gives them, `insert_from_record` writes them.
    pub const RECORD: &'static str = "correlation_id text, to_phone text, template text, params text, status text,
        attempts bigint, lease_owner text, lease_until bigint, last_attempt_at bigint";

    /// `INSERT INTO outbox … SELECT` of the `RECORD` columns of the row named `row`, at the time
    /// `now` (SQL); `tail` is the rest of the SELECT (its `FROM`).
    pub fn insert_from_record(row: &str, now: &str, tail: &str) -> String {
        format!(
            "INSERT INTO outbox (correlation_id, to_phone, template, params, status, attempts, lease_owner, lease_until,
                 last_attempt_at, next_attempt_at, created_at)
             SELECT {row}.correlation_id, {row}.to_phone, {row}.template, {row}.params, {row}.status, {row}.attempts,
                 {row}.lease_owner, {row}.lease_until, {row}.last_attempt_at, {now}, {now} {tail}"
        )
    }

    /// Adds the message's `RECORD` columns to a JSON row.
    pub fn add_json(&self, row: &mut serde_json::Map<String, serde_json::Value>) {
        let (status, attempts, lease_owner, lease_until, last_attempt_at) = self.lease_values();
        row.insert("correlation_id".into(), self.correlation_id.clone().into());
        row.insert("to_phone".into(), self.to.clone().into());
        row.insert("template".into(), self.template.into());
        row.insert("params".into(), self.sealed.clone().into());
        row.insert("status".into(), status.into());
        row.insert("attempts".into(), attempts.into());
        row.insert("lease_owner".into(), lease_owner.into());
        row.insert("lease_until".into(), lease_until.into());
        row.insert("last_attempt_at".into(), last_attempt_at.into());
    }

    /// Status, attempts, lease owner, lease end and attempt time the message is written with: a
    /// leased message's first attempt begins now, under the lease, as a claim would begin it.
    fn lease_values(&self) -> (&'static str, i64, Option<String>, Option<i64>, Option<i64>) {
        match &self.lease {
            Some(l) => ("sending", 1, Some(l.owner.to_string()), Some(l.at + LEASE_SECS), Some(l.at)),
            None => ("pending", 0, None, None, None),
        }
    }

    /// After the commit that wrote the message as row `id`: a leased message goes to the
    /// dispatcher now. False when it was written pending — the caller wakes the dispatcher.
    pub fn hand(self, id: i64) -> bool {
        let Some(lease) = self.lease else {
            return false;
        };
        let lease_until = lease.at + LEASE_SECS;
        lease.send(Claimed {
            id,
            correlation_id: self.correlation_id,
            to: self.to,
            template: self.template.to_string(),
            params: self.sealed,
            attempts: 1,
            lease_until,
        });
        true
    }
}

/// Like `enqueue`, but held back until `send_at` (the undo window of a decision); returns the
/// row id, so an undo can cancel it while it still waits.
pub async fn enqueue_at(
    conn: &mut WriteTx,
    now: i64,
    send_at: i64,
    to: &str,
    template: Template,
    params: serde_json::Value,
) -> sqlx::Result<i64> {
    let correlation_id = random_token();
    let sealed = seal_params(conn.keys(), &correlation_id, &params)?;
    sqlx::query_scalar(
        "INSERT INTO outbox (correlation_id, to_phone, template, params, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6) RETURNING id",
    )
    .bind(&correlation_id)
    .bind(to)
    .bind(template.as_str())
    .bind(sealed)
    .bind(send_at)
    .bind(now)
    .fetch_one(&mut **conn)
    .await
}

/// Cancels a message that has not been claimed yet; false when it is already on its way. A
/// cancelled message keeps no parameters.
pub async fn cancel(conn: &mut Conn, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE outbox SET status = 'cancelled', params = $2 WHERE id = $1 AND status = 'pending'")
        .bind(id)
        .bind(REDACTED_PARAMS)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The outbox's state for health checks: (messages not yet final, the oldest one's creation
/// time, messages that gave up).
pub async fn backlog(db: &Db) -> sqlx::Result<(i64, Option<i64>, i64)> {
    sqlx::query_as(
        "SELECT CAST(COUNT(CASE WHEN status IN ('pending', 'sending', 'unknown') THEN 1 END) AS BIGINT),
                MIN(CASE WHEN status IN ('pending', 'sending', 'unknown') THEN created_at END),
                CAST(COUNT(CASE WHEN status = 'failed' THEN 1 END) AS BIGINT)
         FROM outbox WHERE status IN ('pending', 'sending', 'unknown', 'failed')",
    )
    .fetch_one(&db.pool)
    .await
}

/// Back-off after the n-th failed attempt: 10 s, 20 s, 40 s … capped at one hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    (10i64 << attempts.clamp(1, 20).saturating_sub(1)).min(3600)
}

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_secs(1), 10);
        assert_eq!(backoff_secs(2), 20);
        assert_eq!(backoff_secs(4), 80);
        assert_eq!(backoff_secs(30), 3600);
    }
}
