//! Client-side rate limit: request starts are spaced 1/rate apart (no bursts), which keeps us
//! under any server-side token bucket or window of the same rate.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    next_slot: Mutex<Option<Instant>>,
}

impl RateLimiter {
    pub fn new(per_second: Option<f64>) -> RateLimiter {
        // Config bounds the rate (`config::RATE_LIMIT`); a rate whose interval does not fit a
        // `Duration` (1e-300 per second) is still refused here rather than panicking.
        let interval = per_second
            .filter(|r| r.is_finite() && *r > 0.0)
            .and_then(|r| Duration::try_from_secs_f64(1.0 / r).ok());
        RateLimiter {
            interval,
            next_slot: Mutex::new(None),
        }
    }

    /// Wait for this caller's slot.
    pub async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let slot = match *next {
                Some(t) if t > now => t,
                _ => now,
            };
            // A slot past the clock's end (after ages of waiting) simply stays the last one.
            *next = Some(slot.checked_add(interval).unwrap_or(slot));
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_rates_do_not_panic() {
        for r in [
            1e-300,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE,
            0.0,
        ] {
            let _ = RateLimiter::new(Some(r));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn spaces_requests() {
        let l = RateLimiter::new(Some(10.0));
        let start = Instant::now();
        for _ in 0..11 {
            l.wait().await;
        }
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(1000), "{took:?}");
        assert!(took < Duration::from_millis(1100), "{took:?}");
    }
}
