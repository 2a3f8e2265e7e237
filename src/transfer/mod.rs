//! The turnover pool and membership transfers (会籍接转): pooled members wait in a county's
//! pool until a county admin places them into a union of the county; any member moves union to
//! union after a change of job. The receiving union accepts or declines within five working
//! days (reminder, escalation up the tree, accepted automatically after 30 days); the member
//! keeps the member number and the history of unions is kept. A transfer out of the city is
//! recorded in the city federation's registry.
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod requests;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;

pub use types::*;
