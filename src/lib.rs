//! orgtui: a terminal org-chart browser and scripting CLI for WPS 365 and Feishu/Lark.

// Data from servers, files and config is untrusted: no panicking shortcuts on it outside tests.
// Unit tests (cfg(test)) may use them; integration tests in tests/ are separate crates.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod addresses;
pub mod cli;
pub mod config;
pub mod crawl;
pub mod dept_path;
pub mod directory;
pub mod error;
pub mod fake;
mod fnv;
pub mod http;
pub mod log;
pub mod model;
pub mod paths;
pub mod private_file;
pub mod providers;
pub mod reporting;
pub mod search;
pub mod secret;
pub mod snapshot;
pub mod source;
pub mod text;
pub mod tui;
