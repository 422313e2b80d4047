//! The TUI's state and its update function. Pure: a message in (a key, a mouse event, a tick,
//! a finished request), state changed and a list of effects out (requests to make, text to
//! copy). The executor in `runtime::executor` performs the effects and feeds their results back, so
//! tests can drive the whole app with key sequences and real results, without a terminal.

use std::collections::{HashMap, HashSet};

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

mod changes_view;
mod crawl;
mod effect;
mod jump;
mod reports_view;
mod scroll;
mod search_view;
mod tree_view;

pub use crate::text::thousands;
pub use changes_view::{ChangeRow, Changes, ChangesView, NO_PREVIOUS};
pub use crawl::CrawlRun;
pub use effect::{Effect, Loaded, Request};
use jump::Jump;
pub use reports_view::{ReportRow, ReportsView};
pub use search_view::{ResultRow, SearchState};

use super::keys::{Action, KeyMap};
use super::roster::{PeopleRecords, Restored, Roster};
use super::tree_model::{Load, RowKind, Tree};
use crate::crawl::ProgressView;
use crate::directory::{PageGuard, children_listing, members_listing};
use crate::model::{Dept, Page, User};
use crate::search::{self, Candidate, Hit, Kind, QueryKind};

/// Ticks per second of the event loop's timer (spinner, debounces).
pub const TICKS_PER_SEC: u64 = 10;
/// Ticks the selection must rest on a person before their details are fetched, so holding
/// `j` does not fire a request per row.
const DETAIL_DEBOUNCE_TICKS: u64 = 2;
/// Ticks of no typing before a query goes to the server (emails, user ids).
const REMOTE_DEBOUNCE_TICKS: u64 = 3;
/// Results kept per query.
pub const SEARCH_LIMIT: usize = 200;

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Tick,
    /// Boxed: results are large next to keys and ticks, which are most messages.
    Loaded(Box<Loaded>),
    SearchDone {
        generation: u64,
        hits: Vec<Hit>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Tree,
    Search,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

pub struct App {
    pub title: String,
    pub tree: Tree,
    pub keymap: KeyMap,
    pub focus: Focus,
    pub help: bool,
    pub selected: usize,
    pub scroll: usize,
    pub search: SearchState,
    /// The reporting-lines view (`R`), shown in place of the tree while open.
    pub reports: Option<ReportsView>,
    /// Everyone we know, each once: full records (get-user) and listing records, and whose
    /// details were fetched this session. Other details (from the snapshot) are shown, and
    /// fetched again when selected.
    pub people: Roster,
    pub detail_errors: HashMap<String, String>,
    /// Age of the snapshot the app started from, shown until its first refresh is done.
    pub snapshot_age: Option<std::time::Duration>,
    /// Browsing a snapshot or an org file with no server behind it.
    pub offline: bool,
    /// The snapshot's people are still arriving (see `persist`): a save now would lose them.
    pub restoring: bool,
    /// Departments fetched one by one (for jumps and people's departments).
    pub extra_depts: HashMap<String, Dept>,
    pub message: Option<(String, Level)>,
    pub root_error: Option<String>,
    pub ticks: u64,
    pub size: Rect,
    pub no_color: bool,
    /// Requests out, for the status bar.
    pub in_flight: usize,
    /// A crawl in progress (`a`, or the background index), and how far it got.
    pub crawl: Option<CrawlRun>,
    /// Background indexing as configured (`crawl.rs`); off unless the runtime sets it.
    pub index: crate::config::IndexSettings,
    /// What changed since the snapshot's previous generation (`changes_view`), once known.
    pub changes: Option<Changes>,
    /// The changes view, while open (`C`).
    pub changes_view: Option<ChangesView>,
    /// This start indexes once the root is known (decided in `init`).
    index_wanted: bool,
    requested_users: HashSet<String>,
    detail_wanted: Option<(String, u64)>,
    jump: Option<Jump>,
}

impl App {
    pub fn new(title: impl Into<String>, keymap: KeyMap) -> App {
        App {
            title: title.into(),
            tree: Tree::default(),
            keymap,
            focus: Focus::Tree,
            help: false,
            selected: 0,
            scroll: 0,
            search: SearchState::default(),
            reports: None,
            people: Roster::default(),
            detail_errors: HashMap::new(),
            snapshot_age: None,
            offline: false,
            restoring: false,
            extra_depts: HashMap::new(),
            message: None,
            root_error: None,
            ticks: 0,
            size: Rect::new(0, 0, 100, 30),
            no_color: false,
            in_flight: 0,
            crawl: None,
            index: App::no_index(),
            index_wanted: false,
            changes: None,
            changes_view: None,
            requested_users: HashSet::new(),
            detail_wanted: None,
            jump: None,
        }
    }

    /// True when the root is the stand-in for an app limited to its contact range (see
    /// `providers::range`): the tree holds only what the app was granted.
    pub fn limited_by_range(&self) -> bool {
        self.tree.root.as_deref() == Some(crate::model::RANGE_ROOT_ID)
    }

    /// The effects to start with; the snapshot (if any) is restored and `index` set.
    pub fn init(&mut self) -> Vec<Effect> {
        self.index_wanted = self.index_due();
        self.counted(vec![Effect::Request(Request::LoadRoot)])
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let fx = match msg {
            Msg::Key(k) if k.kind != KeyEventKind::Release => self.on_key(k),
            Msg::Key(_) => Vec::new(),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                self.keep_selection_visible();
                Vec::new()
            }
            Msg::Tick => self.on_tick(),
            Msg::Loaded(l) => {
                if l.answers_one() {
                    self.in_flight = self.in_flight.saturating_sub(1);
                }
                let mut fx = self.on_loaded(*l);
                fx.extend(self.advance_jump());
                fx
            }
            Msg::SearchDone { generation, hits } => {
                if generation == self.search.generation {
                    self.search.hits = hits;
                    self.search.hits_generation = generation;
                    self.clamp_search_selection();
                    self.want_result_detail();
                    self.activate_if_ready()
                } else {
                    Vec::new()
                }
            }
        };
        self.counted(fx)
    }

    /// Count the requests among `fx` so the status bar can say what is loading.
    fn counted(&mut self, fx: Vec<Effect>) -> Vec<Effect> {
        let requests = fx.iter().filter(|e| e.awaits_answer()).count();
        self.in_flight = self.in_flight.saturating_add(requests);
        fx
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let action = self.keymap.action(&key);
        // Ctrl-C quits from anywhere, whatever the bindings say.
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return vec![Effect::Quit];
        }
        if self.help {
            if matches!(action, Some(Action::Escape | Action::Help | Action::Quit))
                || key.code == KeyCode::Esc
            {
                self.help = false;
            }
            return Vec::new();
        }
        if self.reports.is_some() {
            return action.map_or_else(Vec::new, |a| self.on_reports_action(a));
        }
        match self.focus {
            Focus::Search => self.on_search_key(key, action),
            Focus::Tree => match action {
                Some(a) if self.changes_view.is_some() => self.on_changes_action(a),
                Some(a) => self.on_tree_action(a),
                None => Vec::new(),
            },
        }
    }

    fn on_tree_action(&mut self, action: Action) -> Vec<Effect> {
        let page = self.tree_height().max(1);
        match action {
            Action::Down => self.select(self.selected.saturating_add(1)),
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::PageDown => self.select(self.selected.saturating_add(page)),
            Action::PageUp => self.select(self.selected.saturating_sub(page)),
            Action::Top => self.select(0),
            Action::Bottom => self.select(usize::MAX),
            Action::Expand | Action::Activate => return self.expand_selected(),
            Action::Collapse => self.collapse_selected(),
            Action::Search => {
                self.focus = Focus::Search;
                return self.run_search();
            }
            Action::Escape => {
                if self.crawl.is_some() {
                    self.info("cancelling…");
                    return vec![Effect::CancelCrawl];
                }
                self.message = None;
            }
            Action::CopyId => return self.copy(false),
            Action::CopyEmail => return self.copy(true),
            Action::JumpLeader => return self.jump_to_leader(),
            Action::Reload => return self.reload_selected(),
            Action::Help => self.help = true,
            Action::Quit => return vec![Effect::Quit],
            Action::CrawlAll => return self.start_crawl(),
            Action::PauseCrawl => return self.toggle_crawl_pause(),
            Action::Changes => return self.open_changes(),
            Action::Reports => return self.open_reports(),
        }
        self.note_selection()
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let areas = super::layout::layout(self.size);
        let pos = Position::new(m.column, m.row);
        if self.changes_view.is_some() {
            // As below for the reporting view.
            match m.kind {
                MouseEventKind::ScrollDown => self.on_changes_action(Action::Down),
                MouseEventKind::ScrollUp => self.on_changes_action(Action::Up),
                _ => Vec::new(),
            };
            return Vec::new();
        }
        if let Some(view) = self.reports.as_mut() {
            // The view covers the tree: the wheel moves through it, clicks do nothing.
            match m.kind {
                MouseEventKind::ScrollDown => view.move_by(3),
                MouseEventKind::ScrollUp => view.move_by(-3),
                _ => {}
            }
            view.keep_visible(usize::from(super::layout::list_inner(areas.tree).height));
            return Vec::new();
        }
        match m.kind {
            MouseEventKind::ScrollDown => {
                if self.showing_results() {
                    self.move_result(3);
                } else {
                    self.select(self.selected.saturating_add(3));
                    return self.note_selection();
                }
            }
            MouseEventKind::ScrollUp => {
                if self.showing_results() {
                    self.move_result(-3);
                } else {
                    self.select(self.selected.saturating_sub(3));
                    return self.note_selection();
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let list = super::layout::list_inner(areas.tree);
                if list.contains(pos) {
                    let row = usize::from(m.row.saturating_sub(list.y));
                    if self.showing_results() {
                        let i = self.search.scroll.saturating_add(row);
                        if i < self.search.rows().len() {
                            self.search.selected = i;
                        }
                    } else {
                        let i = self.scroll.saturating_add(row);
                        if i < self.tree.rows().len() {
                            self.select(i);
                            return self.note_selection();
                        }
                    }
                } else if areas.search.contains(pos) {
                    self.focus = Focus::Search;
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_tick(&mut self) -> Vec<Effect> {
        self.ticks = self.ticks.saturating_add(1);
        let mut fx = Vec::new();
        if let Some((id, at)) = self.detail_wanted.clone()
            && self.ticks >= at.saturating_add(DETAIL_DEBOUNCE_TICKS)
        {
            self.detail_wanted = None;
            if !self.people.is_fetched(&id) {
                fx.push(Effect::Request(Request::LoadUser(id)));
            }
        }
        if let Some((kind, at)) = self.search.pending_remote.clone()
            && self.ticks >= at.saturating_add(REMOTE_DEBOUNCE_TICKS)
        {
            self.search.pending_remote = None;
            self.search.remote_busy = true;
            let generation = self.search.generation;
            match kind {
                QueryKind::Emails(emails) => fx.push(Effect::Request(Request::ResolveEmails {
                    generation,
                    emails,
                })),
                QueryKind::Text(id) => {
                    fx.push(Effect::Request(Request::LookupUserId { generation, id }))
                }
                QueryKind::Empty => self.search.remote_busy = false,
            }
        }
        fx
    }

    fn on_loaded(&mut self, loaded: Loaded) -> Vec<Effect> {
        match loaded {
            Loaded::Root(Ok(root)) => {
                self.root_error = None;
                let id = root.id.clone();
                if self.tree.root.as_ref().is_some_and(|old| *old != id) {
                    // The snapshot was of another org (or the root moved): start over.
                    self.tree = Tree::default();
                    self.people.clear();
                    // Parts of that snapshot still arriving are dropped too.
                    self.snapshot_age = None;
                    // Nothing of this org is known yet.
                    self.index_wanted = self.index_due();
                    self.selected = 0;
                    self.scroll = 0;
                }
                let fx = vec![Effect::IndexAdd(vec![dept_candidate(&root)])];
                self.tree.set_root(root);
                let mut more = self.expand(&id);
                more.extend(fx);
                // After the root's own listings: what is on screen is asked for first.
                more.extend(self.auto_index());
                more
            }
            Loaded::Root(Err(e)) => {
                self.error(&format!("cannot load the root department: {e}"));
                self.root_error = Some(e);
                Vec::new()
            }
            Loaded::Children { dept, result } => self.on_children(&dept, result),
            Loaded::Members { dept, result } => self.on_members(&dept, result),
            Loaded::User { id, result } => match result {
                Ok(user) => {
                    self.detail_errors.remove(&id);
                    let fx = self.after_user_details(&user);
                    self.people.set_full(&user);
                    fx
                }
                Err(e) => {
                    self.detail_errors.insert(id, e);
                    Vec::new()
                }
            },
            Loaded::Users { ids, result } => match result {
                Ok(users) => {
                    let cands = users.iter().map(user_candidate).collect();
                    for u in users {
                        self.remember_user(u);
                    }
                    vec![Effect::IndexAdd(cands)]
                }
                Err(e) => {
                    for id in ids {
                        self.requested_users.remove(&id);
                    }
                    self.error(&e);
                    Vec::new()
                }
            },
            Loaded::Dept { id, result } => match result {
                Ok(d) => {
                    self.extra_depts.insert(id, d);
                    Vec::new()
                }
                Err(e) => {
                    if self.jump.take().is_some() {
                        self.error(&format!("cannot open the way there: {e}"));
                    }
                    Vec::new()
                }
            },
            Loaded::Emails { generation, result } => {
                if generation == self.search.generation {
                    self.search.remote_busy = false;
                    match result {
                        Ok(found) => {
                            let mut cands = Vec::new();
                            self.search.remote = found
                                .into_iter()
                                .map(|m| {
                                    let id = m.user.as_ref().map(|u| u.id.clone());
                                    if let Some(u) = m.user {
                                        cands.push(user_candidate(&u));
                                        self.remember_user(u);
                                    }
                                    ResultRow::Email {
                                        email: m.email,
                                        user: id,
                                    }
                                })
                                .collect();
                            self.clamp_search_selection();
                            let mut fx = vec![Effect::IndexAdd(cands)];
                            fx.extend(self.activate_if_ready());
                            return fx;
                        }
                        Err(e) => {
                            self.search.remote_error = Some(e);
                            self.search.activate_when_ready = false;
                        }
                    }
                }
                Vec::new()
            }
            Loaded::UserById {
                generation,
                id,
                result,
            } => {
                if generation == self.search.generation {
                    self.search.remote_busy = false;
                    if let Ok(u) = result {
                        self.search.remote = vec![ResultRow::UserId(id.clone())];
                        let cand = user_candidate(&u);
                        let fx = self.after_user_details(&u);
                        self.people.set_full(&u);
                        self.clamp_search_selection();
                        let mut fx = fx;
                        fx.push(Effect::IndexAdd(vec![cand]));
                        fx.extend(self.activate_if_ready());
                        return fx;
                    }
                    // Not a user id after all: the fuzzy results stand.
                    return self.activate_if_ready();
                }
                Vec::new()
            }
            Loaded::SnapshotPeople(part) => {
                if self.snapshot_age.is_none() {
                    return Vec::new();
                }
                self.restore_people(part)
            }
            Loaded::SnapshotDone(result) => {
                self.restoring = false;
                if let Err(e) = result {
                    crate::log::warn(&format!("snapshot partly read: {e}"));
                    self.error(&format!("snapshot partly read: {e}"));
                }
                Vec::new()
            }
            Loaded::Changes(result) => self.on_changes(result),
            Loaded::CrawlFound(found) => self.on_crawl_found(found),
            Loaded::CrawlPeople(people) => self.on_crawl_people(people),
            Loaded::CrawlProgress(view) => self.on_crawl_progress(view),
            Loaded::CrawlDone(result) => self.on_crawl_done(result),
            Loaded::Copied(Ok(report)) => {
                self.info(&report);
                Vec::new()
            }
            Loaded::Copied(Err(e)) => {
                self.error(&format!("copy failed: {e}"));
                Vec::new()
            }
        }
    }

    fn info(&mut self, text: &str) {
        self.message = Some((text.to_string(), Level::Info));
    }

    fn error(&mut self, text: &str) {
        self.message = Some((text.to_string(), Level::Error));
    }

    /// Add a part of the snapshot's people. Anything already loaded from the server this
    /// session is newer and stays (see `Roster::restore`); the search index gets each person
    /// as now stored, never the snapshot's older values over newer ones.
    pub fn restore_people(&mut self, part: PeopleRecords) -> Vec<Effect> {
        let mut cands = Vec::with_capacity(part.people.len());
        let mut leaders = part.leaders.into_iter();
        for (id, record, cand) in part.people {
            let leader = leaders.next().flatten();
            let name = Some(cand.name.as_str()).filter(|n| !n.is_empty());
            match self.people.restore(&id, record, name, leader.as_deref()) {
                Restored::Added => cands.push(cand),
                Restored::Merged(user) => cands.push(user_candidate(&user)),
                Restored::Kept => {}
            }
        }
        vec![Effect::IndexAdd(cands)]
    }

    /// A person's name for display, from whatever we have.
    pub fn display_name(&self, id: &str) -> Option<String> {
        self.people.get(id)?.name
    }

    /// The best record we have for a person.
    pub fn user(&self, id: &str) -> Option<User> {
        self.people.get(id)
    }
}

pub fn user_candidate(u: &User) -> Candidate {
    let mut c = crate::snapshot::SearchRecord::of_user(u).candidate(Kind::User);
    c.status = u.status;
    c.dept_ids = u.dept_ids.clone();
    c
}

pub fn dept_candidate(d: &Dept) -> Candidate {
    let mut c = crate::snapshot::SearchRecord::of_dept(d).candidate(Kind::Dept);
    c.path = d.path.clone();
    c
}
