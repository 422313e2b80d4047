//! The one effect executor: it turns the app's `Effect`s into work (directory requests,
//! matching, clipboard writes, crawls, snapshot saves) whose results come back as `Msg`s on
//! one channel. The browser's loop and the tests both drive this; they differ only in the
//! `Schedule`: in the background (tasks and threads, results whenever they are ready), or in
//! order (each effect's work done before `perform` returns, so a test sees every result in
//! the order it was asked for).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::search_worker::{SearchCmd, SearchWorker};
use super::throttle::Throttled;
use crate::crawl::{CrawlOptions, Event, Progress, crawl_events};
use crate::directory::Directory;
use crate::error::Error;
use crate::model::Dept;
use crate::search::SearchIndex;
use crate::snapshot::OutgoingSnapshot;
use crate::tui::app::{App, Effect, Loaded, Msg, Request};
use crate::tui::clipboard::CopyTarget;
use crate::tui::roster::SavedPerson;

/// When the work for an effect is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// On tasks and threads; `perform` returns at once (the browser).
    Background,
    /// Before `perform` returns, its messages already in the channel (tests).
    InOrder,
}

/// What the loop should do after an effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The app asked to quit: call `shutdown`, then stop.
    Quit,
}

/// Where a snapshot of what is loaded goes.
pub trait SaveTarget: Send + Sync {
    /// `now`: before returning (the process is about to end); otherwise whenever.
    fn save(&self, snap: OutgoingSnapshot<SavedPerson>, now: bool);
}

/// The on-disk snapshot file, written atomically.
pub struct SnapshotFile(pub PathBuf);

impl SaveTarget for SnapshotFile {
    fn save(&self, snap: OutgoingSnapshot<SavedPerson>, now: bool) {
        let path = self.0.clone();
        let write = move || {
            if let Err(e) = crate::snapshot::save_outgoing(&path, &snap) {
                crate::log::warn(&format!("cannot save the snapshot {}: {e}", path.display()));
            }
        };
        if now {
            write();
        } else {
            tokio::task::spawn_blocking(write);
        }
    }
}

/// Saving: where to, and the names recorded in the snapshot.
pub struct Store {
    pub target: Box<dyn SaveTarget>,
    pub profile: String,
    pub provider: String,
}

enum Matching {
    Thread(std_mpsc::Sender<SearchCmd>),
    InOrder(Box<SearchWorker>),
}

pub struct Executor {
    dir: Arc<dyn Directory>,
    tx: UnboundedSender<Msg>,
    schedule: Schedule,
    matching: Matching,
    clipboard: Arc<dyn CopyTarget>,
    /// None: nothing is saved (no snapshot path, or offline: nothing new to save).
    store: Option<Store>,
    crawler: Option<Crawler>,
    /// The profile's requests in flight (`concurrency`): a crawl's share is cut from it.
    concurrency: usize,
    /// Native clipboard tools still being fed.
    copying: Vec<JoinHandle<()>>,
    /// A save asked for while the previous snapshot's people were still arriving.
    save_when_restored: bool,
}

impl Executor {
    pub fn new(
        dir: Arc<dyn Directory>,
        tx: UnboundedSender<Msg>,
        schedule: Schedule,
        clipboard: Arc<dyn CopyTarget>,
        store: Option<Store>,
    ) -> Executor {
        let matching = match schedule {
            Schedule::Background => Matching::Thread(SearchWorker::spawn(tx.clone())),
            Schedule::InOrder => Matching::InOrder(Box::default()),
        };
        Executor {
            dir,
            tx,
            schedule,
            matching,
            clipboard,
            store,
            crawler: None,
            concurrency: crate::http::HttpOptions::default().concurrency,
            copying: Vec::new(),
            save_when_restored: false,
        }
    }

    /// The profile's concurrency, which crawls share out (see `crawl_slots`).
    pub fn set_concurrency(&mut self, concurrency: usize) {
        self.concurrency = concurrency.max(1);
    }

    /// The search index, when matching runs in order (tests look at it).
    pub fn search_index(&self) -> Option<&SearchIndex> {
        match &self.matching {
            Matching::InOrder(w) => Some(w.index()),
            Matching::Thread(_) => None,
        }
    }

