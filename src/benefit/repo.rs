//! The SQL of partners, merchants, campaigns and coupons: registration, the member's lists, the
//! claim's conditional stock write, and a campaign's figures. Redemption codes and redemptions
//! are in `repo::codes`.
pub mod codes;

use super::{CampaignKind, CampaignRow, CouponState, FigureLine, MerchantRow, Scenario};
use crate::server::db::Conn;
use sqlx::{AnyPool, Row};

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what}").into())
}

pub async fn partners(pool: &AnyPool) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as("SELECT id, name FROM partners ORDER BY name").fetch_all(pool).await
}

/// Inserts a partner; `None` when the name is taken.
pub async fn insert_partner(conn: &mut Conn, name: &str, now: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("INSERT INTO partners (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id")
        .bind(name)
        .bind(now)
        .fetch_optional(conn)
        .await
}

pub async fn merchants(pool: &AnyPool) -> sqlx::Result<Vec<MerchantRow>> {
    let rows = sqlx::query(
        "SELECT m.id, m.name, m.scenario, p.name AS partner, (SELECT COUNT(*) FROM admins a WHERE a.merchant_id = m.id) AS staff
         FROM merchants m LEFT JOIN partners p ON p.id = m.partner_id ORDER BY m.scenario, m.name",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MerchantRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                scenario: Scenario::parse(&r.try_get::<String, _>("scenario")?).ok_or_else(|| bad("scenario"))?,
                partner: r.try_get("partner")?,
                staff: r.try_get("staff")?,
            })
        })
        .collect()
}

pub async fn merchant_name(pool: &AnyPool, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM merchants WHERE id = $1").bind(id).fetch_optional(pool).await
}

