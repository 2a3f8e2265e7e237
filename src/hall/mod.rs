//! The service hall (服务大厅): seven modules and their services kept as rows the city admin
//! edits without a release; one request workflow for every service that is a form (typed
//! fields checked the same in the browser and on the server, attachments checked by content,
//! answers sealed at rest, the handling union's queue and steps with SMS, the deadline engine
//! and 督办, a supplement when more is needed); services with pages of their own (joining,
//! legal aid, events, libraries) are cards that lead there.
#[cfg(feature = "ssr")]
pub mod admin_http;
pub mod admin_ui;
#[cfg(feature = "ssr")]
pub mod catalogue;
#[cfg(feature = "ssr")]
pub mod engine;
pub mod fields;
#[cfg(feature = "ssr")]
pub mod files;
#[cfg(feature = "ssr")]
pub mod http;
pub mod island;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;

pub use types::*;