    /// Start (or, in order, do) the work for one effect. `terminal` takes OSC 52, in line
    /// with the frames.
    pub async fn perform(&mut self, effect: Effect, app: &App, terminal: &mut dyn Write) -> Flow {
        match effect {
            Effect::Request(r) => self.request(r).await,
            Effect::IndexAdd(c) => self.search(SearchCmd::Add(c)),
            Effect::IndexReserve(n) => self.search(SearchCmd::Reserve(n)),
            Effect::Search { generation, query } => {
                self.search(SearchCmd::Query { generation, query });
            }
            Effect::Copy { text, what } => self.copy(text, what, terminal).await,
            Effect::Crawl { start, background } => self.crawl(start, background).await,
            Effect::HurryCrawl => {
                if let Some(c) = &self.crawler {
                    c.dir.widen(crawl_slots(self.concurrency, false));
                }
            }
            Effect::PauseCrawl(paused) => {
                if let Some(c) = &self.crawler {
                    c.progress.set_paused(paused);
                    let _ = c.pause.send(paused);
                }
            }
            Effect::CancelCrawl => {
                if let Some(c) = self.crawler.take() {
                    c.progress.cancel();
                    // Calls held back by a pause end with the crawl.
                    let _ = c.pause.send(false);
                }
            }
            // Not while the previous snapshot's people are still arriving: the save would
            // lose them. It happens once they are all in (`after_update`).
            Effect::SaveSnapshot if app.restoring => self.save_when_restored = true,
            Effect::SaveSnapshot => self.save(app, false),
            Effect::Quit => return Flow::Quit,
        }
        Flow::Continue
    }

    /// Effects due once the app has taken in its messages: a save held back while restoring.
    pub fn after_update(&mut self, app: &App) -> Option<Effect> {
        if self.save_when_restored && !app.restoring {
            self.save_when_restored = false;
            return Some(Effect::SaveSnapshot);
        }
        None
    }

    /// On quit: let clipboard tools finish, take in the snapshot's people still arriving
    /// (or the save would lose them), and save.
    pub async fn shutdown(&mut self, app: &mut App, rx: &mut UnboundedReceiver<Msg>) {
        // A native clipboard tool still being fed would lose the text if the process ended
        // under it: give it a moment.
        for h in self.copying.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(2), h).await;
        }
        // Other messages are of no use any more.
        while app.restoring {
            match rx.recv().await {
                Some(Msg::Loaded(l))
                    if matches!(*l, Loaded::SnapshotPeople(_) | Loaded::SnapshotDone(_)) =>
                {
                    app.update(Msg::Loaded(l));
                }
                Some(_) => {}
                None => break,
            }
        }
        self.save(app, true);
    }

    fn send(&self, loaded: Loaded) {
        let _ = self.tx.send(Msg::Loaded(Box::new(loaded)));
    }

    /// What the user opened or asked for: in the HTTP client's urgent lane, ahead of a
    /// background index's queued listings.
    async fn request(&mut self, r: Request) {
        match self.schedule {
            Schedule::InOrder => {
                let loaded = crate::http::urgent(request(r, self.dir.as_ref())).await;
                self.send(loaded);
            }
            Schedule::Background => {
                let (dir, tx) = (self.dir.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let loaded = crate::http::urgent(request(r, dir.as_ref())).await;
                    let _ = tx.send(Msg::Loaded(Box::new(loaded)));
                });
            }
        }
    }

    fn search(&mut self, cmd: SearchCmd) {
        match &mut self.matching {
            Matching::Thread(worker) => {
                let _ = worker.send(cmd);
            }
            Matching::InOrder(worker) => {
                if let Some(msg) = worker.apply([cmd]) {
                    let _ = self.tx.send(msg);
                }
            }
        }
    }

    /// OSC 52 is written here, in order with the frames; a native clipboard tool runs on a
    /// blocking thread (it may take a moment), and one message reports both.
    async fn copy(&mut self, text: String, what: String, terminal: &mut dyn Write) {
        let shown = crate::text::sanitize(&text);
        let done = move |how: Result<String, String>| {
            Loaded::Copied(how.map(|how| format!("copied {what} {shown} · {how}")))
        };
        let plan = self.clipboard.plan();
        let osc = if plan.osc52 {
            match self.clipboard.osc52(&text, terminal) {
                Ok(how) => Some(how),
                Err(e) => return self.send(done(Err(e))),
            }
        } else {
            None
        };
        if !plan.native {
            return self.send(done(osc.ok_or_else(|| "clipboard is off".to_string())));
        }
        let (tx, clipboard) = (self.tx.clone(), self.clipboard.clone());
        let handle = tokio::task::spawn_blocking(move || {
            let how = match (osc, clipboard.native(&text)) {
                (Some(o), Ok(n)) => Ok(format!("{o} + {n}")),
                // OSC 52 went out; a missing or failing local tool is not worth an error.
                (Some(o), Err(_)) => Ok(o),
                (None, Ok(n)) => Ok(n),
                (None, Err(e)) => Err(e),
            };
            let _ = tx.send(Msg::Loaded(Box::new(done(how))));
        });
        match self.schedule {
            Schedule::InOrder => {
                let _ = handle.await;
            }
            Schedule::Background => {
                self.copying.retain(|h| !h.is_finished());
                self.copying.push(handle);
            }
        }
    }

    /// Crawl under `start`: each department's listings and the end come back as messages;
    /// in the background also the progress, four times a second. The crawl goes through
    /// `Throttled` (pausable, `crawl_slots` calls at once).
    async fn crawl(&mut self, start: Dept, background: bool) {
        let progress = Arc::new(Progress::new());
        let (pause, paused) = tokio::sync::watch::channel(false);
        let slots = crawl_slots(self.concurrency, background);
        let dir = Arc::new(Throttled::new(self.dir.clone(), slots, paused));
        match self.schedule {
            Schedule::InOrder => {
                let done = crawl_to_end(start, dir, &progress, &self.tx).await;
                self.send(done);
            }
            Schedule::Background => {
                self.crawler = Some(Crawler {
                    progress: progress.clone(),
                    pause,
                    dir: dir.clone(),
                });
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let ticker = {
                        let (p, tx) = (progress.clone(), tx.clone());
                        tokio::spawn(async move {
                            let mut tick = tokio::time::interval(Duration::from_millis(250));
                            loop {
                                tick.tick().await;
                                let progress = Loaded::CrawlProgress(p.view());
                                let _ = tx.send(Msg::Loaded(Box::new(progress)));
                            }
                        })
                    };
                    let done = crawl_to_end(start, dir, &progress, &tx).await;
                    ticker.abort();
                    let _ = tx.send(Msg::Loaded(Box::new(done)));
                });
            }
        }
    }

    /// Save what is loaded. Nothing to save before the root is known.
    fn save(&self, app: &App, now: bool) {
        let Some(store) = &self.store else {
            return;
        };
        if app.tree.root.is_none() {
            return;
        }
        if app.restoring {
            // `perform` holds saves back until restoring ends; this is only a guard.
            crate::log::warn("snapshot not saved: still reading the previous one");
            return;
        }
        let snap = crate::tui::persist::capture_outgoing(app, &store.profile, &store.provider);
        store.target.save(snap, now);
    }
}

