//! Walks a department subtree with many requests in flight. The HTTP layer bounds how many
//! (the profile's concurrency) and how fast (its rate limit); this keeps it fed, counts what
//! it did for progress reports, and stops when cancelled.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;

use crate::directory::{
    Directory, ListingNames, all_pages, children_by_parent, children_listing, members_listing,
};
use crate::error::{Error, Result};
use crate::model::{Dept, Page, User};

mod bulk;
mod members;
mod progress;
mod state;

pub use bulk::MODE_ENV;
use members::Everyone;
pub use members::{Members, Placement};
pub use progress::{Progress, ProgressView};
use state::{MembersBy, State};

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
    /// The members are full records (from a bulk user listing, which carries what a batch
    /// read would): nothing is left to fill in.
    pub detailed: bool,
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

/// One department's listings, complete.
#[derive(Debug, Clone)]
pub struct Found {
    pub dept_id: String,
    pub depth: usize,
    pub children: Vec<Dept>,
    pub members: Option<Members>,
}

/// Crawl from `start`, collecting everything. Any failed listing fails the crawl (a partial
/// org is not an export).
pub async fn crawl(dir: Arc<dyn Directory>, start: Dept, opts: CrawlOptions) -> Result<Crawl> {
    crawl_with(dir, start, opts, &Progress::new(), |_| {}).await
}

/// What a crawl hands on as it goes (`crawl_events`).
#[derive(Debug)]
pub enum Event {
    /// A department's listings, complete, after the department it was listed under. In a
    /// crawl that streams (`crawl_events`), members from the bulk user listing are
    /// `Members::Ids`: their records came as `People`.
    Found(Found),
    /// A page of the bulk user listing (streaming crawls only): full records, searchable at
    /// once, placed in their departments (as `Found` member ids) when every department is known.
    People(Vec<User>),
}

/// Crawl from `start`, handing each department's listings to `on_found` as they complete
/// (a department after the one it was listed under) and counting into `progress`. Checks
/// `progress.is_cancelled()` as it goes.
pub async fn crawl_with(
    dir: Arc<dyn Directory>,
    start: Dept,
    opts: CrawlOptions,
    progress: &Progress,
    mut on_found: impl FnMut(&Found),
) -> Result<Crawl> {
    let keep = true;
    run(dir, start, opts, progress, keep, |e| {
        if let Event::Found(f) = e {
            on_found(&f)
        }
    })
    .await
}

/// `crawl_with`, with the bulk user listing's pages handed on too, as they come.
///
/// A crawl of the whole subtree first tries the directory's bulk listings (`bulk`): every
/// department below in one listing, everyone in one listing. Where one is not offered or
/// is refused, the departments are listed one by one as before; with everyone listed at
/// once, the members are placed, and handed on, when every department is known.
///
/// The bulk listings are chains of page tokens, each page asked for once the last is in:
/// they go in the HTTP client's urgent lane (`http::urgent`), ahead of the department
/// listings queued meanwhile, so the chain runs at the server's pace and the rest fill the
/// rate limit around it.
///
/// What is handed on is the caller's: the `Crawl` returned keeps the tree, not the members
/// handed on (at 100,000 people that would be a second copy of everyone).
pub async fn crawl_events(
    dir: Arc<dyn Directory>,
    start: Dept,
    opts: CrawlOptions,
    progress: &Progress,
    on_event: impl FnMut(Event),
) -> Result<Crawl> {
    run(dir, start, opts, progress, false, on_event).await
}

