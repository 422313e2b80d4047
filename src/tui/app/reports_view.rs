//! The reporting-lines view (`R`): the people under one person as a tree that opens like
//! the department tree. Children and their counts are computed when a node is opened
//! (`Reporting::tree(id, Some(1))`, one walk of that node's subtree) and kept, never per
//! frame; the visible rows are rebuilt only when something opens or closes.
//!
//! Leader links may loop. Each person has one leader, so the only way back while walking
//! down is to someone already shown above: a visited set drops them, and the row where the
//! loop closes says so (`ReportRow::loops_to`).

use std::collections::{HashMap, HashSet};

use super::scroll::scroll_to_show;
use super::*;
use crate::reporting::Reporting;

/// The most rows the view shows: far more than anyone scrolls through.
pub const MAX_ROWS: usize = 200_000;

/// One visible row of the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub id: String,
    /// 0 for the person the view is on.
    pub level: usize,
    pub direct: usize,
    /// Everyone below, each once.
    pub below: usize,
    pub expanded: bool,
    /// The loop of leader links closes here: this person's report is `loops_to`, shown above.
    pub loops_to: Option<String>,
}

impl ReportRow {
    /// Has reports to open (one that only loops back has nothing new to show).
    pub fn opens(&self) -> bool {
        self.direct > usize::from(self.loops_to.is_some())
    }
}

/// A direct report as computed when their leader was opened.
#[derive(Debug, Clone)]
struct Child {
    id: String,
    direct: usize,
    below: usize,
}

#[derive(Debug, Clone)]
pub struct ReportsView {
    /// The person the view is on.
    pub root: String,
    rows: Vec<ReportRow>,
    pub selected: usize,
    pub scroll: usize,
    /// The rows were bounded by `MAX_ROWS`.
    pub cut: bool,
    root_counts: (usize, usize),
    /// Children of every node opened so far, in name order.
    children: HashMap<String, Vec<Child>>,
    expanded: HashSet<String>,
    /// The root's leader when the root sits on a loop: the loop closes on that row.
    closes: Option<String>,
}

impl ReportsView {
    /// The view on `id`, its first level open.
    pub fn open(reporting: &Reporting, id: &str) -> ReportsView {
        let tree = reporting.tree(id, Some(1));
        let (direct, below) = tree.rows.first().map_or((0, 0), |r| (r.direct, r.below));
        let closes = tree
            .cycle
            .as_ref()
            .and_then(|_| reporting.leader(id))
            .map(str::to_string);
        let mut view = ReportsView {
            root: id.to_string(),
            rows: Vec::new(),
            selected: 0,
            scroll: 0,
            cut: false,
            root_counts: (direct, below),
            children: HashMap::new(),
            expanded: HashSet::from([id.to_string()]),
            closes,
        };
        view.children.insert(id.to_string(), children_of(&tree));
        view.rebuild();
        view
    }

    pub fn rows(&self) -> &[ReportRow] {
        &self.rows
    }

    pub fn selected_row(&self) -> Option<&ReportRow> {
        self.rows.get(self.selected)
    }

