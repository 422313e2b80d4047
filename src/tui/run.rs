//! The event loop: terminal setup and restore, keys and mouse from crossterm, a tick timer,
//! and the effects the app asks for (requests on tokio tasks, matching on a search thread,
//! clipboard writes), whose results come back as messages.

use std::io::{Stdout, Write, stdout};
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::app::{App, Effect, Loaded, Msg, SEARCH_LIMIT, TICKS_PER_SEC};
use super::clipboard::{self, ClipboardMode, TermEnv};
use super::keys::KeyMap;
use super::persist;
use crate::crawl::{CrawlOptions, Progress, crawl_with};
use crate::directory::Directory;
use crate::error::{Error, Result};
use crate::model::Dept;
use crate::search::{Candidate, SearchIndex, Searcher};
use crate::snapshot::{People, SnapshotHead};

pub struct Options {
    /// Shown at the left of the status bar: profile and provider.
    pub title: String,
    pub profile: String,
    pub provider: String,
    /// What was loaded last time, to draw at once: the departments and the first part of
    /// the people before the first frame, the other people decoded on a thread after it.
    pub snapshot: Option<(SnapshotHead, People)>,
    /// Where to save what is loaded (on quit and after a crawl); None: don't.
    pub snapshot_path: Option<std::path::PathBuf>,
    /// No server: a snapshot or an org file.
    pub offline: bool,
    /// A first message for the status bar (e.g. a snapshot that had to be discarded).
    pub note: Option<String>,
    pub keymap: KeyMap,
    pub clipboard: ClipboardMode,
    pub no_color: bool,
}

/// Puts the terminal back however we leave: normal return, error, or panic.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> std::io::Result<TerminalGuard> {
        enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn restore_terminal() {
    let mut out = stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

pub async fn run(dir: Arc<dyn Directory>, mut opts: Options) -> Result<()> {
    let ui_err = |e: std::io::Error| Error::Io(format!("terminal: {e}"));
    install_panic_hook();
    let _guard = TerminalGuard::enter().map_err(ui_err)?;
    // No clear(): the alternate screen starts blank, and clear() would ask the terminal for
    // the cursor position, which some terminals never answer.
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout())).map_err(ui_err)?;

    let (tx, mut rx) = unbounded_channel::<Msg>();
    let search = spawn_search_worker(tx.clone());
    let env = TermEnv::from_env();
    // Never dropped: the process ends when the browser does, and freeing a 100,000-person
    // org piece by piece would only delay the exit by tens of milliseconds.
    let mut app = std::mem::ManuallyDrop::new(App::new(opts.title.clone(), opts.keymap.clone()));
    app.no_color = opts.no_color;
    app.offline = opts.offline;
    if let Some(note) = opts.note.take() {
        app.message = Some((note, super::app::Level::Error));
    }
    let size = terminal.size().map_err(ui_err)?;
    app.update(Msg::Resize(size.width, size.height));
    let mut effects = match opts.snapshot.take() {
        Some((head, people)) => start_from_snapshot(&mut app, head, people, &tx),
        None => Vec::new(),
    };
    effects.extend(app.init());

    let mut crawler: Option<Arc<Progress>> = None;
    let mut save_when_restored = false;
    let mut copying: Vec<tokio::task::JoinHandle<()>> = Vec::new();
    let bench_exit = BenchExit::from_env();
    let mut frames = 0u64;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / TICKS_PER_SEC));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        for e in effects.drain(..) {
            match e {
                Effect::Crawl(start) => {
                    crawler = Some(spawn_crawl(start, dir.clone(), tx.clone()));
                }
                Effect::CancelCrawl => {
                    if let Some(p) = crawler.take() {
                        p.cancel();
                    }
                }
                // Not while the previous snapshot's people are still arriving: the save
                // would lose them. It happens once they are all in.
                Effect::SaveSnapshot if app.restoring => save_when_restored = true,
                Effect::SaveSnapshot => save_snapshot(&app, &opts, false),
                Effect::Copy { text, what } => {
                    let term = terminal.backend_mut();
                    copying.retain(|h| !h.is_finished());
                    copying.extend(copy(text, what, opts.clipboard, &env, term, &tx));
                }
                Effect::Quit => {
                    // A native clipboard tool still being fed would lose the text if the
                    // process ended under it: give it a moment.
                    for h in copying.drain(..) {
                        let _ = tokio::time::timeout(Duration::from_secs(2), h).await;
                    }
                    finish_restoring(&mut app, &mut rx).await;
                    save_snapshot(&app, &opts, true);
                    return Ok(());
                }
                e => {
                    if !perform(e, &dir, &tx, &search) {
                        return Ok(());
                    }
                }
            }
        }
        terminal
            .draw(|f| super::ui::draw(f, &app))
            .map_err(ui_err)?;
        frames = frames.saturating_add(1);
        if bench_exit.done(frames) {
            return Ok(());
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => Msg::Key(k),
                Some(Ok(Event::Mouse(m))) => Msg::Mouse(m),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(Event::Paste(text))) => {
                    effects = app.paste(&text);
                    continue;
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(ui_err(e)),
                None => return Ok(()),
            },
            Some(msg) = rx.recv() => msg,
            _ = tick.tick() => Msg::Tick,
        };
        effects = app.update(msg);
        // Take whatever else is already waiting before drawing again.
        while let Ok(msg) = rx.try_recv() {
            effects.extend(app.update(msg));
        }
        if save_when_restored && !app.restoring {
            save_when_restored = false;
            effects.push(Effect::SaveSnapshot);
        }
    }
}

