//! The terminal UI: a lazy department tree, a detail pane, live search, clipboard.
//!
//! `app` holds the state and a pure update function (`app::effect`: what it asks for);
//! `runtime` is the event loop, and `runtime::executor` the one place those effects are
//! performed (the tests drive it too); `ui` draws, reading the app only; `layout` is the
//! screen geometry both use; `tree_model` is the flat tree of departments and visible rows;
//! `roster` holds the people; `persist` goes between the app and the snapshot; `keys` and
//! `clipboard` are the configurable bindings and the OSC 52 / native clipboard.

pub mod app;
pub mod clipboard;
pub mod keys;
pub mod layout;
pub mod persist;
pub mod roster;
pub mod runtime;
pub mod tree_model;
pub mod ui;

pub use runtime::{Options, run};
