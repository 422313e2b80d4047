//! The fake server itself: the router (the provider's routes from `wps.rs` or `feishu.rs`,
//! under the knobs layer and the clock's `Date` stamp), the knobs every endpoint goes
//! through (latency, rate limit, injected failures, counting refusals), `start`, which
//! serves it on a socket, and the running `FakeServer`. The state it serves is in `state.rs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use super::state::{FakeOptions, FakeState, Refused, every};
use crate::directory::ProviderKind;
use crate::model::Org;

/// The provider's answer when over its rate limit: Feishu's carries the documented
/// `x-ogw-ratelimit-*` headers, WPS's (undocumented) just the envelope.
fn throttled(state: &FakeState) -> Response {
    state.stats.throttled.fetch_add(1, Ordering::Relaxed);
    if state.opts.provider == ProviderKind::Wps {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(serde_json::json!({"code": 429000001, "msg": "too many requests"})),
        )
            .into_response();
    }
    let limit = state.opts.rate_limit.unwrap_or(0.0);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            ("x-ogw-ratelimit-limit", format!("{limit}")),
            ("x-ogw-ratelimit-reset", "1".to_string()),
        ],
        axum::Json(serde_json::json!({"code": 99991400, "msg": "request trigger frequency limit"})),
    )
        .into_response()
}

/// What a gateway says when the service behind it is down: not the provider's envelope, so
/// clients must cope with a body that is not JSON.
fn unavailable(state: &FakeState) -> Response {
    state.stats.unavailable.fetch_add(1, Ordering::Relaxed);
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::CONTENT_TYPE, "text/html")],
        "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
    )
        .into_response()
}

/// Latency, rate limit and failure injection, in front of every endpoint but the stats one.
async fn knobs(State(state): State<Arc<FakeState>>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/_fake/stats" {
        return axum::Json(state.stats.snapshot()).into_response();
    }
    let serial = state
        .stats
        .requests
        .fetch_add(1, Ordering::Relaxed)
        .wrapping_add(1);
    if !state.opts.latency.is_zero() {
        tokio::time::sleep(state.opts.latency).await;
    }
    if !state.take_rate_token() || every(state.opts.throttle_every, serial) {
        return throttled(&state);
    }
    if every(state.opts.unavailable_every, serial) {
        return unavailable(&state);
    }
    if state.should_fail(serial) {
        state.stats.failed.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(serde_json::json!({"code": 500000001, "msg": "injected failure"})),
        )
            .into_response();
    }
    let resp = next.run(req).await;
    if resp.extensions().get::<Refused>().is_some() {
        state.stats.refused.fetch_add(1, Ordering::Relaxed);
    }
    resp
}

/// A running fake server.
pub struct FakeServer {
    pub addr: SocketAddr,
    pub state: Arc<FakeState>,
    handle: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Wait until the server stops (it runs until the process ends).
    pub async fn wait(mut self) {
        let handle = std::mem::replace(&mut self.handle, tokio::spawn(async {}));
        let _ = handle.await;
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

pub fn router(state: Arc<FakeState>) -> Router {
    let routes = match state.opts.provider {
        ProviderKind::Wps => super::wps::routes(&state.opts),
        ProviderKind::Feishu | ProviderKind::Lark => super::feishu::routes(&state.opts),
    };
    routes
        .layer(middleware::from_fn_with_state(state.clone(), knobs))
        // Outermost, so that throttled and failed answers carry the fake's clock too.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::clock::date_header,
        ))
        .with_state(state)
}

/// Bind `addr` and serve `org` in the background on the current tokio runtime.
pub async fn start(org: Org, opts: FakeOptions, addr: SocketAddr) -> std::io::Result<FakeServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(FakeState::new(org, opts));
    let app = router(state.clone());
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(FakeServer {
        addr,
        state,
        handle,
    })
}
