//! A client's wire settings, one per profile: timeouts, rate, concurrency, retries.

use std::time::Duration;

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
    /// The largest response body read; a longer one fails the call.
    pub max_response_bytes: u64,
    /// Time one call may spend in its attempts and the waits between them, all retries
    /// together (time queued for an in-flight permit or a rate-limit slot is not counted).
    pub deadline: Duration,
}

/// Defaults of the limits above, which `config` bounds and documents.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            rate_limit: None,
            concurrency: 8,
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            deadline: DEFAULT_DEADLINE,
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
    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let half = ceiling.checked_div(2).unwrap_or_default();
        // Half fixed, half random: never zero, so a burst of failures still spreads out.
        half.saturating_add(half.mul_f64(fastrand::f64()))
    }
}
