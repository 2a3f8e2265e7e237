//! The member's benefits over HTTP (`/me/benefits…`, a live member session): the campaigns
//! open to them with a claim button, their coupons, and a coupon's one-time code. Plain forms:
//! a claim answers 303 or the same page with the reason in Chinese.
use super::http::Done;
use super::service::{self, Claimed};
use super::{redeem, CouponCodeView, MyBenefitsView};
use crate::calendar::format_local;
use crate::i18n::T;
use crate::member::auth::SignedMember;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::Page;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

fn notice(done: &Done) -> Option<(T, bool)> {
    (done.done == "claimed").then_some((T::ClaimDone, true))
}

async fn my_view(state: &AppState, member_id: i64, notice: Option<(T, bool)>) -> AppResult<Response> {
    let (open, coupons) = service::mine(state, member_id).await?;
    Ok(Page::ok(MyBenefitsView { open, coupons, notice }).no_store().into_response())
}

pub async fn my_get(State(state): State<AppState>, me: SignedMember, Query(q): Query<Done>) -> AppResult<Response> {
    my_view(&state, me.member_id, notice(&q)).await
}

pub async fn claim_post(State(state): State<AppState>, me: SignedMember, Path(id): Path<i64>) -> AppResult<Response> {
    match service::claim(&state, me.member_id, id).await? {
        Claimed::Ok(_) => Ok(Redirect::to("/me/benefits?done=claimed").into_response()),
        other => my_view(&state, me.member_id, Some((other.text(), false))).await,
    }
}

pub async fn coupon_get(State(state): State<AppState>, me: SignedMember, Path(id): Path<i64>) -> AppResult<Response> {
    let Some(coupon) = service::my_coupon(&state, me.member_id, id).await? else { return Err(AppError::NotFound) };
    Ok(Page::ok(CouponCodeView { coupon, code: None }).no_store().into_response())
}

/// A new one-time code (a post: it replaces the old one), shown at once and never stored.
pub async fn code_post(State(state): State<AppState>, me: SignedMember, Path(id): Path<i64>) -> AppResult<Response> {
    let Some(coupon) = service::my_coupon(&state, me.member_id, id).await? else { return Err(AppError::NotFound) };
    let code = match redeem::new_code(&state, me.member_id, id).await? {
        Some(c) => {
            let link = format!("{}/merchant/redeem?t={}", state.config.public_url, c.token);
            let digits = format!("{} {}", &c.digits[..4], &c.digits[4..]);
            let svg = crate::channel::qr_svg(&link).map_err(|e| AppError::Internal(anyhow::anyhow!("qr: {e:?}")))?;
            Some((svg, digits, format_local(c.expires_at).get(11..).unwrap_or_default().to_string()))
        }
        None => None,
    };
    Ok(Page::ok(CouponCodeView { coupon, code }).no_store().into_response())
}
