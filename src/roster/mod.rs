//! Rosters out and in: the members list of an admin's subtree; exports of members or
//! applications (the screen's filters) to .xlsx or .csv, masked unless a role that may reveal
//! gives a reason, written in the background and fetched by their requester within the hour;
//! and imports of an enterprise union's existing members, checked row by row like the join
//! form before anything is written.
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;

pub use types::*;
