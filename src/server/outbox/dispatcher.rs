//! The dispatcher: claims due messages under a lease (`SKIP LOCKED` on PostgreSQL, so several
//! instances never take the same one), sends what it claims or is handed, each once, and
//! records the outcome: sent; rate-limited or failed → rescheduled with back-off; unknown →
//! reconciled through the provider's delivery records, never resent blindly.
use super::{backoff_secs, open_params, Handoff, LEASE_SECS, MAX_ATTEMPTS, REDACTED_PARAMS};
use crate::server::clock::Clock;
use crate::server::db::Db;
use crate::server::sms::{DeliveryStatus, Outgoing, SendOutcome, SmsProvider, Template};
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

const BATCH: i64 = 16;
/// How long a woken dispatcher waits for the rest of a burst before it claims.
const GATHER: Duration = Duration::from_millis(10);

#[derive(Clone)]
pub struct Dispatcher {
    pub db: Db,
    pub provider: Arc<dyn SmsProvider>,
    pub clock: Arc<dyn Clock>,
    pub notify: Arc<Notify>,
    /// This instance's name on the leases it takes.
    pub owner: String,
    pub metrics: Arc<crate::server::metrics::Metrics>,
    pub shutdown: crate::server::shutdown::Shutdown,
    /// The clock second of this dispatcher's last reconciliation: once a second is enough
    /// (leases last a minute), however often an enqueue wakes it.
    pub reconciled_at: Arc<std::sync::atomic::AtomicI64>,
    /// Where requests hand this dispatcher what they wrote leased to it.
    pub handoff: Handoff,
}

/// A message this dispatcher holds the lease of, to send.
pub struct Claimed {
    pub(super) id: i64,
    pub(super) correlation_id: String,
    pub(super) to: String,
    pub(super) template: String,
    /// Sealed, as stored.
    pub(super) params: String,
    pub(super) attempts: i64,
    pub(super) lease_until: i64,
}