    /// Move the selection by `delta` rows, within the list.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1);
        let to = if delta < 0 {
            self.selected.saturating_sub(delta.unsigned_abs())
        } else {
            self.selected.saturating_add(delta.unsigned_abs())
        };
        self.selected = to.min(last);
    }

    /// `l`: open the selected row, or step into it when it is open already.
    pub fn expand(&mut self, reporting: &Reporting) {
        let Some(row) = self.rows.get(self.selected).cloned() else {
            return;
        };
        if !row.opens() {
            return;
        }
        if row.expanded {
            let next = self.selected.saturating_add(1);
            if self.rows.get(next).is_some_and(|r| r.level > row.level) {
                self.selected = next;
            }
            return;
        }
        if !self.children.contains_key(&row.id) {
            let tree = reporting.tree(&row.id, Some(1));
            self.children.insert(row.id.clone(), children_of(&tree));
        }
        self.expanded.insert(row.id);
        self.rebuild();
    }

    /// `h`: close the selected row, or go to its leader's row.
    pub fn collapse(&mut self) {
        let Some(row) = self.rows.get(self.selected).cloned() else {
            return;
        };
        if row.expanded {
            self.expanded.remove(&row.id);
            self.rebuild();
            return;
        }
        if let Some(up) = self
            .rows
            .get(..self.selected)
            .and_then(|above| above.iter().rposition(|r| r.level < row.level))
        {
            self.selected = up;
        }
    }

    /// Compute every open node's children again (people arrived or moved since).
    pub fn refresh(&mut self, reporting: &Reporting) {
        let fresh = ReportsView::open(reporting, &self.root);
        self.root_counts = fresh.root_counts;
        self.closes = fresh.closes;
        self.children.clear();
        for id in &self.expanded {
            let tree = reporting.tree(id, Some(1));
            self.children.insert(id.clone(), children_of(&tree));
        }
        let at = self.selected_row().map(|r| r.id.clone());
        self.rebuild();
        if let Some(i) = at.and_then(|id| self.rows.iter().position(|r| r.id == id)) {
            self.selected = i;
        }
    }

    /// Keep the selection on screen in a list `height` rows high.
    pub fn keep_visible(&mut self, height: usize) {
        let h = height.max(1);
        self.scroll = scroll_to_show(self.selected, self.scroll, h);
        self.scroll = self.scroll.min(self.rows.len().saturating_sub(h));
    }

    /// The visible rows from the open nodes: depth first, name order, each person once.
    fn rebuild(&mut self) {
        self.rows.clear();
        self.cut = false;
        let (direct, below) = self.root_counts;
        let mut seen = HashSet::from([self.root.clone()]);
        let mut stack = vec![(
            Child {
                id: self.root.clone(),
                direct,
                below,
            },
            0usize,
        )];
        while let Some((child, level)) = stack.pop() {
            if self.rows.len() >= MAX_ROWS {
                self.cut = true;
                break;
            }
            let expanded = self.expanded.contains(&child.id);
            let mut loops_to =
                (self.closes.as_deref() == Some(child.id.as_str())).then(|| self.root.clone());
            let mut below_rows = Vec::new();
            if expanded && let Some(kids) = self.children.get(&child.id) {
                for k in kids {
                    if seen.insert(k.id.clone()) {
                        below_rows.push((k.clone(), level.saturating_add(1)));
                    } else if loops_to.is_none() {
                        loops_to = Some(k.id.clone());
                    }
                }
            }
            self.rows.push(ReportRow {
                id: child.id,
                level,
                direct: child.direct,
                below: child.below,
                expanded,
                loops_to,
            });
            // Reversed so the first in name order comes out first.
            stack.extend(below_rows.into_iter().rev());
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }
}

fn children_of(tree: &crate::reporting::ReportTree) -> Vec<Child> {
    tree.rows
        .iter()
        .skip(1)
        .filter(|r| r.level == 1)
        .map(|r| Child {
            id: r.id.clone(),
            direct: r.direct,
            below: r.below,
        })
        .collect()
}

impl App {
    /// `R`: open the view on the highlighted search result or the tree's selected person.
    pub(super) fn open_reports(&mut self) -> Vec<Effect> {
        let id = if self.showing_results() {
            match self.search.rows().get(self.search.selected) {
                Some(ResultRow::Hit(h)) if h.kind == Kind::User => Some(h.id.clone()),
                Some(ResultRow::Email { user: Some(id), .. } | ResultRow::UserId(id)) => {
                    Some(id.clone())
                }
                _ => None,
            }
        } else {
            match self.selected_kind() {
                Some(RowKind::User { id, .. }) => Some(id),
                _ => None,
            }
        };
        let Some(id) = id else {
            self.info("select a person to see who reports to them");
            return Vec::new();
        };
        // The focus stays: closing the view goes back to the search results, if that is
        // where it was opened.
        self.reports = Some(ReportsView::open(self.people.reporting(), &id));
        Vec::new()
    }

