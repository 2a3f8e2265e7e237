//! The welcome pack: members approved while a welcome campaign runs get its coupon and one SMS,
//! granted by this worker (approval lives in the review area, which knows nothing of benefits).
//! It walks members by id from a stored cursor, so it never rescans, and waits until an approval
//! is past its undo window (and any transaction that inserted a lower id has long committed).
//! Each batch is one transaction — the cursor row locked, coupons, stock and the SMS through the
//! outbox — and a member gets a campaign's welcome coupon at most once (a unique index), however
//! many instances run the worker.
//! The same tick keeps redemption tidy: expired codes, the codes of members who left, and wrong
//! codes older than their counting window are deleted.
use super::repo::{self, codes::Swept};
use super::WRONG_WINDOW_SECS;
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;
use std::time::Duration;

/// Members looked at per batch.
const BATCH: i64 = 500;
/// An approval is left alone this long: its undo window, with room to spare.
pub const SETTLE_SECS: i64 = 60;

/// Grants what is due now; returns the number of coupons granted.
pub async fn run_once(state: &AppState) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let (granted, more) = batch(state).await?;
        total += granted;
        if !more {
            return Ok(total);
        }
    }
}

/// One batch; `true` when more members may be waiting.
async fn batch(state: &AppState) -> anyhow::Result<(usize, bool)> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let lock = match state.db.backend {
        crate::server::db::Backend::Postgres => " FOR UPDATE",
        crate::server::db::Backend::Sqlite => "",
    };
    let cursor: i64 =
        sqlx::query_scalar(&format!("SELECT last_member_id FROM welcome_cursor WHERE id = 1{lock}")).fetch_one(&mut *tx).await?;
    let mut members: Vec<(i64, i64)> = sqlx::query_as("SELECT id, joined_at FROM members WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(cursor)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
    let full = members.len() as i64 == BATCH;
    // Stop at the first member still settling: the cursor never passes one.
    if let Some(at) = members.iter().position(|(_, joined_at)| *joined_at > now - SETTLE_SECS) {
        members.truncate(at);
    }
    let Some(&(last, _)) = members.last() else { return Ok((0, false)) };
    let campaigns = repo::live_welcome(&mut tx, now).await?;
    let mut granted = 0;
    for (member_id, joined_at) in &members {
        let Some(m) = repo::member(&mut tx, *member_id).await? else { continue };
        if !m.live {
            continue;
        }
        let mut titles = Vec::new();
        for c in campaigns.iter().filter(|c| *joined_at >= c.created_at) {
            if !super::service::targets(&mut tx, c, &m, now).await? {
                continue;
            }
            if !repo::take_stock(&mut tx, c.id).await? {
                continue;
            }
            if repo::insert_coupon(&mut tx, c.id, m.id, true, now).await?.is_some() {
                titles.push(c.title.clone());
            } else {
                // Granted before: give the stock back.
                sqlx::query("UPDATE campaigns SET claimed = claimed - 1 WHERE id = $1").bind(c.id).execute(&mut *tx).await?;
            }
        }
        if !titles.is_empty() {
            granted += titles.len();
            let link = format!("{}/me/benefits", state.config.public_url);
            outbox::enqueue(&mut tx, now, &m.phone, Template::WelcomePack, serde_json::json!({ "title": titles.join("、"), "link": link }))
                .await?;
        }
    }
    sqlx::query("UPDATE welcome_cursor SET last_member_id = $1 WHERE id = 1").bind(last).execute(&mut *tx).await?;
    tx.commit().await?;
    if granted > 0 {
        state.outbox_notify.notify_one();
    }
    Ok((granted, full && members.len() as i64 == BATCH))
}

/// Housekeeping of redemption: deletes expired codes, the codes of members who left, and wrong
/// codes older than the window they are counted over. One write transaction.
pub async fn sweep(state: &AppState) -> anyhow::Result<Swept> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let swept = repo::codes::sweep(&mut tx, now, now - WRONG_WINDOW_SECS).await?;
    tx.commit().await?;
    Ok(swept)
}

/// One tick of the benefit worker: the welcome grants, then the housekeeping (each on its own,
/// so one failing does not stop the other). Returns the coupons granted and what was swept.
pub async fn tick(state: &AppState) -> (anyhow::Result<usize>, anyhow::Result<Swept>) {
    (run_once(state).await, sweep(state).await)
}

/// The worker: a tick every 30 seconds.
pub async fn run(state: AppState) {
    loop {
        let (granted, swept) = tick(&state).await;
        state.metrics.engine_run("welcome", granted.is_ok() && swept.is_ok());
        if let Err(e) = granted {
            tracing::error!(error = %e, "welcome grant failed; trying again later");
        }
        if let Err(e) = swept {
            tracing::error!(error = %e, "benefit housekeeping failed; trying again later");
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
}
