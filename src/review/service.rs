//! Decisions. Each commits in one transaction with what it causes — the member record, the
//! status change, the SMS (held in the outbox for the undo window) and the audit row. An undo
//! is a recorded compensating change that cancels the waiting SMS; once the SMS has gone the
//! decision stands.
use super::repo;
use super::UNDO_SECS;
use crate::admin::repo::AdminRow;
use crate::server::audit;
use crate::server::crypto::{random_token, token_hash};
use crate::server::db::{is_unique_violation, Conn};
use crate::server::outbox;
use crate::server::sms::Template;
use crate::server::state::AppState;

/// Reads the queue's search box: a whole phone number, a whole ID number (found through its
/// blind index) or a whole name; anything else finds nothing. Every search is audited, by kind
/// and in masked form — never the searched value in clear.
pub async fn search(state: &AppState, admin: &AdminRow, ip: &str, q: &str) -> anyhow::Result<repo::Search> {
    use crate::domain::{IdNumber, PersonName, Phone};
    let q = q.trim();
    if q.is_empty() {
        return Ok(repo::Search::Any);
    }
    let (search, detail) = if let Ok(p) = Phone::parse(q) {
        let masked = p.masked();
        (repo::Search::Phone(p.as_str().to_string()), format!("phone {masked}"))
    } else if let Ok(id) = IdNumber::parse(q, state.today()) {
        (repo::Search::IdBlind(state.keys.blind_index(&id)), format!("id {}", id.masked()))
    } else if let Ok(n) = PersonName::parse(q) {
        (repo::Search::Name(n.as_str().to_string()), format!("name {}", n.masked()))
    } else {
        (repo::Search::Nothing, format!("partial ({} characters)", q.chars().count().min(100)))
    };
    audit::record_alone(state, state.now(), admin.audit("search", "applications", ip, "ok", &detail)).await?;
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
    fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Return => "return",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decided {
    Done { member_no: Option<String> },
    /// Outside the admin's subtree, or no such application: the same answer.
    NotFound,
    /// Already decided by someone else.
    NotPending,
    /// Reject and return need a reason.
    ReasonNeeded,
    Forbidden,
}

async fn next_member_no(conn: &mut Conn, org_id: i64, org_code: &str) -> sqlx::Result<String> {
    let n: i64 = sqlx::query_scalar(
        "INSERT INTO member_counters (org_id, last_no) VALUES ($1, 1)
         ON CONFLICT (org_id) DO UPDATE SET last_no = member_counters.last_no + 1 RETURNING last_no",
    )
    .bind(org_id)
    .fetch_one(conn)
    .await?;
    Ok(format!("{org_code}-{n:06}"))
}

pub async fn decide(state: &AppState, admin: &AdminRow, ip: &str, id: i64, action: Action, reason: &str) -> anyhow::Result<Decided> {
    let info = admin.info();
    let now = state.now();
    let target = format!("application:{id}");
    if !info.can_review() {
        // A refused decision is audited like one outside the subtree.
        audit::record_alone(state, now, admin.audit(action.as_str(), &target, ip, "forbidden", "")).await?;
        return Ok(Decided::Forbidden);
    }
    let reason: String = reason.trim().chars().take(200).collect();
    if action != Action::Approve && reason.is_empty() {
        return Ok(Decided::ReasonNeeded);
    }
    let mut tx = state.db.begin_write().await?;
    if state.db.backend == crate::server::db::Backend::Postgres {
        // One decision at a time per application: the others wait here, then see it decided.
        // (SQLite's write gate already serialises whole write transactions.)
        sqlx::query("SELECT id FROM applications WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(&mut *tx).await?;
    }
    let Some(d) = repo::detail(&mut tx, admin.org_id, id, now).await? else {
        drop(tx);
        audit::record_alone(state, now, admin.audit(action.as_str(), &target, ip, "not_found", "")).await?;
        return Ok(Decided::NotFound);
    };
    if d.item.status != "pending" {
        return Ok(Decided::NotPending);
    }
    let token = random_token();
    crate::join::repo::add_status_token(&mut tx, id, &token_hash(&token), now).await?;
    let link = state.status_url(&token);
    let name = d.item.name_masked.clone();
    let mut member_no = None;
    let (status, template, params) = match action {
        Action::Approve => {
            let no = next_member_no(&mut tx, d.org_id, &d.org_code).await?;
            sqlx::query("INSERT INTO members (application_id, org_id, member_no, in_pool, joined_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(d.org_id)
                .bind(&no)
                .bind(d.item.in_pool as i64)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            member_no = Some(no.clone());
            ("approved", Template::Approved, serde_json::json!({ "name": name, "member_no": no, "link": link }))
        }
        Action::Reject => ("rejected", Template::Rejected, serde_json::json!({ "name": name, "reason": reason, "link": link })),
        Action::Return => ("returned", Template::Returned, serde_json::json!({ "name": name, "reason": reason, "link": link })),
    };
    // A rejection frees the person to apply again; approval keeps the key (one membership).
    let open_key_sql = if action == Action::Reject { ", open_key = NULL" } else { "" };
    let changed = sqlx::query(&format!(
        "UPDATE applications SET status = $1, decided_at = $2, decided_by = $3, decision_reason = $4{open_key_sql} WHERE id = $5 AND status = 'pending'"
    ))
    .bind(status)
    .bind(now)
    .bind(admin.id)
    .bind(if reason.is_empty() { None } else { Some(reason.as_str()) })
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        // Someone else decided first: nothing of this one happens (the member row, the status
        // token and the SMS roll back with the transaction).
        drop(tx);
        return Ok(Decided::NotPending);
    }
    let outbox_id = outbox::enqueue_at(&mut tx, now, now + UNDO_SECS, &d.phone, template, params).await?;
    sqlx::query("INSERT INTO decisions (application_id, admin_id, action, reason, outbox_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(admin.id)
        .bind(action.as_str())
        .bind(&reason)
        .bind(outbox_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        state,
        now,
        admin.audit(action.as_str(), &target, ip, "ok", &reason),
    )
    .await?;
    tx.commit().await?;
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

pub async fn undo(state: &AppState, admin: &AdminRow, ip: &str, id: i64) -> anyhow::Result<Undone> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let Some(d) = repo::detail(&mut tx, admin.org_id, id, now).await? else { return Ok(Undone::NotFound) };
    let last: Option<(i64, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT id, action, outbox_id, created_at FROM decisions
         WHERE application_id = $1 AND admin_id = $2 AND undone_at IS NULL AND action <> 'undo' ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .bind(admin.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((decision_id, action, outbox_id, at)) = last else { return Ok(Undone::TooLate) };
    if now - at > UNDO_SECS + 5 || !outbox::cancel(&mut tx, outbox_id.unwrap_or(0)).await? {
        return Ok(Undone::TooLate);
    }
    if action == "approve" {
        sqlx::query("DELETE FROM members WHERE application_id = $1").bind(id).execute(&mut *tx).await?;
    }
    let restored = sqlx::query(
        "UPDATE applications SET status = 'pending', decided_at = NULL, decided_by = NULL, decision_reason = NULL, open_key = $1 WHERE id = $2",
    )
    .bind(&d.id_blind)
    .bind(id)
    .execute(&mut *tx)
    .await;
    if let Err(e) = &restored {
        if is_unique_violation(e) {
            // The person applied again after the rejection: the rejection stands.
            return Ok(Undone::TooLate);
        }
    }
    restored?;
    sqlx::query("UPDATE decisions SET undone_at = $1 WHERE id = $2").bind(now).bind(decision_id).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO decisions (application_id, admin_id, action, reason, created_at) VALUES ($1, $2, 'undo', $3, $4)")
        .bind(id)
        .bind(admin.id)
        .bind(&action)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        state,
        now,
        admin.audit("undo", &format!("application:{id}"), ip, "ok", &action),
    )
    .await?;
    tx.commit().await?;
    Ok(Undone::Done)
}

/// Approves each listed application the admin may decide; returns (approved, skipped).
pub async fn bulk_approve(state: &AppState, admin: &AdminRow, ip: &str, ids: &[i64]) -> anyhow::Result<(usize, usize)> {
    let mut ok = 0;
    for &id in ids.iter().take(500) {
        if let Decided::Done { .. } = decide(state, admin, ip, id, Action::Approve, "").await? {
            ok += 1;
        }
    }
    Ok((ok, ids.len() - ok))
}
