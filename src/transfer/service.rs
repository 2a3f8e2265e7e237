//! The rules of the turnover pool and of transfers. The sending side proposes (a county admin
//! placing a pooled member, a union after a job change); the receiving union accepts or
//! declines. Each step is one transaction with what it causes — the member moved (the number
//! stays), the history of unions, the command centre's totals, the SMS in the outbox, the
//! audit row — and each decision is a conditional write on a pending transfer, so of two
//! decisions at once exactly one happens.
//!
//! A transfer out of the city has nobody in the city to answer it: it is recorded at once in
//! the city federation's registry (the member stays on the roll as transferred out, with
//! where) by the sending side's manager, audited like every other transfer.
use super::repo::{self, Side, TransferRow};
use super::{TransferKind, TransferStatus, ANSWER_WORKING_DAYS};
use crate::admin::repo::AdminRow;
use crate::admin::Role;
use crate::calendar::format_local;
use crate::domain::PersonName;
use crate::i18n::T;
use crate::org::tally;
use crate::server::audit;
use crate::server::db::{is_unique_violation, WriteTx};
use crate::server::events::{Change, ChangeKind};
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;

/// A fault of ours (never a refusal: those are outcomes).
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub type TransferResult<T> = Result<T, TransferError>;

/// Where a member goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A union of the city (a pool federation too: the member waits in its pool again).
    Union(i64),
    /// Outside the city: where, in words.
    Outside(String),
}

