//! The terminal UI: a lazy department tree, a detail pane, live search, clipboard.
//!
//! `app` holds the state and a pure update function; `runtime` is the event loop, and its
//! `executor` the one place the app's effects are performed (the tests drive it too); `ui` draws; `tree` is the flat tree model; `roster` holds the people;
//! `persist` goes between the app and the snapshot; `keys` and `clipboard` are the
//! configurable bindings and the OSC 52 / native clipboard.

pub mod app;
pub mod clipboard;
pub mod keys;
pub mod layout;
pub mod persist;
pub mod roster;
pub mod runtime;
pub mod tree;
pub mod ui;

pub use runtime::{Options, run};
