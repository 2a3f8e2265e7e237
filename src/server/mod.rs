//! The ground, server-only: configuration, clock, state, the database and its group commit,
//! keys, the SMS outbox and its providers, the audit trail, the error type, request guards and
//! web extractors. It imports no area; nothing here compiles into the browser bundle.
pub mod audit;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod cookie;
pub mod crypto;
pub mod db;
pub mod error;
pub mod events;
pub mod group;
pub mod guard;
pub mod metrics;
pub mod outbox;
pub mod shutdown;
pub mod sms;
pub mod state;
pub mod telemetry;
pub mod web;
