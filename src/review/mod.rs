//! Review: the queue of an admin's subtree (soonest deadline first), the detail with the
//! checks the system made, and the decisions — approve (making a member), reject, return for
//! correction — each with its SMS held in the outbox for a short undo window.
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod http;
pub mod keys;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;

pub use types::*;
