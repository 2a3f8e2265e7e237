//! Join channels: a union opens one for a campaign ("力源港务 货车司机 集中入会 2026-08"); its
//! short link and QR code fix the union and the occupation; scans and applications are counted.
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod types;
pub mod ui;

pub use types::*;

/// The QR code of a link as an SVG, sized by its viewBox to fill the poster's box.
#[cfg(feature = "ssr")]
pub fn qr_svg(link: &str) -> Result<String, qrcode::types::QrError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M)?;
    Ok(code.render::<svg::Color>().min_dimensions(256, 256).quiet_zone(true).build())
}
