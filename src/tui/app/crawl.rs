//! `a`: load everything under the root (the crawler), so search covers the whole org.

use super::*;

impl App {
    /// `a`: load everything under the selected department (or the root).
    pub(super) fn start_crawl(&mut self) -> Vec<Effect> {
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
    pub(super) fn on_crawl_found(&mut self, found: crate::crawl::Found) -> Vec<Effect> {
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
}
