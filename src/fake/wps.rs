//! STUB: to be written.
use std::sync::Arc;

use axum::Router;

use super::server::{FakeOptions, FakeState};

pub fn routes(_opts: &FakeOptions) -> Router<Arc<FakeState>> {
    Router::new()
}
