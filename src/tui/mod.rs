//! The terminal UI: a lazy department tree, a detail pane, live search, clipboard.
//!
//! `app` holds the state and a pure update function; `run` is the event loop that performs
//! the app's effects; `ui` draws; `tree` is the flat tree model; `roster` holds the people;
//! `persist` goes between the app and the snapshot; `keys` and `clipboard` are the
//! configurable bindings and the OSC 52 / native clipboard.

pub mod app;
pub mod clipboard;
pub mod keys;
pub mod persist;
pub mod roster;
pub mod run;
pub mod tree;
pub mod ui;

pub use run::{Options, run};
