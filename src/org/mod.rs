//! The organisation tree: unions of any depth, each with a code, name, kind, region and parent;
//! subtree questions answered through a closure table.
pub mod types;
#[cfg(feature = "ssr")]
pub mod repo;

pub use types::*;
