//! What one call's attempts came to: its deadline budget, why an attempt failed, and the
//! one error a call ends with (redirects, oversized bodies, refused tokens, timeouts).

use std::time::Duration;

use reqwest::header::HeaderMap;

use super::{MAX_TOKEN_REFRESHES, RawResponse};
use crate::error::{Error, Result, ServerReply};
use crate::secret::Secret;

/// What is left of one call's deadline, how many attempts it made and how many of them
/// were retries (a token refusal's new attempt is not one), and how many of those retries
/// followed a 429.
pub(super) struct Budget {
    pub(super) total: Duration,
    pub(super) left: Duration,
    pub(super) attempts: u32,
    pub(super) retries: u32,
    pub(super) throttled: u32,
}

impl Budget {
    pub(super) fn new(total: Duration) -> Budget {
        Budget {
            total,
            left: total,
            attempts: 0,
            retries: 0,
            throttled: 0,
        }
    }

    pub(super) fn spend(&mut self, d: Duration) {
        self.left = self.left.saturating_sub(d);
    }
}

/// Why an attempt got no usable answer.
pub(super) enum Failure {
    /// The request failed on the wire (connect, TLS, a broken body).
    Http(reqwest::Error),
    /// No complete answer within this long (the attempt timeout, or what was left of the
    /// call's deadline).
    TimedOut(Duration),
    /// An answer that ends the call: a redirect, a body over the cap.
    Fatal(Error),
}

/// One attempt's result, before it is judged.
pub(super) type Outcome = std::result::Result<RawResponse, Failure>;

pub(super) fn finish(endpoint: &str, outcome: Outcome, budget: &Budget) -> Result<RawResponse> {
    let failure = match outcome {
        Ok(resp) => return Ok(resp),
        Err(Failure::Fatal(e)) => return Err(e),
        Err(Failure::Http(e)) => describe_reqwest(&e),
        Err(Failure::TimedOut(d)) => format!("no complete answer within {}", secs(d)),
    };
    let msg = if budget.left.is_zero() {
        format!(
            "gave up at the call's deadline of {} (deadline_secs) after {} attempt{}: {failure}",
            secs(budget.total),
            budget.attempts,
            if budget.attempts == 1 { "" } else { "s" },
        )
    } else {
        failure
    };
    Err(Error::Network {
        endpoint: endpoint.to_string(),
        msg,
    })
}

/// `0.9 s`, `30 s`.
pub(super) fn secs(d: Duration) -> String {
    let tenths = format!("{:.1}", d.as_secs_f64());
    format!("{} s", tenths.strip_suffix(".0").unwrap_or(&tenths))
}

/// Where a 3xx pointed, as orgtui shows it: the Location is the server's text, so it is
/// sanitized and cut. The HTTP layer's errors and doctor's base-URL check both name it so.
pub fn redirect_location(headers: &HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::LOCATION)
        .map(|v| crate::text::sanitize_line(&String::from_utf8_lossy(v.as_bytes()), 200))
}

/// A 3xx: never followed, reported with where it pointed.
pub(super) fn redirected(endpoint: &str, status: u16, headers: &HeaderMap) -> Error {
    let to = match redirect_location(headers) {
        Some(loc) => format!("to {loc:?}"),
        None => "without a Location".to_string(),
    };
    Error::Protocol {
        endpoint: endpoint.to_string(),
        msg: format!(
            "the server redirected (HTTP {status}) {to}; orgtui follows no redirects, \
             check base_url"
        ),
    }
}

pub(super) fn too_big(endpoint: &str, cap: u64) -> Error {
    Error::Protocol {
        endpoint: endpoint.to_string(),
        msg: format!(
            "the response is larger than {cap} bytes (max_response_bytes); it was not read"
        ),
    }
}

/// The tokens the server refused during one call, and what it said last.
#[derive(Default)]
pub(super) struct Refusals {
    pub(super) tokens: Vec<Secret>,
    pub(super) last: Option<ServerReply>,
}

impl Refusals {
    pub(super) fn add(&mut self, token: Secret, reply: ServerReply) {
        self.tokens.push(token);
        self.last = Some(reply);
    }

    pub(super) fn contains(&self, token: &Secret) -> bool {
        self.tokens.contains(token)
    }

    pub(super) fn count(&self) -> usize {
        self.tokens.len()
    }

    /// Every refusal but the first was followed by a refresh.
    pub(super) fn exhausted(&self) -> bool {
        self.tokens.len() > MAX_TOKEN_REFRESHES
    }

    pub(super) fn into_error(self, endpoint: &str) -> Error {
        Error::Auth {
            endpoint: endpoint.to_string(),
            reply: self.last.unwrap_or_default(),
        }
    }
}

/// The answer, when it is a 429: the server throttled the call.
pub(super) fn throttled(outcome: &Outcome) -> Option<&RawResponse> {
    outcome.as_ref().ok().filter(|resp| resp.status == 429)
}

/// How long the server asked us to wait: Feishu's `x-ogw-ratelimit-reset` (seconds), or
/// `Retry-After` (seconds or an HTTP date). Capped at a minute so a bad header cannot hang us.
pub(super) fn server_wait(resp: &RawResponse) -> Option<Duration> {
    let cap = Duration::from_secs(60);
    if let Some(secs) = resp
        .header("x-ogw-ratelimit-reset")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
    {
        return Some(Duration::from_secs_f64(secs.min(60.0)));
    }
    let value = resp.header("retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(cap));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    let wait = when
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    Some(wait.min(cap))
}

pub(super) fn tracing_note(endpoint: &str, attempt: u32, wait: Duration, outcome: &Outcome) {
    let what = match outcome {
        Ok(r) => format!("HTTP {}", r.status),
        Err(Failure::Http(e)) => describe_reqwest(e),
        Err(Failure::TimedOut(d)) => format!("no complete answer within {}", secs(*d)),
        Err(Failure::Fatal(e)) => e.to_string(),
    };
    crate::log::debug(&format!(
        "retrying {endpoint} after {what} (attempt {}, waiting {} ms)",
        attempt.saturating_add(1),
        wait.as_millis()
    ));
}

/// A reqwest error in one line, without the URL's query (which could in principle carry data
/// we would rather not print) and with the cause chain.
pub(super) fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "broken response body"
    } else {
        "request failed"
    };
    let mut msg = kind.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    crate::text::sanitize_line(&msg, 300)
}

/// Turn an HTTP status into a `ServerReply` when there is nothing better.
pub fn reply_from_status(status: u16) -> ServerReply {
    ServerReply {
        status: Some(status),
        code: None,
        msg: None,
    }
}
