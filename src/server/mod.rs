//! Server-only plumbing: configuration, state, the database, keys, the SMS outbox and its
//! providers, request guards. Nothing here compiles into the browser bundle.
pub mod audit;
pub mod bench;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod guard;
pub mod http;
pub mod outbox;
pub mod sms;
pub mod startup;
pub mod state;
