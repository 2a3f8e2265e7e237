//! Review: the queue of an admin's subtree (soonest deadline first), the detail with the
//! checks the system made, and the decisions — approve (making a member), reject, return for
//! correction — each with its SMS held in the outbox for a short undo window.
pub mod keys;
pub mod types;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

pub use types::*;
