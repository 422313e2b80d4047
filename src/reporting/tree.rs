//! The reporting tree under a person, and head counts.
//!
//! Each person has at most one leader, so walking down report lists from a person meets
//! everyone below once; the only way back is to the start itself, when the start sits on a
//! loop of leader links. That loop is noted (`Cycle`) and not followed. Head counts come from
//! one bottom-up pass over the whole subtree, not one walk per row.

use std::collections::{HashMap, HashSet};

use super::{Cycle, MAX_TREE_DEPTH, MAX_TREE_ROWS, Reporting};

/// One person in a reporting tree, in display order (depth first, name order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    pub id: String,
    /// 0 for the person the tree is under.
    pub level: usize,
    /// Everyone below this person, each once (`Reporting::head_count`).
    pub below: usize,
    /// Direct reports (`Reporting::direct_count`).
    pub direct: usize,
}

/// The reporting tree under one person: `rows[0]` is that person, the rest follow depth
/// first with each level in name order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportTree {
    pub rows: Vec<TreeRow>,
    /// The loop the start sits on, in leader order from the start, when there is one.
    pub cycle: Option<Cycle>,
    /// Rows were left out by `MAX_TREE_ROWS` or `MAX_TREE_DEPTH` (not by the depth asked).
    pub cut: bool,
}

/// What one pass down from a person finds.
struct Counts {
    /// Head count of each slot below the start (and of the start).
    below: HashMap<u32, usize>,
    /// The slot each one was reached from.
    parent: HashMap<u32, u32>,
    /// The report whose report is the start again (the loop closes there).
    back: Option<u32>,
}

impl Reporting {
    /// Everyone below `id` (head count), each once.
    pub fn head_count(&self, id: &str) -> usize {
        self.by_id.get(id).map_or(0, |&me| {
            self.counts(me).below.get(&me).copied().unwrap_or(0)
        })
    }

    /// The reporting tree under `id`, `depth` levels (None: all, up to `MAX_TREE_DEPTH`), name
    /// order, each person once (a cycle is not followed and is noted). Empty for an id
    /// nobody has.
    pub fn tree(&self, id: &str, depth: Option<usize>) -> ReportTree {
        let mut out = ReportTree::default();
        let Some(&root) = self.by_id.get(id) else {
            return out;
        };
        let counts = self.counts(root);
        out.cycle = self.cycle_at(root, &counts);
        let max = depth.unwrap_or(MAX_TREE_DEPTH).min(MAX_TREE_DEPTH);
        let mut seen = HashSet::from([root]);
        let mut stack = vec![(root, 0usize)];
        while let Some((at, level)) = stack.pop() {
            if out.rows.len() >= MAX_TREE_ROWS {
                out.cut = true;
                break;
            }
            let reports = self.sorted_reports(at);
            out.rows.push(TreeRow {
                id: self.id_of(at).unwrap_or_default(),
                level,
                below: counts.below.get(&at).copied().unwrap_or(0),
                direct: reports.len(),
            });
            if reports.is_empty() {
                continue;
            }
            if level >= max {
                // Below the depth asked is not cut; below the hard bound is.
                out.cut |= depth.is_none_or(|d| d > MAX_TREE_DEPTH);
                continue;
            }
            let next = level.saturating_add(1);
            // Reversed onto the stack so the first in name order comes out first.
            for &r in reports.iter().rev() {
                if seen.insert(r) {
                    stack.push((r, next));
                }
            }
        }
        out
    }

    /// One pass down from `root`: who is below, reached from where, and head counts from the
    /// leaves up. On a loop, everyone on it is below everyone else on it, so each of them
    /// has the start's head count.
    fn counts(&self, root: u32) -> Counts {
        let mut order = vec![root];
        let mut parent = HashMap::new();
        let mut seen = HashSet::from([root]);
        let mut back = None;
        let mut i = 0;
        while let Some(&at) = order.get(i) {
            i = i.saturating_add(1);
            for &r in self.slot(at).map_or(&[][..], |s| &s.reports) {
                if r == root {
                    back = Some(at);
                } else if seen.insert(r) {
                    parent.insert(r, at);
                    order.push(r);
                }
            }
        }
        let mut below: HashMap<u32, usize> = order.iter().map(|&s| (s, 0)).collect();
        for &at in order.iter().rev() {
            let Some(&up) = parent.get(&at) else { continue };
            let mine = below.get(&at).copied().unwrap_or(0).saturating_add(1);
            if let Some(b) = below.get_mut(&up) {
                *b = b.saturating_add(mine);
            }
        }
        let all = below.get(&root).copied().unwrap_or(0);
        let mut on_loop = back;
        while let Some(at) = on_loop.filter(|&a| a != root) {
            below.insert(at, all);
            on_loop = parent.get(&at).copied();
        }
        Counts {
            below,
            parent,
            back,
        }
    }

    /// The loop through `root`, in leader order from it: its leader, that one's leader, ...
    fn cycle_at(&self, root: u32, counts: &Counts) -> Option<Cycle> {
        let slot = self.slot(root)?;
        if slot.leader == Some(root) {
            return Some(Cycle {
                ids: vec![slot.id.to_string()],
            });
        }
        let mut ids = vec![slot.id.to_string()];
        let mut at = counts.back?;
        while at != root {
            ids.push(self.id_of(at)?);
            at = *counts.parent.get(&at)?;
        }
        Some(Cycle { ids })
    }
}
