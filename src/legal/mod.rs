//! Legal aid (法律援助): workstations run by a union with lawyers as partner accounts (the role
//! `lawyer`, bound to the workstation's union, reaching only `/lawyer`); a duty rota by
//! weekday with slots and seats on the calendar's working days; members booking a slot
//! (seats exact under load, once per member), an SMS on booking and a reminder the day
//! before; written questions that go to the lawyer on duty and are answered in writing.
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod reminder;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;

pub use types::*;
