//! The worker-library alliance (职工书屋联盟): libraries run by unions share one catalogue
//! (titles by ISBN) with copies on their shelves; a member borrows at any library and returns
//! at any other (the copy then stays where it was returned); due dates with SMS reminders before
//! and after; reading figures per library. Members search and see their loans at `/library`;
//! the librarians (admins of the running union's subtree) work the counter at `/admin/library`.
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod reminders;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod types;
pub mod ui;

pub use types::*;
