//! The dictionary's entries, one list for each part of the site; `super::gather!` makes them
//! one `T`. A key stands in one list only.
#[macro_use]
mod site;
#[macro_use]
mod join;
#[macro_use]
mod review;
#[macro_use]
mod command;
#[macro_use]
mod transfer;
#[macro_use]
mod roster;
#[macro_use]
mod benefit;
#[macro_use]
mod member;
#[macro_use]
mod hall;
#[macro_use]
mod event;
// library
#[macro_use]
mod library;
#[macro_use]
mod legal;
