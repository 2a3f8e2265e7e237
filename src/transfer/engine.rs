//! The transfer deadline engine, on the same working-day calendar as reviews. A pending
//! transfer's receiving union has five working days: after four, its reviewers and managers
//! are reminded (level 0); at the deadline the parent union's managers are chased (督办,
//! level 1); one level further up per further working day. Thirty days after the proposal
//! without an answer, the transfer is accepted automatically, with the SMS of an acceptance.
//! Each step is a row keyed by (transfer, level) written with its SMS in one transaction, and
//! each automatic acceptance is the same conditional write as a decision, so two workers — two
//! instances — never record, send or accept anything twice.
use super::repo;
use super::service::{self, TransferResult};
use super::{TransferStatus, AUTO_ACCEPT_SECS, REMIND_AFTER_WORKING_DAYS};
use crate::admin::Role;
use crate::calendar::Calendar;
use crate::server::audit;
use crate::server::events::{Change, ChangeKind};
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;
use std::collections::BTreeMap;

/// Escalation stops climbing here (the root is reached long before in a five-level tree).
const MAX_LEVEL: i64 = 8;

/// The level a transfer proposed at `created` and due at `due` has reached at `now`: None
/// (nothing yet), 0 (reminder), 1 (escalation at the deadline), 2… (a working day later each).
pub fn level_at(cal: &Calendar, now: i64, created: i64, due: i64) -> Option<i64> {
    if now < due {
        let remind_at = cal.working_days_after(created, REMIND_AFTER_WORKING_DAYS).due_at;
        return (now >= remind_at).then_some(0);
    }
    let mut level = 1;
    let mut next = cal.deadline(due).due_at;
    while now >= next && level < MAX_LEVEL {
        level += 1;
        next = cal.deadline(next).due_at;
    }
    Some(level)
}

/// One pass: automatic acceptances, then reminders and escalations; returns how many
/// transfers were accepted and steps recorded.
pub async fn tick(state: &AppState) -> TransferResult<usize> {
    let now = state.now();
    let cal = state.calendar.get();
    let candidates = repo::steps::engine_candidates(&state.db.pool).await?;
    let mut done = 0;
    let mut steps = Vec::new();
    for (id, to_org, created, due, recorded) in candidates {
        if now >= created + AUTO_ACCEPT_SECS {
            done += auto_accept(state, id, now).await? as usize;
            continue;
        }
        let Some(level) = level_at(&cal, now, created, due) else { continue };
        let first = (if level == 0 { 0 } else { 1 }).max(recorded + 1);
        if first <= level {
            steps.push((id, to_org, due, first, level));
        }
    }
    if steps.is_empty() {
        return Ok(done); // the usual tick: no write, no lock
    }
    let mut tx = state.db.begin_write().await?;
    // (union to notify, is escalation) → (count, earliest due)
    let mut notify: BTreeMap<(i64, bool), (i64, i64)> = BTreeMap::new();
    for (id, to_org, due, first, level) in steps {
        for l in first..=level {
            let target = repo::steps::ancestor_within(&mut tx, to_org, l).await?;
            if repo::steps::record_step(&mut tx, id, l, target, now).await? {
                let entry = audit::Entry {
                    admin_id: None,
                    org_id: Some(target),
                    action: if l == 0 { audit::Action::Reminder } else { audit::Action::Escalation },
                    target: audit::Target::Transfer(id),
                    ip: "engine",
                    outcome: audit::Outcome::Ok,
                    detail: &format!("level {l}"),
                };
                audit::record(&mut tx, state, now, entry).await?;
                done += 1;
                let e = notify.entry((target, l > 0)).or_insert((0, due));
                e.0 += 1;
                e.1 = e.1.min(due);
            }
        }
    }
    let mut messages = 0;
    for ((org_id, escalation), (count, due)) in &notify {
        let org_name = repo::steps::org_name(&mut tx, *org_id).await?;
        for (roles, phone) in repo::steps::admin_phones(&mut tx, *org_id).await? {
            let roles = Role::parse_list(&roles).unwrap_or_default();
            let wanted = roles.contains(&Role::Manager) || (!escalation && roles.contains(&Role::Reviewer));
            if !wanted {
                continue;
            }
            let (template, params) = if *escalation {
                (Template::TransferEscalation, serde_json::json!({ "count": count.to_string(), "org": org_name }))
            } else {
                (Template::TransferWaiting, serde_json::json!({ "count": count.to_string(), "due": crate::calendar::format_local(*due) }))
            };
            outbox::enqueue(&mut tx, now, &phone, template, params).await?;
            messages += 1;
        }
    }
    tx.commit().await?;
    if messages > 0 {
        state.outbox_notify.notify_one();
    }
    tracing::info!(done, messages, "transfer reminders, escalations and automatic acceptances");
    Ok(done)
}

/// Accepts one transfer left unanswered for 30 days; false when it was settled meanwhile.
async fn auto_accept(state: &AppState, id: i64, now: i64) -> TransferResult<bool> {
    let mut tx = state.db.begin_write().await?;
    repo::lock(&mut tx, state.db.backend, id).await?;
    let Some(t) = repo::transfer(&mut tx, id).await? else { return Ok(false) };
    if t.status != TransferStatus::Pending || !service::take_effect(&mut tx, &t, TransferStatus::AutoAccepted, None, now).await? {
        return Ok(false);
    }
    let entry = audit::Entry {
        admin_id: None,
        org_id: t.to_org_id,
        action: audit::Action::TransferAutoAccept,
        target: audit::Target::Transfer(id),
        ip: "engine",
        outcome: audit::Outcome::Ok,
        detail: "30 days without an answer",
    };
    audit::record(&mut tx, state, now, entry).await?;
    tx.commit().await?;
    state.outbox_notify.notify_one();
    let mut changes = vec![Change { org_id: t.from_org_id, kind: ChangeKind::Transfer }];
    changes.extend(t.to_org_id.map(|to| Change { org_id: to, kind: ChangeKind::Transfer }));
    state.events.publish(&state.db, &changes).await;
    Ok(true)
}

/// Runs the engine every 30 seconds until the process ends.
pub async fn run(state: AppState) {
    loop {
        let ran = tick(&state).await;
        state.metrics.engine_run("transfer", ran.is_ok());
        if let Err(e) = ran {
            tracing::error!(error = %e, "transfer engine tick failed");
        }
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{local_to_unix, OfficeHours};
    use crate::domain::Ymd;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        local_to_unix(Ymd::new(y, m, d).unwrap(), h, min)
    }

    #[test]
    fn levels_follow_working_days() {
        let cal = Calendar::shipped(OfficeHours::default());
        let created = at(2026, 11, 25, 10, 0); // Wednesday
        let due = cal.working_days_after(created, 5).due_at; // next Wednesday 10:00
        assert_eq!(level_at(&cal, at(2026, 11, 30, 10, 0), created, due), None, "three working days in");
        assert_eq!(level_at(&cal, at(2026, 12, 1, 9, 59), created, due), None);
        assert_eq!(level_at(&cal, at(2026, 12, 1, 10, 0), created, due), Some(0), "four working days in: the reminder");
        assert_eq!(level_at(&cal, due, created, due), Some(1));
        assert_eq!(level_at(&cal, at(2026, 12, 3, 10, 0), created, due), Some(2), "a working day later");
        assert_eq!(level_at(&cal, at(2026, 12, 5, 10, 0), created, due), Some(3), "the weekend does not count");
    }
}
