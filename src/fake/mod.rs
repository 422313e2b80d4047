//! A fake WPS 365 / Feishu server speaking the real wire protocols (tokens, KSO-1 and WPS-4
//! signatures, paging, error envelopes), serving an org file. Used by `--demo` (the demo
//! source, `source/mod.rs`), by `orgtui fake-server`, and by the tests; nothing else in
//! production code reaches it.
//!
//! Files, each importing only those listed after it: `server` (router, knobs, `start`),
//! `wps` and `feishu` (the two protocols' handlers), `clock` (the fake's shifted clock),
//! `state` (options, counters, the shared `FakeState`), `scope` (the contact range),
//! `paging` (page tokens), `rules` (the documented request constraints). The org generator
//! is `model::generate`.

pub mod clock;
pub mod feishu;
pub mod paging;
pub mod rules;
pub mod scope;
pub mod server;
pub mod state;
pub mod wps;

// The org file and its index live in `model`; re-exported for the tests and the callers that
// reach them through the fake server.
pub use crate::model::{Org, OrgDept, OrgFile, OrgUser};
pub use server::{FakeServer, start};
pub use state::{FakeOptions, FakeState, FakeStats};

/// The bundled demo org.
pub const DEMO_ORG_JSON: &str = include_str!("../../assets/demo-org.json");
