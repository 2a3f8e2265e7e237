//! The SQL of redemption: one-time codes (MACs only), the redemption's conditional writes, its
//! reversal, the merchant's list, and the wrong-code counts.
use super::super::{CampaignKind, CouponState, RedemptionItem};
use super::bad;
use crate::calendar::format_local;
use crate::domain::PersonName;
use crate::server::db::Conn;
use sqlx::Row;

/// Replaces a coupon's code; `false` when the digits' MAC is taken by another live code (the
/// caller draws new digits). An expired code with the same digits gives way.
pub async fn put_code(conn: &mut Conn, coupon_id: i64, digits_mac: &str, token_mac: &str, now: i64, expires_at: i64) -> sqlx::Result<bool> {
    sqlx::query("DELETE FROM redeem_codes WHERE coupon_id = $1").bind(coupon_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM redeem_codes WHERE digits_mac = $1 AND expires_at <= $2")
        .bind(digits_mac)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "INSERT INTO redeem_codes (digits_mac, token_mac, coupon_id, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(digits_mac)
    .bind(token_mac)
    .bind(coupon_id)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a live code is stored under one of these digits' MACs (the same digits under
/// another key of the ring).
pub async fn digits_live(conn: &mut Conn, macs: &[String], now: i64) -> sqlx::Result<bool> {
    for mac in macs {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM redeem_codes WHERE digits_mac = $1 AND expires_at > $2")
            .bind(mac)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
        if n > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What a code leads to, as the counter needs it.
#[derive(Clone, Debug)]
pub struct CodeHit {
    pub digits_mac: String,
    pub coupon_id: i64,
    pub expires_at: i64,
    /// As stored: `Unused`, `Redeemed` or `Void`.
    pub coupon_status: CouponState,
    pub campaign_id: i64,
    pub campaign: String,
    pub kind: CampaignKind,
    pub description: String,
    pub redeem_until: i64,
    pub member_live: bool,
    pub name_masked: String,
}

/// The code with this digits' or token's MAC, if it is one of a campaign `merchant_id` takes
/// part in; for any other merchant it does not exist. The coupon's status and the campaign's
/// kind are parsed here: an unknown one is an error, never a guess.
pub async fn find(conn: &mut Conn, by_token: bool, mac: &str, merchant_id: i64) -> sqlx::Result<Option<CodeHit>> {
    let column = if by_token { "rc.token_mac" } else { "rc.digits_mac" };
    let row = sqlx::query(&format!(
        "SELECT rc.digits_mac, rc.coupon_id, rc.expires_at, k.status, c.id AS campaign_id, c.title, c.kind, c.description,
                c.redeem_until, m.status AS member_status, m.left_at, a.name
         FROM redeem_codes rc JOIN coupons k ON k.id = rc.coupon_id JOIN campaigns c ON c.id = k.campaign_id
         JOIN campaign_merchants cm ON cm.campaign_id = c.id AND cm.merchant_id = $2
         JOIN members m ON m.id = k.member_id JOIN applications a ON a.id = m.application_id
         WHERE {column} = $1"
    ))
    .bind(mac)
    .bind(merchant_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(CodeHit {
            digits_mac: r.try_get("digits_mac")?,
            coupon_id: r.try_get("coupon_id")?,
            expires_at: r.try_get("expires_at")?,
            coupon_status: CouponState::parse_stored(&r.try_get::<String, _>("status")?).ok_or_else(|| bad("coupon status"))?,
            campaign_id: r.try_get("campaign_id")?,
            campaign: r.try_get("title")?,
            kind: CampaignKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| bad("campaign kind"))?,
            description: r.try_get("description")?,
            redeem_until: r.try_get("redeem_until")?,
            member_live: r.try_get::<String, _>("member_status")? == "active" && r.try_get::<Option<i64>, _>("left_at")?.is_none(),
            name_masked: PersonName::mask_stored(&r.try_get::<String, _>("name")?),
        })
    })
    .transpose()
}

/// Uses up a live code: one conditional DELETE; `false` when another confirm took it first.
pub async fn spend_code(conn: &mut Conn, digits_mac: &str, now: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("DELETE FROM redeem_codes WHERE digits_mac = $1 AND expires_at > $2").bind(digits_mac).bind(now).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a coupon redeemed and records the redemption; `None` when it was not unused.
pub async fn redeem(conn: &mut Conn, hit: &CodeHit, merchant_id: i64, staff_id: i64, now: i64) -> sqlx::Result<Option<i64>> {
    let done = sqlx::query("UPDATE coupons SET status = 'redeemed' WHERE id = $1 AND status = 'unused'")
        .bind(hit.coupon_id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let id = sqlx::query_scalar(
        "INSERT INTO redemptions (coupon_id, campaign_id, merchant_id, staff_id, at, day) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(hit.coupon_id)
    .bind(hit.campaign_id)
    .bind(merchant_id)
    .bind(staff_id)
    .bind(now)
    .bind(crate::org::tally::local_day(now))
    .fetch_one(conn)
    .await?;
    Ok(Some(id))
}

/// A reversed redemption: its coupon (unused again) and its campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reversed {
    pub coupon_id: i64,
    pub campaign_id: i64,
}

/// Reverses a redemption (at `merchant_id` only, when given): the coupon is unused again.
/// `None` when there is no such redemption (there) or it was reversed already.
pub async fn reverse(
    conn: &mut Conn,
    id: i64,
    merchant_id: Option<i64>,
    by: i64,
    reason: &str,
    now: i64,
) -> sqlx::Result<Option<Reversed>> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE redemptions SET reversed_at = $1, reversed_by = $2, reverse_reason = $3
         WHERE id = $4 AND reversed_at IS NULL AND ($5 IS NULL OR merchant_id = $5) RETURNING coupon_id, campaign_id",
    )
    .bind(now)
    .bind(by)
    .bind(reason)
    .bind(id)
    .bind(merchant_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((coupon_id, campaign_id)) = row else { return Ok(None) };
    sqlx::query("UPDATE coupons SET status = 'unused' WHERE id = $1 AND status = 'redeemed'").bind(coupon_id).execute(conn).await?;
    Ok(Some(Reversed { coupon_id, campaign_id }))
}

/// The campaign of a redemption not yet reversed (at `merchant_id` only, when given).
pub async fn reversible_campaign(conn: &mut Conn, id: i64, merchant_id: Option<i64>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT campaign_id FROM redemptions WHERE id = $1 AND reversed_at IS NULL AND ($2 IS NULL OR merchant_id = $2)")
        .bind(id)
        .bind(merchant_id)
        .fetch_optional(conn)
        .await
}

/// Recent redemptions at a merchant, or of a campaign; newest first, masked.
pub async fn redemptions(conn: &mut Conn, merchant_id: Option<i64>, campaign_id: Option<i64>) -> sqlx::Result<Vec<RedemptionItem>> {
    let rows = sqlx::query(
        "SELECT r.id, c.title, mc.name AS merchant, a.name, r.at, r.reversed_at, r.reverse_reason
         FROM redemptions r JOIN campaigns c ON c.id = r.campaign_id JOIN merchants mc ON mc.id = r.merchant_id
         JOIN coupons k ON k.id = r.coupon_id JOIN members m ON m.id = k.member_id JOIN applications a ON a.id = m.application_id
         WHERE ($1 IS NULL OR r.merchant_id = $1) AND ($2 IS NULL OR r.campaign_id = $2) ORDER BY r.id DESC LIMIT 50",
    )
    .bind(merchant_id)
    .bind(campaign_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let reversed: Option<i64> = r.try_get("reversed_at")?;
            let reason: Option<String> = r.try_get("reverse_reason")?;
            Ok(RedemptionItem {
                id: r.try_get("id")?,
                campaign: r.try_get("title")?,
                merchant: r.try_get("merchant")?,
                name_masked: PersonName::mask_stored(&r.try_get::<String, _>("name")?),
                at: format_local(r.try_get("at")?),
                reversed: reversed.map(|at| format!("{} {}", format_local(at), reason.unwrap_or_default())),
            })
        })
        .collect()
}

/// Wrong codes since `since` by a staff account and at its merchant.
pub async fn failures(conn: &mut Conn, staff_id: i64, merchant_id: i64, since: i64) -> sqlx::Result<(i64, i64)> {
    let by_staff = sqlx::query_scalar("SELECT COUNT(*) FROM redeem_failures WHERE staff_id = $1 AND at > $2")
        .bind(staff_id)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
    let by_merchant = sqlx::query_scalar("SELECT COUNT(*) FROM redeem_failures WHERE merchant_id = $1 AND at > $2")
        .bind(merchant_id)
        .bind(since)
        .fetch_one(conn)
        .await?;
    Ok((by_staff, by_merchant))
}

/// When the `nth` newest failure (0-based) of the staff account, or of the merchant, happened.
pub async fn nth_failure_at(conn: &mut Conn, merchant: bool, id: i64, since: i64, nth: i64) -> sqlx::Result<Option<i64>> {
    let column = if merchant { "merchant_id" } else { "staff_id" };
    sqlx::query_scalar(&format!("SELECT at FROM redeem_failures WHERE {column} = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3"))
        .bind(id)
        .bind(since)
        .bind(nth)
        .fetch_optional(conn)
        .await
}

pub async fn record_failure(conn: &mut Conn, staff_id: i64, merchant_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO redeem_failures (staff_id, merchant_id, at) VALUES ($1, $2, $3)")
        .bind(staff_id)
        .bind(merchant_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}

/// What one housekeeping pass deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub expired_codes: u64,
    pub codes_of_leavers: u64,
    pub failures: u64,
}

/// Housekeeping: deletes the codes expired at `now`, the codes of members who left, and the
/// wrong codes at or before `failures_until` (older than the counting window: no count reads
/// them any more).
pub async fn sweep(conn: &mut Conn, now: i64, failures_until: i64) -> sqlx::Result<Swept> {
    let expired_codes = sqlx::query("DELETE FROM redeem_codes WHERE expires_at <= $1").bind(now).execute(&mut *conn).await?.rows_affected();
    let codes_of_leavers = sqlx::query(
        "DELETE FROM redeem_codes WHERE coupon_id IN
           (SELECT k.id FROM coupons k JOIN members m ON m.id = k.member_id WHERE m.left_at IS NOT NULL)",
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let failures =
        sqlx::query("DELETE FROM redeem_failures WHERE at <= $1").bind(failures_until).execute(&mut *conn).await?.rows_affected();
    Ok(Swept { expired_codes, codes_of_leavers, failures })
}
