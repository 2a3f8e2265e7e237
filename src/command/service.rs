//! Building a screen's figures, and chasing (督办) an overdue application by hand.
use super::{repo, Board, Figures, UnionLine};
use crate::admin::repo::AdminRow;
use crate::admin::Role;
use crate::domain::Ymd;
use crate::org::tally::local_day;
use crate::server::audit;
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;
use std::collections::HashMap;

/// How often one application may be chased by hand.
pub const CHASE_EVERY_SECS: i64 = 3600;

/// Transfer figures for a set of unions, each over its subtree (filled in by the transfer area
/// through `with_transfers`).
pub type TransferFigures = HashMap<i64, (i64, i64, i64, i64, Option<i64>)>;

/// The screen of `org` as seen from the viewer's union `top`; None when `org` is outside it.
pub async fn board(state: &AppState, top: i64, org: i64) -> sqlx::Result<Option<Board>> {
    let pool = &state.db.pool;
    let Some(crumbs) = repo::crumbs(pool, top, org).await? else { return Ok(None) };
    let now = state.now();
    let children = repo::children(pool, org).await?;
    let mut ids: Vec<i64> = children.iter().map(|c| c.0).collect();
    ids.push(org);
    let mut figures = repo::figures(pool, &ids, now).await?;
    let today = local_day(now);
    let month_start = {
        let d = crate::calendar::local_date(now);
        crate::calendar::local_to_unix(Ymd::new(d.year(), d.month(), 1).expect("the 1st exists"), 0, 0)
    };
    for (id, (waiting, placed, t_in, t_out, pooled_since)) in transfer_figures(pool, &ids, month_start, now).await? {
        if let Some(f) = figures.get_mut(&id) {
            f.transfers_waiting = waiting;
            f.placed_month = placed;
            f.transferred_in_month = t_in;
            f.transferred_out_month = t_out;
            f.pool_days = pooled_since.map(|since| (now - since).max(0) / 86_400);
        }
    }
    let per_day: HashMap<i64, i64> = repo::joins_per_day(pool, org, today - 29).await?.into_iter().collect();
    let daily = (today - 29..=today)
        .map(|day| {
            let date = Ymd::from_days_since_epoch(day);
            (date.month() as u8, date.day() as u8, per_day.get(&day).copied().unwrap_or(0))
        })
        .collect();
    let totals = figures.remove(&org).unwrap_or_default();
    let children = children
        .into_iter()
        .map(|(id, name, has_children)| UnionLine { id, name, has_children, figures: figures.remove(&id).unwrap_or_else(Figures::default) })
        .collect();
    let org_name = crumbs.last().map(|c| c.1.clone()).unwrap_or_default();
    let counted_at = crate::calendar::format_local(now).split(' ').nth(1).unwrap_or_default().to_string();
    Ok(Some(Board { org_id: org, org_name, crumbs, totals, children, daily, counted_at }))
}

async fn transfer_figures(_pool: &sqlx::AnyPool, _ids: &[i64], _month_start: i64, _now: i64) -> sqlx::Result<TransferFigures> {
    Ok(HashMap::new())
}

/// The board as JSON, counted once per change however many screens ask at the same time.
pub async fn board_json(state: &AppState, top: i64, org: i64) -> sqlx::Result<Option<std::sync::Arc<str>>> {
    let key = format!("board:{top}:{org}");
    let found = state
        .events
        .memo(&key, || async {
            let board = board(state, top, org).await?;
            Ok::<_, sqlx::Error>(board.map(|b| serde_json::to_string(&b).expect("a board serialises")).unwrap_or_default())
        })
        .await?;
    Ok((!found.is_empty()).then_some(found))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Chased {
    /// Sent to this many reviewers.
    Done(usize),
    /// Chased less than an hour ago (by anyone).
    TooSoon,
    /// Not overdue, not pending, or outside the subtree: the same answer.
    NotFound,
}

/// Sends the reminder SMS to the reviewing union's reviewers and managers now, and records who
/// chased whom. At most once an hour per application, even with two clicks at once.
pub async fn chase(state: &AppState, admin: &AdminRow, ip: &str, id: i64) -> sqlx::Result<Chased> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    // Two chases at once queue here; the second sees the first.
    crate::review::repo::lock_for_decision(&mut tx, state.db.backend, id).await?;
    let Some((org_id, org_name)) = repo::chase_target(&mut tx, admin.org_id, id, now).await? else {
        drop(tx);
        audit::record_alone(
            state,
            now,
            admin.audit(audit::Action::Chase, audit::Target::Application(id), ip, audit::Outcome::NotFound, ""),
        )
        .await?;
        return Ok(Chased::NotFound);
    };
    if repo::last_chase(&mut tx, id).await?.is_some_and(|at| now - at < CHASE_EVERY_SECS) {
        return Ok(Chased::TooSoon);
    }
    repo::record_chase(&mut tx, id, admin.id, org_id, now).await?;
    let by = crate::review::repo::org_name(&mut tx, admin.org_id).await?;
    let mut sent = 0;
    for (roles, phone) in crate::review::repo::active_admins_of(&mut tx, org_id).await? {
        let roles = Role::parse_list(&roles).unwrap_or_default();
        if !(roles.contains(&Role::Reviewer) || roles.contains(&Role::Manager)) {
            continue;
        }
        let Some(phone) = phone else { continue };
        outbox::enqueue(&mut tx, now, &phone, Template::Chase, serde_json::json!({ "by": by, "org": org_name })).await?;
        sent += 1;
    }
    audit::record(
        &mut tx,
        state,
        now,
        admin.audit(
            audit::Action::Chase,
            audit::Target::Application(id),
            ip,
            audit::Outcome::Ok,
            &format!("chased {org_name}; {sent} SMS"),
        ),
    )
    .await?;
    tx.commit().await?;
    if sent > 0 {
        state.outbox_notify.notify_one();
    }
    Ok(Chased::Done(sent))
}
