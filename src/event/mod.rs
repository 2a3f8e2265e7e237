//! Events and training (文体活动, 技能提升): events organised by a union (活动, 培训, 技能竞赛,
//! 疗休养, 健康体检) with a capacity, a sign-up deadline and an audience; members sign up (the
//! capacity exact under load), join a waiting list when full and move up automatically, with an
//! SMS, when someone cancels; a ticket QR checked in once at the door from a phone; the
//! organiser's figures (confirmed, waiting, checked in, no-shows, rate).
#[cfg(feature = "ssr")]
pub mod admin_http;
#[cfg(feature = "ssr")]
pub mod checkin;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;

pub use types::*;
