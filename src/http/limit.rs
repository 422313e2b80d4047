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

    /// Wait for this caller's slot (in the running task's lane). An ordinary caller waiting
    /// for its slot gives it up to an urgent one that arrives meanwhile, and takes the one
    /// after: an urgent request then waits for no one.
    pub async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let urgent = super::lane::is_urgent();
        let mut again = false;
        loop {
            // Held until the slot comes: whoever is next takes the one after.
            let turn = match again {
                true => self.turn.acquire_again().await,
                false => self.turn.acquire().await,
            };
            let slot = self.reserve(interval).await;
            if urgent {
                tokio::time::sleep_until(slot).await;
                return;
            }
            let arrival = self.turn.urgent_arrival();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            if !self.turn.urgent_waiting() {
                tokio::select! {
                    _ = tokio::time::sleep_until(slot) => return,
                    _ = &mut arrival => {}
                }
            }
            // Only the holder of the turn reserves, so the slot is still the last one out.
            *self.next_slot.lock().await = Some(slot);
            drop(turn);
            again = true;
        }
    }

    /// The next slot, and the one after it for whoever comes next.
    async fn reserve(&self, interval: Duration) -> Instant {
        let mut next = self.next_slot.lock().await;
        let now = Instant::now();
        let slot = match *next {
            Some(t) if t > now => t,
            _ => now,
        };
        // A slot past the clock's end (after ages of waiting) simply stays the last one.
        *next = Some(slot.checked_add(interval).unwrap_or(slot));
        slot
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
            queued.push(tokio::spawn(async move {
                l.wait().await;
                Instant::now()
            }));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        super::super::lane::urgent(l.wait()).await;
        let urgent_at = Instant::now();
        // Twenty ordinary callers were queued first; the urgent one takes the slot the
        // first of them was waiting for (the one after the one taken at once).
        assert!(
            urgent_at - start <= Duration::from_millis(110),
            "{:?}",
            urgent_at - start
        );
        let mut starts = vec![urgent_at];
        for q in queued {
            starts.push(q.await.unwrap());
        }
        // The slot given up is not a burst: every start is still 100 ms from the next.
        starts.sort();
        for w in starts.windows(2) {
            assert!(w[1] - w[0] >= Duration::from_millis(99), "{starts:?}");
        }
        assert!(start.elapsed() >= Duration::from_millis(2000));
    }
}
