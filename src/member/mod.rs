//! The member's own side: signing in by SMS code (sessions apart from admin sessions), 我的
//! (the member card, the union history, applications and requests), the rotating e-member card
//! and its public check, and the member's rights over their data (see, download, correct, ask
//! for a transfer, withdraw and be erased).
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod card;
#[cfg(feature = "ssr")]
pub mod card_http;
pub mod card_ui;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod types;
pub mod ui;

pub use types::*;
