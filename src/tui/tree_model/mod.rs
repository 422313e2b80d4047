//! The department tree as the TUI holds it: departments loaded so far, each department's
//! load state and listings (people by id: their records are in `roster`), and a flat list of the rows currently visible (open departments
//! only). The row list is rebuilt when the shape changes (expand, collapse, a page arrives),
//! never per frame; drawing takes only the slice on screen.

use std::collections::{HashMap, HashSet};

use crate::directory::PageGuard;
use crate::model::Dept;

/// Where a listing stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Load {
    #[default]
    NotLoaded,
    /// Pages are arriving.
    Loading,
    Loaded,
    Failed(String),
}

impl Load {
    pub fn is_done(&self) -> bool {
        matches!(self, Load::Loaded)
    }
}

#[derive(Debug, Clone)]
pub struct DeptNode {
    pub dept: Dept,
    /// Sub-department ids in server order, as far as loaded.
    pub children: Vec<String>,
    /// Member ids in server order, as far as loaded.
    pub members: Vec<String>,
    pub children_load: Load,
    pub members_load: Load,
    pub expanded: bool,
    /// Came from the on-disk snapshot and not yet checked against the server.
    pub stale: bool,
    /// A revalidation in progress: the fresh listing is gathered here, page by page, and
    /// replaces what is shown only once complete, so rows never flicker or half-update.
    pub fresh_children: Option<Vec<String>>,
    pub fresh_members: Option<Vec<String>>,
    /// The bounds of the listings in progress (repeated tokens, endless pages); reset when
    /// a listing starts again from its first page.
    pub children_pages: PageGuard,
    pub members_pages: PageGuard,
}

/// One of a department's two listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Children,
    Members,
}

/// A listing's parts, borrowed from its node.
pub struct ListingMut<'a> {
    pub ids: &'a mut Vec<String>,
    pub load: &'a mut Load,
    pub fresh: &'a mut Option<Vec<String>>,
    pub pages: &'a mut PageGuard,
}