/// A crawl running in the background: its counters (and cancel flag) and its pause.
struct Crawler {
    progress: Arc<Progress>,
    pause: tokio::sync::watch::Sender<bool>,
    dir: Arc<Throttled>,
}

/// Calls a crawl may have out at once, of the profile's `concurrency`. `a` (asked for, the
/// user waits on it) takes them all. The background index takes half (at least one): the
/// user's own requests then always find an HTTP permit free, and queue for the rate limit
/// behind at most that many of the index's, which at the providers' 10 to 50 requests a
/// second is a fraction of a second; with a request's latency well under a second, half
/// the permits still keep the rate limit busy, so the index is barely slower for it.
pub fn crawl_slots(concurrency: usize, background: bool) -> usize {
    let all = concurrency.max(1);
    if background { (all / 2).max(1) } else { all }
}

/// The real crawler, run to the end; each department it finds goes out as it is found.
/// Returns the end, for the caller to send last.
async fn crawl_to_end(
    start: Dept,
    dir: Arc<dyn Directory>,
    progress: &Progress,
    tx: &UnboundedSender<Msg>,
) -> Loaded {
    let opts = CrawlOptions {
        max_depth: None,
        members: true,
    };
    let result = crawl_events(dir, start, opts, progress, |event| {
        let loaded = match event {
            Event::Found(found) => Loaded::CrawlFound(found),
            Event::People(people) => Loaded::CrawlPeople(people),
        };
        let _ = tx.send(Msg::Loaded(Box::new(loaded)));
    })
    .await;
    Loaded::CrawlDone(result.map(|_| progress.view()).map_err(|e| e.to_string()))
}

/// Ask the directory; errors arrive as display text.
pub async fn request(r: Request, dir: &dyn Directory) -> Loaded {
    let s = |e: Error| e.to_string();
    match r {
        Request::LoadRoot => Loaded::Root(dir.root().await.map_err(s)),
        Request::LoadChildren { dept, page } => {
            let result = dir.children(&dept, page.as_deref()).await.map_err(s);
            Loaded::Children { dept, result }
        }
        Request::LoadMembers { dept, page } => {
            let result = dir.members(&dept, page.as_deref()).await.map_err(s);
            Loaded::Members { dept, result }
        }
        Request::LoadUser(id) => {
            let result = dir.user(&id).await.map_err(s);
            Loaded::User { id, result }
        }
        Request::LoadUsers(ids) => {
            let result = dir.users(&ids).await.map_err(s);
            Loaded::Users { ids, result }
        }
        Request::LoadDept(id) => {
            let result = dir.dept(&id).await.map_err(s);
            Loaded::Dept { id, result }
        }
        Request::ResolveEmails { generation, emails } => {
            let result = dir.users_by_emails(&emails).await.map_err(s);
            Loaded::Emails { generation, result }
        }
        Request::LookupUserId { generation, id } => {
            let result = dir.user(&id).await.map_err(s);
            Loaded::UserById {
                generation,
                id,
                result,
            }
        }
    }
}
