//! The TUI's state and its update function. Pure: a message in (a key, a mouse event, a tick,
//! a finished request), state changed and a list of effects out (requests to make, text to
//! copy). The executor in `runtime::executor` performs the effects and feeds their results back, so
//! tests can drive the whole app with key sequences and real results, without a terminal.

use std::collections::{HashMap, HashSet};

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

mod effect;

pub use effect::{Effect, Loaded, Request};

use super::keys::{Action, KeyMap};
use super::roster::{PeopleRecords, Restored, Roster};
use super::tree::{Load, RowKind, Tree};
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

/// One line of the search results list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultRow {
    Hit(Hit),
    /// An email resolved on the server: the user, or not found.
    Email {
        email: String,
        user: Option<String>,
    },
    /// The query is a user id the server knows.
    UserId(String),
}

#[derive(Debug, Default)]
pub struct SearchState {
    pub input: String,
    /// Bumped on every edit; results for older generations are dropped.
    pub generation: u64,
    pub hits: Vec<Hit>,
    pub remote: Vec<ResultRow>,
    /// The server query waiting for the typing to pause, and when it was last edited.
    pending_remote: Option<(QueryKind, u64)>,
    pub remote_busy: bool,
    pub remote_error: Option<String>,
    pub selected: usize,
    pub scroll: usize,
    /// The generation `hits` answer; older than `generation` while a search is running.
    hits_generation: u64,
    /// Enter was pressed before the results for what is typed arrived: act when they do.
    activate_when_ready: bool,
}

impl SearchState {
    /// True while what is shown does not answer what is typed yet.
    fn is_stale(&self) -> bool {
        self.hits_generation != self.generation || self.pending_remote.is_some() || self.remote_busy
    }

    /// Server answers first (they are exact), then the local fuzzy hits.
    pub fn rows(&self) -> Vec<ResultRow> {
        let mut rows = self.remote.clone();
        let shown: HashSet<&str> = self
            .remote
            .iter()
            .filter_map(|r| match r {
                ResultRow::Email { user: Some(u), .. } | ResultRow::UserId(u) => Some(u.as_str()),
                _ => None,
            })
            .collect();
        rows.extend(
            self.hits
                .iter()
                .filter(|h| !(h.kind == Kind::User && shown.contains(h.id.as_str())))
                .cloned()
                .map(ResultRow::Hit),
        );
        rows
    }
}

/// Why a jump cannot (yet) reach a department.
#[derive(Debug, PartialEq, Eq)]
enum NoWay {
    /// This department's parent is unknown: fetch it and try again.
    Fetch(String),
    /// The parents lead back to this department.
    Loops(String),
    /// The parents end without reaching the root.
    Hopeless,
}

/// A jump in progress: open the departments on the way to a person or department, loading
/// as needed, then select it.
#[derive(Debug, Clone)]
struct Jump {
    target: RowKind,
    /// The department to reach (for a person: the one they are shown in).
    dept: Option<String>,
    /// Departments asked for with LoadDept while walking up to a known one.
    asked: HashSet<String>,
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
    /// Everyone we know, each once: full records (get-user) and listing records.
    pub people: Roster,
    pub detail_errors: HashMap<String, String>,
    /// People whose details were fetched this session. Other details (from the snapshot)
    /// are shown, and fetched again when selected. Kept this way round so a start from a
    /// 100,000-person snapshot does not fill a set with everyone.
    pub fresh_details: HashSet<String>,
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
    /// A crawl in progress (`a`), and how far it got.
    pub crawl: Option<ProgressView>,
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
            people: Roster::default(),
            detail_errors: HashMap::new(),
            fresh_details: HashSet::new(),
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