    /// A key while the view is open: it takes every action; Esc and q close it.
    pub(super) fn on_reports_action(&mut self, action: Action) -> Vec<Effect> {
        let page = isize::try_from(self.tree_height().max(1)).unwrap_or(1);
        let height = self.tree_height();
        let Some(view) = self.reports.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Down => view.move_by(1),
            Action::Up => view.move_by(-1),
            Action::PageDown => view.move_by(page),
            Action::PageUp => view.move_by(page.saturating_neg()),
            Action::Top => view.selected = 0,
            Action::Bottom => view.move_by(isize::MAX),
            Action::Expand => view.expand(self.people.reporting()),
            Action::Collapse => view.collapse(),
            Action::Reload => view.refresh(self.people.reporting()),
            Action::Escape | Action::Quit | Action::Reports => {
                self.reports = None;
                return Vec::new();
            }
            Action::Help => self.help = true,
            Action::Activate => {
                let id = view.selected_row().map(|r| r.id.clone());
                self.reports = None;
                if self.focus == Focus::Search {
                    // As a result's Enter does: the search ends, the tree shows the jump.
                    self.focus = Focus::Tree;
                    self.search = SearchState {
                        generation: self.search.generation.wrapping_add(1),
                        ..SearchState::default()
                    };
                }
                return match id {
                    Some(id) => self.start_jump(RowKind::User {
                        id,
                        dept: String::new(),
                    }),
                    None => Vec::new(),
                };
            }
            _ => {}
        }
        view.keep_visible(height);
        self.want_view_detail()
    }

    /// The selected row's details, once the selection rests (as in the tree).
    fn want_view_detail(&mut self) -> Vec<Effect> {
        let id = self
            .reports
            .as_ref()
            .and_then(|v| v.selected_row())
            .map(|r| r.id.clone());
        if let Some(id) = id.filter(|id| !self.people.is_fetched(id)) {
            self.detail_wanted = Some((id, self.ticks));
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// m leads a (who leads a1, a2) and b; x1 -> x2 -> x1 loop.
    fn org() -> Reporting {
        let mut r = Reporting::default();
        r.set("m", Some("M"), None);
        r.set("a", Some("A"), Some("m"));
        r.set("b", Some("B"), Some("m"));
        r.set("a1", Some("A1"), Some("a"));
        r.set("a2", Some("A2"), Some("a"));
        r.set("x1", Some("X1"), Some("x2"));
        r.set("x2", Some("X2"), Some("x1"));
        r
    }

    fn ids(v: &ReportsView) -> Vec<(&str, usize)> {
        v.rows().iter().map(|r| (r.id.as_str(), r.level)).collect()
    }

    #[test]
    fn opens_on_the_person_with_one_level_shown() {
        let r = org();
        let v = ReportsView::open(&r, "m");
        assert_eq!(ids(&v), vec![("m", 0), ("a", 1), ("b", 1)]);
        let top = &v.rows()[0];
        assert!(top.expanded && top.opens());
        assert_eq!((top.direct, top.below), (2, 4));
        assert_eq!((v.rows()[1].direct, v.rows()[1].below), (2, 2));
    }

    #[test]
    fn expand_collapse_and_move() {
        let r = org();
        let mut v = ReportsView::open(&r, "m");
        v.move_by(1);
        v.expand(&r);
        assert_eq!(
            ids(&v),
            vec![("m", 0), ("a", 1), ("a1", 2), ("a2", 2), ("b", 1)]
        );
        assert_eq!(v.selected, 1, "opening keeps the selection");
        // l on an open row steps into it; h on a closed one goes to the leader.
        v.expand(&r);
        assert_eq!(v.selected_row().unwrap().id, "a1");
        v.expand(&r);
        assert_eq!(v.selected_row().unwrap().id, "a1", "nothing to open");
        v.collapse();
        assert_eq!(v.selected_row().unwrap().id, "a");
        v.collapse();
        assert_eq!(ids(&v), vec![("m", 0), ("a", 1), ("b", 1)]);
        v.collapse();
        assert_eq!(v.selected, 0);
        v.collapse();
        assert_eq!(ids(&v), vec![("m", 0)], "the top closes too");
        v.move_by(5);
        assert_eq!(v.selected, 0, "bounded");
        v.move_by(isize::MIN);
        assert_eq!(v.selected, 0);
    }

    /// Opening a node computes its children once; later changes show after a refresh.
    #[test]
    fn children_are_cached_until_refreshed() {
        let mut r = org();
        let mut v = ReportsView::open(&r, "m");
        r.set("c", Some("C"), Some("m"));
        v.collapse();
        v.expand(&r);
        assert_eq!(v.rows().len(), 3, "from the cache");
        v.refresh(&r);
        assert_eq!(ids(&v), vec![("m", 0), ("a", 1), ("b", 1), ("c", 1)]);
    }

    /// On a loop the walk never comes back up: the row where it closes says so, once.
    #[test]
    fn a_loop_is_noted_once_where_it_closes() {
        let r = org();
        let mut v = ReportsView::open(&r, "x1");
        assert_eq!(ids(&v), vec![("x1", 0), ("x2", 1)]);
        let x2 = &v.rows()[1];
        assert_eq!(x2.loops_to.as_deref(), Some("x1"));
        assert!(!x2.opens(), "its only report is the one shown above");
        v.move_by(1);
        v.expand(&r);
        assert_eq!(ids(&v), vec![("x1", 0), ("x2", 1)]);
        let notes = v.rows().iter().filter(|r| r.loops_to.is_some()).count();
        assert_eq!(notes, 1);
    }

    #[test]
    fn a_self_loop_closes_on_the_top_row() {
        let mut r = Reporting::default();
        r.set("s", Some("S"), Some("s"));
        let v = ReportsView::open(&r, "s");
        assert_eq!(ids(&v), vec![("s", 0)]);
        assert_eq!(v.rows()[0].loops_to.as_deref(), Some("s"));
        let v = ReportsView::open(&r, "nobody");
        assert_eq!(ids(&v), vec![("nobody", 0)]);
    }
}
