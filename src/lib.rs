//! orgtui: a terminal org-chart browser and scripting CLI for WPS 365 and Feishu/Lark.

pub mod cli;
pub mod config;
pub mod crawl;
pub mod directory;
pub mod error;
pub mod fake;
pub mod http;
pub mod log;
pub mod model;
pub mod private_file;
pub mod providers;
pub mod search;
pub mod secret;
pub mod snapshot;
pub mod text;
pub mod tui;
