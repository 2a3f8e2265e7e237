//! The printable poster of a join channel (`/j/<code>/poster`): framed only by this site.
use super::PosterView;
use crate::server::error::{AppError, AppResult};
use crate::server::state::AppState;
use crate::server::web::Page;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue};

pub async fn poster(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Page<PosterView>> {
    let channel = match super::ChannelCode::parse(&code) {
        Some(code) => super::repo::active_by_code(&state.db.pool, &code).await?,
        None => None,
    };
    let Some((_, channel)) = channel else { return Err(AppError::NotFound) };
    let link = format!("{}/j/{}", state.config.public_url, channel.code);
    let qr_svg = super::qr_svg(&link).map_err(|e| AppError::Internal(anyhow::anyhow!("QR code: {e:?}")))?;
    Ok(Page::ok(PosterView { channel, link, qr_svg })
        .header(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("SAMEORIGIN")))
}
