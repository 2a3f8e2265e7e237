//! Benefits (会员福利): partner institutions and merchants in six scenarios, with staff accounts
//! of their own; campaigns of coupons and gift packs with stock, a per-member limit, a window
//! and a target; claiming by members (stock exact under load); one-time redemption codes
//! confirmed at the merchant's counter, reversible by a manager with a reason; welcome packs
//! granted on approval; the city admin's figures.
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod me;
#[cfg(feature = "ssr")]
pub mod redeem;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod setup;
pub mod types;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod welcome;

pub use types::*;
