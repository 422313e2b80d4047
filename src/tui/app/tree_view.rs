//! The tree pane: listings arriving (children and members, page by page, a revalidation
//! gathered aside until complete), opening and closing departments, reloading, the
//! selection and its scrolling, and copying the selected id or email.

use super::scroll::scroll_to_show;
use super::*;
use crate::tui::tree_model::{Listing, append_unique};

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

/// The request for a page of one of `dept`'s listings (`None`: the first).
fn page_of(which: Listing, dept: &str, page: Option<String>) -> Effect {
    let dept = dept.to_string();
    Effect::Request(match which {
        Listing::Children => Request::LoadChildren { dept, page },
        Listing::Members => Request::LoadMembers { dept, page },
    })
}

fn first_page(which: Listing, dept: &str) -> Effect {
    page_of(which, dept, None)
}

impl App {
    pub(super) fn on_children(
        &mut self,
        dept: &str,
        result: Result<Page<Dept>, String>,
    ) -> Vec<Effect> {
        self.on_listing(
            dept,
            Listing::Children,
            result,
            dept_candidate,
            |app, dept, items| app.tree.upsert_depts(dept, items),
        )
    }

    pub(super) fn on_members(
        &mut self,
        dept: &str,
        result: Result<Page<User>, String>,
    ) -> Vec<Effect> {
        self.on_listing(
            dept,
            Listing::Members,
            result,
            user_candidate,
            |app, _, items| app.take_users(items),
        )
    }

