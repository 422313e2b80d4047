//! The one HTTP layer every provider uses: timeouts, a client-side rate limit, a bound on
//! requests in flight, and retries with exponential backoff and jitter for idempotent reads.
//! Providers build and sign each attempt themselves (the signature date changes per attempt),
//! so `send` takes a closure that builds a fresh request.

mod limit;
mod token;

pub use limit::RateLimiter;
pub use token::{FetchedToken, TokenCache};

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::error::{Error, Result, ServerReply};

/// How a client behaves on the wire; one per profile.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Requests per second, client side. `None` or zero: unlimited.
    pub rate_limit: Option<f64>,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub retry: RetryPolicy,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            rate_limit: None,
            concurrency: 8,
            retry: RetryPolicy::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Full-jitter exponential backoff: a random delay up to base * 2^attempt, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let half = ceiling / 2;
        // Half fixed, half random: never zero, so a burst of failures still spreads out.
        half + half.mul_f64(fastrand::f64())
    }
}

/// A response as received: status, headers and the raw body bytes.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    limiter: Arc<RateLimiter>,
    in_flight: Arc<tokio::sync::Semaphore>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    pub fn new(opts: &HttpOptions) -> Result<HttpClient> {
        let client = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.request_timeout)
            .user_agent(concat!("orgtui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Io(format!("cannot set up the HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            limiter: Arc::new(RateLimiter::new(opts.rate_limit)),
            in_flight: Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1))),
            retry: opts.retry.clone(),
        })
    }

    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// Send a request built by `build`, once per attempt. `endpoint` names the call in errors
    /// (e.g. `GET /v7/depts/{id}/children`). Idempotent requests are retried on 429, 5xx,
    /// timeouts and connection failures; any other answer is returned as is for the provider
    /// to interpret.
    pub async fn send<F>(&self, endpoint: &str, idempotent: bool, build: F) -> Result<RawResponse>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let mut attempt = 0u32;
        loop {
            let outcome = self.attempt(&build).await;
            let retry_after = match &outcome {
                Ok(resp) if resp.status == 429 || resp.status >= 500 => {
                    Some(server_wait(resp).unwrap_or_else(|| self.retry.backoff(attempt)))
                }
                Ok(_) => None,
                Err(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                    Some(self.retry.backoff(attempt))
                }
                Err(_) => None,
            };
            match retry_after {
                Some(wait) if idempotent && attempt < self.retry.max_retries => {
                    tracing_note(endpoint, attempt, wait, &outcome);
                    tokio::time::sleep(wait.min(self.retry.max_delay.max(wait))).await;
                    attempt += 1;
                }
                _ => {
                    return outcome.map_err(|e| Error::Network {
                        endpoint: endpoint.to_string(),
                        msg: describe_reqwest(&e),
                    });
                }
            }
        }
    }

    async fn attempt<F>(&self, build: &F) -> std::result::Result<RawResponse, reqwest::Error>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        // The permit bounds requests in flight; the limiter spaces their starts.
        let _permit = self.in_flight.acquire().await;
        self.limiter.wait().await;
        let resp = build(&self.client).send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?.to_vec();
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

/// How long the server asked us to wait: Feishu's `x-ogw-ratelimit-reset` (seconds), or
/// `Retry-After` (seconds or an HTTP date). Capped at a minute so a bad header cannot hang us.
fn server_wait(resp: &RawResponse) -> Option<Duration> {
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

fn tracing_note(
    endpoint: &str,
    attempt: u32,
    wait: Duration,
    outcome: &std::result::Result<RawResponse, reqwest::Error>,
) {
    let what = match outcome {
        Ok(r) => format!("HTTP {}", r.status),
        Err(e) => describe_reqwest(e),
    };
    crate::log::debug(&format!(
        "retrying {endpoint} after {what} (attempt {}, waiting {} ms)",
        attempt + 1,
        wait.as_millis()
    ));
}

/// A reqwest error in one line, without the URL's query (which could in principle carry data
/// we would rather not print) and with the cause chain.
fn describe_reqwest(e: &reqwest::Error) -> String {
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