async fn run(
    dir: Arc<dyn Directory>,
    start: Dept,
    opts: CrawlOptions,
    progress: &Progress,
    keep: bool,
    mut on_event: impl FnMut(Event),
) -> Result<Crawl> {
    let (pages_tx, mut pages) = tokio::sync::mpsc::unbounded_channel::<Vec<User>>();
    let mut tasks = Tasks {
        set: JoinSet::new(),
        dir: dir.clone(),
        counter: Arc::new(AtomicU64::new(0)),
        pages: (!keep).then_some(pages_tx),
        expected: Arc::new(AtomicU64::new(0)),
    };
    let bulk = opts.max_depth.is_none() && bulk::allowed();
    let members_by = match (opts.members, bulk) {
        (false, _) => MembersBy::Off,
        (true, true) => MembersBy::Waiting,
        (true, false) => MembersBy::PerDept,
    };
    let start_id = start.id.clone();
    let names = dir.listing_names();
    let mut st = State::new(start, opts, members_by, keep);
    progress.depts_known.store(1, Ordering::Relaxed);
    if bulk {
        tasks.bulk(&start_id, false);
        if members_by == MembersBy::Waiting {
            tasks.bulk(&start_id, true);
        }
    } else {
        tasks.discovered(&mut st, names, vec![(start_id.clone(), 0)], progress)?;
    }
    let mut everyone: Option<Everyone> = None;
    // Poll for cancellation even while every request is slow.
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        let joined = tokio::select! {
            Some(page) = pages.recv() => {
                people_page(page, &tasks, progress, &mut on_event);
                continue;
            }
            j = tasks.set.join_next() => match j {
                Some(j) => j,
                None => break,
            },
            _ = tick.tick() => {
                progress.requests.store(tasks.counter.load(Ordering::Relaxed), Ordering::Relaxed);
                if progress.is_cancelled() {
                    tasks.set.abort_all();
                    return Err(Error::Cancelled);
                }
                continue;
            }
        };
        let done = match joined {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                tasks.set.abort_all();
                return Err(e);
            }
            Err(e) if e.is_cancelled() => return Err(Error::Cancelled),
            Err(e) => return Err(Error::Io(format!("crawl task failed: {e}"))),
        };
        progress
            .requests
            .store(tasks.counter.load(Ordering::Relaxed), Ordering::Relaxed);
        let stepped = match done {
            Done::Subtree(Some(depts)) => {
                let by_parent = children_by_parent(&depts);
                let mut todo = vec![start_id.clone()];
                while let Some(id) = todo.pop() {
                    let kids: Vec<Dept> = by_parent
                        .get(id.as_str())
                        .map(|v| v.iter().map(|&d| d.clone()).collect())
                        .unwrap_or_default();
                    let new = st.children_found(names, &id, kids, progress);
                    let new = match new {
                        Ok(new) => new,
                        Err(e) => {
                            tasks.set.abort_all();
                            return Err(e);
                        }
                    };
                    todo.extend(new.iter().map(|(c, _)| c.clone()));
                    tasks.members_of(&st, new.into_iter().map(|(c, _)| c));
                }
                Ok(())
            }
            Done::Subtree(None) => {
                tasks.discovered(&mut st, names, vec![(start_id.clone(), 0)], progress)
            }
            Done::Children(id, kids) => {
                let new = st.children_found(names, &id, kids, progress);
                new.and_then(|new| tasks.discovered(&mut st, names, new, progress))
                    .map(|()| st.hand_on(&id, progress, &mut |f: Found| on_event(Event::Found(f))))
            }
            Done::Members(id, members) => {
                st.members_found(&id, members, progress);
                st.hand_on(&id, progress, &mut |f: Found| on_event(Event::Found(f)));
                Ok(())
            }
            Done::Everyone(Some(users)) => {
                everyone = Some(users);
                st.members_by = MembersBy::Bulk;
                Ok(())
            }
            Done::Everyone(None) => {
                st.members_by = MembersBy::PerDept;
                let known: Vec<String> = st.out.depts.keys().cloned().collect();
                tasks.members_of(&st, known.into_iter());
                Ok(())
            }
        };
        if let Err(e) = stepped {
            tasks.set.abort_all();
            return Err(e);
        }
        st.hand_on(&start_id, progress, &mut |f: Found| {
            on_event(Event::Found(f))
        });
        if progress.is_cancelled() {
            tasks.set.abort_all();
            return Err(Error::Cancelled);
        }
    }
    while let Ok(page) = pages.try_recv() {
        people_page(page, &tasks, progress, &mut on_event);
    }
    if let Some(users) = everyone {
        st.place_everyone(users);
    }
    st.hand_on(&start_id, progress, &mut |f: Found| {
        on_event(Event::Found(f))
    });
    if progress.is_cancelled() {
        return Err(Error::Cancelled);
    }
    Ok(st.out)
}

/// A page of the bulk user listing: counted, the server's total noted, handed on.
fn people_page(
    page: Vec<User>,
    tasks: &Tasks,
    progress: &Progress,
    on_event: &mut impl FnMut(Event),
) {
    progress
        .people
        .fetch_add(page.len() as u64, Ordering::Relaxed);
    let expected = tasks.expected.load(Ordering::Relaxed);
    progress.people_expected.store(expected, Ordering::Relaxed);
    on_event(Event::People(page));
}

/// What one crawl task brought back.
enum Done {
    /// Every department below the start; `None`: list them department by department.
    Subtree(Option<Vec<Dept>>),
    /// One department's sub-departments, all pages.
    Children(String, Vec<Dept>),
    /// One department's members, all pages.
    Members(String, Vec<User>),
    /// Everyone below the start; `None`: list each department's members.
    Everyone(Option<Everyone>),
}

