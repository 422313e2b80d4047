//! The browser's event loop: the terminal, keys and mouse from crossterm, a tick timer, and
//! the app's effects handed to the one executor (`executor`), whose results come back as
//! messages on one channel.

pub mod bench_exit;
pub mod executor;
pub mod restore;
pub mod search_worker;
mod throttle;

use std::io::stdout;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{Event, EventStream};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use self::bench_exit::BenchExit;
use self::executor::{Executor, Flow, Schedule, SnapshotFile, Store};
use self::restore::{TerminalGuard, install_panic_hook};
use super::app::{App, Effect, Level, Loaded, Msg, TICKS_PER_SEC};
use super::clipboard::{ClipboardMode, SystemClipboard, TermEnv};
use super::keys::KeyMap;
use super::persist;
use crate::directory::Directory;
use crate::error::{Error, Result};
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
    /// Background indexing (`index`, `index_max_age`); never offline.
    pub index: crate::config::IndexSettings,
    /// The profile's requests in flight, which the background index takes half of.
    pub concurrency: usize,
    pub clipboard: ClipboardMode,
    pub no_color: bool,
}

pub async fn run(dir: Arc<dyn Directory>, mut opts: Options) -> Result<()> {
    let ui_err = |e: std::io::Error| Error::Io(format!("terminal: {e}"));
    let bench_exit = BenchExit::from_env();
    install_panic_hook();
    let _guard = TerminalGuard::enter().map_err(ui_err)?;
    // No clear(): the alternate screen starts blank, and clear() would ask the terminal for
    // the cursor position, which some terminals never answer.
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout())).map_err(ui_err)?;

    let (tx, mut rx) = unbounded_channel::<Msg>();
    let clipboard = SystemClipboard {
        mode: opts.clipboard,
        env: TermEnv::from_env(),
    };
    // Offline sessions have nothing new to save.
    let store = opts
        .snapshot_path
        .clone()
        .filter(|_| !opts.offline)
        .map(|path| Store {
            target: Box::new(SnapshotFile(path)),
            profile: opts.profile.clone(),
            provider: opts.provider.clone(),
        });
    let mut exec = Executor::new(
        dir,
        tx.clone(),
        Schedule::Background,
        Arc::new(clipboard),
        store,
    );
    exec.set_concurrency(opts.concurrency);
    // Never dropped: the process ends when the browser does, and freeing a 100,000-person
    // org piece by piece would only delay the exit by tens of milliseconds.
    let mut app = std::mem::ManuallyDrop::new(App::new(opts.title.clone(), opts.keymap.clone()));
    app.no_color = opts.no_color;
    app.offline = opts.offline;
    app.index = opts.index;
    if let Some(note) = opts.note.take() {
        app.message = Some((note, Level::Error));
    }
    let size = terminal.size().map_err(ui_err)?;
    app.update(Msg::Resize(size.width, size.height));
    let mut effects = match opts.snapshot.take() {
        Some((head, people)) => {
            start_from_snapshot(&mut app, head, people, opts.snapshot_path.clone(), &tx)
        }
        None => Vec::new(),
    };
    effects.extend(app.init());

    let mut frames = 0u64;
    let mut crawled = false;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / TICKS_PER_SEC));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        for e in effects.drain(..) {
            if exec.perform(e, &app, terminal.backend_mut()).await == Flow::Quit {
                exec.shutdown(&mut app, &mut rx).await;
                return Ok(());
            }
        }
        terminal
            .draw(|f| super::ui::draw(f, &app))
            .map_err(ui_err)?;
        frames = frames.saturating_add(1);
        crawled |= app.crawl.is_some();
        if bench_exit.done(frames, crawled && app.crawl.is_none()) {
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
        effects.extend(exec.after_update(&app));
    }
}

/// Restore the snapshot's departments and its first part of people (saved in tree order, so
/// those on the first screen) now, and decode the other parts on a thread that sends them
/// as messages: the first frame does not wait for a 100,000-person org. Then, on the same
/// thread so the two never hold their parts at once, what changed since the snapshot at
/// `path` had its previous generation.
fn start_from_snapshot(
    app: &mut App,
    head: SnapshotHead,
    mut people: People,
    path: Option<std::path::PathBuf>,
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
        if let Some(path) = path {
            changes_since_previous(&path, &tx);
        }
    });
    fx
}

/// What changed since the snapshot's previous generation: with one beside the snapshot
/// both are read a part at a time (`diff::since_previous`), under a second at 100,000
/// people; with none (most starts) nothing is read.
fn changes_since_previous(path: &std::path::Path, tx: &UnboundedSender<Msg>) {
    let result = crate::diff::since_previous(path).map_err(|e| match e {
        crate::diff::NoDiff::NoPrevious(_) => super::app::NO_PREVIOUS.to_string(),
        e => e.to_string(),
    });
    let _ = tx.send(Msg::Loaded(Box::new(Loaded::Changes(result))));
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
