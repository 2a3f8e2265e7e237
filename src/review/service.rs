//! Decisions. Each commits in one transaction with what it causes — the member record, the
//! status change, the SMS (held in the outbox for the undo window) and the audit row. An undo
//! is a recorded compensating change that cancels the waiting SMS; once the SMS has gone the
//! decision stands.
use super::repo;
use super::{ApplicationStatus, UNDO_SECS};
use crate::admin::repo::AdminRow;
use crate::org::tally;
use crate::server::audit;
use crate::server::db::is_unique_violation;
use crate::server::events::{Change, ChangeKind};
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;

/// A fault of ours while reviewing (never a refusal: those are outcomes).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("sealed data could not be opened: {0}")]
    Sealed(String),
}

pub type ReviewResult<T> = Result<T, ReviewError>;

/// Reads the queue's search box: a whole phone number, a whole ID number (found through its
/// blind index) or a whole name; anything else finds nothing. Every search is audited, by kind
/// and in masked form — never the searched value in clear.
pub async fn search(state: &AppState, admin: &AdminRow, ip: &str, q: &str) -> ReviewResult<repo::Search> {
    use crate::domain::{IdNumber, PersonName, Phone};
    let q = q.trim();
    if q.is_empty() {
        return Ok(repo::Search::Any);
    }
    let (search, detail) = if let Ok(p) = Phone::parse(q) {
        let masked = p.masked();
        (repo::Search::Phone(p.as_str().to_string()), format!("phone {masked}"))
    } else if let Ok(id) = IdNumber::parse(q, state.today()) {
        (repo::Search::IdBlind(state.keys.blind_indexes(&id)), format!("id {}", id.masked()))
    } else if let Ok(n) = PersonName::parse(q) {
        (repo::Search::Name(n.as_str().to_string()), format!("name {}", n.masked()))
    } else {
        (repo::Search::Nothing, format!("partial ({} characters)", q.chars().count().min(100)))
    };
    audit::record_alone(
        state,
        state.now(),
        admin.audit(audit::Action::Search, audit::Target::Applications, ip, audit::Outcome::Ok, &detail),
    )
    .await?;
    Ok(search)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Approve,
    Reject,
    Return,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "approve" => Some(Action::Approve),
            "reject" => Some(Action::Reject),
            "return" => Some(Action::Return),
            _ => None,
        }
    }
    /// The audit trail's word for it.
    pub fn audited(self) -> audit::Action {
        match self {
            Action::Approve => audit::Action::Approve,
            Action::Reject => audit::Action::Reject,
            Action::Return => audit::Action::Return,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Return => "return",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decided {
    Done {
        member_no: Option<String>,
    },
    /// Outside the admin's subtree, or no such application: the same answer.
    NotFound,
    /// Already decided by someone else.
    NotPending,
    /// Reject and return need a reason.
    ReasonNeeded,
    Forbidden,
}

pub async fn decide(state: &AppState, admin: &AdminRow, ip: &str, id: i64, action: Action, reason: &str) -> ReviewResult<Decided> {
    let info = admin.info();
    let now = state.now();
    if !info.can_review() {
        // A refused decision is audited like one outside the subtree.
        audit::record_alone(state, now, admin.audit(action.audited(), audit::Target::Application(id), ip, audit::Outcome::Forbidden, ""))
            .await?;
        return Ok(Decided::Forbidden);
    }
    let reason: String = reason.trim().chars().take(200).collect();
    if action != Action::Approve && reason.is_empty() {
        return Ok(Decided::ReasonNeeded);
    }
    let mut tx = state.db.begin_write().await?;
    // One decision at a time per application: the others wait here, then see it decided.
    repo::lock_for_decision(&mut tx, state.db.backend, id).await?;
    let Some(d) = repo::detail(&mut tx, admin.org_id, id, now).await? else {
        drop(tx);
        audit::record_alone(state, now, admin.audit(action.audited(), audit::Target::Application(id), ip, audit::Outcome::NotFound, ""))
            .await?;
        return Ok(Decided::NotFound);
    };
    if !d.item.status.is_pending() {
        return Ok(Decided::NotPending);
    }
    let token = crate::join::StatusToken::fresh();
    crate::join::repo::add_status_token(&mut tx, id, &token.hash(), now).await?;
    let link = state.status_url(token.as_str());
    let name = d.item.name_masked.clone();
    let mut member_no = None;
    let (status, template, params) = match action {
        Action::Approve => {
            let no = repo::next_member_no(&mut tx, d.org_id, &d.org_code).await?;
            repo::insert_member(&mut tx, id, d.org_id, &no, d.item.in_pool, now).await?;
            member_no = Some(no.clone());
            (ApplicationStatus::Approved, Template::Approved, serde_json::json!({ "name": name, "member_no": no, "link": link }))
        }
        Action::Reject => {
            (ApplicationStatus::Rejected, Template::Rejected, serde_json::json!({ "name": name, "reason": reason, "link": link }))
        }
        Action::Return => {
            (ApplicationStatus::Returned, Template::Returned, serde_json::json!({ "name": name, "reason": reason, "link": link }))
        }
    };
    // A rejection frees the person to apply again; approval keeps the key (one membership).
    let reason_kept = (!reason.is_empty()).then_some(reason.as_str());
    if !repo::set_decided(&mut tx, id, status, now, admin.id, reason_kept, action == Action::Reject).await? {
        // Someone else decided first: nothing of this one happens (the member row, the status
        // token and the SMS roll back with the transaction).
        drop(tx);
        return Ok(Decided::NotPending);
    }
    // The command centre's totals move with the decision.
    let on_time = d.item.secs_left >= 0;
    let joined = action == Action::Approve;
    if joined {
        tally::members(&mut tx, &[tally::MemberDelta::added(d.org_id, d.item.in_pool)]).await?;
    }
    tally::day(&mut tx, d.org_id, now, tally::DayDelta { joined: joined as i64, decided: 1, on_time: on_time as i64 }).await?;
    let outbox_id = outbox::enqueue_at(&mut tx, now, now + UNDO_SECS, &d.phone, template, params).await?;
    repo::insert_decision(&mut tx, id, admin.id, action.as_str(), &reason, Some(outbox_id), now).await?;
    audit::record(&mut tx, state, now, admin.audit(action.audited(), audit::Target::Application(id), ip, audit::Outcome::Ok, &reason))
        .await?;
    tx.commit().await?;
    state.events.publish(&state.db, &[Change { org_id: d.org_id, kind: ChangeKind::Decision }]).await;
    tracing::info!(application_id = id, admin = %admin.username, action = action.as_str(), "decided");
    Ok(Decided::Done { member_no })
}

#[derive(Debug, PartialEq, Eq)]
pub enum Undone {
    Done,
    /// No decision of this admin on it within the window, or its SMS is already on its way.
    TooLate,
    NotFound,
}

pub async fn undo(state: &AppState, admin: &AdminRow, ip: &str, id: i64) -> ReviewResult<Undone> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let Some(d) = repo::detail(&mut tx, admin.org_id, id, now).await? else { return Ok(Undone::NotFound) };
    let Some((decision_id, action, outbox_id, at)) = repo::last_decision_of(&mut tx, id, admin.id).await? else {
        return Ok(Undone::TooLate);
    };
    if now - at > UNDO_SECS + 5 || !outbox::cancel(&mut tx, outbox_id.unwrap_or(0)).await? {
        return Ok(Undone::TooLate);
    }
    let approved = action == Action::Approve.as_str();
    if approved {
        if !repo::delete_member(&mut tx, id).await? {
            // The membership is in use already (signed in, a benefit granted, left): it stands.
            return Ok(Undone::TooLate);
        }
        tally::members(&mut tx, &[tally::MemberDelta::removed(d.org_id, d.item.in_pool)]).await?;
    }
    // Taken back on the day it was counted.
    let on_time = at <= now + d.item.secs_left;
    tally::day(&mut tx, d.org_id, at, tally::DayDelta { joined: -(approved as i64), decided: -1, on_time: -(on_time as i64) }).await?;
    let restored = repo::restore_pending(&mut tx, id).await;
    if let Err(e) = &restored {
        if is_unique_violation(e) {
            // The person applied again after the rejection: the rejection stands.
            return Ok(Undone::TooLate);
        }
    }
    restored?;
    repo::mark_undone(&mut tx, decision_id, now).await?;
    repo::insert_decision(&mut tx, id, admin.id, "undo", &action, None, now).await?;
    audit::record(&mut tx, state, now, admin.audit(audit::Action::Undo, audit::Target::Application(id), ip, audit::Outcome::Ok, &action))
        .await?;
    tx.commit().await?;
    state.events.publish(&state.db, &[Change { org_id: d.org_id, kind: ChangeKind::Decision }]).await;
    Ok(Undone::Done)
}

/// Approves each listed application the admin may decide; returns (approved, skipped).
pub async fn bulk_approve(state: &AppState, admin: &AdminRow, ip: &str, ids: &[i64]) -> ReviewResult<(usize, usize)> {
    let mut ok = 0;
    for &id in ids.iter().take(500) {
        if let Decided::Done { .. } = decide(state, admin, ip, id, Action::Approve, "").await? {
            ok += 1;
        }
    }
    Ok((ok, ids.len() - ok))
}