    /// A page of one of `dept`'s listings arrived (or failed). Its items are indexed and
    /// taken in (`take`, which returns their ids), then added to the listing; the next page
    /// is asked for until the listing ends or must stop. During a revalidation the fresh
    /// listing is gathered aside and replaces the shown one only once complete.
    fn on_listing<T>(
        &mut self,
        dept: &str,
        which: Listing,
        result: Result<Page<T>, String>,
        candidate: fn(&T) -> Candidate,
        take: fn(&mut App, &str, Vec<T>) -> Vec<String>,
    ) -> Vec<Effect> {
        let key = self.selected_kind();
        let mut fx = Vec::new();
        let refreshing = self
            .tree
            .node_mut(dept)
            .is_some_and(|n| n.listing_mut(which).fresh.is_some());
        let failed = match result {
            Ok(page) => {
                fx.push(Effect::IndexAdd(page.items.iter().map(candidate).collect()));
                let name = match which {
                    Listing::Children => children_listing(None, dept),
                    Listing::Members => members_listing(None, dept),
                };
                let (next, stop) = self.tree.node_mut(dept).map_or((None, None), |n| {
                    next_within(n.listing_mut(which).pages, &name, &page)
                });
                let ids = take(self, dept, page.items);
                if let Some(n) = self.tree.node_mut(dept) {
                    let l = n.listing_mut(which);
                    match l.fresh.as_mut() {
                        Some(fresh) if refreshing => {
                            append_unique(fresh, ids);
                            if next.is_none() && stop.is_none() {
                                // Complete: the server's list replaces the snapshot's at once.
                                *l.ids = l.fresh.take().unwrap_or_default();
                                *l.load = Load::Loaded;
                            }
                        }
                        // A department listed twice (a server bug, or a reload) appears
                        // once; one listed under itself is kept, for the rows to show the
                        // cycle.
                        _ if !refreshing => {
                            append_unique(l.ids, ids);
                            if next.is_none() {
                                *l.load = Load::Loaded;
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(token) = next {
                    fx.push(page_of(which, dept, Some(token)));
                }
                // The listing will not end: what arrived stays, the node says why not more.
                stop
            }
            Err(e) => Some(e),
        };
        if let Some(e) = failed
            && let Some(n) = self.tree.node_mut(dept)
        {
            let l = n.listing_mut(which);
            if refreshing {
                // Keep showing the snapshot's list; say that it could not be checked.
                *l.fresh = None;
                self.message = Some((format!("could not refresh: {e}"), Level::Error));
            } else {
                *l.load = Load::Failed(e);
            }
        }
        self.tree.refresh(dept);
        self.reselect(key);
        fx
    }

    /// After a person's details arrive: make sure their leader's name can be shown.
    pub(super) fn after_user_details(&mut self, user: &User) -> Vec<Effect> {
        let mut fx = Vec::new();
        if let Some(l) = &user.leader_id {
            fx.extend(self.want_names(std::slice::from_ref(l)));
        }
        fx
    }

    /// Ask for the records of people we only know by id (leaders), once each.
    pub(super) fn want_names(&mut self, ids: &[String]) -> Vec<Effect> {
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

    pub(super) fn remember_user(&mut self, u: User) {
        self.people.merge_listing(u);
    }

    /// Record people from a listing: merged into what we knew of them. Returns their ids.
    pub(super) fn take_users(&mut self, users: Vec<User>) -> Vec<String> {
        users
            .into_iter()
            .map(|u| self.people.merge_listing(u))
            .collect()
    }

    /// Open a department, starting its loads if it has never loaded.
    pub(super) fn expand(&mut self, id: &str) -> Vec<Effect> {
        let key = self.selected_kind();
        let mut fx = Vec::new();
        let Some(n) = self.tree.node_mut(id) else {
            return fx;
        };
        n.expanded = true;
        let both = [Listing::Children, Listing::Members];
        // From the snapshot: shown at once, and checked against the server in the background.
        let stale = std::mem::take(&mut n.stale);
        for which in both {
            let l = n.listing_mut(which);
            if stale && l.load.is_done() {
                *l.fresh = Some(Vec::new());
                *l.pages = PageGuard::default();
                fx.push(first_page(which, id));
            }
        }
        for which in both {
            let l = n.listing_mut(which);
            if *l.load == Load::NotLoaded {
                *l.load = Load::Loading;
                *l.pages = PageGuard::default();
                fx.push(first_page(which, id));
            }
        }
        let leaders = n.dept.leader_ids.clone();
        fx.extend(self.want_names(&leaders));
        self.tree.refresh(id);
        self.reselect(key);
        fx
    }

    pub(super) fn expand_selected(&mut self) -> Vec<Effect> {
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

    pub(super) fn collapse_selected(&mut self) {
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

    pub(super) fn reload_selected(&mut self) -> Vec<Effect> {
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
                self.people.mark_stale(&id);
                self.detail_errors.remove(&id);
                vec![Effect::Request(Request::LoadUser(id))]
            }
            None => Vec::new(),
        }
    }

    pub(super) fn retry(&mut self, id: &str) -> Vec<Effect> {
        if self.tree.node(id).is_some_and(|n| n.is_loading()) {
            return Vec::new();
        }
        self.tree.reset(id);
        self.info("reloading…");
        self.expand(id)
    }

    pub fn selected_kind(&self) -> Option<RowKind> {
        self.tree.rows().get(self.selected).map(|r| r.kind.clone())
    }

    pub(super) fn select(&mut self, i: usize) {
        let n = self.tree.rows().len();
        self.selected = i.min(n.saturating_sub(1));
        self.keep_selection_visible();
    }

    /// Keep the same row selected across a rebuild (rows above may have appeared).
    pub(super) fn reselect(&mut self, kind: Option<RowKind>) {
        if let Some(k) = kind
            && let Some(i) = self.tree.position(&k)
        {
            self.selected = i;
        }
        self.select(self.selected);
    }

    pub(super) fn keep_selection_visible(&mut self) {
        let h = self.tree_height().max(1);
        self.scroll = scroll_to_show(self.selected, self.scroll, h);
        let max_scroll = self.tree.rows().len().saturating_sub(h);
        self.scroll = self.scroll.min(max_scroll);
    }

    pub fn tree_height(&self) -> usize {
        usize::from(
            crate::tui::layout::list_inner(crate::tui::layout::layout(self.size).tree).height,
        )
    }

    /// A person selected: plan to fetch their details once the selection rests.
    pub(super) fn note_selection(&mut self) -> Vec<Effect> {
        match self.selected_kind() {
            Some(RowKind::User { id, .. }) if !self.people.is_fetched(&id) => {
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

    pub(super) fn copy(&mut self, email: bool) -> Vec<Effect> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::tree_model::tests::dept;

    fn person(id: &str) -> User {
        User {
            id: id.into(),
            name: Some(id.to_uppercase()),
            ..User::default()
        }
    }

    fn page<T>(items: Vec<T>, next: Option<&str>) -> Result<Page<T>, String> {
        Ok(Page {
            items,
            next_page: next.map(Into::into),
            total: None,
        })
    }

    /// Members arrive page by page: each page is indexed and added once, the next page is
    /// asked for, and the listing is complete after the last.
    #[test]
    fn members_arrive_page_by_page() {
        let mut app = App::new("test", KeyMap::default());
        app.tree.set_root(dept("r", None));
        let fx = app.on_members("r", page(vec![person("a"), person("b")], Some("p2")));
        assert!(
            matches!(fx.first(), Some(Effect::IndexAdd(c)) if c.len() == 2),
            "{fx:?}"
        );
        assert_eq!(
            fx.get(1),
            Some(&Effect::Request(Request::LoadMembers {
                dept: "r".into(),
                page: Some("p2".into())
            }))
        );
        assert!(!app.tree.node("r").unwrap().members_load.is_done());
        let fx = app.on_members("r", page(vec![person("b"), person("c")], None));
        assert_eq!(fx.len(), 1, "no further page: {fx:?}");
        let n = app.tree.node("r").unwrap();
        assert_eq!(n.members, ["a", "b", "c"]);
        assert_eq!(n.members_load, Load::Loaded);
        assert!(app.people.contains("c"));
    }

    /// A revalidation gathers the fresh listing aside and swaps it in only when complete;
    /// a failed one keeps what was shown and says so.
    #[test]
    fn a_refresh_replaces_the_listing_only_when_complete() {
        let mut app = App::new("test", KeyMap::default());
        app.tree.set_root(dept("r", None));
        app.on_children("r", page(vec![dept("old", Some("r"))], None));
        app.tree.node_mut("r").unwrap().fresh_children = Some(Vec::new());
        app.on_children("r", page(vec![dept("new1", Some("r"))], Some("p2")));
        assert_eq!(app.tree.node("r").unwrap().children, ["old"], "not yet");
        app.on_children("r", page(vec![dept("new2", Some("r"))], None));
        let n = app.tree.node("r").unwrap();
        assert_eq!(n.children, ["new1", "new2"]);
        assert!(n.fresh_children.is_none());

        app.tree.node_mut("r").unwrap().fresh_children = Some(Vec::new());
        app.on_children("r", Err("boom".into()));
        let n = app.tree.node("r").unwrap();
        assert_eq!(n.children, ["new1", "new2"], "kept");
        assert_eq!(n.children_load, Load::Loaded);
        assert!(
            app.message
                .clone()
                .unwrap()
                .0
                .contains("could not refresh: boom")
        );
    }

    /// A listing that fails without a refresh marks the node failed.
    #[test]
    fn a_failed_listing_is_an_error_on_the_node() {
        let mut app = App::new("test", KeyMap::default());
        app.tree.set_root(dept("r", None));
        app.on_members("r", Err("nope".into()));
        assert_eq!(
            app.tree.node("r").unwrap().members_load,
            Load::Failed("nope".into())
        );
    }
}
