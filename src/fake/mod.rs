//! A fake WPS 365 / Feishu server speaking the real wire protocols (tokens, KSO-1 and WPS-4
//! signatures, paging, error envelopes), serving an org file. Used by `--demo`, by
//! `orgtui fake-server`, and by the tests.

pub mod clock;
pub mod feishu;
pub mod generate;
pub mod paging;
pub mod rules;
pub mod scope;
pub mod server;
pub mod wps;

// The org file and its index live in `model`; re-exported for the tests and the callers that
// reach them through the fake server.
pub use crate::model::{Org, OrgDept, OrgFile, OrgUser};
pub use server::{FakeOptions, FakeServer, FakeState, start};

/// The bundled demo org.
pub const DEMO_ORG_JSON: &str = include_str!("../../assets/demo-org.json");