/// Where a proposal comes from: the pool list places only into the pool's own county.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Placement,
    MemberPage,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Proposed {
    /// Waiting for the receiving union.
    Waiting { transfer_id: i64 },
    /// Out of the city: recorded at once.
    TransferredOut { transfer_id: i64 },
    /// Outside the admin's subtree, or no such member: the same answer (audited).
    NotFound,
    /// Not possible as asked: the words say why.
    Refused(T),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decided {
    Done,
    NotFound,
    /// Already decided, withdrawn, or decided automatically.
    NotPending,
    ReasonNeeded,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Decline(String),
}

/// Longest place name kept for a transfer out of the city.
pub const MAX_OUTSIDE_CHARS: usize = 60;

async fn not_found(state: &AppState, admin: &AdminRow, ip: &str, action: audit::Action, target: audit::Target) -> TransferResult<()> {
    audit::record_alone(state, state.now(), admin.audit(action, target, ip, audit::Outcome::NotFound, "")).await?;
    Ok(())
}

/// The text a union is named by in messages: a pool says so.
fn union_words(name: &str, pool: bool) -> String {
    if pool {
        format!("{name}{}", T::TurnoverPool.get(crate::i18n::Lang::Zh))
    } else {
        name.to_string()
    }
}

/// Reviewers' and managers' phones of a union (managers only with `managers_only`).
async fn staff_phones(tx: &mut WriteTx, org_id: i64, managers_only: bool) -> sqlx::Result<Vec<String>> {
    let admins = repo::steps::admin_phones(tx, org_id).await?;
    Ok(admins
        .into_iter()
        .filter(|(roles, _)| {
            let roles = Role::parse_list(roles).unwrap_or_default();
            roles.contains(&Role::Manager) || (!managers_only && roles.contains(&Role::Reviewer))
        })
        .map(|(_, phone)| phone)
        .collect())
}

/// Proposes moving a member of the admin's subtree (the sending side).
pub async fn propose(
    state: &AppState,
    admin: &AdminRow,
    ip: &str,
    member_id: i64,
    dest: Destination,
    via: Via,
) -> TransferResult<Proposed> {
    let now = state.now();
    let target = audit::Target::Member(member_id);
    if !admin.can_place() {
        audit::record_alone(state, now, admin.audit(audit::Action::TransferPropose, target, ip, audit::Outcome::Forbidden, "")).await?;
        return Ok(Proposed::NotFound);
    }
    let mut tx = state.db.begin_write().await?;
    repo::lock_member(&mut tx, state.db.backend, member_id).await?;
    let Some(member) = repo::member_in(&mut tx, admin.org_id, member_id).await? else {
        drop(tx);
        not_found(state, admin, ip, audit::Action::TransferPropose, target).await?;
        return Ok(Proposed::NotFound);
    };
    if !member.active {
        return Ok(Proposed::Refused(T::NotTransferable));
    }
    if via == Via::Placement && !member.in_pool {
        return Ok(Proposed::Refused(T::NotInPool));
    }
    let to = match dest {
        Destination::Outside(_) if via == Via::Placement => return Ok(Proposed::Refused(T::InvalidReceiver)),
        Destination::Outside(place) => {
            let place: String = place.trim().chars().take(MAX_OUTSIDE_CHARS).collect();
            if place.chars().count() < 2 {
                return Ok(Proposed::Refused(T::OutsideNeeded));
            }
            if repo::pending_of(&mut tx, member.id).await?.is_some() {
                return Ok(Proposed::Refused(T::AlreadyPendingTransfer));
            }
            return out_of_city(state, tx, admin, ip, member, &place).await;
        }
        Destination::Union(to) => to,
    };
    let Some(receiver) = repo::receiver(&mut tx, to).await? else {
        return Ok(Proposed::Refused(T::ChooseUnion));
    };
    if receiver.id == member.org_id {
        return Ok(Proposed::Refused(T::SameUnion));
    }
    if via == Via::Placement {
        // Into a grassroots union of the pool's own county; one outside the admin's subtree
        // does not exist for them.
        if !repo::is_within(&mut tx, receiver.id, admin.org_id).await? {
            drop(tx);
            not_found(state, admin, ip, audit::Action::TransferPropose, target).await?;
            return Ok(Proposed::NotFound);
        }
        if !repo::is_within(&mut tx, receiver.id, member.org_id).await? || receiver.kind.is_federation() {
            return Ok(Proposed::Refused(T::InvalidReceiver));
        }
    }
    // A federation receives a member only into its pool (a new employer without a union).
    let to_pool = receiver.kind.is_federation();
    if to_pool && !receiver.has_pool {
        return Ok(Proposed::Refused(T::InvalidReceiver));
    }
    let kind = if member.in_pool && !to_pool { TransferKind::Pool } else { TransferKind::JobChange };
    let due = state.calendar.get().working_days_after(now, ANSWER_WORKING_DAYS).due_at;
    let inserted = repo::insert(
        &mut tx,
        repo::NewTransfer {
            member_id: member.id,
            kind,
            from_org_id: member.org_id,
            from_pool: member.in_pool,
            to_org_id: Some(receiver.id),
            to_pool,
            outside_to: None,
            status: TransferStatus::Pending,
            proposed_by: admin.id,
            note: None,
            created_at: now,
            due_at: due,
            decided: None,
        },
    )
    .await;
    let transfer_id = match inserted {
        Ok(id) => id,
        // One pending transfer per member: the unique index decides, even under races.
        Err(e) if is_unique_violation(&e) => return Ok(Proposed::Refused(T::AlreadyPendingTransfer)),
        Err(e) => return Err(e.into()),
    };
    // A member who asked for a move has their request answered by this proposal.
    super::requests::settle(&mut tx, member.id, "proposed", now).await?;
    // The receiving union hears of it now; the engine reminds and escalates later.
    let mut messages = 0;
    for phone in staff_phones(&mut tx, receiver.id, false).await? {
        let params = serde_json::json!({ "count": "1", "due": format_local(due) });
        outbox::enqueue(&mut tx, now, &phone, Template::TransferWaiting, params).await?;
        messages += 1;
    }
    let detail = format!("{} {} -> {}", kind.as_str(), member.org_id, receiver.id);
    audit::record(
        &mut tx,
        state,
        now,
        admin.audit(audit::Action::TransferPropose, audit::Target::Transfer(transfer_id), ip, audit::Outcome::Ok, &detail),
    )
    .await?;
    tx.commit().await?;
    if messages > 0 {
        state.outbox_notify.notify_one();
    }
    publish(state, member.org_id, Some(receiver.id)).await;
    tracing::info!(transfer_id, member_id = member.id, admin = %admin.username, kind = kind.as_str(), "transfer proposed");
    Ok(Proposed::Waiting { transfer_id })
}

async fn publish(state: &AppState, from: i64, to: Option<i64>) {
    let mut changes = vec![Change { org_id: from, kind: ChangeKind::Transfer }];
    if let Some(to) = to {
        changes.push(Change { org_id: to, kind: ChangeKind::Transfer });
    }
    state.events.publish(&state.db, &changes).await;
}

/// Records a member as transferred out of the city, at once (see the module's note).
async fn out_of_city(
    state: &AppState,
    mut tx: WriteTx,
    admin: &AdminRow,
    ip: &str,
    member: repo::MemberRow,
    place: &str,
) -> TransferResult<Proposed> {
    let now = state.now();
    let transfer_id = repo::insert(
        &mut tx,
        repo::NewTransfer {
            member_id: member.id,
            kind: TransferKind::OutOfCity,
            from_org_id: member.org_id,
            from_pool: member.in_pool,
            to_org_id: None,
            to_pool: false,
            outside_to: Some(place),
            status: TransferStatus::Accepted,
            proposed_by: admin.id,
            note: None,
            created_at: now,
            due_at: now,
            decided: Some((now, admin.id)),
        },
    )
    .await?;
    if !repo::moves::mark_transferred_out(&mut tx, member.id, member.org_id).await? {
        return Ok(Proposed::Refused(T::NotTransferable));
    }
    repo::moves::record_move(
        &mut tx,
        repo::moves::Move {
            member_id: member.id,
            joined_at: member.joined_at,
            from_org_id: member.org_id,
            from_pool: member.in_pool,
            to_org_id: None,
            to_pool: false,
            outside_to: Some(place),
            transfer_id,
            at: now,
        },
    )
    .await?;
    tally::members(&mut tx, &[tally::MemberDelta::removed(member.org_id, member.in_pool)]).await?;
    super::requests::settle(&mut tx, member.id, "proposed", now).await?;
    tally::moved(&mut tx, member.org_id, None, false, now).await?;
    let to_words = T::OutsideCityPlace.fill(crate::i18n::Lang::Zh, &[place]);
    let params = serde_json::json!({
        "name": PersonName::mask_stored(&member.name),
        "member_no": member.member_no,
        "from": union_words(&member.org_name, member.in_pool),
        "to": to_words,
    });
    let mut phones = vec![member.phone.clone()];
    phones.extend(staff_phones(&mut tx, member.org_id, false).await?);
    for phone in phones {
        outbox::enqueue(&mut tx, now, &phone, Template::TransferDone, params.clone()).await?;
    }
    let detail = format!("out_of_city {} -> {place}", member.org_id);
    audit::record(
        &mut tx,
        state,
        now,
        admin.audit(audit::Action::TransferPropose, audit::Target::Transfer(transfer_id), ip, audit::Outcome::Ok, &detail),
    )
    .await?;
    tx.commit().await?;
    state.outbox_notify.notify_one();
    publish(state, member.org_id, None).await;
    Ok(Proposed::TransferredOut { transfer_id })
}

/// Makes a pending transfer take effect inside `tx`: the conditional write, the member moved
/// (the number stays), the history, the totals and the SMS to the member and both unions.
/// False when the transfer was no longer pending (or the member no longer where it said):
/// the caller drops the transaction and nothing happens.
pub async fn take_effect(tx: &mut WriteTx, t: &TransferRow, status: TransferStatus, by: Option<i64>, now: i64) -> TransferResult<bool> {
    let Some(to) = t.to_org_id else { return Ok(false) };
    if !repo::settle(tx, t.id, status, now, by, None).await? {
        return Ok(false);
    }
    if !repo::moves::move_member(tx, t.member_id, t.from_org_id, to, t.to_pool, now).await? {
        return Ok(false);
    }
    repo::moves::record_move(
        tx,
        repo::moves::Move {
            member_id: t.member_id,
            joined_at: t.joined_at,
            from_org_id: t.from_org_id,
            from_pool: t.from_pool,
            to_org_id: Some(to),
            to_pool: t.to_pool,
            outside_to: None,
            transfer_id: t.id,
            at: now,
        },
    )
    .await?;
    tally::members(tx, &[tally::MemberDelta::removed(t.from_org_id, t.from_pool), tally::MemberDelta::added(to, t.to_pool)]).await?;
    tally::moved(tx, t.from_org_id, Some(to), t.kind == TransferKind::Pool, now).await?;
    let params = serde_json::json!({
        "name": PersonName::mask_stored(&t.name),
        "member_no": t.member_no,
        "from": union_words(&t.from_name, t.from_pool),
        "to": union_words(t.to_name.as_deref().unwrap_or_default(), t.to_pool),
    });
    let mut phones = vec![t.phone.clone()];
    phones.extend(staff_phones(tx, t.from_org_id, false).await?);
    phones.extend(staff_phones(tx, to, false).await?);
    phones.sort_unstable();
    phones.dedup();
    for phone in phones {
        outbox::enqueue(tx, now, &phone, Template::TransferDone, params.clone()).await?;
    }
    Ok(true)
}

/// The receiving side accepts or declines.
pub async fn decide(state: &AppState, admin: &AdminRow, ip: &str, id: i64, decision: Decision) -> TransferResult<Decided> {
    let now = state.now();
    let action = match decision {
        Decision::Accept => audit::Action::TransferAccept,
        Decision::Decline(_) => audit::Action::TransferDecline,
    };
    if !admin.can_place() {
        audit::record_alone(state, now, admin.audit(action, audit::Target::Transfer(id), ip, audit::Outcome::Forbidden, "")).await?;
        return Ok(Decided::NotFound);
    }
    let reason = match &decision {
        Decision::Decline(r) => {
            let r: String = r.trim().chars().take(200).collect();
            if r.is_empty() {
                return Ok(Decided::ReasonNeeded);
            }
            Some(r)
        }
        Decision::Accept => None,
    };
    let mut tx = state.db.begin_write().await?;
    repo::lock(&mut tx, state.db.backend, id).await?;
    let Some(t) = repo::transfer_in(&mut tx, admin.org_id, Side::Receiving, id).await? else {
        drop(tx);
        not_found(state, admin, ip, action, audit::Target::Transfer(id)).await?;
        return Ok(Decided::NotFound);
    };
    if t.status != TransferStatus::Pending {
        return Ok(Decided::NotPending);
    }
    match &reason {
        None => {
            if !take_effect(&mut tx, &t, TransferStatus::Accepted, Some(admin.id), now).await? {
                return Ok(Decided::NotPending);
            }
        }
        Some(reason) => {
            if !repo::settle(&mut tx, t.id, TransferStatus::Declined, now, Some(admin.id), Some(reason)).await? {
                return Ok(Decided::NotPending);
            }
            let params = serde_json::json!({
                "name": PersonName::mask_stored(&t.name),
                "member_no": t.member_no,
                "to": union_words(t.to_name.as_deref().unwrap_or_default(), t.to_pool),
                "reason": reason,
            });
            let mut phones = vec![t.phone.clone()];
            phones.extend(staff_phones(&mut tx, t.from_org_id, false).await?);
            for phone in phones {
                outbox::enqueue(&mut tx, now, &phone, Template::TransferDeclined, params.clone()).await?;
            }
        }
    }
    let detail = reason.clone().unwrap_or_default();
    audit::record(&mut tx, state, now, admin.audit(action, audit::Target::Transfer(id), ip, audit::Outcome::Ok, &detail)).await?;
    tx.commit().await?;
    state.outbox_notify.notify_one();
    publish(state, t.from_org_id, t.to_org_id).await;
    tracing::info!(transfer_id = id, admin = %admin.username, accepted = reason.is_none(), "transfer decided");
    Ok(Decided::Done)
}

/// The sending side withdraws a transfer still waiting.
pub async fn cancel(state: &AppState, admin: &AdminRow, ip: &str, id: i64) -> TransferResult<Decided> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    repo::lock(&mut tx, state.db.backend, id).await?;
    let Some(t) = repo::transfer_in(&mut tx, admin.org_id, Side::Sending, id).await? else {
        drop(tx);
        not_found(state, admin, ip, audit::Action::TransferCancel, audit::Target::Transfer(id)).await?;
        return Ok(Decided::NotFound);
    };
    if !admin.can_place() || !repo::settle(&mut tx, t.id, TransferStatus::Cancelled, now, Some(admin.id), None).await? {
        return Ok(Decided::NotPending);
    }
    audit::record(&mut tx, state, now, admin.audit(audit::Action::TransferCancel, audit::Target::Transfer(id), ip, audit::Outcome::Ok, ""))
        .await?;
    tx.commit().await?;
    publish(state, t.from_org_id, t.to_org_id).await;
    Ok(Decided::Done)
}
