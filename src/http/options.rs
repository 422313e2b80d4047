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
    /// Retries after the first attempt for 5xx answers, timeouts and connection failures.
    pub max_retries: u32,
    /// Retries after 429 answers, counted apart: a throttled call was refused for being
    /// early, not for being broken, so a crawl that meets the rate limit again and again
    /// waits (within the call's deadline) instead of failing at the fifth 429.
    pub max_throttled_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            max_throttled_retries: 12,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt + 1` after a 429 or 5xx: what the server asked
    /// for, if anything, plus the jittered backoff. The jitter is what keeps the requests a
    /// server throttled together from all coming back at the same instant and being
    /// throttled together again, attempt after attempt (a fixed `x-ogw-ratelimit-reset: 1`
    /// otherwise puts every one of them back in step).
    pub(super) fn after(&self, server_wait: Option<Duration>, attempt: u32) -> Duration {
        server_wait
            .unwrap_or_default()
            .saturating_add(self.backoff(attempt))
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_told_wait_is_a_floor_with_jitter_on_top() {
        let policy = RetryPolicy::default();
        let told = Some(Duration::from_secs(1));
        let waits: Vec<Duration> = (0..64).map(|_| policy.after(told, 0)).collect();
        // Never sooner than the server asked, never later than asked plus the first backoff.
        assert!(waits.iter().all(|w| *w >= Duration::from_millis(1125)));
        assert!(waits.iter().all(|w| *w <= Duration::from_millis(1250)));
        // And not in step: 64 draws of a continuous jitter are not all one value.
        let first = waits.first().copied();
        assert!(waits.iter().any(|w| Some(*w) != first), "{waits:?}");
        // Without a server wait it is the plain backoff.
        let plain = policy.after(None, 2);
        assert!(plain >= Duration::from_millis(500) && plain <= Duration::from_secs(1));
    }
}
