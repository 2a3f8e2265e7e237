//! The benefit rules: who a campaign is for, claiming (stock exact under load: one conditional
//! write; the per-member limit under a lock on (campaign, member)), and the member's lists.
//! Redemption at the counter is in `redeem`, registration by the city admin in `setup`.
use super::repo::{self, MemberFacts};
use super::{CampaignRow, CouponState, MyCoupon, OpenCampaign};
use crate::calendar::format_local;
use crate::i18n::T;
use crate::server::db::Conn;
use crate::server::state::AppState;

/// A fault of ours in the benefit area (a refusal is an outcome, not this).
#[derive(Debug, thiserror::Error)]
pub enum BenefitError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Admin(#[from] crate::admin::auth::AdminError),
}

pub type BenefitResult<T> = Result<T, BenefitError>;

impl From<BenefitError> for crate::server::error::AppError {
    fn from(e: BenefitError) -> crate::server::error::AppError {
        match e {
            BenefitError::Db(e) => crate::server::error::AppError::Db(e),
            BenefitError::Admin(e) => e.into(),
        }
    }
}

/// Does the campaign's target take this member (their union, occupation, joining date)?
pub async fn targets(conn: &mut Conn, c: &CampaignRow, m: &MemberFacts, now: i64) -> sqlx::Result<bool> {
    if let Some(days) = c.new_member_days {
        if m.joined_at < now - days * 86_400 {
            return Ok(false);
        }
    }
    if let Some(occupation) = &c.target_occupation {
        if m.occupation.as_deref() != Some(occupation.as_str()) {
            return Ok(false);
        }
    }
    match c.target_org_id {
        Some(root) => repo::within(conn, m.org_id, root).await,
        None => Ok(true),
    }
}

/// Why a claim was refused, or the new coupon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claimed {
    Ok(i64),
    /// No such campaign, or one this member is not in the target of: the same answer.
    NotEligible,
    NotOpen,
    OverLimit,
    SoldOut,
    /// The member has left the union.
    Gone,
}

impl Claimed {
    pub fn text(self) -> T {
        match self {
            Claimed::Ok(_) => T::ClaimDone,
            Claimed::NotEligible => T::ClaimNotEligible,
            Claimed::NotOpen => T::ClaimNotOpen,
            Claimed::OverLimit => T::ClaimOverLimit,
            Claimed::SoldOut => T::ClaimSoldOut,
            Claimed::Gone => T::ClaimNotEligible,
        }
    }
}

/// One claim. Who the member is and what the campaign asks are read first; then, in one
/// transaction under a lock on (campaign, member) — on PostgreSQL an advisory lock, on SQLite
/// the write gate — the per-member limit is checked, the coupon written and, last, the stock
/// taken by one conditional write (row count checked; none left: the coupon is rolled back).
/// Taking the stock last keeps the campaign row locked only for that write and the commit.
pub async fn claim(state: &AppState, member_id: i64, campaign_id: i64) -> BenefitResult<Claimed> {
    let now = state.now();
    let c = {
        let mut conn = state.db.pool.acquire().await?;
        let Some(m) = repo::member(&mut conn, member_id).await? else { return Ok(Claimed::Gone) };
        if !m.live {
            return Ok(Claimed::Gone);
        }
        let Some(c) = repo::campaign(&mut conn, campaign_id).await? else { return Ok(Claimed::NotEligible) };
        if c.welcome || !targets(&mut conn, &c, &m, now).await? {
            return Ok(Claimed::NotEligible);
        }
        c
    };
    if now < c.claim_from || now > c.claim_until {
        return Ok(Claimed::NotOpen);
    }
    if c.claimed >= c.stock {
        // Stock only goes down: a sold-out campaign needs no lock to say so.
        return Ok(Claimed::SoldOut);
    }
    let mut tx = state.db.begin_write().await?;
    crate::join::repo::codes::lock(&mut tx, state.db.backend, "benefit-claim", &format!("{campaign_id}:{member_id}")).await?;
    if repo::held(&mut tx, campaign_id, member_id).await? >= c.per_member {
        return Ok(Claimed::OverLimit);
    }
    let Some(coupon) = repo::insert_coupon(&mut tx, campaign_id, member_id, false, now).await? else {
        return Ok(Claimed::SoldOut);
    };
    if !repo::take_stock(&mut tx, campaign_id).await? {
        return Ok(Claimed::SoldOut);
    }
    tx.commit().await?;
    Ok(Claimed::Ok(coupon))
}

fn joined(names: Vec<String>) -> String {
    names.join("、")
}

/// What `/me/benefits` lists: the campaigns open to this member, and their coupons.
pub async fn mine(state: &AppState, member_id: i64) -> BenefitResult<(Vec<OpenCampaign>, Vec<MyCoupon>)> {
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    let Some(m) = repo::member(&mut conn, member_id).await? else { return Ok((Vec::new(), Vec::new())) };
    let mut open = Vec::new();
    if m.live {
        for c in repo::open_campaigns(&mut conn, now).await? {
            if !targets(&mut conn, &c, &m, now).await? {
                continue;
            }
            let mine = repo::held(&mut conn, c.id, member_id).await?;
            open.push(OpenCampaign {
                id: c.id,
                title: c.title.clone(),
                description: c.description.clone(),
                kind: c.kind,
                left: (c.stock - c.claimed).max(0),
                until: format_local(c.claim_until),
                merchants: joined(repo::merchant_names(&mut conn, c.id).await?),
                mine,
                per_member: c.per_member,
            });
        }
    }
    let mut coupons = Vec::new();
    for (id, c, status) in repo::coupons_of(&mut conn, member_id).await? {
        coupons.push(my(&mut conn, &m, id, c, status, now).await?);
    }
    Ok((open, coupons))
}

/// A coupon as its holder sees it.
async fn my(conn: &mut Conn, m: &MemberFacts, id: i64, c: CampaignRow, stored: CouponState, now: i64) -> sqlx::Result<MyCoupon> {
    Ok(MyCoupon {
        id,
        state: CouponState::of(stored, !m.live, c.redeem_until, now),
        redeem_until: format_local(c.redeem_until),
        merchants: joined(repo::merchant_names(conn, c.id).await?),
        kind: c.kind,
        title: c.title,
    })
}

/// One of this member's coupons (another member's does not exist), read on its own.
pub async fn my_coupon(state: &AppState, member_id: i64, coupon_id: i64) -> BenefitResult<Option<MyCoupon>> {
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    let Some(m) = repo::member(&mut conn, member_id).await? else { return Ok(None) };
    let Some((id, c, stored)) = repo::coupon_of(&mut conn, member_id, coupon_id).await? else { return Ok(None) };
    Ok(Some(my(&mut conn, &m, id, c, stored, now).await?))
}