/// Inserts a merchant; `None` when the name is taken.
pub async fn insert_merchant(conn: &mut Conn, name: &str, scenario: Scenario, partner: Option<i64>, now: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO merchants (name, scenario, partner_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(scenario.as_str())
    .bind(partner)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// A campaign as the form made it (validated by the service).
pub struct NewCampaign<'a> {
    pub kind: CampaignKind,
    pub title: &'a str,
    pub description: &'a str,
    pub stock: i64,
    pub per_member: i64,
    pub claim_from: i64,
    pub claim_until: i64,
    pub redeem_until: i64,
    pub target_org_id: Option<i64>,
    pub target_occupation: Option<&'a str>,
    pub new_member_days: Option<i64>,
    pub welcome: bool,
    pub created_by: Option<i64>,
}

pub async fn insert_campaign(conn: &mut Conn, c: &NewCampaign<'_>, merchants: &[i64], now: i64) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (kind, title, description, stock, claimed, per_member, claim_from, claim_until, redeem_until,
                                target_org_id, target_occupation, new_member_days, welcome, created_by, created_at)
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(c.kind.as_str())
    .bind(c.title)
    .bind(c.description)
    .bind(c.stock)
    .bind(c.per_member)
    .bind(c.claim_from)
    .bind(c.claim_until)
    .bind(c.redeem_until)
    .bind(c.target_org_id)
    .bind(c.target_occupation)
    .bind(c.new_member_days)
    .bind(c.welcome as i64)
    .bind(c.created_by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for m in merchants {
        sqlx::query("INSERT INTO campaign_merchants (campaign_id, merchant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(m)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

const CAMPAIGN: &str = "id, kind, title, description, stock, claimed, per_member, claim_from, claim_until, redeem_until,
                        target_org_id, target_occupation, new_member_days, welcome, created_at";

/// The same columns from a query that names the campaigns table `c`.
const CAMPAIGN_C: &str = "c.id, c.kind, c.title, c.description, c.stock, c.claimed, c.per_member, c.claim_from, c.claim_until,
                          c.redeem_until, c.target_org_id, c.target_occupation, c.new_member_days, c.welcome, c.created_at";

fn campaign_from(r: &sqlx::any::AnyRow) -> sqlx::Result<CampaignRow> {
    Ok(CampaignRow {
        id: r.try_get("id")?,
        kind: CampaignKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| bad("campaign kind"))?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        stock: r.try_get("stock")?,
        claimed: r.try_get("claimed")?,
        per_member: r.try_get("per_member")?,
        claim_from: r.try_get("claim_from")?,
        claim_until: r.try_get("claim_until")?,
        redeem_until: r.try_get("redeem_until")?,
        target_org_id: r.try_get("target_org_id")?,
        target_occupation: r.try_get("target_occupation")?,
        new_member_days: r.try_get("new_member_days")?,
        welcome: r.try_get::<i64, _>("welcome")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn campaign(conn: &mut Conn, id: i64) -> sqlx::Result<Option<CampaignRow>> {
    let row = sqlx::query(&format!("SELECT {CAMPAIGN} FROM campaigns WHERE id = $1")).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(campaign_from).transpose()
}

/// Every campaign, newest first (the city admin's list).
pub async fn campaigns(pool: &AnyPool) -> sqlx::Result<Vec<CampaignRow>> {
    let rows = sqlx::query(&format!("SELECT {CAMPAIGN} FROM campaigns ORDER BY id DESC LIMIT 200")).fetch_all(pool).await?;
    rows.iter().map(campaign_from).collect()
}

/// Welcome campaigns still granting at `now`.
pub async fn live_welcome(conn: &mut Conn, now: i64) -> sqlx::Result<Vec<CampaignRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {CAMPAIGN} FROM campaigns WHERE welcome = 1 AND claim_from <= $1 AND claim_until >= $1 AND claimed < stock ORDER BY id"
    ))
    .bind(now)
    .fetch_all(conn)
    .await?;
    rows.iter().map(campaign_from).collect()
}

/// The merchants' names of a campaign, joined with "、".
/// On the caller's connection: a page that holds one must not wait for a second one.
pub async fn merchant_names(conn: &mut Conn, campaign_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT m.name FROM campaign_merchants cm JOIN merchants m ON m.id = cm.merchant_id WHERE cm.campaign_id = $1 ORDER BY m.name",
    )
    .bind(campaign_id)
    .fetch_all(conn)
    .await
}

/// A member as the targets and the claim need them: union, occupation, joined, live.
#[derive(Clone, Debug)]
pub struct MemberFacts {
    pub id: i64,
    pub org_id: i64,
    pub occupation: Option<String>,
    pub joined_at: i64,
    pub live: bool,
    pub phone: String,
}

pub async fn member(conn: &mut Conn, member_id: i64) -> sqlx::Result<Option<MemberFacts>> {
    let row = sqlx::query(
        "SELECT m.id, m.org_id, a.occupation, m.joined_at, m.status, m.left_at, a.phone
         FROM members m JOIN applications a ON a.id = m.application_id WHERE m.id = $1",
    )
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(MemberFacts {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            occupation: r.try_get("occupation")?,
            joined_at: r.try_get("joined_at")?,
            live: r.try_get::<String, _>("status")? == "active" && r.try_get::<Option<i64>, _>("left_at")?.is_none(),
            phone: r.try_get("phone")?,
        })
    })
    .transpose()
}

/// Is the union `org` inside `root`'s subtree?
pub async fn within(conn: &mut Conn, org: i64, root: i64) -> sqlx::Result<bool> {
    let hit: Option<i64> = sqlx::query_scalar("SELECT distance FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
        .bind(root)
        .bind(org)
        .fetch_optional(conn)
        .await?;
    Ok(hit.is_some())
}

/// Campaigns whose claim window is open at `now` (welcome packs are granted, not claimed).
pub async fn open_campaigns(conn: &mut Conn, now: i64) -> sqlx::Result<Vec<CampaignRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {CAMPAIGN} FROM campaigns WHERE welcome = 0 AND claim_from <= $1 AND claim_until >= $1 ORDER BY claim_until, id LIMIT 100"
    ))
    .bind(now)
    .fetch_all(conn)
    .await?;
    rows.iter().map(campaign_from).collect()
}

/// Coupons a member holds of a campaign.
pub async fn held(conn: &mut Conn, campaign_id: i64, member_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM coupons WHERE campaign_id = $1 AND member_id = $2")
        .bind(campaign_id)
        .bind(member_id)
        .fetch_one(conn)
        .await
}

