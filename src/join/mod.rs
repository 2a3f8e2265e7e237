//! The fast-join channel: one phone screen, an SMS code, an application routed to its union
//! (or a turnover pool) with a one-working-day deadline, and a status link by SMS.
pub mod api;
#[cfg(feature = "ssr")]
pub mod captcha;
#[cfg(feature = "ssr")]
pub mod codes;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;
pub mod validate;

pub use types::*;
