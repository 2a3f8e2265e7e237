//! The day-before reminder: a worker tick finds booked appointments whose reminder is due
//! (from `REMIND_HOUR` on the day before) and, per booking, marks it reminded with one
//! conditional write and queues the SMS in the same transaction — so the reminder goes once,
//! however many instances run the worker.
use super::repo;
use crate::calendar::format_local;
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;
use std::time::Duration;

/// One pass; returns how many reminders were queued by this worker.
pub async fn tick(state: &AppState) -> anyhow::Result<usize> {
    let now = state.now();
    // The reminder window of an appointment opens at most two days before it.
    let due: Vec<_> = repo::unreminded(&state.db.pool, now, now + 2 * 86_400)
        .await?
        .into_iter()
        .filter(|(_, _, starts_at, _)| now >= super::service::remind_at(*starts_at))
        .collect();
    if due.is_empty() {
        return Ok(0); // the usual tick: no write, no lock
    }
    let mut sent = 0;
    for (booking, member_id, starts_at, station) in due {
        let mut tx = state.db.begin_write().await?;
        if !repo::mark_reminded(&mut tx, booking, now).await? {
            continue; // another worker got there first
        }
        if let Some((phone, _, true)) = repo::member(&mut tx, member_id).await? {
            let time = format_local(starts_at).get(11..).unwrap_or_default().to_string();
            outbox::enqueue(&mut tx, now, &phone, Template::LegalReminder, serde_json::json!({ "time": time, "place": station })).await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    if sent > 0 {
        state.outbox_notify.notify_one();
    }
    Ok(sent)
}

/// The worker: a pass a minute.
pub async fn run(state: AppState) {
    loop {
        let ran = tick(&state).await;
        state.metrics.engine_run("legal_reminders", ran.is_ok());
        if let Err(e) = ran {
            tracing::error!(error = %e, "legal-aid reminders failed; trying again later");
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}
