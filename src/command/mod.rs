//! The command centre (指挥中心): one screen per union for leaders, managers and the city admin —
//! every child union's figures, totals on top, drill-down to any depth and back, a joins-per-day
//! chart drawn on the server, live through server-sent events; and the overdue list with its
//! 督办 button. Figures come from running totals (`org::tally`) and indexed counts, never from
//! counting members, so a screen costs the same at a million members.
#[cfg(feature = "ssr")]
pub mod http;
pub mod live;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;

pub use types::*;
