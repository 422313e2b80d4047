//! Loading everything under a department (the crawler), so search covers the whole org:
//! `a` by hand, or the background index a start runs when the snapshot is missing or old
//! (`IndexSettings`). `p` pauses and resumes either; Esc cancels.

use super::*;
use crate::config::IndexSettings;
use crate::crawl::Members;

/// A crawl in progress, and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlRun {
    pub view: ProgressView,
    /// Started on its own at launch (the background index), not by `a`.
    pub background: bool,
    pub paused: bool,
}

impl App {
    /// Index settings the browser starts with: none (tests and other embedders opt in); the
    /// runtime sets the configured ones before `init`.
    pub(super) fn no_index() -> IndexSettings {
        IndexSettings {
            auto: false,
            ..IndexSettings::default()
        }
    }

    /// Whether this start should index the whole org in the background: indexing on, a
    /// server to ask, and no snapshot or one older than `index.max_age`.
    pub fn index_due(&self) -> bool {
        self.index.auto
            && !self.offline
            && self.snapshot_age.is_none_or(|age| age > self.index.max_age)
    }

    /// Once the root is known: the background index, when this start wants one.
    pub(super) fn auto_index(&mut self) -> Vec<Effect> {
        if !std::mem::take(&mut self.index_wanted) || self.crawl.is_some() {
            return Vec::new();
        }
        let Some(root) = self
            .tree
            .root
            .as_ref()
            .and_then(|id| self.tree.node(id))
            .map(|n| n.dept.clone())
        else {
            return Vec::new();
        };
        self.begin_crawl(root, true)
    }

    /// `a`: load everything under the selected department (or the root).
    pub(super) fn start_crawl(&mut self) -> Vec<Effect> {
        if let Some(run) = self.crawl.as_mut() {
            if run.background {
                // Asked for now: the index becomes the user's, with every slot.
                run.background = false;
                self.info("loading everything at full speed");
                return vec![Effect::HurryCrawl];
            }
            self.info("already loading (p pauses, Esc cancels)");
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
        self.begin_crawl(dept, false)
    }

    fn begin_crawl(&mut self, start: Dept, background: bool) -> Vec<Effect> {
        self.crawl = Some(CrawlRun {
            view: ProgressView {
                depts_known: 1,
                ..ProgressView::default()
            },
            background,
            paused: false,
        });
        vec![Effect::Crawl { start, background }]
    }

    /// `p`: pause or resume the crawl; requests already out finish, no new ones start.
    pub(super) fn toggle_crawl_pause(&mut self) -> Vec<Effect> {
        let Some(run) = self.crawl.as_mut() else {
            self.info("nothing is loading (a loads everything)");
            return Vec::new();
        };
        run.paused = !run.paused;
        let paused = run.paused;
        self.message = None;
        vec![Effect::PauseCrawl(paused)]
    }

    pub(super) fn on_crawl_progress(&mut self, view: ProgressView) -> Vec<Effect> {
        let Some(run) = self.crawl.as_mut() else {
            return Vec::new();
        };
        run.view = view;
        self.refresh_search()
    }

    pub(super) fn on_crawl_done(&mut self, result: Result<ProgressView, String>) -> Vec<Effect> {
        let background = self.crawl.take().is_some_and(|r| r.background);
        match result {
            Ok(v) => {
                let msg = format!(
                    "loaded {} departments, {} people in {:.1} s",
                    v.depts_done,
                    v.people,
                    v.elapsed.as_secs_f64()
                );
                // Nobody asked for the index: it does not cover what the user did meanwhile.
                if !background || self.message.is_none() {
                    self.info(&msg);
                }
                let mut fx = vec![Effect::SaveSnapshot];
                fx.extend(self.refresh_search());
                fx
            }
            Err(e) => {
                self.error(&format!("loading stopped: {e}"));
                Vec::new()
            }
        }
    }

    /// The query again over an index that has grown, so what is typed while the crawl runs
    /// finds the people it brings in. The selection and the server's answers stay.
    fn refresh_search(&mut self) -> Vec<Effect> {
        // A lookup at the server answers the current generation: not while one is out.
        if !self.showing_results()
            || self.search.pending_remote.is_some()
            || self.search.remote_busy
        {
            return Vec::new();
        }
        let QueryKind::Text(query) = search::classify(&self.search.input) else {
            return Vec::new();
        };
        self.search.generation = self.search.generation.wrapping_add(1);
        vec![Effect::Search {
            generation: self.search.generation,
            query,
        }]
    }

    /// For the search pane while a crawl runs: `searching 1,234 people so far — indexing
    /// 12/40 departments`, so results are known to cover only part of the org.
    pub fn coverage_note(&self) -> Option<String> {
        let run = self.crawl.as_ref()?;
        let what = if run.background {
            "indexing"
        } else {
            "loading"
        };
        let state = if run.paused { " (paused)" } else { "" };
        Some(format!(
            "searching {} people so far — {what}{state} {}/{} departments",
            thousands(self.people.len() as u64),
            thousands(run.view.depts_listed),
            thousands(run.view.depts_known)
        ))
    }

    /// People from the crawl's company-wide listing, before their departments are placed:
    /// known and searchable now. Their `Found` lists them again, in their departments.
    pub(super) fn on_crawl_people(&mut self, people: Vec<User>) -> Vec<Effect> {
        // Known people the listing only repeats (a start from a snapshot) are not indexed
        // again: at 100,000 people that is the whole index rebuilt for nothing.
        let mut cands = Vec::new();
        for u in people {
            let cand = user_candidate(&u);
            if self.people.merge_changed(u).1 {
                cands.push(cand);
            }
        }
        vec![Effect::IndexAdd(cands)]
    }

    /// A department's complete listings from the crawler: they become its loaded state.
    pub(super) fn on_crawl_found(&mut self, found: crate::crawl::Found) -> Vec<Effect> {
        let mut cands: Vec<Candidate> = found.children.iter().map(dept_candidate).collect();
        let id = found.dept_id;
        self.tree.add_children(&id, found.children);
        if let Some(members) = found.members {
            // Streamed people come again in their departments, as ids: their records are
            // in the roster and the index already. Listing records (per-department
            // listings, or a bulk listing refused midway) are taken as always.
            let ids = match members {
                Members::Ids(ids) => ids,
                Members::Records(users) => {
                    let mut ids = Vec::with_capacity(users.len());
                    for u in users {
                        cands.push(user_candidate(&u));
                        ids.push(self.people.merge_listing(u));
                    }
                    ids
                }
            };
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
}
