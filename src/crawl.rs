//! Walks a department subtree with many requests in flight. The HTTP layer bounds how many
//! (the profile's concurrency) and how fast (its rate limit); this keeps it fed, counts what
//! it did for progress reports, and stops when cancelled.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::directory::{Directory, all_pages, children_listing, members_listing};
use crate::error::{Error, Result};
use crate::model::{Dept, User};

/// Deepest a crawled tree may go below its start. Real directories are a few dozen levels
/// deep at most (Feishu allows 25); a server that nests departments without end would
/// otherwise have the JSON output recurse until the stack runs out.
pub const MAX_TREE_DEPTH: usize = 256;

/// What a crawl found: the departments, each one's sub-department ids in server order, and
/// (when asked) its direct members.
#[derive(Debug, Default)]
pub struct Crawl {
    pub start: String,
    pub depts: HashMap<String, Dept>,
    pub children: HashMap<String, Vec<String>>,
    pub members: HashMap<String, Vec<User>>,
}

/// One step of a walk over a crawl: a department, or a sub-department that was not
/// followed because it is already above (a cycle in the server's data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    Dept(usize, &'a Dept),
    /// `child` listed under `parent`, though it is `parent` itself or one of its ancestors.
    Cycle {
        depth: usize,
        parent: &'a str,
        child: &'a str,
    },
}

/// The note for a department listed below itself, as the CLI and the browser show it.
pub fn cycle_note(child: &str) -> String {
    format!(
        "cycle: {} is its own ancestor",
        crate::text::sanitize_line(child, 80)
    )
}

impl Crawl {
    /// Departments in pre-order from the start, with their depth below it; the order is the
    /// server's, so output is the same run after run whatever order the answers came in.
    /// Each department comes once, however often the server lists it.
    pub fn walk(&self) -> Vec<(usize, &Dept)> {
        self.steps()
            .into_iter()
            .filter_map(|s| match s {
                Step::Dept(depth, d) => Some((depth, d)),
                Step::Cycle { .. } => None,
            })
            .collect()
    }

    /// The walk with its cycles noted where they were found. A department listed again
    /// elsewhere (not above itself) is left out silently; one listed under itself or under
    /// one of its descendants is a `Step::Cycle` instead of being followed.
    pub fn steps(&self) -> Vec<Step<'_>> {
        enum Todo<'a> {
            Enter(usize, &'a str, Option<&'a str>),
            Leave(&'a str),
        }
        let mut out = Vec::with_capacity(self.depts.len());
        let mut drawn: HashSet<&str> = HashSet::new();
        let mut above: HashSet<&str> = HashSet::new();
        let mut stack = vec![Todo::Enter(0usize, self.start.as_str(), None)];
        while let Some(todo) = stack.pop() {
            let (depth, id, parent) = match todo {
                Todo::Leave(id) => {
                    above.remove(id);
                    continue;
                }
                Todo::Enter(depth, id, parent) => (depth, id, parent),
            };
            if drawn.contains(id) {
                if let Some(parent) = parent.filter(|_| above.contains(id)) {
                    out.push(Step::Cycle {
                        depth,
                        parent,
                        child: id,
                    });
                }
                continue;
            }
            let Some(d) = self.depts.get(id) else {
                continue;
            };
            drawn.insert(id);
            above.insert(id);
            out.push(Step::Dept(depth, d));
            stack.push(Todo::Leave(id));
            if let Some(kids) = self.children.get(id) {
                for k in kids.iter().rev() {
                    stack.push(Todo::Enter(depth.saturating_add(1), k, Some(id)));
                }
            }
        }
        out
    }

    /// Every place the server listed a department under itself or a descendant, as notes.
    pub fn cycles(&self) -> Vec<String> {
        self.steps()
            .into_iter()
            .filter_map(|s| match s {
                Step::Cycle { parent, child, .. } => Some(format!(
                    "{} (listed under {})",
                    cycle_note(child),
                    crate::text::sanitize_line(parent, 80)
                )),
                Step::Dept(..) => None,
            })
            .collect()
    }

    /// Every member once (people in two departments appear once), in walk order.
    pub fn unique_users(&self) -> Vec<&User> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (_, d) in self.walk() {
            for u in self.members.get(&d.id).into_iter().flatten() {
                if seen.insert(u.id.as_str()) {
                    out.push(u);
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy)]
pub struct CrawlOptions {
    /// Levels below the start to descend (0: the start only). `None`: all.
    pub max_depth: Option<usize>,
    pub members: bool,
}

/// Live counters of a crawl, shared with whoever shows progress.
#[derive(Debug)]
pub struct Progress {
    started: Instant,
    pub depts_known: AtomicU64,
    pub depts_done: AtomicU64,
    pub people: AtomicU64,
    pub requests: AtomicU64,
    cancelled: AtomicBool,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            started: Instant::now(),
            depts_known: AtomicU64::new(0),
            depts_done: AtomicU64::new(0),
            people: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
        }
    }
}

