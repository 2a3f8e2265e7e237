//! Composition, the top layer: the page shell that knows every area's page, the renderer that
//! turns handlers' page values into HTML, the router, start-up, the operator's commands, the demo
//! seed, the bench, and backups.
//! It imports the areas and the ground; nothing imports it but the binary and the tests.
#[cfg(feature = "ssr")]
pub mod backup;
#[cfg(feature = "ssr")]
pub mod bench;
#[cfg(feature = "ssr")]
pub mod bench_card;
#[cfg(feature = "ssr")]
pub mod bench_command;
// benefits
#[cfg(feature = "ssr")]
pub mod bench_claims;
#[cfg(feature = "ssr")]
pub mod bench_export;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod generate;
#[cfg(feature = "ssr")]
pub mod keys;
#[cfg(feature = "ssr")]
pub mod ops;
#[cfg(feature = "ssr")]
pub mod render;
#[cfg(feature = "ssr")]
pub mod router;
#[cfg(feature = "ssr")]
pub mod seed;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod startup;
