//! 工会E家 — trade-union enrolment and services for workers of new forms of employment.
//! Shared modules compile for the server and the browser; `server` and the SQL of each area are
//! server-only (the `ssr` feature). The browser entry point wakes the islands.
#![recursion_limit = "256"]

pub mod admin;
pub mod app;
pub mod channel;
pub mod domain;
pub mod i18n;
pub mod join;
pub mod org;
pub mod review;
pub mod workdays;

#[cfg(feature = "ssr")]
pub mod calendar;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
