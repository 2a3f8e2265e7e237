//! The organisation tree: unions of any depth, each with a code, name, kind, region and parent;
//! subtree questions answered through a closure table.
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod tally;
pub mod types;

pub use types::*;
