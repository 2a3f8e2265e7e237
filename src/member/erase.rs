//! The SQL of leaving: a member withdraws in one transaction — the member row marked, the
//! person's personal data overwritten wherever it is kept (applications, codes, messages,
//! status links, sessions), a pending transfer cancelled — while what the figures need (union,
//! status, times, sex, counts) stays, without anyone in it.
use crate::server::db::Conn;

/// What leaving needs to know of the member (read inside the leaving transaction).
pub struct Leaving {
    pub org_id: i64,
    pub in_pool: bool,
    pub active: bool,
    pub application_id: i64,
}

/// Marks the member as left: one conditional write; `None` when they had left already.
pub async fn mark_left(conn: &mut Conn, member_id: i64, now: i64) -> sqlx::Result<Option<Leaving>> {
    let done = sqlx::query("UPDATE members SET left_at = $1, pooled_since = NULL WHERE id = $2 AND left_at IS NULL")
        .bind(now)
        .bind(member_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if done != 1 {
        return Ok(None);
    }
    let (org_id, in_pool, status, application_id): (i64, i64, String, i64) =
        sqlx::query_as("SELECT org_id, in_pool, status, application_id FROM members WHERE id = $1").bind(member_id).fetch_one(conn).await?;
    Ok(Some(Leaving { org_id, in_pool: in_pool != 0, active: status == "active", application_id }))
}

/// Overwrites the person's data on every application of theirs (same blind index): name,
/// phone, plate, the sealed ID, its index and mask, the birth date, the consent's address, and
/// the reasons reviewers wrote about them. The open key goes, so the person could join again
/// one day. Returns the phone numbers those applications carried, for `phone` to erase.
pub async fn applications(conn: &mut Conn, application_id: i64) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, phone FROM applications WHERE id_blind = (SELECT id_blind FROM applications WHERE id = $1) OR id = $1")
            .bind(application_id)
            .fetch_all(&mut *conn)
            .await?;
    for (id, _) in &rows {
        sqlx::query(
            "UPDATE applications SET name = '', phone = '', plate = NULL, id_cipher = $2, id_blind = '', id_masked = '',
                 birth_date = '', open_key = NULL, consent_ip = '', decision_reason = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(Vec::<u8>::new())
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE decisions SET reason = NULL WHERE application_id = $1").bind(id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM status_tokens WHERE application_id = $1").bind(id).execute(&mut *conn).await?;
    }
    let mut phones: Vec<String> = rows.into_iter().map(|(_, phone)| phone).filter(|p| !p.is_empty()).collect();
    phones.sort();
    phones.dedup();
    Ok(phones)
}

/// Codes and messages of the phone: codes deleted; messages not yet sent cancelled; every
/// message's recipient and parameters blanked (the row stays for the delivery figures).
pub async fn phone(conn: &mut Conn, phone: &str) -> sqlx::Result<()> {
    if phone.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM sms_codes WHERE phone = $1").bind(phone).execute(&mut *conn).await?;
    sqlx::query(
        "UPDATE outbox SET status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END, to_phone = '', params = '{}'
         WHERE to_phone = $1",
    )
    .bind(phone)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sessions end; a pending transfer is cancelled; what admins wrote on the member's transfers
/// (note, reason) goes.
pub async fn member_rows(conn: &mut Conn, member_id: i64, now: i64) -> sqlx::Result<()> {
    super::repo::delete_sessions_of(&mut *conn, member_id).await?;
    sqlx::query("UPDATE transfers SET status = 'cancelled', decided_at = $2 WHERE member_id = $1 AND status = 'pending'")
        .bind(member_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE transfers SET note = NULL, reason = NULL WHERE member_id = $1").bind(member_id).execute(conn).await?;
    Ok(())
}
