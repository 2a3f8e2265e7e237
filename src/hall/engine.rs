//! The hall's worker: the promise of each open request drives the same engine as joining —
//! a reminder to the handling union's officers when two working hours remain, at the deadline
//! an escalation (督办) to the parent union's managers, one level further up per further
//! working day; each step recorded once per (request, level) with its SMS in one transaction.
//! It also erases the requests of members who left, and files no request points at.
use super::{files, repo};
use crate::admin::Role;
use crate::review::engine::level_at;
use crate::server::audit::{self, Action, Outcome, Target};
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;
use std::collections::BTreeMap;

/// Files kept for a form that was never sent again live this long.
const ORPHAN_SECS: u64 = 24 * 3600;

/// One pass of the deadline engine; returns how many steps were recorded.
pub async fn tick(state: &AppState) -> super::service::HallResult<usize> {
    let now = state.now();
    let cal = state.calendar.get();
    let candidates = repo::engine_candidates(&state.db.pool, now + 30 * 86_400).await?;
    let steps: Vec<(i64, i64, i64, i64, i64)> = candidates
        .into_iter()
        .filter_map(|(id, org_id, due, recorded)| {
            let level = level_at(&cal, now, due)?;
            let first = (if level == 0 { 0 } else { 1 }).max(recorded + 1);
            (first <= level).then_some((id, org_id, due, first, level))
        })
        .collect();
    if steps.is_empty() {
        return Ok(0);
    }
    let mut tx = state.db.begin_write().await?;
    let mut notify: BTreeMap<(i64, bool), (i64, i64)> = BTreeMap::new();
    let mut recorded = 0;
    for (id, org_id, due, first, level) in steps {
        for l in first..=level {
            let target = crate::review::repo::ancestor_within(&mut tx, org_id, l).await?;
            if repo::record_escalation(&mut tx, id, l, target, now).await? {
                let action = if l == 0 { Action::Reminder } else { Action::Escalation };
                let entry = audit::Entry {
                    admin_id: None,
                    org_id: Some(target),
                    action,
                    target: Target::ServiceRequest(id),
                    ip: "engine",
                    outcome: Outcome::Ok,
                    detail: &format!("level {l}"),
                };
                audit::record(&mut tx, state, now, entry).await?;
                recorded += 1;
                let e = notify.entry((target, l > 0)).or_insert((0, due));
                e.0 += 1;
                e.1 = e.1.min(due);
            }
        }
    }
    let mut messages = 0;
    for ((org_id, escalation), (count, due)) in &notify {
        let org_name = crate::review::repo::org_name(&mut tx, *org_id).await?;
        for (roles, phone) in crate::review::repo::active_admins_of(&mut tx, *org_id).await? {
            let roles = Role::parse_list(&roles).unwrap_or_default();
            let wanted = roles.contains(&Role::Manager) || (!escalation && roles.contains(&Role::Reviewer));
            let Some(phone) = phone.filter(|_| wanted) else { continue };
            let (template, params) = if *escalation {
                (Template::ServiceEscalation, serde_json::json!({ "count": count.to_string(), "org": org_name }))
            } else {
                (Template::ServiceWaiting, serde_json::json!({ "count": count.to_string(), "due": crate::calendar::format_local(*due) }))
            };
            outbox::enqueue(&mut tx, now, &phone, template, params).await?;
            messages += 1;
        }
    }
    tx.commit().await?;
    if messages > 0 {
        state.outbox_notify.notify_one();
    }
    Ok(recorded)
}

/// Erases what members who left had asked for (answers, notes, phone, files); returns how many.
pub async fn erase_left(state: &AppState) -> super::service::HallResult<usize> {
    let ids = repo::left_unerased(&state.db.pool).await?;
    for &id in &ids {
        let now = state.now();
        let mut tx = state.db.begin_write().await?;
        let hashes = repo::erase(&mut tx, id, now).await?;
        let mut gone = Vec::new();
        for h in hashes {
            if !repo::file_in_use(&mut tx, &h).await? {
                gone.push(h);
            }
        }
        tx.commit().await?;
        for h in gone {
            files::remove(state, &h).await;
        }
    }
    Ok(ids.len())
}

/// Removes stored files that no request points at (a form that failed and was not sent again).
pub async fn sweep_files(state: &AppState) -> super::service::HallResult<usize> {
    let mut removed = 0;
    for sha in files::unreferenced_candidates(state, ORPHAN_SECS).await {
        let mut conn = state.db.pool.acquire().await?;
        if !repo::file_in_use(&mut conn, &sha).await? {
            files::remove(state, &sha).await;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Runs the engine every 30 seconds and the sweeps every tenth pass, until the process ends.
pub async fn run(state: AppState) {
    let mut pass: u64 = 0;
    loop {
        let ran = tick(&state).await;
        state.metrics.engine_run("hall", ran.is_ok());
        if let Err(e) = ran {
            tracing::error!(error = %e, "hall deadline tick failed");
        }
        if pass.is_multiple_of(10) {
            if let Err(e) = erase_left(&state).await {
                tracing::error!(error = %e, "hall erasure failed");
            }
            if let Err(e) = sweep_files(&state).await {
                tracing::error!(error = %e, "hall file sweep failed");
            }
        }
        pass += 1;
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    }
}