/// Perform one effect. Returns false on Quit.
fn perform(
    effect: Effect,
    dir: &Arc<dyn Directory>,
    tx: &UnboundedSender<Msg>,
    search: &std_mpsc::Sender<SearchCmd>,
) -> bool {
    match effect {
        Effect::Quit => return false,
        Effect::IndexAdd(c) => {
            let _ = search.send(SearchCmd::Add(c));
        }
        Effect::IndexReserve(n) => {
            let _ = search.send(SearchCmd::Reserve(n));
        }
        Effect::Search { generation, query } => {
            let _ = search.send(SearchCmd::Query { generation, query });
        }
        other => spawn_request(other, dir.clone(), tx.clone()),
    }
    true
}

/// For benchmarks only (`bench/compare.sh`): `ORGTUI_BENCH_EXIT=first-frame` quits right after
/// the first frame is drawn (time to first frame = process time); `after-ms:N` quits at the
/// first frame after N ms (peak memory once everything is loaded and indexed).
enum BenchExit {
    Never,
    FirstFrame,
    After(std::time::Instant),
}

impl BenchExit {
    fn from_env() -> BenchExit {
        let Ok(v) = std::env::var("ORGTUI_BENCH_EXIT") else {
            return BenchExit::Never;
        };
        if v == "first-frame" {
            return BenchExit::FirstFrame;
        }
        match v
            .strip_prefix("after-ms:")
            .and_then(|n| n.parse::<u64>().ok())
        {
            Some(ms) => {
                let now = std::time::Instant::now();
                // A wait too long for an Instant: never exit on time.
                match now.checked_add(Duration::from_millis(ms)) {
                    Some(at) => BenchExit::After(at),
                    None => BenchExit::Never,
                }
            }
            None => BenchExit::Never,
        }
    }

    fn done(&self, frames: u64) -> bool {
        match self {
            BenchExit::Never => false,
            BenchExit::FirstFrame => frames >= 1,
            BenchExit::After(t) => std::time::Instant::now() >= *t,
        }
    }
}

/// Restore the snapshot's departments and its first part of people (saved in tree order, so
/// those on the first screen) now, and decode the other parts on a thread that sends them
/// as messages: the first frame does not wait for a 100,000-person org.
fn start_from_snapshot(
    app: &mut App,
    head: SnapshotHead,
    mut people: People,
    tx: &UnboundedSender<Msg>,
) -> Vec<Effect> {
    let mut fx = persist::restore_head(app, head);
    match people.next() {
        None => return fx,
        Some(Ok(part)) => {
            fx.extend(persist::restore_people(app, persist::people_records(part)));
        }
        Some(Err(e)) => {
            fx.extend(app.update(Msg::Loaded(Box::new(Loaded::SnapshotDone(Err(
                e.to_string(),
            ))))));
            return fx;
        }
    }
    app.restoring = true;
    let done = RestoreDone(Some(tx.clone()));
    let tx = tx.clone();
    std::thread::spawn(move || {
        let send = |l: Loaded| tx.send(Msg::Loaded(Box::new(l))).is_ok();
        for part in people {
            let part = match part {
                Ok(p) => p,
                Err(e) => {
                    done.finish(Err(e.to_string()));
                    return;
                }
            };
            if !send(Loaded::SnapshotPeople(persist::people_records(part))) {
                return;
            }
        }
        done.finish(Ok(()));
    });
    fx
}

