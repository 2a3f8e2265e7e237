//! The join pages: the page around the form, the form island, and the status page.
pub mod browser;
pub mod form;
pub mod page;
pub mod status;
