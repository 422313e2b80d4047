//! Client-side rate limit: request starts are spaced 1/rate apart (no bursts), which keeps us
//! under any server-side token bucket or window of the same rate. Callers take their slots in
//! turn, the urgent lane's first (`lane`): one caller at a time waits for the next slot, so an
//! urgent request waits for at most the slot being waited for, not for every slot handed out.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::lane::Gate;

#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    next_slot: Mutex<Option<Instant>>,
    turn: Arc<Gate>,
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
            turn: Gate::new(1),
        }
    }

    /// Wait for this caller's slot (in the running task's lane).
    pub async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        // Held until the slot comes: whoever is next takes the one after.
        let _turn = self.turn.acquire().await;
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

    #[tokio::test(start_paused = true)]
    async fn an_urgent_caller_takes_the_next_slot_before_the_queue() {
        let l = Arc::new(RateLimiter::new(Some(10.0)));
        let start = Instant::now();
        let mut queued = Vec::new();
        for _ in 0..20 {
            let l = l.clone();
            queued.push(tokio::spawn(async move { l.wait().await }));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        super::super::lane::urgent(l.wait()).await;
        let took = start.elapsed();
        // Twenty ordinary callers were queued first; the urgent one waits for the slot
        // being waited for and its own, not for all twenty.
        assert!(took <= Duration::from_millis(250), "{took:?}");
        for q in queued {
            q.await.unwrap();
        }
        assert!(start.elapsed() >= Duration::from_millis(2000));
    }
}
