//! 工会E家 — trade-union enrolment and services for workers of new forms of employment.
//! Three layers, imports running one way: `site` (composition: router, page shell, start-up,
//! bench, demo seed) on top; the areas in the middle (org ← channel ← join ← review; admin below
//! review; workdays; transfer); the ground below (`server`: config, clock, db, crypto, outbox, sms, audit,
//! errors, web extractors; `domain`, `calendar`, `i18n`), which imports no area. Shared modules
//! compile for the server and the browser; the server-only parts sit behind the `ssr` feature.
//! The browser entry point wakes the islands.
#![recursion_limit = "256"]

pub mod admin;
pub mod channel;
pub mod command;
pub mod domain;
pub mod i18n;
pub mod join;
pub mod member;
pub mod org;
pub mod review;
pub mod roster;
pub mod site;
pub mod transfer;
pub mod workdays;
// benefits
pub mod benefit;
// the service hall
pub mod hall;
// events
pub mod event;
// library
pub mod library;
// legal aid
pub mod legal;

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