/// Takes one from the stock: one conditional write; `false` when none is left.
pub async fn take_stock(conn: &mut Conn, campaign_id: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE campaigns SET claimed = claimed + 1 WHERE id = $1 AND claimed < stock").bind(campaign_id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// A new coupon; a second welcome coupon of the same campaign for a member is refused by the
/// unique index and comes back as `None`.
pub async fn insert_coupon(conn: &mut Conn, campaign_id: i64, member_id: i64, welcome: bool, now: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO coupons (campaign_id, member_id, welcome, status, claimed_at, claim_day) VALUES ($1, $2, $3, 'unused', $4, $5)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(campaign_id)
    .bind(member_id)
    .bind(welcome as i64)
    .bind(now)
    .bind(crate::org::tally::local_day(now))
    .fetch_optional(conn)
    .await
}

/// A coupon as read with its campaign: (coupon id, campaign, stored status parsed).
fn coupon_from(r: &sqlx::any::AnyRow) -> sqlx::Result<(i64, CampaignRow, CouponState)> {
    let status = CouponState::parse_stored(&r.try_get::<String, _>("coupon_status")?).ok_or_else(|| bad("coupon status"))?;
    Ok((r.try_get("coupon_id")?, campaign_from(r)?, status))
}

/// A member's coupons, newest first: (coupon id, campaign, stored status).
pub async fn coupons_of(conn: &mut Conn, member_id: i64) -> sqlx::Result<Vec<(i64, CampaignRow, CouponState)>> {
    let rows = sqlx::query(&format!(
        "SELECT k.id AS coupon_id, k.status AS coupon_status, {CAMPAIGN_C} FROM coupons k JOIN campaigns c ON c.id = k.campaign_id
         WHERE k.member_id = $1 ORDER BY k.id DESC LIMIT 200"
    ))
    .bind(member_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(coupon_from).collect()
}

/// One coupon of this member (another member's does not exist): (coupon id, campaign, stored status).
pub async fn coupon_of(conn: &mut Conn, member_id: i64, coupon_id: i64) -> sqlx::Result<Option<(i64, CampaignRow, CouponState)>> {
    let row = sqlx::query(&format!(
        "SELECT k.id AS coupon_id, k.status AS coupon_status, {CAMPAIGN_C} FROM coupons k JOIN campaigns c ON c.id = k.campaign_id
         WHERE k.member_id = $1 AND k.id = $2"
    ))
    .bind(member_id)
    .bind(coupon_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(coupon_from).transpose()
}

/// A campaign's figures: claims per day, and redemptions (not reversed) per merchant per day.
pub async fn figures(pool: &AnyPool, campaign_id: i64) -> sqlx::Result<Vec<FigureLine>> {
    let claims: Vec<(i64, i64)> =
        sqlx::query_as("SELECT claim_day, COUNT(*) FROM coupons WHERE campaign_id = $1 GROUP BY claim_day ORDER BY claim_day")
            .bind(campaign_id)
            .fetch_all(pool)
            .await?;
    let redeemed: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT r.day, m.name, COUNT(*) FROM redemptions r JOIN merchants m ON m.id = r.merchant_id
         WHERE r.campaign_id = $1 AND r.reversed_at IS NULL GROUP BY r.day, m.name ORDER BY r.day, m.name",
    )
    .bind(campaign_id)
    .fetch_all(pool)
    .await?;
    let day = |d: i64| crate::domain::Ymd::from_days_since_epoch(d).to_string();
    let mut lines: Vec<(i64, FigureLine)> = claims
        .into_iter()
        .map(|(d, n)| (d, FigureLine { day: day(d), merchant: None, claimed: n, redeemed: 0 }))
        .chain(redeemed.into_iter().map(|(d, m, n)| (d, FigureLine { day: day(d), merchant: Some(m), claimed: 0, redeemed: n })))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.merchant.is_some().cmp(&b.1.merchant.is_some())));
    Ok(lines.into_iter().map(|(_, l)| l).collect())
}
