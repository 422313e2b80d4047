//! Two lanes through the client's queues (in-flight permits, rate-limit slots): requests made
//! inside `urgent` are served before any waiting in the ordinary lane.
//!
//! Why: a crawl has hundreds of department listings queued at once, and a listing that is one
//! chain of page tokens (WPS's company-wide user listing: each page names the next) can only
//! ask for its next page when the last one is answered. Queued behind the rest, every one of
//! its pages waits for the whole queue, and the crawl takes its pages times the queue's wait
//! instead of its requests at the rate limit. Served first, the chain runs at the server's
//! pace while the rest fill the slots it leaves. The browser sends what the user opens or
//! asks for the same way, ahead of its background index.
//!
//! A chain has one request out at a time, so the urgent lane cannot starve the other.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

tokio::task_local! {
    static URGENT: ();
}

/// Run `f` with every request it makes in the urgent lane.
pub async fn urgent<F: Future>(f: F) -> F::Output {
    URGENT.scope((), f).await
}

/// Whether the running task is inside `urgent`.
pub fn is_urgent() -> bool {
    URGENT.try_with(|_| ()).is_ok()
}

/// The most passes a gate is given: far above any profile's concurrency (config bounds it),
/// so a misread number cannot ask for an absurd pool.
pub const MAX_PASSES: usize = 1 << 16;

/// A counting semaphore with two FIFO queues; a released pass goes to the urgent queue's
/// first waiter, else the ordinary one's, else back to the pool.
#[derive(Debug)]
pub struct Gate {
    inner: Mutex<Queues>,
    /// Told each time an urgent caller starts waiting (`urgent_arrival`).
    arrived: tokio::sync::Notify,
}

#[derive(Debug)]
struct Queues {
    free: usize,
    urgent: VecDeque<oneshot::Sender<Pass>>,
    ordinary: VecDeque<oneshot::Sender<Pass>>,
}

/// One of the gate's passes, given back when dropped.
#[derive(Debug)]
pub struct Pass {
    gate: Option<Arc<Gate>>,
}

impl Gate {
    pub fn new(passes: usize) -> Arc<Gate> {
        Arc::new(Gate {
            inner: Mutex::new(Queues {
                free: passes,
                urgent: VecDeque::new(),
                ordinary: VecDeque::new(),
            }),
            arrived: tokio::sync::Notify::new(),
        })
    }

    /// Wait for a pass in the lane the running task is in (`is_urgent`).
    pub async fn acquire(self: &Arc<Self>) -> Pass {
        self.acquire_in(is_urgent()).await
    }

    pub async fn acquire_in(self: &Arc<Self>, urgent: bool) -> Pass {
        self.wait_in(urgent, false).await
    }

    /// `acquire`, first in its lane: for a caller that gave its pass up to an urgent one
    /// and should not lose its place for it.
    pub async fn acquire_again(self: &Arc<Self>) -> Pass {
        self.wait_in(is_urgent(), true).await
    }

    async fn wait_in(self: &Arc<Self>, urgent: bool, front: bool) -> Pass {
        let waiting = {
            let mut q = self.lock();
            if q.free > 0 {
                q.free = q.free.saturating_sub(1);
                return self.pass();
            }
            let (tx, rx) = oneshot::channel();
            let lane = match urgent {
                true => &mut q.urgent,
                false => &mut q.ordinary,
            };
            match front {
                true => lane.push_front(tx),
                false => lane.push_back(tx),
            }
            rx
        };
        if urgent {
            self.arrived.notify_waiters();
        }
        // A waiter dropped before its turn leaves a closed sender that `release` skips; one
        // dropped after being handed a pass drops the pass, which goes on to the next.
        match waiting.await {
            Ok(pass) => pass,
            // Only a gate dropped with waiters closes their senders, and we hold the gate.
            Err(_) => self.pass(),
        }
    }

    /// `n` more passes, to waiting callers first (urgent ones first).
    pub fn add_passes(self: &Arc<Self>, n: usize) {
        for _ in 0..n {
            self.release();
        }
    }

    /// Whether an urgent caller is waiting (a closed sender left by one that gave up counts
    /// until it is skipped, which costs the holder one more turn at most).
    pub fn urgent_waiting(&self) -> bool {
        self.lock().urgent.iter().any(|tx| !tx.is_closed())
    }

    /// Resolves when an urgent caller starts waiting after this was enabled; a holder
    /// enables it, then checks `urgent_waiting`, so no arrival is missed.
    pub fn urgent_arrival(&self) -> tokio::sync::futures::Notified<'_> {
        self.arrived.notified()
    }

    fn pass(self: &Arc<Self>) -> Pass {
        Pass {
            gate: Some(self.clone()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queues> {
        // The lock is never held across a panic-prone call; a poisoned one still holds
        // consistent counts.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn release(self: &Arc<Self>) {
        loop {
            let next = {
                let mut q = self.lock();
                match q.urgent.pop_front().or_else(|| q.ordinary.pop_front()) {
                    Some(tx) => tx,
                    None => {
                        q.free = q.free.saturating_add(1);
                        return;
                    }
                }
            };
            match next.send(self.pass()) {
                Ok(()) => return,
                // That waiter is gone: the pass goes to the next, not back through `drop`.
                Err(mut unsent) => {
                    unsent.gate = None;
                }
            }
        }
    }

    /// Passes in the pool, for tests.
    #[cfg(test)]
    pub fn free(&self) -> usize {
        self.lock().free
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        if let Some(gate) = self.gate.take() {
            gate.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn an_urgent_waiter_goes_before_those_queued_earlier() {
        let gate = Gate::new(1);
        let held = gate.acquire_in(false).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, urgent) in [("a", false), ("b", false), ("u", true), ("c", false)] {
            let (gate, order) = (gate.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let run = async {
                    let _p = gate.acquire().await;
                    order.lock().unwrap().push(name);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                };
                match urgent {
                    true => urgent_scope(run).await,
                    false => run.await,
                }
            }));
            // Each is queued before the next is spawned.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["u", "a", "b", "c"]);
        assert_eq!(gate.free(), 1);
    }

    async fn urgent_scope<F: Future>(f: F) -> F::Output {
        assert!(!is_urgent());
        urgent(async {
            assert!(is_urgent());
            f.await
        })
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_that_give_up_lose_no_pass() {
        let gate = Gate::new(2);
        let a = gate.acquire_in(false).await;
        let b = gate.acquire_in(true).await;
        // Two waiters dropped while queued, one in each lane.
        for urgent in [false, true] {
            let g = gate.clone();
            let w = tokio::spawn(async move { g.acquire_in(urgent).await });
            tokio::time::sleep(Duration::from_millis(1)).await;
            w.abort();
            let _ = w.await;
        }
        drop(a);
        drop(b);
        assert_eq!(gate.free(), 2);
        let _x = gate.acquire_in(false).await;
        let _y = gate.acquire_in(false).await;
        assert_eq!(gate.free(), 0);
    }
}
