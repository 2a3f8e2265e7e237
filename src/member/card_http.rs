//! The e-member card over HTTP: `/me/card` (signed in) renders the current code and the next
//! ten as QR images; `/v/{code}` (anyone) says valid member or not, the union and the masked
//! name — nothing else — and is never cached.
use super::auth::SignedMember;
use super::card::{self, Parsed};
use super::repo;
use super::types::{CardCheck, CardCheckView, CardCode, CardView};
use crate::domain::PersonName;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::Page;
use axum::extract::{Path, State};

pub async fn card_get(State(state): State<AppState>, member: SignedMember) -> AppResult<Page<CardView>> {
    let pool = &state.db.pool;
    let Some((key, name, union, status)) = repo::card_of(pool, member.member_id).await? else { return Err(AppError::NotFound) };
    let key = match key {
        Some(k) => k,
        None => {
            let mut tx = state.db.begin_write().await?;
            repo::set_card_key(&mut tx, member.member_id, &card::new_card_id()).await?;
            tx.commit().await?;
            repo::card_of(pool, member.member_id).await?.and_then(|(k, ..)| k).ok_or(AppError::NotFound)?
        }
    };
    let now = state.now();
    let valid = status == "active";
    let first = card::window_of(now);
    let mut codes = Vec::new();
    if valid {
        for w in first..=first + card::AHEAD {
            let link = format!("{}/v/{}", state.config.public_url, card::code(&state.keys, &key, w));
            let svg = crate::channel::qr_svg(&link).map_err(anyhow::Error::from)?;
            codes.push(CardCode { starts_at: w * card::WINDOW_SECS, svg });
        }
    }
    let view = CardView { name_masked: PersonName::mask_stored(&name), union, valid, codes, server_now: now };
    Ok(Page::ok(view).no_store())
}

/// What a code says, for the page and for the bench.
pub async fn check(state: &AppState, code: &str) -> AppResult<CardCheck> {
    let now = state.now();
    let (card_id, expired) = match card::parse(&state.keys, code, now) {
        Parsed::Unknown => return Ok(CardCheck::Unknown),
        Parsed::Genuine { card_id, expired } => (card_id, expired),
    };
    let Some((name, union, status, left_at)) = repo::by_card_key(&state.db.pool, &card_id).await? else { return Ok(CardCheck::Unknown) };
    if left_at.is_some() || status != "active" {
        return Ok(CardCheck::NotMember);
    }
    if expired {
        return Ok(CardCheck::Expired);
    }
    Ok(CardCheck::Valid { union, name_masked: PersonName::mask_stored(&name) })
}

pub async fn verify_get(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Page<CardCheckView>> {
    let check = check(&state, &code).await?;
    let view = CardCheckView { check, checked_at: crate::calendar::format_local(state.now()) };
    Ok(Page::ok(view).no_store())
}