impl DeptNode {
    pub fn listing_mut(&mut self, which: Listing) -> ListingMut<'_> {
        match which {
            Listing::Children => ListingMut {
                ids: &mut self.children,
                load: &mut self.children_load,
                fresh: &mut self.fresh_children,
                pages: &mut self.children_pages,
            },
            Listing::Members => ListingMut {
                ids: &mut self.members,
                load: &mut self.members_load,
                fresh: &mut self.fresh_members,
                pages: &mut self.members_pages,
            },
        }
    }

    fn new(dept: Dept) -> DeptNode {
        DeptNode {
            dept,
            children: Vec::new(),
            members: Vec::new(),
            children_load: Load::NotLoaded,
            members_load: Load::NotLoaded,
            expanded: false,
            stale: false,
            fresh_children: None,
            fresh_members: None,
            children_pages: PageGuard::default(),
            members_pages: PageGuard::default(),
        }
    }

    pub fn is_revalidating(&self) -> bool {
        self.fresh_children.is_some() || self.fresh_members.is_some()
    }

    pub fn is_loading(&self) -> bool {
        self.children_load == Load::Loading || self.members_load == Load::Loading
    }

    pub fn error(&self) -> Option<&str> {
        match (&self.children_load, &self.members_load) {
            (Load::Failed(e), _) | (_, Load::Failed(e)) => Some(e),
            _ => None,
        }
    }

    /// Known to have nothing inside: both listings complete and empty.
    pub fn is_leaf(&self) -> bool {
        self.children_load.is_done()
            && self.members_load.is_done()
            && self.children.is_empty()
            && self.members.is_empty()
    }

    /// Number of people, once known (a complete listing, or the server's count).
    pub fn member_count(&self) -> Option<usize> {
        if self.members_load.is_done() {
            Some(self.members.len())
        } else {
            self.dept.member_count.map(|n| n as usize)
        }
    }

    pub fn child_count(&self) -> Option<usize> {
        self.children_load.is_done().then_some(self.children.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RowKind {
    Dept(String),
    /// A person inside a department (the same person can sit in two).
    User {
        id: String,
        dept: String,
    },
    /// "loading…" under an open department whose first page has not arrived.
    Loading(String),
    /// The error of an open department's failed load.
    Error(String),
    /// `child`, listed under `dept` though it is `dept` itself or above it: a cycle in the
    /// server's data, shown as an error instead of being followed.
    Cycle {
        dept: String,
        child: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub depth: u16,
    pub kind: RowKind,
}

#[derive(Debug, Default)]
pub struct Tree {
    pub root: Option<String>,
    pub depts: HashMap<String, DeptNode>,
    rows: Vec<Row>,
    /// Departments the rows left out somewhere because they are drawn elsewhere: should
    /// one of them leave its place, only a rebuild finds where it goes instead.
    listed_again: HashSet<String>,
}

impl Tree {
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn set_root(&mut self, dept: Dept) {
        let id = dept.id.clone();
        self.depts
            .entry(id.clone())
            .and_modify(|n| n.dept = dept.clone())
            .or_insert_with(|| DeptNode::new(dept));
        self.root = Some(id);
        self.rebuild();
    }

    pub fn node(&self, id: &str) -> Option<&DeptNode> {
        self.depts.get(id)
    }

    pub fn node_mut(&mut self, id: &str) -> Option<&mut DeptNode> {
        self.depts.get_mut(id)
    }

    /// Record departments (new ones as unloaded nodes, known ones updated) and return their ids.
    pub fn upsert_depts(&mut self, parent: &str, page: Vec<Dept>) -> Vec<String> {
        let mut ids = Vec::with_capacity(page.len());
        for mut d in page {
            if d.parent_id.is_none() {
                d.parent_id = Some(parent.to_string());
            }
            ids.push(d.id.clone());
            // A department listed under its own descendant keeps the record it had: taking
            // that listing's parent would make the parents loop (paths, jumps, `h`).
            let loops = self.depts.contains_key(&d.id) && self.is_above(&d.id, parent);
            match self.depts.get_mut(&d.id) {
                Some(_) if loops => {}
                Some(n) => n.dept = d,
                None => {
                    self.depts.insert(d.id.clone(), DeptNode::new(d));
                }
            }
        }
        ids
    }

    /// Add a page of sub-departments of `parent`. Known ones keep their state and children.
    pub fn add_children(&mut self, parent: &str, page: Vec<Dept>) {
        let ids = self.upsert_depts(parent, page);
        if let Some(p) = self.depts.get_mut(parent) {
            // A department listed twice (a server bug, or a reload) appears once; one
            // listed under itself is kept, for the rows to show the cycle.
            append_unique(&mut p.children, ids);
        }
    }

    /// Add people already recorded to `dept`'s members, each once.
    pub fn add_member_ids(&mut self, dept: &str, ids: Vec<String>) {
        if let Some(n) = self.depts.get_mut(dept) {
            append_unique(&mut n.members, ids);
        }
    }

    /// Forget what was loaded under `id` (for a reload); the node itself stays.
    pub fn reset(&mut self, id: &str) {
        if let Some(n) = self.depts.get_mut(id) {
            n.children.clear();
            n.members.clear();
            n.children_load = Load::NotLoaded;
            n.members_load = Load::NotLoaded;
            n.children_pages = PageGuard::default();
            n.members_pages = PageGuard::default();
        }
    }

    /// Whether `id` is `of` or one of its ancestors, as far as parents are known.
    fn is_above(&self, id: &str, of: &str) -> bool {
        let mut seen = HashSet::new();
        let mut cur = Some(of);
        while let Some(c) = cur {
            if c == id {
                return true;
            }
            if !seen.insert(c) {
                return false;
            }
            cur = self.parent(c);
        }
        false
    }

    /// The parent of a department, when known.
    pub fn parent(&self, id: &str) -> Option<&str> {
        self.depts.get(id)?.dept.parent_id.as_deref()
    }

    /// Ids from the root down to `id`, if the whole chain is known.
    pub fn chain_to(&self, id: &str) -> Option<Vec<String>> {
        let root = self.root.as_deref()?;
        let mut chain = vec![id.to_string()];
        let mut cur = id;
        let mut seen = HashSet::new();
        // Bounded walk: a cycle in server data must not hang the UI.
        for _ in 0..=self.depts.len() {
            if cur == root {
                chain.reverse();
                return Some(chain);
            }
            if !seen.insert(cur) {
                return None;
            }
            cur = self.parent(cur)?;
            if !self.depts.contains_key(cur) {
                return None;
            }
            chain.push(cur.to_string());
        }
        None
    }

    /// Recompute the visible rows from the root through every open department.
    pub fn rebuild(&mut self) {
        let mut rows = Vec::with_capacity(self.rows.len().max(64));
        if let Some(root) = self.root.clone() {
            let mut seen = Seen::default();
            self.walk(root, 0, &mut rows, &mut seen);
            self.listed_again = seen.again;
        }
        self.rows = rows;
    }

    /// Recompute only the rows of department `id` and what is open under it, after a change
    /// there (a page arrived, it was opened or closed). With every department of a
    /// 100,000-person org open, a full rebuild takes tens of milliseconds; this takes time
    /// in proportion to the department's own rows. Nothing to do when it is not visible.
    pub fn refresh(&mut self, id: &str) {
        let is_it = |r: &Row| matches!(&r.kind, RowKind::Dept(d) if d == id);
        let Some(at) = self.rows.iter().position(is_it) else {
            return;
        };
        let after = at.saturating_add(1);
        if self
            .rows
            .get(after..)
            .is_some_and(|rest| rest.iter().any(is_it))
        {
            // Shown in two places (a server listing it twice over): redo everything.
            self.rebuild();
            return;
        }
        let depth = self.rows.get(at).map_or(0, |r| r.depth);
        let end = self
            .rows
            .get(after..)
            .and_then(|rest| rest.iter().position(|r| r.depth <= depth))
            .map_or(self.rows.len(), |p| after.saturating_add(p));
        // What a rebuild would know on reaching this row: the departments drawn before it
        // and the ones above it; and what it would draw only after, which this walk must
        // not take (then only a rebuild gives the same rows).
        let dept_of = |r: &Row| match &r.kind {
            RowKind::Dept(d) => Some(d.clone()),
            _ => None,
        };
        let before = self.rows.get(..at).unwrap_or_default();
        let mut seen = Seen {
            drawn: before.iter().filter_map(dept_of).collect(),
            above: ancestors(before, depth),
            after: self
                .rows
                .get(end..)
                .unwrap_or_default()
                .iter()
                .filter_map(dept_of)
                .collect(),
            again: HashSet::new(),
        };
        let mut rows = Vec::new();
        if !self.walk(id.to_string(), depth, &mut rows, &mut seen) {
            self.rebuild();
            return;
        }
        self.listed_again.extend(seen.again);
        let kept: HashSet<&str> = rows
            .iter()
            .filter_map(|r| match &r.kind {
                RowKind::Dept(d) => Some(d.as_str()),
                _ => None,
            })
            .collect();
        let moves = self.rows.get(at..end).unwrap_or_default().iter().any(|r| {
            matches!(&r.kind, RowKind::Dept(d)
                if !kept.contains(d.as_str()) && self.listed_again.contains(d))
        });
        if moves {
            self.rebuild();
            return;
        }
        self.rows.splice(at..end, rows);
    }

    /// Push the row of department `start` at `depth` and, when open, everything under it.
    /// Each department is drawn once: listed again elsewhere it is left out, listed below
    /// itself it is a `RowKind::Cycle` row. False (rows unfinished) when it reaches one of
    /// `seen.after`.
    fn walk(&self, start: String, depth: u16, rows: &mut Vec<Row>, seen: &mut Seen) -> bool {
        enum Todo {
            Row(u16, RowKind),
            Dept(u16, String, Option<String>),
            Leave(String),
        }
        let mut stack = vec![Todo::Dept(depth, start, None)];
        while let Some(todo) = stack.pop() {
            let (depth, id, parent) = match todo {
                Todo::Row(depth, kind) => {
                    rows.push(Row { depth, kind });
                    continue;
                }
                Todo::Leave(id) => {
                    seen.above.remove(&id);
                    continue;
                }
                Todo::Dept(depth, id, parent) => (depth, id, parent),
            };
            if seen.drawn.contains(&id) {
                seen.again.insert(id.clone());
                if let Some(dept) = parent.filter(|_| seen.above.contains(&id)) {
                    rows.push(Row {
                        depth,
                        kind: RowKind::Cycle { dept, child: id },
                    });
                }
                continue;
            }
            if seen.after.contains(&id) {
                return false;
            }
            seen.drawn.insert(id.clone());
            rows.push(Row {
                depth,
                kind: RowKind::Dept(id.clone()),
            });
            let Some(n) = self.depts.get(&id).filter(|n| n.expanded) else {
                continue;
            };
            // Pushed in reverse so they pop in order: sub-departments, then members, then
            // a status row, then leaving the department.
            let d = depth.saturating_add(1);
            seen.above.insert(id.clone());
            stack.push(Todo::Leave(id.clone()));
            if n.error().is_some() {
                stack.push(Todo::Row(d, RowKind::Error(id.clone())));
            } else if n.is_loading() && n.children.is_empty() && n.members.is_empty() {
                stack.push(Todo::Row(d, RowKind::Loading(id.clone())));
            }
            for m in n.members.iter().rev() {
                let kind = RowKind::User {
                    id: m.clone(),
                    dept: id.clone(),
                };
                stack.push(Todo::Row(d, kind));
            }
            for c in n.children.iter().rev() {
                stack.push(Todo::Dept(d, c.clone(), Some(id.clone())));
            }
        }
        true
    }

    /// The row index of `kind`, if visible.
    pub fn position(&self, kind: &RowKind) -> Option<usize> {
        self.rows.iter().position(|r| &r.kind == kind)
    }
}

/// What a walk over the rows knows: departments drawn so far, the ones above the current
/// row, and (refreshing part of the rows) the ones drawn further down.
#[derive(Default)]
struct Seen {
    drawn: HashSet<String>,
    above: HashSet<String>,
    after: HashSet<String>,
    /// The departments left out because they were drawn already.
    again: HashSet<String>,
}

/// The departments above a row at `depth`, from the rows before it.
fn ancestors(before: &[Row], depth: u16) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut want = depth;
    for r in before.iter().rev() {
        if want == 0 {
            break;
        }
        if r.depth < want {
            if let RowKind::Dept(d) = &r.kind {
                out.insert(d.clone());
            }
            want = r.depth;
        }
    }
    out
}

/// Append the ids of `ids` that are not in `list` yet, each once, keeping order. Linear in
/// both: a listing's page may hold 100,000 ids at once (a crawl's whole department), where a
/// search of the list for each would freeze the browser.
pub fn append_unique(list: &mut Vec<String>, ids: Vec<String>) {
    let keep: Vec<bool> = {
        let mut seen: HashSet<&str> = list.iter().map(String::as_str).collect();
        ids.iter().map(|id| seen.insert(id.as_str())).collect()
    };
    list.extend(
        ids.into_iter()
            .zip(keep)
            .filter_map(|(id, keep)| keep.then_some(id)),
    );
}

#[cfg(test)]
pub(crate) mod tests;
