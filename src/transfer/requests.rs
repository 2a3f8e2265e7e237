//! Members' own requests for a transfer (会籍接转), made from 我的: a request goes to the
//! member's union, which proposes the transfer through the usual flow (`service::propose`);
//! proposing settles the member's open request. One open request per member, decided by a
//! unique index under races.
use super::repo;
use super::service::TransferResult;
use super::MemberRequest;
use crate::calendar::format_local;
use crate::domain::PersonName;
use crate::i18n::T;
use crate::server::db::{is_unique_violation, Conn};
use crate::server::state::AppState;
use sqlx::AnyPool;

pub const MAX_REASON_CHARS: usize = 200;

#[derive(Debug, PartialEq, Eq)]
pub enum Requested {
    Done,
    /// Not possible as asked: the words say why.
    Refused(T),
}

/// Records a member's request to move to the union `to`, for the reason given.
pub async fn request(state: &AppState, member_id: i64, to: i64, reason: &str) -> TransferResult<Requested> {
    let reason: String = reason.trim().chars().take(MAX_REASON_CHARS).collect();
    if reason.chars().count() < 2 {
        return Ok(Requested::Refused(T::RequestReasonNeeded));
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    repo::lock_member(&mut tx, state.db.backend, member_id).await?;
    let member: Option<(i64, String)> = sqlx::query_as("SELECT org_id, status FROM members WHERE id = $1 AND left_at IS NULL")
        .bind(member_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((from, status)) = member else { return Ok(Requested::Refused(T::NotTransferable)) };
    if status != "active" {
        return Ok(Requested::Refused(T::NotTransferable));
    }
    let Some(receiver) = repo::receiver(&mut tx, to).await? else { return Ok(Requested::Refused(T::ChooseUnion)) };
    if receiver.kind.is_federation() {
        return Ok(Requested::Refused(T::ChooseUnion));
    }
    if receiver.id == from {
        return Ok(Requested::Refused(T::SameUnion));
    }
    if repo::pending_of(&mut tx, member_id).await?.is_some() {
        return Ok(Requested::Refused(T::AlreadyPendingTransfer));
    }
    let inserted = sqlx::query(
        "INSERT INTO transfer_requests (member_id, from_org_id, to_org_id, reason, status, created_at) VALUES ($1, $2, $3, $4, 'open', $5)",
    )
    .bind(member_id)
    .bind(from)
    .bind(receiver.id)
    .bind(&reason)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Ok(Requested::Refused(T::RequestAlreadyOpen)),
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    tracing::info!(member_id, to = receiver.id, "member asked for a transfer");
    Ok(Requested::Done)
}

/// Settles a member's open request (`proposed` when a transfer was proposed, `cancelled` when
/// they left); the member's words go when they leave.
pub async fn settle(conn: &mut Conn, member_id: i64, status: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE transfer_requests SET status = $1, handled_at = $2 WHERE member_id = $3 AND status = 'open'")
        .bind(status)
        .bind(now)
        .bind(member_id)
        .execute(&mut *conn)
        .await?;
    if status == "cancelled" {
        sqlx::query("UPDATE transfer_requests SET reason = '' WHERE member_id = $1").bind(member_id).execute(conn).await?;
    }
    Ok(())
}

/// Open requests of members of the admin's subtree, oldest first.
pub async fn open_in(pool: &AnyPool, root: i64) -> sqlx::Result<Vec<MemberRequest>> {
    let rows: Vec<(i64, i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT r.id, r.member_id, a.name, m.member_no, o.name, r.reason, r.created_at FROM transfer_requests r
         JOIN members m ON m.id = r.member_id JOIN applications a ON a.id = m.application_id JOIN orgs o ON o.id = r.to_org_id
         WHERE r.status = 'open' AND r.from_org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)
         ORDER BY r.created_at, r.id",
    )
    .bind(root)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, member_id, name, member_no, to_name, reason, at)| MemberRequest {
            id,
            member_id,
            name_masked: PersonName::mask_stored(&name),
            member_no,
            to_name,
            reason,
            created_at: format_local(at),
        })
        .collect())
}

/// A member's requests: (to union, status, made at), newest first.
pub async fn of_member(pool: &AnyPool, member_id: i64) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT o.name, r.status, r.created_at FROM transfer_requests r JOIN orgs o ON o.id = r.to_org_id
         WHERE r.member_id = $1 ORDER BY r.created_at DESC, r.id DESC",
    )
    .bind(member_id)
    .fetch_all(pool)
    .await
}
