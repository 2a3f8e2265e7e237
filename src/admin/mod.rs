//! Admin accounts ("专职管理员"): each bound to one union, with roles matched to its level;
//! sessions kept in the database; login with throttling; the registry of admins.
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;

pub use types::*;
