//! The one-working-day engine. Every pending application's deadline drives: a reminder to the
//! responsible reviewers when two working hours remain (level 0); at the deadline an escalation
//! (督办) to the parent union's managers (level 1); one level further up per further working
//! day. Each step is a row keyed by (application, level) written with its SMS in one
//! transaction, so two workers — two instances — never record or send a step twice.
use super::repo;
use crate::admin::Role;
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;
use std::collections::BTreeMap;

pub const REMIND_WITHIN_SECS: i64 = 2 * 3600;
/// Escalation stops climbing here (the root is reached long before in a five-level tree).
const MAX_LEVEL: i64 = 8;

/// The level an application has reached at `now`: None (nothing due yet), 0 (reminder), 1… .
pub fn level_at(cal: &crate::calendar::Calendar, now: i64, due: i64) -> Option<i64> {
    if now < due {
        return (cal.working_secs_between(now, due) <= REMIND_WITHIN_SECS).then_some(0);
    }
    let mut level = 1;
    let mut next = cal.deadline(due).due_at;
    while now >= next && level < MAX_LEVEL {
        level += 1;
        next = cal.deadline(next).due_at;
    }
    Some(level)
}

/// One pass; returns how many steps were recorded.
pub async fn tick(state: &AppState) -> super::service::ReviewResult<usize> {
    let now = state.now();
    let cal = state.calendar.get();
    // Two working hours can span the longest holiday break: look a month ahead.
    // With the highest step already recorded (-1: none), so settled applications cost nothing.
    let candidates = repo::engine_candidates(&state.db.pool, now + 30 * 86_400).await?;
    // (application, org, due, first step to record, last step to record)
    let steps: Vec<(i64, i64, i64, i64, i64)> = candidates
        .into_iter()
        .filter_map(|(id, org_id, due, recorded)| {
            let level = level_at(&cal, now, due)?;
            let first = (if level == 0 { 0 } else { 1 }).max(recorded + 1);
            (first <= level).then_some((id, org_id, due, first, level))
        })
        .collect();
    if steps.is_empty() {
        return Ok(0); // the usual tick: no write, no lock
    }
    // A step another worker records meanwhile is skipped by the unique key below.
    let mut tx = state.db.begin_write().await?;
    // (org to notify, is escalation) → (count, earliest due)
    let mut notify: BTreeMap<(i64, bool), (i64, i64)> = BTreeMap::new();
    let mut recorded = 0;
    for (id, org_id, due, first, level) in steps {
        for l in first..=level {
            let target = repo::ancestor_within(&mut tx, org_id, l).await?;
            if repo::record_escalation(&mut tx, id, l, target, now).await? {
                crate::server::audit::record(
                    &mut tx,
                    state,
                    now,
                    crate::server::audit::Entry {
                        admin_id: None,
                        org_id: Some(target),
                        action: if l == 0 { crate::server::audit::Action::Reminder } else { crate::server::audit::Action::Escalation },
                        target: crate::server::audit::Target::Application(id),
                        ip: "engine",
                        outcome: crate::server::audit::Outcome::Ok,
                        detail: &format!("level {l}"),
                    },
                )
                .await?;
                recorded += 1;
                let e = notify.entry((target, l > 0)).or_insert((0, due));
                e.0 += 1;
                e.1 = e.1.min(due);
            }
        }
    }
    let mut messages = 0;
    for ((org_id, escalation), (count, due)) in &notify {
        let org_name = repo::org_name(&mut tx, *org_id).await?;
        let admins = repo::active_admins_of(&mut tx, *org_id).await?;
        for (roles, phone) in admins {
            let roles = Role::parse_list(&roles).unwrap_or_default();
            let wanted = if *escalation {
                roles.contains(&Role::Manager)
            } else {
                roles.contains(&Role::Reviewer) || roles.contains(&Role::Manager)
            };
            let Some(phone) = phone.filter(|_| wanted) else { continue };
            let (template, params) = if *escalation {
                (Template::Escalation, serde_json::json!({ "count": count.to_string(), "org": org_name }))
            } else {
                (Template::Reminder, serde_json::json!({ "count": count.to_string(), "due": crate::calendar::format_local(*due) }))
            };
            outbox::enqueue(&mut tx, now, &phone, template, params).await?;
            messages += 1;
        }
    }
    tx.commit().await?;
    if messages > 0 {
        state.outbox_notify.notify_one();
    }
    if recorded > 0 {
        tracing::info!(recorded, messages, "reminders and escalations");
    }
    Ok(recorded)
}

/// Runs the engine every 30 seconds until the process ends.
pub async fn run(state: AppState) {
    loop {
        let ran = tick(&state).await;
        state.metrics.engine_run("review", ran.is_ok());
        if let Err(e) = ran {
            tracing::error!(error = %e, "deadline engine tick failed");
        }
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{local_to_unix, Calendar, OfficeHours};
    use crate::domain::Ymd;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        local_to_unix(Ymd::new(y, m, d).unwrap(), h, min)
    }

    #[test]
    fn levels_follow_working_time() {
        let cal = Calendar::shipped(OfficeHours::default());
        let due = at(2026, 11, 30, 10, 0); // Monday 10:00
        assert_eq!(level_at(&cal, at(2026, 11, 27, 15, 0), due), None, "Friday 15:00: 3 working hours left");
        assert_eq!(level_at(&cal, at(2026, 11, 27, 17, 0), due), Some(0), "Friday 17:00: 2 working hours left");
        assert_eq!(level_at(&cal, due, due), Some(1));
        assert_eq!(level_at(&cal, at(2026, 12, 1, 9, 59), due), Some(1));
        assert_eq!(level_at(&cal, at(2026, 12, 1, 10, 0), due), Some(2), "one working day later");
        assert_eq!(level_at(&cal, at(2026, 12, 2, 10, 0), due), Some(3));
    }
}
