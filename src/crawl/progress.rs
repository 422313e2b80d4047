//! A crawl's live counters and the view of them the CLI's progress line and the browser's
//! status bar show.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::text::thousands;

/// Live counters of a crawl, shared with whoever shows progress.
#[derive(Debug)]
pub struct Progress {
    started: Instant,
    pub depts_known: AtomicU64,
    /// Departments whose sub-departments are listed.
    pub depts_listed: AtomicU64,
    /// Departments handed on complete (`Found`).
    pub depts_done: AtomicU64,
    pub people: AtomicU64,
    /// How many people the server says the listing holds; 0 while it has not said.
    pub people_expected: AtomicU64,
    pub requests: AtomicU64,
    cancelled: AtomicBool,
    paused: std::sync::Mutex<Paused>,
}

/// Time spent paused, so rates and time left count only the time the crawl ran.
#[derive(Debug, Default)]
struct Paused {
    since: Option<Instant>,
    total: Duration,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            started: Instant::now(),
            depts_known: AtomicU64::new(0),
            depts_listed: AtomicU64::new(0),
            depts_done: AtomicU64::new(0),
            people: AtomicU64::new(0),
            people_expected: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
            paused: std::sync::Mutex::new(Paused::default()),
        }
    }
}

/// A moment's view of a crawl's progress.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProgressView {
    pub depts_known: u64,
    pub depts_listed: u64,
    pub depts_done: u64,
    pub people: u64,
    /// The server's count of everyone the crawl is listing, when it gave one.
    pub people_expected: Option<u64>,
    pub requests: u64,
    /// Time the crawl has run, not counting time paused.
    pub elapsed: Duration,
}

impl ProgressView {
    pub fn per_second(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.requests as f64 / s
        } else {
            0.0
        }
    }

    /// Time left, from the pace so far: over the departments still to list and, when the
    /// server gave a total, the people still to come; the slower of the two.
    pub fn time_left(&self) -> Option<Duration> {
        let left = |done: u64, all: u64| {
            (done > 0).then(|| {
                let rest = all.saturating_sub(done) as f64;
                self.elapsed.mul_f64(rest / done as f64)
            })
        };
        let depts = left(self.depts_listed, self.depts_known);
        let people = self.people_expected.and_then(|all| left(self.people, all));
        depts.max(people)
    }

    fn finished(&self) -> bool {
        self.depts_listed >= self.depts_known
            && self.people_expected.is_none_or(|all| self.people >= all)
    }

    /// `1,234/5,000 depts · 56,789 of ~100,000 people` (the total when the server gave one).
    pub fn counts(&self) -> String {
        let people = match self.people_expected {
            Some(all) => format!("{} of ~{}", thousands(self.people), thousands(all)),
            None => thousands(self.people),
        };
        format!(
            "{}/{} depts · {people} people",
            thousands(self.depts_listed),
            thousands(self.depts_known)
        )
    }

    /// `40 s left`, while there is something left and a pace to judge it by.
    pub fn left(&self) -> Option<String> {
        let t = self.time_left().filter(|_| !self.finished())?;
        Some(format!("{} s left", t.as_secs()))
    }

    /// `1,234/5,000 depts · 56,789 of ~100,000 people · 98 req/s · 40 s left`
    pub fn describe(&self) -> String {
        let mut s = format!("{} · {:.0} req/s", self.counts(), self.per_second());
        if let Some(left) = self.left() {
            s.push_str(" · ");
            s.push_str(&left);
        }
        s
    }
}

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    pub fn view(&self) -> ProgressView {
        let expected = self.people_expected.load(Ordering::Relaxed);
        ProgressView {
            depts_known: self.depts_known.load(Ordering::Relaxed),
            depts_listed: self.depts_listed.load(Ordering::Relaxed),
            depts_done: self.depts_done.load(Ordering::Relaxed),
            people: self.people.load(Ordering::Relaxed),
            people_expected: (expected > 0).then_some(expected),
            requests: self.requests.load(Ordering::Relaxed),
            elapsed: self.running_for(),
        }
    }

    /// Time since the start, less the time paused.
    fn running_for(&self) -> Duration {
        let p = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        let now_paused = p.since.map(|t| t.elapsed()).unwrap_or_default();
        self.started
            .elapsed()
            .saturating_sub(p.total.saturating_add(now_paused))
    }

    /// The crawl was paused (`true`) or resumed: the time between does not count.
    pub fn set_paused(&self, paused: bool) {
        let mut p = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        match (paused, p.since) {
            (true, None) => p.since = Some(Instant::now()),
            (false, Some(t)) => {
                p.total = p.total.saturating_add(t.elapsed());
                p.since = None;
            }
            _ => {}
        }
    }

    /// Ask the crawl to stop; requests in flight are dropped.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}