    /// The effects to start with.
    pub fn init(&mut self) -> Vec<Effect> {
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

    // ---- keys ----

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
        match self.focus {
            Focus::Search => self.on_search_key(key, action),
            Focus::Tree => match action {
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
        }
        self.note_selection()
    }

    fn on_search_key(&mut self, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.focus = Focus::Tree;
                self.search = SearchState {
                    generation: self.search.generation.wrapping_add(1),
                    ..SearchState::default()
                };
                return Vec::new();
            }
            KeyCode::Enter => {
                // Act on the answer to what was typed, not on a shorter prefix's results.
                if self.search.is_stale() {
                    self.search.activate_when_ready = true;
                    return Vec::new();
                }
                return self.activate_result();
            }
            KeyCode::Down => self.move_result(1),
            KeyCode::Up => self.move_result(-1),
            KeyCode::PageDown => self.move_result(10),
            KeyCode::PageUp => self.move_result(-10),
            KeyCode::Char('n') if ctrl => self.move_result(1),
            KeyCode::Char('p') if ctrl => self.move_result(-1),
            KeyCode::Char('u') if ctrl => {
                self.search.input.clear();
                return self.run_search();
            }
            KeyCode::Backspace => {
                self.search.input.pop();
                return self.run_search();
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                // Pasted text arrives as key presses too; newlines become spaces below.
                if self.search.input.chars().count() < 4096 {
                    self.search.input.push(c);
                }
                return self.run_search();
            }
            _ => {
                if matches!(action, Some(Action::Quit)) && ctrl {
                    return vec![Effect::Quit];
                }
            }
        }
        Vec::new()
    }

    /// Pasted text (bracketed paste): newlines separate emails.
    pub fn paste(&mut self, text: &str) -> Vec<Effect> {
        if self.focus != Focus::Search {
            self.focus = Focus::Search;
        }
        let cleaned: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(4096)
            .collect();
        self.search.input.push_str(&cleaned);
        let fx = self.run_search();
        self.counted(fx)
    }

    // ---- mouse ----

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let areas = super::layout::layout(self.size);
        let pos = Position::new(m.column, m.row);
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

    // ---- ticks ----

    fn on_tick(&mut self) -> Vec<Effect> {
        self.ticks = self.ticks.saturating_add(1);
        let mut fx = Vec::new();
        if let Some((id, at)) = self.detail_wanted.clone()
            && self.ticks >= at.saturating_add(DETAIL_DEBOUNCE_TICKS)
        {
            self.detail_wanted = None;
            if !self.fresh_details.contains(&id) {
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

    // ---- results ----

    fn on_loaded(&mut self, loaded: Loaded) -> Vec<Effect> {
        match loaded {
            Loaded::Root(Ok(root)) => {
                self.root_error = None;
                let id = root.id.clone();
                if self.tree.root.as_ref().is_some_and(|old| *old != id) {
                    // The snapshot was of another org (or the root moved): start over.
                    self.tree = Tree::default();
                    self.people.clear();
                    self.fresh_details.clear();
                    // Parts of that snapshot still arriving are dropped too.
                    self.snapshot_age = None;
                    self.selected = 0;
                    self.scroll = 0;
                }
                let fx = vec![Effect::IndexAdd(vec![dept_candidate(&root)])];
                self.tree.set_root(root);
                let mut more = self.expand(&id);
                more.extend(fx);
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
                    self.fresh_details.insert(id.clone());
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
                        self.fresh_details.insert(id.clone());
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
            Loaded::CrawlFound(found) => self.on_crawl_found(found),
            Loaded::CrawlProgress(view) => {
                if self.crawl.is_some() {
                    self.crawl = Some(view);
                }
                Vec::new()
            }
            Loaded::CrawlDone(result) => {
                self.crawl = None;
                match result {
                    Ok(v) => {
                        let msg = format!(
                            "loaded {} departments, {} people in {:.1} s",
                            v.depts_done,
                            v.people,
                            v.elapsed.as_secs_f64()
                        );
                        self.info(&msg);
                        return vec![Effect::SaveSnapshot];
                    }
                    Err(e) => self.error(&format!("loading stopped: {e}")),
                }
                Vec::new()
            }
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

    fn on_children(&mut self, dept: &str, result: Result<Page<Dept>, String>) -> Vec<Effect> {
        let key = self.selected_kind();
        let mut fx = Vec::new();
        let refreshing = self
            .tree
            .node(dept)
            .is_some_and(|n| n.fresh_children.is_some());
        match result {
            Ok(page) => {
                fx.push(Effect::IndexAdd(
                    page.items.iter().map(dept_candidate).collect(),
                ));
                let (next, stop) = self.tree.node_mut(dept).map_or((None, None), |n| {
                    next_within(&mut n.children_pages, &children_listing(None, dept), &page)
                });
                if refreshing {
                    let ids = self.tree.upsert_depts(dept, page.items);
                    if let Some(n) = self.tree.node_mut(dept)
                        && let Some(fresh) = n.fresh_children.as_mut()
                    {
                        super::tree::append_unique(fresh, ids);
                        if next.is_none() && stop.is_none() {
                            // Complete: the server's list replaces the snapshot's at once.
                            n.children = n.fresh_children.take().unwrap_or_default();
                            n.children_load = Load::Loaded;
                        }
                    }
                } else {
                    self.tree.add_children(dept, page.items);
                    if next.is_none()
                        && let Some(n) = self.tree.node_mut(dept)
                    {
                        n.children_load = Load::Loaded;
                    }
                }
                if let Some(e) = stop
                    && let Some(n) = self.tree.node_mut(dept)
                {
                    // The listing will not end: what arrived stays, the node says why not more.
                    if refreshing {
                        n.fresh_children = None;
                        self.message = Some((format!("could not refresh: {e}"), Level::Error));
                    } else {
                        n.children_load = Load::Failed(e);
                    }
                }
                if let Some(token) = next {
                    fx.push(Effect::Request(Request::LoadChildren {
                        dept: dept.to_string(),
                        page: Some(token),
                    }));
                }
            }
            Err(e) => {
                if let Some(n) = self.tree.node_mut(dept) {
                    if refreshing {
                        // Keep showing the snapshot's list; say that it could not be checked.
                        n.fresh_children = None;
                        self.message = Some((format!("could not refresh: {e}"), Level::Error));
                    } else {
                        n.children_load = Load::Failed(e);
                    }
                }
            }
        }
        self.tree.refresh(dept);
        self.reselect(key);
        fx
    }

    fn on_members(&mut self, dept: &str, result: Result<Page<User>, String>) -> Vec<Effect> {
        let key = self.selected_kind();
        let mut fx = Vec::new();
        let refreshing = self
            .tree
            .node(dept)
            .is_some_and(|n| n.fresh_members.is_some());
        match result {
            Ok(page) => {
                fx.push(Effect::IndexAdd(
                    page.items.iter().map(user_candidate).collect(),
                ));
                let (next, stop) = self.tree.node_mut(dept).map_or((None, None), |n| {
                    next_within(&mut n.members_pages, &members_listing(None, dept), &page)
                });
                if refreshing {
                    let ids = self.take_users(page.items);
                    if let Some(n) = self.tree.node_mut(dept)
                        && let Some(fresh) = n.fresh_members.as_mut()
                    {
                        super::tree::append_unique(fresh, ids);
                        if next.is_none() && stop.is_none() {
                            n.members = n.fresh_members.take().unwrap_or_default();
                            n.members_load = Load::Loaded;
                        }
                    }
                } else {
                    let ids = self.take_users(page.items);
                    self.tree.add_member_ids(dept, ids);
                    if next.is_none()
                        && let Some(n) = self.tree.node_mut(dept)
                    {
                        n.members_load = Load::Loaded;
                    }
                }
                if let Some(e) = stop
                    && let Some(n) = self.tree.node_mut(dept)
                {
                    if refreshing {
                        n.fresh_members = None;
                        self.message = Some((format!("could not refresh: {e}"), Level::Error));
                    } else {
                        n.members_load = Load::Failed(e);
                    }
                }
                if let Some(token) = next {
                    fx.push(Effect::Request(Request::LoadMembers {
                        dept: dept.to_string(),
                        page: Some(token),
                    }));
                }
            }
            Err(e) => {
                if let Some(n) = self.tree.node_mut(dept) {
                    if refreshing {
                        n.fresh_members = None;
                        self.message = Some((format!("could not refresh: {e}"), Level::Error));
                    } else {
                        n.members_load = Load::Failed(e);
                    }
                }
            }
        }
        self.tree.refresh(dept);
        self.reselect(key);
        fx
    }

    /// After a person's details arrive: make sure their leader's name can be shown.
    fn after_user_details(&mut self, user: &User) -> Vec<Effect> {
        let mut fx = Vec::new();
        if let Some(l) = &user.leader_id {
            fx.extend(self.want_names(std::slice::from_ref(l)));
        }
        fx
    }

    /// Ask for the records of people we only know by id (leaders), once each.
    fn want_names(&mut self, ids: &[String]) -> Vec<Effect> {
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| self.display_name(id).is_none() && !self.requested_users.contains(*id))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Vec::new();
        }
        self.requested_users.extend(missing.iter().cloned());
        vec![Effect::Request(Request::LoadUsers(missing))]
    }

    fn remember_user(&mut self, u: User) {
        self.people.merge_listing(u);
    }

    /// Record people from a listing: merged into what we knew of them. Returns their ids.
    fn take_users(&mut self, users: Vec<User>) -> Vec<String> {
        users
            .into_iter()
            .map(|u| self.people.merge_listing(u))
            .collect()
    }

    // ---- crawling ----

    /// `a`: load everything under the selected department (or the root).
    fn start_crawl(&mut self) -> Vec<Effect> {
        if self.crawl.is_some() {
            self.info("already loading (Esc cancels)");
            return Vec::new();
        }
        let id = match self.selected_kind() {
            Some(RowKind::Dept(id)) => Some(id),
            Some(
                RowKind::User { dept, .. }
                | RowKind::Loading(dept)
                | RowKind::Error(dept)
                | RowKind::Cycle { dept, .. },
            ) => Some(dept),
            None => self.tree.root.clone(),
        };
        let Some(dept) = id
            .and_then(|id| self.tree.node(&id))
            .map(|n| n.dept.clone())
        else {
            return Vec::new();
        };
        self.crawl = Some(ProgressView {
            depts_known: 1,
            depts_done: 0,
            people: 0,
            requests: 0,
            elapsed: std::time::Duration::ZERO,
        });
        vec![Effect::Crawl(dept)]
    }

    /// A department's complete listings from the crawler: they become its loaded state.
    fn on_crawl_found(&mut self, found: crate::crawl::Found) -> Vec<Effect> {
        let mut cands: Vec<Candidate> = found.children.iter().map(dept_candidate).collect();
        let id = found.dept_id;
        self.tree.add_children(&id, found.children);
        if let Some(members) = found.members {
            cands.extend(members.iter().map(user_candidate));
            let ids = self.take_users(members);
            self.tree.add_member_ids(&id, ids);
            if let Some(n) = self.tree.node_mut(&id)
                && n.members_load != Load::Loading
            {
                n.members_load = Load::Loaded;
            }
        }
        let mut visible = false;
        if let Some(n) = self.tree.node_mut(&id) {
            // A listing the tree is paging through itself finishes on its own.
            if n.children_load != Load::Loading {
                n.children_load = Load::Loaded;
            }
            visible = n.expanded;
        }
        // Rows change only for open departments; the rest is drawn from node data.
        if visible {
            let key = self.selected_kind();
            self.tree.refresh(&id);
            self.reselect(key);
        }
        vec![Effect::IndexAdd(cands)]
    }

    // ---- tree operations ----

    /// Open a department, starting its loads if it has never loaded.
    fn expand(&mut self, id: &str) -> Vec<Effect> {
        let key = self.selected_kind();
        let mut fx = Vec::new();
        let Some(n) = self.tree.node_mut(id) else {
            return fx;
        };
        n.expanded = true;
        // From the snapshot: shown at once, and checked against the server in the background.
        if n.stale {
            n.stale = false;
            if n.children_load.is_done() {
                n.fresh_children = Some(Vec::new());
                n.children_pages = PageGuard::default();
                fx.push(Effect::Request(Request::LoadChildren {
                    dept: id.to_string(),
                    page: None,
                }));
            }
            if n.members_load.is_done() {
                n.fresh_members = Some(Vec::new());
                n.members_pages = PageGuard::default();
                fx.push(Effect::Request(Request::LoadMembers {
                    dept: id.to_string(),
                    page: None,
                }));
            }
        }
        if n.children_load == Load::NotLoaded {
            n.children_load = Load::Loading;
            n.children_pages = PageGuard::default();
            fx.push(Effect::Request(Request::LoadChildren {
                dept: id.to_string(),
                page: None,
            }));
        }
        if n.members_load == Load::NotLoaded {
            n.members_load = Load::Loading;
            n.members_pages = PageGuard::default();
            fx.push(Effect::Request(Request::LoadMembers {
                dept: id.to_string(),
                page: None,
            }));
        }
        let leaders = n.dept.leader_ids.clone();
        fx.extend(self.want_names(&leaders));
        self.tree.refresh(id);
        self.reselect(key);
        fx
    }

    fn expand_selected(&mut self) -> Vec<Effect> {
        match self.selected_kind() {
            Some(RowKind::Dept(id)) => {
                let open = self.tree.node(&id).is_some_and(|n| n.expanded);
                if open {
                    // Already open: step into it.
                    self.select(self.selected.saturating_add(1));
                    self.note_selection()
                } else {
                    self.expand(&id)
                }
            }
            Some(RowKind::User { id, .. }) => {
                // "Open the detail": fetch it now rather than after the debounce.
                if self.people.is_full(&id) {
                    Vec::new()
                } else {
                    self.detail_wanted = None;
                    vec![Effect::Request(Request::LoadUser(id))]
                }
            }
            Some(RowKind::Error(id)) => self.retry(&id),
            _ => Vec::new(),
        }
    }

    fn collapse_selected(&mut self) {
        let Some(kind) = self.selected_kind() else {
            return;
        };
        if let RowKind::Dept(id) = &kind
            && let Some(n) = self.tree.node_mut(id)
            && n.expanded
        {
            n.expanded = false;
            self.tree.refresh(id);
            self.reselect(Some(kind));
            return;
        }
        // Otherwise go to the parent department's row.
        let parent = match &kind {
            RowKind::Dept(id) => self.tree.parent(id).map(str::to_string),
            RowKind::User { dept, .. }
            | RowKind::Loading(dept)
            | RowKind::Error(dept)
            | RowKind::Cycle { dept, .. } => Some(dept.clone()),
        };
        if let Some(p) = parent
            && let Some(i) = self.tree.position(&RowKind::Dept(p))
        {
            self.select(i);
        }
    }

    fn reload_selected(&mut self) -> Vec<Effect> {
        if self.tree.root.is_none() {
            self.root_error = None;
            return vec![Effect::Request(Request::LoadRoot)];
        }
        match self.selected_kind() {
            Some(
                RowKind::Dept(id)
                | RowKind::Error(id)
                | RowKind::Loading(id)
                | RowKind::Cycle { dept: id, .. },
            ) => self.retry(&id),
            Some(RowKind::User { id, .. }) => {
                // What is shown stays until the new record replaces it.
                self.fresh_details.remove(&id);
                self.detail_errors.remove(&id);
                vec![Effect::Request(Request::LoadUser(id))]
            }
            None => Vec::new(),
        }
    }

    fn retry(&mut self, id: &str) -> Vec<Effect> {
        if self.tree.node(id).is_some_and(|n| n.is_loading()) {
            return Vec::new();
        }
        self.tree.reset(id);
        self.info("reloading…");
        self.expand(id)
    }

    // ---- selection ----

    pub fn selected_kind(&self) -> Option<RowKind> {
        self.tree.rows().get(self.selected).map(|r| r.kind.clone())
    }

    fn select(&mut self, i: usize) {
        let n = self.tree.rows().len();
        self.selected = i.min(n.saturating_sub(1));
        self.keep_selection_visible();
    }

    /// Keep the same row selected across a rebuild (rows above may have appeared).
    fn reselect(&mut self, kind: Option<RowKind>) {
        if let Some(k) = kind
            && let Some(i) = self.tree.position(&k)
        {
            self.selected = i;
        }
        self.select(self.selected);
    }

    fn keep_selection_visible(&mut self) {
        let h = self.tree_height().max(1);
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll.saturating_add(h) {
            self.scroll = self.selected.saturating_add(1).saturating_sub(h);
        }
        let max_scroll = self.tree.rows().len().saturating_sub(h);
        self.scroll = self.scroll.min(max_scroll);
    }

    pub fn tree_height(&self) -> usize {
        usize::from(super::layout::list_inner(super::layout::layout(self.size).tree).height)
    }

    /// A person selected: plan to fetch their details once the selection rests.
    fn note_selection(&mut self) -> Vec<Effect> {
        match self.selected_kind() {
            Some(RowKind::User { id, .. }) if !self.fresh_details.contains(&id) => {
                self.detail_wanted = Some((id, self.ticks));
                Vec::new()
            }
            Some(RowKind::Dept(id)) => {
                let leaders = self
                    .tree
                    .node(&id)
                    .map(|n| n.dept.leader_ids.clone())
                    .unwrap_or_default();
                self.want_names(&leaders)
            }
            _ => Vec::new(),
        }
    }

    // ---- search ----

    pub fn showing_results(&self) -> bool {
        !self.search.input.trim().is_empty()
    }

    fn run_search(&mut self) -> Vec<Effect> {
        self.search.generation = self.search.generation.wrapping_add(1);
        self.search.selected = 0;
        self.search.scroll = 0;
        self.search.remote.clear();
        self.search.remote_error = None;
        self.search.remote_busy = false;
        let generation = self.search.generation;
        let kind = search::classify(&self.search.input);
        self.search.pending_remote = match &kind {
            QueryKind::Emails(_) => Some((kind.clone(), self.ticks)),
            QueryKind::Text(t) if looks_like_id(t) => Some((kind.clone(), self.ticks)),
            _ => None,
        };
        match kind {
            // No local search runs for these: what is shown already answers the query.
            QueryKind::Empty | QueryKind::Emails(_) => {
                self.search.hits.clear();
                self.search.hits_generation = generation;
                Vec::new()
            }
            QueryKind::Text(query) => vec![Effect::Search { generation, query }],
        }
    }

    fn activate_if_ready(&mut self) -> Vec<Effect> {
        if self.search.activate_when_ready && !self.search.is_stale() {
            self.search.activate_when_ready = false;
            return self.activate_result();
        }
        Vec::new()
    }

    fn move_result(&mut self, delta: isize) {
        let n = self.search.rows().len();
        if n == 0 {
            return;
        }
        let cur = self.search.selected as isize;
        let last = isize::try_from(n).unwrap_or(isize::MAX).saturating_sub(1);
        self.search.selected = cur.saturating_add(delta).clamp(0, last) as usize;
        let h = self.tree_height().max(1);
        if self.search.selected < self.search.scroll {
            self.search.scroll = self.search.selected;
        } else if self.search.selected >= self.search.scroll.saturating_add(h) {
            self.search.scroll = self.search.selected.saturating_add(1).saturating_sub(h);
        }
        self.want_result_detail();
    }

    /// The highlighted result's details, once the highlight rests (as in the tree).
    fn want_result_detail(&mut self) {
        let id = match self.search.rows().get(self.search.selected) {
            Some(ResultRow::Hit(h)) if h.kind == Kind::User => Some(h.id.clone()),
            Some(ResultRow::Email { user: Some(id), .. }) => Some(id.clone()),
            _ => None,
        };
        if let Some(id) = id.filter(|id| !self.people.is_full(id)) {
            self.detail_wanted = Some((id, self.ticks));
        }
    }

    fn clamp_search_selection(&mut self) {
        let n = self.search.rows().len();
        if self.search.selected >= n {
            self.search.selected = n.saturating_sub(1);
        }
    }

    fn activate_result(&mut self) -> Vec<Effect> {
        let rows = self.search.rows();
        let Some(row) = rows.get(self.search.selected) else {
            return Vec::new();
        };
        let target = match row {
            ResultRow::Hit(h) if h.kind == Kind::Dept => RowKind::Dept(h.id.clone()),
            ResultRow::Hit(h) => RowKind::User {
                id: h.id.clone(),
                dept: String::new(),
            },
            ResultRow::Email { user: Some(id), .. } | ResultRow::UserId(id) => RowKind::User {
                id: id.clone(),
                dept: String::new(),
            },
            ResultRow::Email { email, user: None } => {
                let msg = format!("no one with the email {email}");
                self.error(&msg);
                return Vec::new();
            }
        };
        self.focus = Focus::Tree;
        self.search = SearchState {
            generation: self.search.generation.wrapping_add(1),
            ..SearchState::default()
        };
        self.start_jump(target)
    }

    // ---- jumping ----

    fn jump_to_leader(&mut self) -> Vec<Effect> {
        let Some(RowKind::User { id, .. }) = self.selected_kind() else {
            self.info("select a person to jump to their leader");
            return Vec::new();
        };
        let leader = self.user(&id).and_then(|u| u.leader_id);
        match leader {
            Some(l) => self.start_jump(RowKind::User {
                id: l,
                dept: String::new(),
            }),
            None if self.people.is_full(&id) => {
                self.info("no leader on record");
                Vec::new()
            }
            None => {
                self.info("loading details first…");
                vec![Effect::Request(Request::LoadUser(id))]
            }
        }
    }

    fn start_jump(&mut self, target: RowKind) -> Vec<Effect> {
        self.jump = Some(Jump {
            target,
            dept: None,
            asked: HashSet::new(),
        });
        self.advance_jump()
    }

    /// One step of a jump: called after every result until the target row is visible.
    fn advance_jump(&mut self) -> Vec<Effect> {
        let Some(mut jump) = self.jump.take() else {
            return Vec::new();
        };
        // Which department to open up to.
        if jump.dept.is_none() {
            jump.dept = match &jump.target {
                RowKind::Dept(id) => Some(id.clone()),
                RowKind::User { id, .. } => {
                    let known = self.user(id);
                    match known.and_then(|u| u.dept_ids.into_iter().next()) {
                        Some(d) => Some(d),
                        None if self.detail_errors.contains_key(id) => {
                            self.error("cannot find where that person sits");
                            return Vec::new();
                        }
                        None => {
                            let fx = if self.people.is_full(id) {
                                self.error("that person is in no department");
                                return Vec::new();
                            } else {
                                vec![Effect::Request(Request::LoadUser(id.clone()))]
                            };
                            self.jump = Some(jump);
                            return fx;
                        }
                    }
                }
                _ => None,
            };
        }
        let Some(dept) = jump.dept.clone() else {
            return Vec::new();
        };
        let mut fx = Vec::new();
        let chain = match self.chain_via_extra(&dept) {
            Ok(chain) => chain,
            Err(NoWay::Fetch(unknown)) => {
                if jump.asked.insert(unknown.clone()) {
                    fx.push(Effect::Request(Request::LoadDept(unknown)));
                    self.jump = Some(jump);
                } else if self.in_flight == 0 {
                    self.error("cannot find the way to that department");
                }
                // Otherwise still waiting for an answer.
                else {
                    self.jump = Some(jump);
                }
                return fx;
            }
            Err(NoWay::Loops(at)) => {
                let at = crate::text::sanitize_line(&at, 80);
                self.error(&format!(
                    "cannot find the way to that department: its parents loop at {at}"
                ));
                return fx;
            }
            Err(NoWay::Hopeless) => {
                self.error("cannot find the way to that department");
                return fx;
            }
        };
        // Open each department on the way; wait for a level's children before the next.
        let last = chain.len().saturating_sub(1);
        for (i, id) in chain.iter().enumerate() {
            let Some(n) = self.tree.node(id) else {
                self.jump = Some(jump);
                return fx;
            };
            let wants_open = i < last || matches!(jump.target, RowKind::User { .. });
            if wants_open && !n.expanded {
                fx.extend(self.expand(id));
            }
            let Some(n) = self.tree.node(id) else {
                break;
            };
            if let Some(e) = n.error() {
                let msg = format!("cannot open the way there: {e}");
                self.error(&msg);
                return fx;
            }
            if i < last
                && !chain
                    .get(i.saturating_add(1))
                    .is_some_and(|next| n.children.contains(next))
            {
                if n.children_load.is_done() {
                    self.error("that department is no longer there");
                    return fx;
                }
                self.jump = Some(jump);
                return fx;
            }
        }
        let row = match &jump.target {
            RowKind::User { id, .. } => RowKind::User {
                id: id.clone(),
                dept: dept.clone(),
            },
            other => other.clone(),
        };
        match self.tree.position(&row) {
            Some(i) => {
                self.select(i);
                // Put it in the middle of the view.
                let h = self.tree_height();
                self.scroll = i.saturating_sub(h / 2);
                self.keep_selection_visible();
                fx.extend(self.note_selection());
            }
            None => {
                let done = self
                    .tree
                    .node(&dept)
                    .is_none_or(|n| n.members_load.is_done());
                if done {
                    self.error("not found in that department");
                } else {
                    self.jump = Some(jump);
                }
            }
        }
        fx
    }

    /// The chain from the root to `dept`, using the tree and the departments fetched for
    /// the jump. `Err(NoWay::Fetch(id))`: `id`'s parent is unknown, fetch it.
    fn chain_via_extra(&self, dept: &str) -> Result<Vec<String>, NoWay> {
        let mut below = Vec::new();
        let mut cur = dept.to_string();
        // The departments walked through: parents from the server may loop.
        let mut seen = HashSet::new();
        // Walk up through fetched departments until one the tree can place.
        for _ in 0..64 {
            if let Some(mut chain) = self.tree.chain_to(&cur) {
                chain.extend(below.into_iter().rev());
                return Ok(chain);
            }
            if !seen.insert(cur.clone()) {
                return Err(NoWay::Loops(cur));
            }
            if self.tree.depts.contains_key(&cur) && self.tree.parent(&cur).is_none() {
                return Err(NoWay::Hopeless);
            }
            let parent = match self.tree.parent(&cur) {
                Some(p) => Some(p.to_string()),
                None => match self.extra_depts.get(&cur) {
                    Some(d) => d.parent_id.clone(),
                    None => return Err(NoWay::Fetch(cur)),
                },
            };
            match parent {
                Some(p) => {
                    below.push(cur);
                    cur = p;
                }
                None => return Err(NoWay::Hopeless),
            }
        }
        Err(NoWay::Hopeless)
    }

    // ---- clipboard ----

    fn copy(&mut self, email: bool) -> Vec<Effect> {
        let (text, what) = match self.selected_kind() {
            Some(RowKind::User { id, .. }) => {
                if email {
                    match self.user(&id).and_then(|u| u.email) {
                        Some(e) => (e, "email"),
                        None => {
                            self.info("no email on record");
                            return Vec::new();
                        }
                    }
                } else {
                    (id, "user id")
                }
            }
            Some(RowKind::Dept(id)) if !email => (id, "department id"),
            Some(RowKind::Dept(_)) => {
                self.info("departments have no email");
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        vec![Effect::Copy {
            text,
            what: what.to_string(),
        }]
    }

    // ---- messages ----

    fn info(&mut self, text: &str) {
        self.message = Some((text.to_string(), Level::Info));
    }

    fn error(&mut self, text: &str) {
        self.message = Some((text.to_string(), Level::Error));
    }

    /// A person's name for display, from whatever we have.
    /// Add a part of the snapshot's people. Anything already loaded from the server this
    /// session is newer and stays (see `Roster::restore`); the search index gets each person
    /// as now stored, never the snapshot's older values over newer ones.
    pub fn restore_people(&mut self, part: PeopleRecords) -> Vec<Effect> {
        let mut cands = Vec::with_capacity(part.people.len());
        for (id, record, cand) in part.people {
            match self.people.restore(&id, record) {
                Restored::Added => cands.push(cand),
                Restored::Merged(user) => cands.push(user_candidate(&user)),
                Restored::Kept => {}
            }
        }
        vec![Effect::IndexAdd(cands)]
    }

    pub fn display_name(&self, id: &str) -> Option<String> {
        self.people.get(id)?.name
    }

    /// The best record we have for a person.
    pub fn user(&self, id: &str) -> Option<User> {
        self.people.get(id)
    }
}

/// Ids are short tokens without spaces or `@`; names can look like that too, so an id lookup
/// is only a guess that runs alongside the fuzzy search.
fn looks_like_id(t: &str) -> bool {
    (2..=64).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && t.chars().any(|c| c.is_ascii_digit())
}

pub fn user_candidate(u: &User) -> Candidate {
    crate::snapshot::SearchRecord::of_user(u).candidate(Kind::User)
}

pub fn dept_candidate(d: &Dept) -> Candidate {
    crate::snapshot::SearchRecord::of_dept(d).candidate(Kind::Dept)
}

/// The token to ask for after `page`, or why the listing must stop (it repeats a token,
/// or runs past its total or `directory::MAX_PAGES`): then no next page is asked for.
fn next_within<T>(
    guard: &mut PageGuard,
    listing: &str,
    page: &Page<T>,
) -> (Option<String>, Option<String>) {
    let token = page.next_page.clone();
    match guard.next_page(listing, token, page.total, page.items.len()) {
        Ok(next) => (next, None),
        Err(e) => (None, Some(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::tree::tests::dept;

    /// A jump to a department whose fetched parents loop (x → y → x, never reaching the
    /// root) stops at the loop and says so, asking for nothing more.
    #[test]
    fn a_jump_through_looping_parents_names_the_loop() {
        let mut app = App::new("test", KeyMap::default());
        app.tree.set_root(dept("r", None));
        app.extra_depts.insert("x".into(), dept("x", Some("y")));
        app.extra_depts.insert("y".into(), dept("y", Some("x")));
        assert_eq!(app.chain_via_extra("x"), Err(NoWay::Loops("x".into())));
        let fx = app.start_jump(RowKind::Dept("x".into()));
        assert!(fx.is_empty(), "{fx:?}");
        let (text, level) = app.message.clone().unwrap();
        assert_eq!(level, Level::Error);
        assert!(text.contains("parents loop at x"), "{text}");
        assert!(app.jump.is_none());
    }
}
