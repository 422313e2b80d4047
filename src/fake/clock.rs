//! The fake server's clock. `FakeOptions::clock_skew` shifts it, so that a client's clock
//! checks (`orgtui doctor`) and the KSO-1 / WPS-4 date window can be tried against a server
//! whose clock disagrees with the client's: the `Date` header of every answer and the
//! signature date check both read this clock.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::state::{FakeOptions, FakeState};

/// The largest skew `--clock-skew` takes, either way: ten years. Far more than any check
/// needs, and it keeps the shifted clock inside what an HTTP date can say (1970 to 9999),
/// which `httpdate` would otherwise panic on.
pub const MAX_SKEW_SECS: i64 = 10 * 365 * 24 * 3600;

/// The fake's idea of now: the real clock shifted by `opts.clock_skew` seconds.
pub fn now(opts: &FakeOptions) -> SystemTime {
    shifted(SystemTime::now(), opts.clock_skew)
}

/// `t` moved by `secs` (later when positive), at most `MAX_SKEW_SECS` and never before 1970: a
/// knob must not make the server panic when it formats its `Date`.
fn shifted(t: SystemTime, secs: i64) -> SystemTime {
    let secs = secs.clamp(-MAX_SKEW_SECS, MAX_SKEW_SECS);
    let by = Duration::from_secs(secs.unsigned_abs());
    let moved = if secs >= 0 {
        t.checked_add(by)
    } else {
        t.checked_sub(by)
    };
    // Not before 1970 either, which no HTTP date can say.
    moved.unwrap_or(t).max(SystemTime::UNIX_EPOCH)
}

/// Middleware: stamp every answer's `Date` with the shifted clock. Without a skew the HTTP
/// server's own `Date` is left as it is.
pub async fn date_header(
    State(state): State<Arc<FakeState>>,
    req: Request,
    next: Next,
) -> Response {
    let mut resp = next.run(req).await;
    if state.opts.clock_skew != 0
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(now(&state.opts)))
    {
        resp.headers_mut().insert(header::DATE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_both_ways_and_never_overflows() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(shifted(t, 300), t + Duration::from_secs(300));
        assert_eq!(shifted(t, -300), t - Duration::from_secs(300));
        // The extremes are held to ten years, and stay dates an HTTP header can carry.
        let far = shifted(SystemTime::now(), i64::MAX);
        assert!(far > SystemTime::now() + Duration::from_secs(9 * 365 * 24 * 3600));
        let _ = httpdate::fmt_http_date(far);
        assert_eq!(
            shifted(t, i64::MIN),
            SystemTime::UNIX_EPOCH,
            "not before 1970"
        );
        let _ = httpdate::fmt_http_date(shifted(SystemTime::now(), -MAX_SKEW_SECS));
    }
}