impl Dispatcher {
    /// Runs until the stop: claims what is due on every enqueue notice and at least once a
    /// second, and sends what requests hand it (`Handoff`) as it comes. On the stop it takes no
    /// more hand-offs, sends those it holds, finishes the pass it is in, then hands back its
    /// leases (`release`).
    pub async fn run(self) {
        let mut handed = self.handoff.open(&self.owner);
        let mut claim_due = true;
        let mut next_pass = tokio::time::Instant::now();
        while !self.shutdown.is_begun() {
            if claim_due || tokio::time::Instant::now() >= next_pass {
                if let Err(e) = self.tick().await {
                    tracing::error!(error = %e, "outbox tick failed");
                }
                claim_due = false;
                next_pass = tokio::time::Instant::now() + Duration::from_secs(1);
            }
            tokio::select! {
                // Woken by an enqueue: the others of a burst (many joins at once) are given a
                // moment to commit, so they leave in one claim rather than one each.
                _ = self.notify.notified() => {
                    tokio::time::sleep(GATHER).await;
                    claim_due = true;
                }
                Some(first) = handed.recv() => {
                    tokio::time::sleep(GATHER).await;
                    let mut batch = vec![first];
                    while let Ok(m) = handed.try_recv() {
                        batch.push(m);
                    }
                    self.send_handed(batch).await;
                }
                _ = tokio::time::sleep_until(next_pass) => {}
                _ = self.shutdown.wait() => {}
            }
        }
        // No new hand-offs; those already promised (a request between its write and its
        // commit) still arrive, and are sent before the leases are handed back.
        self.handoff.close();
        handed.close();
        let mut rest = Vec::new();
        while let Some(m) = handed.recv().await {
            rest.push(m);
        }
        self.send_handed(rest).await;
        if let Err(e) = self.tick().await {
            tracing::error!(error = %e, "outbox tick failed");
        }
        match self.release().await {
            Ok(n) if n > 0 => tracing::info!(released = n, "outbox leases handed back"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox leases not handed back; they run out in a minute"),
        }
    }

    /// Sends handed messages in batches. One that waited so long that its lease could run out
    /// mid-send is left alone: when the lease has run out it is reconciled, never sent twice.
    async fn send_handed(&self, batch: Vec<Claimed>) {
        let now = self.clock.now();
        let (fresh, stale): (Vec<Claimed>, Vec<Claimed>) = batch.into_iter().partition(|m| now < m.lease_until - LEASE_SECS / 2);
        if !stale.is_empty() {
            tracing::warn!(messages = stale.len(), "handed messages waited too long; left to reconciliation");
        }
        let mut fresh = fresh.into_iter().peekable();
        while fresh.peek().is_some() {
            let batch: Vec<Claimed> = fresh.by_ref().take(4 * BATCH as usize).collect();
            if let Err(e) = self.send_batch(batch).await {
                tracing::error!(error = %e, "outcomes of handed messages not recorded; their leases run out and they are reconciled");
            }
        }
    }

    /// Hands back this instance's leases at a stop, so another instance (or the next start)
    /// takes the messages at once instead of a minute later. A message caught mid-send may or
    /// may not have gone out: it becomes `unknown` and is reconciled through the provider's
    /// records, never resent blindly. Returns the messages handed back.
    pub async fn release(&self) -> sqlx::Result<u64> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE outbox SET status = CASE WHEN status = 'sending' THEN 'unknown' ELSE status END,
             lease_owner = NULL, lease_until = NULL, next_attempt_at = $1
             WHERE lease_owner = $2 AND status IN ('sending', 'unknown')",
        )
        .bind(now)
        .bind(&self.owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// One pass: reconcile unknown outcomes, then send what is due. Returns messages handled.
    /// A batch is claimed in one statement, sent side by side (a provider's answer takes a
    /// network round trip each), and its outcomes are recorded in one statement.
    pub async fn tick(&self) -> anyhow::Result<usize> {
        use std::sync::atomic::Ordering;
        let second = self.clock.now();
        let reconciled = if self.reconciled_at.swap(second, Ordering::Relaxed) != second { self.reconcile().await? } else { 0 };
        let mut sent = 0;
        loop {
            let batch = self.claim().await?;
            if batch.is_empty() {
                break;
            }
            // A short batch took all that was due: no need to ask again (a message enqueued
            // since has woken the next pass already).
            let last = (batch.len() as i64) < BATCH;
            sent += batch.len();
            self.send_batch(batch).await?;
            if last {
                break;
            }
        }
        Ok(reconciled + sent)
    }

    /// Sends messages this dispatcher holds the leases of, side by side across phones, and
    /// records their outcomes in one statement.
    async fn send_batch(&self, batch: Vec<Claimed>) -> sqlx::Result<()> {
        // One phone's messages in their order (a code sent again arrives after the one it
        // replaces).
        let mut by_phone: Vec<Vec<Claimed>> = Vec::new();
        for m in batch {
            match by_phone.iter_mut().find(|g| g[0].to == m.to) {
                Some(g) => g.push(m),
                None => by_phone.push(vec![m]),
            }
        }
        let sends = by_phone.into_iter().map(|messages| async move {
            let mut outcomes = Vec::with_capacity(messages.len());
            for m in messages {
                outcomes.push(self.deliver(m).await);
            }
            outcomes
        });
        let outcomes: Vec<Finish> = futures_util::future::join_all(sends).await.into_iter().flatten().collect();
        self.finish_all(&outcomes).await
    }

    async fn claim(&self) -> sqlx::Result<Vec<Claimed>> {
        let now = self.clock.now();
        let sql = format!(
            "UPDATE outbox SET status = 'sending', lease_owner = $1, lease_until = $2, attempts = attempts + 1, last_attempt_at = $3
             WHERE status = 'pending' AND id IN (
                 SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 ORDER BY next_attempt_at, id LIMIT $4{})
             RETURNING id, correlation_id, to_phone, template, params, attempts, next_attempt_at",
            self.db.skip_locked()
        );
        // One statement, its own transaction.
        let mut conn = self.db.write_once().await?;
        let rows = sqlx::query(&sql).bind(&self.owner).bind(now + LEASE_SECS).bind(now).bind(BATCH).fetch_all(&mut *conn).await?;
        drop(conn);
        let mut claimed = Vec::with_capacity(rows.len());
        for r in rows {
            let due: i64 = r.try_get("next_attempt_at")?;
            claimed.push((
                due,
                Claimed {
                    id: r.try_get("id")?,
                    correlation_id: r.try_get("correlation_id")?,
                    to: r.try_get("to_phone")?,
                    template: r.try_get("template")?,
                    params: r.try_get("params")?,
                    attempts: r.try_get("attempts")?,
                    lease_until: now + LEASE_SECS,
                },
            ));
        }
        // In the order they fell due (RETURNING has none of its own).
        claimed.sort_by_key(|(due, m)| (*due, m.id));
        Ok(claimed.into_iter().map(|(_, m)| m).collect())
    }

    /// Sends one claimed message; returns what to record of it.
    async fn deliver(&self, m: Claimed) -> Finish {
        let Some(template) = Template::from_name(&m.template) else {
            return Finish::new(m.id, "failed").error("unknown template");
        };
        let Some(params) = open_params(self.db.keys(), &m.correlation_id, &m.params) else {
            tracing::error!(correlation_id = %m.correlation_id, "outbox parameters do not open; not sent");
            return Finish::new(m.id, "failed").error("parameters do not open");
        };
        let outgoing = Outgoing { correlation_id: m.correlation_id.clone(), to: m.to.clone(), template, params };
        let outcome = match tokio::time::timeout(Duration::from_secs(LEASE_SECS as u64 / 2), self.provider.send(&outgoing)).await {
            Ok(outcome) => outcome,
            Err(_) => SendOutcome::Unknown { detail: "provider did not answer in time".into() },
        };
        let now = self.clock.now();
        let result = match &outcome {
            SendOutcome::Sent { .. } => "sent",
            SendOutcome::RateLimited { .. } => "rate_limited",
            SendOutcome::Failed { .. } => "failed",
            SendOutcome::Unknown { .. } => "unknown",
        };
        self.metrics.sms_result(self.provider.name(), &m.template, result);
        match outcome {
            SendOutcome::Sent { provider_message_id } => {
                Finish { provider_message_id: Some(provider_message_id), ..Finish::new(m.id, "sent") }
            }
            // Not the message's fault: the attempt does not count towards giving up.
            SendOutcome::RateLimited { retry_after_secs, detail } => Finish {
                attempt_counts: false,
                ..Finish::new(m.id, "pending").error(&format!("rate limited: {detail}")).at(now + retry_after_secs.max(60))
            },
            SendOutcome::Failed { detail } if m.attempts < MAX_ATTEMPTS => {
                tracing::warn!(correlation_id = %m.correlation_id, attempts = m.attempts, %detail, "SMS send failed; rescheduled");
                Finish::new(m.id, "pending").error(&detail).at(now + backoff_secs(m.attempts))
            }
            SendOutcome::Failed { detail } => {
                tracing::error!(correlation_id = %m.correlation_id, %detail, "SMS send failed for good");
                Finish::new(m.id, "failed").error(&detail)
            }
            SendOutcome::Unknown { detail } => {
                tracing::warn!(correlation_id = %m.correlation_id, %detail, "SMS outcome unknown; will reconcile");
                Finish::new(m.id, "unknown").error(&detail)
            }
        }
    }

    /// Records the outcomes of a batch in one statement; each only while this instance still
    /// holds the message's lease.
    async fn finish_all(&self, outcomes: &[Finish]) -> sqlx::Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        // $1…$4 are shared; then a message's six values, typed for the VALUES list.
        const SHARED: usize = 4;
        const TYPES: [&str; 6] = ["BIGINT", "TEXT", "TEXT", "TEXT", "BIGINT", "BIGINT"];
        let rows: Vec<String> = (0..outcomes.len())
            .map(|i| {
                let cells: Vec<String> =
                    TYPES.iter().enumerate().map(|(k, t)| format!("CAST(${} AS {t})", SHARED + TYPES.len() * i + k + 1)).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        // A final message is scrubbed: the outbox keeps no code and no link once it is done.
        let sql = format!(
            "WITH f (id, status, provider_message_id, error, next_attempt_at, refund) AS (VALUES {})
             UPDATE outbox SET status = f.status, provider_message_id = COALESCE(f.provider_message_id, outbox.provider_message_id),
                 last_error = f.error, next_attempt_at = COALESCE(f.next_attempt_at, outbox.next_attempt_at),
                 sent_at = CASE WHEN f.status = 'sent' THEN $1 ELSE outbox.sent_at END,
                 params = CASE WHEN f.status IN ('sent', 'cancelled', 'failed') THEN $4 ELSE outbox.params END,
                 attempts = outbox.attempts - f.refund, provider = $2, lease_owner = NULL, lease_until = NULL
             FROM f WHERE outbox.id = f.id AND outbox.lease_owner = $3",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(self.clock.now()).bind(self.provider.name()).bind(&self.owner).bind(REDACTED_PARAMS);
        for f in outcomes {
            q = q
                .bind(f.id)
                .bind(f.status)
                .bind(f.provider_message_id.as_deref())
                .bind(f.error.as_deref())
                .bind(f.next_attempt_at)
                .bind(if f.attempt_counts { 0i64 } else { 1 });
        }
        // One statement, its own transaction, through the write gate (see `Db::write_once`).
        q.execute(&mut *self.db.write_once().await?).await.map(|_| ())
    }

    /// Settles messages whose outcome is unknown — marked so, or left `sending` past their lease
    /// by a crash — by asking the provider's delivery records. The rows are leased first, so the
    /// provider is asked outside any database transaction and by one instance only.
    async fn reconcile(&self) -> sqlx::Result<usize> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let sql = format!(
            "UPDATE outbox SET status = 'unknown', lease_owner = $1, lease_until = $2, next_attempt_at = $2
             WHERE id IN (
                 SELECT id FROM outbox
                 WHERE (status = 'unknown' AND next_attempt_at <= $3) OR (status = 'sending' AND lease_until < $3)
                 ORDER BY id LIMIT $4{})
             RETURNING id, correlation_id, to_phone, COALESCE(last_attempt_at, created_at) AS attempted_at",
            self.db.skip_locked()
        );
        let rows = sqlx::query(&sql).bind(&self.owner).bind(now + LEASE_SECS).bind(now).bind(BATCH).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let mut leased = Vec::with_capacity(rows.len());
        for row in rows {
            leased.push((
                row.try_get::<i64, _>("id")?,
                row.try_get::<String, _>("correlation_id")?,
                row.try_get::<String, _>("to_phone")?,
                row.try_get::<i64, _>("attempted_at")?,
            ));
        }
        leased.sort_by_key(|(id, ..)| *id);
        let settle = |(id, correlation_id, to, attempted_at): (i64, String, String, i64)| async move {
            match self.provider.delivery_status_for(&correlation_id, &to, attempted_at).await {
                // Some providers' records do not carry the message id: keep the one we have.
                DeliveryStatus::Delivered { provider_message_id } => {
                    Finish { provider_message_id: Some(provider_message_id).filter(|s| !s.is_empty()), ..Finish::new(id, "sent") }
                }
                // The provider confirms it never went out: sending now is not a resend.
                DeliveryStatus::NotFound => Finish::new(id, "pending").error("not found at the provider; rescheduled").at(now),
                // Still unknown: ask again in five minutes; an admin sees it meanwhile.
                DeliveryStatus::Unknown => Finish::new(id, "unknown").error("delivery status unknown").at(now + 300),
            }
        };
        let count = leased.len();
        let outcomes = futures_util::future::join_all(leased.into_iter().map(settle)).await;
        self.finish_all(&outcomes).await?;
        Ok(count)
    }
}

/// What to record of one message after an attempt or a reconciliation.
struct Finish {
    id: i64,
    status: &'static str,
    provider_message_id: Option<String>,
    error: Option<String>,
    next_attempt_at: Option<i64>,
    /// False for a provider's rate limit: the attempt is given back.
    attempt_counts: bool,
}

impl Finish {
    fn new(id: i64, status: &'static str) -> Finish {
        Finish { id, status, provider_message_id: None, error: None, next_attempt_at: None, attempt_counts: true }
    }

    fn error(self, error: &str) -> Finish {
        Finish { error: Some(error.to_string()), ..self }
    }

    fn at(self, next_attempt_at: i64) -> Finish {
        Finish { next_attempt_at: Some(next_attempt_at), ..self }
    }
}
