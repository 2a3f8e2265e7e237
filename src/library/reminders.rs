//! The loan reminders: an SMS two days before a loan's due day, and one when it is overdue,
//! each exactly once. A worker on every instance looks for loans whose moment has come; each
//! message is queued in the outbox in the same transaction as one conditional write that marks
//! it sent (`… WHERE reminded_at IS NULL`, row count checked), so when two instances find the
//! same loan only one of them writes the mark and the message. A loan returned meanwhile is
//! left alone; an overdue message also stands for a reminder that never went out.
use super::repo;
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;
use std::time::Duration;

/// Loans looked at per pass and kind.
const BATCH: i64 = 200;

/// One pass; returns the number of messages queued.
pub async fn tick(state: &AppState) -> anyhow::Result<usize> {
    let now = state.now();
    let overdue = repo::overdue_due(&state.db.pool, now, BATCH).await?;
    let soon = repo::reminders_due(&state.db.pool, now, BATCH).await?;
    if overdue.is_empty() && soon.is_empty() {
        return Ok(0); // the usual pass: no write, no lock
    }
    let mut tx = state.db.begin_write().await?;
    let mut queued = 0;
    for (ids, template) in [(overdue, Template::LoanOverdue), (soon, Template::LoanDueSoon)] {
        for id in ids {
            let marked = match template {
                Template::LoanOverdue => repo::mark_overdue(&mut tx, id, now).await?,
                _ => repo::mark_reminded(&mut tx, id, now).await?,
            };
            if !marked {
                continue;
            }
            // A member who left has no number any more: the mark stays, nothing is sent.
            let Some((phone, title, due_day)) = repo::loan_message(&mut tx, id).await? else { continue };
            let due = crate::domain::Ymd::from_days_since_epoch(due_day).to_string();
            outbox::enqueue(&mut tx, now, &phone, template, serde_json::json!({ "title": title, "due": due })).await?;
            queued += 1;
        }
    }
    tx.commit().await?;
    if queued > 0 {
        state.outbox_notify.notify_one();
    }
    Ok(queued)
}

/// The worker: a pass every minute.
pub async fn run(state: AppState) {
    loop {
        let ran = tick(&state).await;
        state.metrics.engine_run("library_loans", ran.is_ok());
        if let Err(e) = ran {
            tracing::error!(error = %e, "loan reminders failed; trying again later");
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}