/// The crawl's requests in flight, each page counted as it is asked for (for the
/// requests-per-second figure).
struct Tasks {
    set: JoinSet<Result<Done>>,
    dir: Arc<dyn Directory>,
    counter: Arc<AtomicU64>,
    /// The bulk user listing's pages, as they come, when the crawl streams (`crawl_events`).
    pages: Option<tokio::sync::mpsc::UnboundedSender<Vec<User>>>,
    /// The bulk user listing's total, as its server gave it (0: not given).
    expected: Arc<AtomicU64>,
}

impl Tasks {
    fn spawn<F>(&mut self, task: impl FnOnce(Arc<dyn Directory>, Arc<AtomicU64>) -> F)
    where
        F: std::future::Future<Output = Result<Done>> + Send + 'static,
    {
        self.set.spawn(task(self.dir.clone(), self.counter.clone()));
    }

    /// The bulk listing of every department below `top`, or (`everyone`) of everyone; in
    /// the urgent lane (see `crawl_events`).
    fn bulk(&mut self, top: &str, everyone: bool) {
        let top = top.to_string();
        let (pages, expected) = (self.pages.clone(), self.expected.clone());
        self.spawn(move |dir, counter| {
            crate::http::urgent(async move {
                let dir = dir.as_ref();
                Ok(match everyone {
                    false => {
                        let count = |_: &Page<Dept>| {
                            counter.fetch_add(1, Ordering::Relaxed);
                        };
                        Done::Subtree(bulk::departments(dir, &top, &count).await?)
                    }
                    true => {
                        let count = |p: &Page<User>| {
                            counter.fetch_add(1, Ordering::Relaxed);
                            if let Some(total) = p.total {
                                expected.store(total, Ordering::Relaxed);
                            }
                        };
                        let Some(pages) = pages else {
                            let take = |p: Page<User>| {
                                count(&p);
                                p
                            };
                            let got = bulk::everyone(dir, &top, &take).await?;
                            return Ok(Done::Everyone(got.map(Everyone::Records)));
                        };
                        // The records go on; the crawl places people by id and
                        // departments.
                        let take = |p: Page<User>| {
                            count(&p);
                            let kept = p.items.iter().map(Placement::of).collect();
                            let _ = pages.send(p.items);
                            Page {
                                items: kept,
                                next_page: p.next_page,
                                total: p.total,
                            }
                        };
                        let got = bulk::everyone(dir, &top, &take).await?;
                        Done::Everyone(got.map(Everyone::Placements))
                    }
                })
            })
        });
    }

    /// Departments just found, to be visited one by one: their children listed (those at
    /// the deepest level asked for have none), their members when listed per department.
    fn discovered(
        &mut self,
        st: &mut State,
        names: ListingNames,
        new: Vec<(String, usize)>,
        progress: &Progress,
    ) -> Result<()> {
        for (id, depth) in &new {
            if st.descends(*depth) {
                self.children(id);
            } else {
                st.children_found(names, id, Vec::new(), progress)?;
            }
        }
        self.members_of(st, new.into_iter().map(|(id, _)| id));
        Ok(())
    }

    fn children(&mut self, id: &str) {
        self.listing(
            id,
            children_listing,
            |d, id, t| d.children(id, t),
            Done::Children,
        );
    }

    /// One department's listing, all pages, each counted as it is asked for.
    fn listing<T: Send + 'static>(
        &mut self,
        id: &str,
        endpoint: fn(Option<ListingNames>, &str) -> String,
        list: Lister<T>,
        done: fn(String, Vec<T>) -> Done,
    ) {
        let id = id.to_string();
        self.spawn(move |dir, counter| async move {
            let dir = dir.as_ref();
            let items = all_pages(&endpoint(Some(dir.listing_names()), &id), |t| {
                counter.fetch_add(1, Ordering::Relaxed);
                let id = id.as_str();
                async move { list(dir, id, t.as_deref()).await }
            })
            .await?;
            Ok(done(id, items))
        });
    }

    /// Each department's member listing, when members are listed per department.
    fn members_of(&mut self, st: &State, ids: impl Iterator<Item = String>) {
        if st.members_by != MembersBy::PerDept {
            return;
        }
        for id in ids {
            self.listing(
                &id,
                members_listing,
                |d, id, t| d.members(id, t),
                Done::Members,
            );
        }
    }
}

/// One page of a department's listing, as `Directory` answers it.
type Lister<T> = for<'a> fn(&'a dyn Directory, &'a str, Option<&'a str>) -> PageFuture<'a, T>;
type PageFuture<'a, T> = futures_util::future::BoxFuture<'a, Result<crate::model::Page<T>>>;