/// Sends the end of a restore exactly once: as the loader says, or, should the loader
/// thread stop any other way (a panic), as a failure, so that quitting never waits for
/// parts that will not come.
struct RestoreDone(Option<UnboundedSender<Msg>>);

impl RestoreDone {
    fn finish(mut self, result: std::result::Result<(), String>) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(Msg::Loaded(Box::new(Loaded::SnapshotDone(result))));
        }
    }
}

impl Drop for RestoreDone {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let stopped = Err("the snapshot reader stopped".to_string());
            let _ = tx.send(Msg::Loaded(Box::new(Loaded::SnapshotDone(stopped))));
        }
    }
}

/// Before saving on quit: take in the snapshot's people still arriving, or the save would
/// lose them. Other messages are of no use any more.
async fn finish_restoring(app: &mut App, rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>) {
    while app.restoring {
        match rx.recv().await {
            Some(Msg::Loaded(l))
                if matches!(*l, Loaded::SnapshotPeople(_) | Loaded::SnapshotDone(_)) =>
            {
                app.update(Msg::Loaded(l));
            }
            Some(_) => {}
            None => return,
        }
    }
}

/// Save what is loaded, atomically. On quit it is written before returning (the process is
/// about to end); otherwise on a blocking thread. Offline sessions have nothing new to save.
fn save_snapshot(app: &App, opts: &Options, now: bool) {
    let Some(path) = opts.snapshot_path.clone().filter(|_| !opts.offline) else {
        return;
    };
    if app.tree.root.is_none() {
        return;
    }
    if app.restoring {
        // The loop holds saves back until restoring ends; this is only a guard.
        crate::log::warn("snapshot not saved: still reading the previous one");
        return;
    }
    let snap = super::persist::capture(app, &opts.profile, &opts.provider);
    let write = move || {
        if let Err(e) = crate::snapshot::save(&path, &snap) {
            crate::log::warn(&format!("cannot save the snapshot {}: {e}", path.display()));
        }
    };
    if now {
        write();
    } else {
        tokio::task::spawn_blocking(write);
    }
}

/// Crawl under `start` on a task: each department's listings, progress four times a second,
/// and the end come back as messages. Returns the handle that cancels it.
pub fn spawn_crawl(
    start: Dept,
    dir: Arc<dyn Directory>,
    tx: UnboundedSender<Msg>,
) -> Arc<Progress> {
    let progress = Arc::new(Progress::new());
    let p = progress.clone();
    tokio::spawn(async move {
        let send = |l: Loaded| {
            let _ = tx.send(Msg::Loaded(Box::new(l)));
        };
        let ticker = {
            let (p, tx) = (p.clone(), tx.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(250));
                loop {
                    tick.tick().await;
                    let _ = tx.send(Msg::Loaded(Box::new(Loaded::CrawlProgress(p.view()))));
                }
            })
        };
        let opts = CrawlOptions {
            max_depth: None,
            members: true,
        };
        let result = crawl_with(dir, start, opts, &p, |found| {
            send(Loaded::CrawlFound(found.clone()));
        })
        .await;
        ticker.abort();
        send(Loaded::CrawlDone(
            result.map(|_| p.view()).map_err(|e| e.to_string()),
        ));
    });
    progress
}

/// OSC 52 is written here, in order with the frames; a native clipboard tool runs on a
/// blocking thread (it may take a moment), and one message reports both. Returns that
/// thread's handle, if one was started.
fn copy(
    text: String,
    what: String,
    mode: ClipboardMode,
    env: &TermEnv,
    terminal: &mut CrosstermBackend<Stdout>,
    tx: &UnboundedSender<Msg>,
) -> Option<tokio::task::JoinHandle<()>> {
    let shown = crate::text::sanitize(&text);
    let done = move |how: std::result::Result<String, String>| {
        Msg::Loaded(Box::new(Loaded::Copied(
            how.map(|how| format!("copied {what} {shown} · {how}")),
        )))
    };
    let wants_osc = matches!(mode, ClipboardMode::Auto | ClipboardMode::Osc52);
    let wants_native = mode == ClipboardMode::Native
        || (mode == ClipboardMode::Auto && (env.display || env.macos));
    let osc = if wants_osc {
        match clipboard::copy(&text, ClipboardMode::Osc52, env, terminal) {
            Ok(r) => Some(r.to_string()),
            Err(e) => {
                let _ = tx.send(done(Err(e)));
                return None;
            }
        }
    } else {
        None
    };
    if !wants_native {
        let how = osc.ok_or_else(|| "clipboard is off".to_string());
        let _ = tx.send(done(how));
        return None;
    }
    let (tx, env) = (tx.clone(), *env);
    let handle = tokio::task::spawn_blocking(move || {
        let native = clipboard::copy(&text, ClipboardMode::Native, &env, &mut std::io::sink());
        let how = match (osc, native) {
            (Some(o), Ok(n)) => Ok(format!("{o} + {n}")),
            // OSC 52 went out; a missing or failing local tool is not worth an error.
            (Some(o), Err(_)) => Ok(o),
            (None, Ok(n)) => Ok(n.to_string()),
            (None, Err(e)) => Err(e),
        };
        let _ = tx.send(done(how));
    });
    Some(handle)
}