/// A moment's view of a crawl's progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressView {
    pub depts_known: u64,
    pub depts_done: u64,
    pub people: u64,
    pub requests: u64,
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

    /// Time left, from the pace so far over the departments still to visit.
    pub fn time_left(&self) -> Option<Duration> {
        if self.depts_done == 0 {
            return None;
        }
        let left = self.depts_known.saturating_sub(self.depts_done) as f64;
        Some(self.elapsed.mul_f64(left / self.depts_done as f64))
    }

    /// `1,234/5,000 depts · 56,789 people · 98 req/s · 40 s left`
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{}/{} depts · {} people · {:.0} req/s",
            self.depts_done,
            self.depts_known,
            self.people,
            self.per_second()
        );
        if let Some(t) = self
            .time_left()
            .filter(|_| self.depts_done < self.depts_known)
        {
            s.push_str(&format!(" · {} s left", t.as_secs()));
        }
        s
    }
}

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    pub fn view(&self) -> ProgressView {
        ProgressView {
            depts_known: self.depts_known.load(Ordering::Relaxed),
            depts_done: self.depts_done.load(Ordering::Relaxed),
            people: self.people.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
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

/// One department's listings, complete.
#[derive(Debug, Clone)]
pub struct Found {
    pub dept_id: String,
    pub depth: usize,
    pub children: Vec<Dept>,
    pub members: Option<Vec<User>>,
}

/// Crawl from `start`, collecting everything. Any failed listing fails the crawl (a partial
/// org is not an export).
pub async fn crawl(dir: Arc<dyn Directory>, start: Dept, opts: CrawlOptions) -> Result<Crawl> {
    crawl_with(dir, start, opts, &Progress::new(), |_| {}).await
}

/// Crawl from `start`, handing each department's listings to `on_found` as they complete
/// and counting into `progress`. Checks `progress.is_cancelled()` as it goes.
pub async fn crawl_with(
    dir: Arc<dyn Directory>,
    start: Dept,
    opts: CrawlOptions,
    progress: &Progress,
    mut on_found: impl FnMut(&Found),
) -> Result<Crawl> {
    let mut out = Crawl {
        start: start.id.clone(),
        ..Crawl::default()
    };
    let counter = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    spawn_visit(
        &mut tasks,
        dir.clone(),
        start.id.clone(),
        0,
        opts,
        counter.clone(),
    );
    progress.depts_known.store(1, Ordering::Relaxed);
    out.depts.insert(start.id.clone(), start);
    // Poll for cancellation even while every request is slow.
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        let joined = tokio::select! {
            j = tasks.join_next() => match j {
                Some(j) => j,
                None => break,
            },
            _ = tick.tick() => {
                progress.requests.store(counter.load(Ordering::Relaxed), Ordering::Relaxed);
                if progress.is_cancelled() {
                    tasks.abort_all();
                    return Err(Error::Cancelled);
                }
                continue;
            }
        };
        let found = match joined {
            Ok(r) => r?,
            Err(e) if e.is_cancelled() => return Err(Error::Cancelled),
            Err(e) => return Err(Error::Io(format!("crawl task failed: {e}"))),
        };
        progress
            .requests
            .store(counter.load(Ordering::Relaxed), Ordering::Relaxed);
        on_found(&found);
        let Found {
            dept_id,
            depth,
            children,
            members,
        } = found;
        let ids: Vec<String> = children.iter().map(|c| c.id.clone()).collect();
        let descend = opts.max_depth.is_none_or(|m| depth < m);
        if descend && depth >= MAX_TREE_DEPTH && !children.is_empty() {
            tasks.abort_all();
            return Err(Error::Protocol {
                endpoint: children_listing(Some(dir.listing_names()), &dept_id),
                msg: format!(
                    "the department tree goes deeper than {MAX_TREE_DEPTH} levels; stopping"
                ),
            });
        }
        for child in children {
            // A department seen twice (a server bug) is visited once.
            if descend && !out.depts.contains_key(&child.id) {
                spawn_visit(
                    &mut tasks,
                    dir.clone(),
                    child.id.clone(),
                    depth.saturating_add(1),
                    opts,
                    counter.clone(),
                );
                progress.depts_known.fetch_add(1, Ordering::Relaxed);
                out.depts.insert(child.id.clone(), child);
            }
        }
        if descend {
            out.children.insert(dept_id.clone(), ids);
        }
        if let Some(m) = members {
            progress.people.fetch_add(m.len() as u64, Ordering::Relaxed);
            out.members.insert(dept_id, m);
        }
        progress.depts_done.fetch_add(1, Ordering::Relaxed);
        if progress.is_cancelled() {
            tasks.abort_all();
            return Err(Error::Cancelled);
        }
    }
    Ok(out)
}

fn spawn_visit(
    tasks: &mut JoinSet<Result<Found>>,
    dir: Arc<dyn Directory>,
    dept_id: String,
    depth: usize,
    opts: CrawlOptions,
    requests: Arc<AtomicU64>,
) {
    tasks.spawn(async move {
        let wants_children = opts.max_depth.is_none_or(|m| depth < m);
        let dir = dir.as_ref();
        let id = dept_id.as_str();
        // Each page is one request: counted as it is made, for the requests-per-second figure.
        let count = || {
            requests.fetch_add(1, Ordering::Relaxed);
        };
        let (children, members) = tokio::join!(
            async {
                if !wants_children {
                    return Ok(Vec::new());
                }
                all_pages(&children_listing(Some(dir.listing_names()), id), |t| {
                    count();
                    async move { dir.children(id, t.as_deref()).await }
                })
                .await
            },
            async {
                if !opts.members {
                    return Ok(None);
                }
                all_pages(&members_listing(Some(dir.listing_names()), id), |t| {
                    count();
                    async move { dir.members(id, t.as_deref()).await }
                })
                .await
                .map(Some)
            }
        );
        Ok(Found {
            dept_id,
            depth,
            children: children?,
            members: members?,
        })
    });
}