/// Run a directory request on a task; its result comes back as a message.
pub fn spawn_request(effect: Effect, dir: Arc<dyn Directory>, tx: UnboundedSender<Msg>) {
    tokio::spawn(async move {
        if let Some(loaded) = request(effect, dir.as_ref()).await {
            let _ = tx.send(Msg::Loaded(Box::new(loaded)));
        }
    });
}

/// Perform a request effect against the directory. `None` for effects that are not requests.
pub async fn request(effect: Effect, dir: &dyn Directory) -> Option<Loaded> {
    let s = |e: Error| e.to_string();
    Some(match effect {
        Effect::LoadRoot => Loaded::Root(dir.root().await.map_err(s)),
        Effect::LoadChildren { dept, page } => {
            let result = dir.children(&dept, page.as_deref()).await.map_err(s);
            Loaded::Children { dept, result }
        }
        Effect::LoadMembers { dept, page } => {
            let result = dir.members(&dept, page.as_deref()).await.map_err(s);
            Loaded::Members { dept, result }
        }
        Effect::LoadUser(id) => {
            let result = dir.user(&id).await.map_err(s);
            Loaded::User { id, result }
        }
        Effect::LoadUsers(ids) => {
            let result = dir.users(&ids).await.map_err(s);
            Loaded::Users { ids, result }
        }
        Effect::LoadDept(id) => {
            let result = dir.dept(&id).await.map_err(s);
            Loaded::Dept { id, result }
        }
        Effect::ResolveEmails { generation, emails } => {
            let result = dir.users_by_emails(&emails).await.map_err(s);
            Loaded::Emails { generation, result }
        }
        Effect::LookupUserId { generation, id } => {
            let result = dir.user(&id).await.map_err(s);
            Loaded::UserById {
                generation,
                id,
                result,
            }
        }
        Effect::IndexAdd(_)
        | Effect::IndexReserve(_)
        | Effect::Search { .. }
        | Effect::Copy { .. }
        | Effect::Crawl(_)
        | Effect::CancelCrawl
        | Effect::SaveSnapshot
        | Effect::Quit => {
            return None;
        }
    })
}

pub enum SearchCmd {
    Add(Vec<Candidate>),
    Reserve(usize),
    Query { generation: u64, query: String },
}

/// Matching runs on its own thread so typing and drawing never wait for it. When queries
/// pile up, only the newest is run.
fn spawn_search_worker(tx: UnboundedSender<Msg>) -> std_mpsc::Sender<SearchCmd> {
    let (cmd_tx, cmd_rx) = std_mpsc::channel::<SearchCmd>();
    std::thread::spawn(move || {
        let mut index = SearchIndex::new();
        // Keeps the last query's matches, so a query that grows only re-scores those.
        let mut searcher = Searcher::new();
        while let Ok(first) = cmd_rx.recv() {
            let mut latest = None;
            for cmd in std::iter::once(first).chain(cmd_rx.try_iter()) {
                match cmd {
                    SearchCmd::Add(list) => {
                        for c in list {
                            index.insert(c);
                        }
                    }
                    SearchCmd::Reserve(n) => index.reserve(n),
                    SearchCmd::Query { generation, query } => latest = Some((generation, query)),
                }
            }
            if let Some((generation, query)) = latest {
                let hits = searcher.search(&index, &query, SEARCH_LIMIT);
                if tx.send(Msg::SearchDone { generation, hits }).is_err() {
                    return;
                }
            }
        }
    });
    cmd_tx
}
