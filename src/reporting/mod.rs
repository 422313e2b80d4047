//! Who reports to whom, from each person's leader link (`User::leader_id`): the chain from a
//! person up to the top, their direct reports, and the reporting tree under them. Pure and in
//! memory, shared by the CLI (`chain`, `reports`) and the browser.
//!
//! Leader links come from servers and org files, so they are untrusted: they may loop (a
//! person may even name themselves), name people nobody knows, or be absent. Every walk keeps
//! a visited set and a bound, so nothing loops forever or grows without limit, and a loop is
//! reported once (`Cycle`) rather than followed.
//!
//! People are slots in a vector, found by id through a hash map; each slot keeps the slots of
//! its direct reports (unordered, so `set` is O(1) amortized: a person moves with a
//! `swap_remove` from their old leader's list, their position kept in the slot). Lists are put
//! in name order only when asked for (`direct`, `tree`), and then only the list asked for.

mod tree;

pub use tree::{ReportTree, TreeRow};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The longest chain `chain` walks: far beyond any real org's depth, small enough to print.
pub const MAX_CHAIN: usize = 10_000;
/// The deepest tree `tree` builds (`None` depth means this many levels).
pub const MAX_TREE_DEPTH: usize = 256;
/// The most rows `tree` gives; the rest are cut (`ReportTree::cut`).
pub const MAX_TREE_ROWS: usize = 1_000_000;

/// One person, or a placeholder for an id that is named as a leader but not (or no longer)
/// known: it still holds the people who name it, so they are found when it arrives.
#[derive(Debug)]
struct Slot {
    /// Shared with the key of `by_id`: one allocation per id.
    id: Arc<str>,
    name: Option<String>,
    known: bool,
    leader: Option<u32>,
    /// This slot's place in its leader's `reports`, kept so a move is O(1).
    pos: u32,
    /// Direct reports, in no particular order. Never holds the slot itself.
    reports: Vec<u32>,
}

/// The leader links of an org (see the module's documentation).
#[derive(Debug, Default)]
pub struct Reporting {
    slots: Vec<Slot>,
    by_id: HashMap<Arc<str>, u32>,
    /// How many slots are people (not placeholders).
    known: usize,
}

/// One level of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// A person known here.
    Known(String),
    /// A leader id that no known person has: the chain stops at it.
    Unknown(String),
}

impl Link {
    pub fn id(&self) -> &str {
        match self {
            Link::Known(id) | Link::Unknown(id) => id,
        }
    }
}

/// A loop in the leader links, each member once, in leader order: each one's leader is the
/// next, and the last one's leader is the first. A person naming themselves is a cycle of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub ids: Vec<String>,
}

/// The chain from a person's leader up, nearest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    pub links: Vec<Link>,
    /// Where the links loop: the walk stopped before repeating anyone.
    pub cycle: Option<Cycle>,
    /// `MAX_CHAIN` links were reached before the top.
    pub cut: bool,
}

impl Reporting {
    /// Add or update one person: their display name and leader (None: no leader).
    pub fn set(&mut self, id: &str, name: Option<&str>, leader: Option<&str>) {
        let Some(me) = self.slot_of(id) else { return };
        // An empty leader id is how some replies say "none".
        let leader = leader.filter(|l| !l.is_empty());
        let new_leader = match leader {
            Some(l) if l == id => Some(me),
            Some(l) => self.slot_of(l),
            None => None,
        };
        if let Some(slot) = self.slots.get_mut(me as usize) {
            slot.name = name.map(str::to_string);
            if !std::mem::replace(&mut slot.known, true) {
                self.known = self.known.saturating_add(1);
            }
        }
        self.relink(me, new_leader);
    }

    /// Forget a person. Those who name them as leader keep the link, which now ends there
    /// (`Link::Unknown`).
    pub fn remove(&mut self, id: &str) {
        let Some(&me) = self.by_id.get(id) else {
            return;
        };
        self.relink(me, None);
        if let Some(slot) = self.slots.get_mut(me as usize) {
            if std::mem::replace(&mut slot.known, false) {
                self.known = self.known.saturating_sub(1);
            }
            slot.name = None;
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some_and(|s| s.known)
    }

    /// How many people are known.
    pub fn len(&self) -> usize {
        self.known
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A known person's display name.
    pub fn name(&self, id: &str) -> Option<&str> {
        self.get(id).filter(|s| s.known)?.name.as_deref()
    }

    /// A known person's leader id, as given (it may name nobody known, or themselves).
    pub fn leader(&self, id: &str) -> Option<&str> {
        let slot = self.get(id).filter(|s| s.known)?;
        Some(&*self.slot(slot.leader?)?.id)
    }

    /// The chain from `id`'s leader up, nearest first; stops at the top, at a leader not
    /// known (included as `Link::Unknown(id)`), or where the links loop (`cycle` names it
    /// once). Nobody appears twice, and `id` itself never appears as a link.
    pub fn chain(&self, id: &str) -> Chain {
        let mut out = Chain::default();
        let Some(&start) = self.by_id.get(id) else {
            return out;
        };
        // The walk so far, `start` first, to name the loop when one is met.
        let mut path = vec![start];
        let mut seen = HashSet::from([start]);
        let mut cur = self.slot(start).and_then(|s| s.leader);
        while let Some(at) = cur {
            let Some(slot) = self.slot(at) else { break };
            if seen.contains(&at) {
                let from = path.iter().position(|&p| p == at).unwrap_or(0);
                let ids = path.get(from..).unwrap_or_default();
                out.cycle = Some(Cycle {
                    ids: ids.iter().filter_map(|&s| self.id_of(s)).collect(),
                });
                break;
            }
            if out.links.len() >= MAX_CHAIN {
                out.cut = true;
                break;
            }
            if !slot.known {
                out.links.push(Link::Unknown(slot.id.to_string()));
                break;
            }
            out.links.push(Link::Known(slot.id.to_string()));
            seen.insert(at);
            path.push(at);
            cur = slot.leader;
        }
        out
    }

    /// Direct reports of `id`, ordered by name, then id (people without a name last). A
    /// person naming themselves as leader is not their own report.
    pub fn direct(&self, id: &str) -> Vec<&str> {
        let Some(&me) = self.by_id.get(id) else {
            return Vec::new();
        };
        self.sorted_reports(me)
            .into_iter()
            .filter_map(|s| self.slot(s).map(|s| &*s.id))
            .collect()
    }

    /// The first `n` of `direct(id)`, without sorting the whole list: a frame may ask for
    /// them, and a manager may have thousands of reports.
    pub fn first_direct(&self, id: &str, n: usize) -> Vec<&str> {
        let Some(me) = self.get(id) else {
            return Vec::new();
        };
        let key = |at: u32| {
            self.slot(at)
                .map(|s| (s.name.is_none(), s.name.as_deref(), &*s.id))
        };
        let mut list = me.reports.clone();
        if n < list.len() {
            list.select_nth_unstable_by(n, |&a, &b| key(a).cmp(&key(b)));
            list.truncate(n);
        }
        list.sort_by(|&a, &b| key(a).cmp(&key(b)));
        list.into_iter()
            .filter_map(|s| self.slot(s).map(|s| &*s.id))
            .collect()
    }

    pub fn direct_count(&self, id: &str) -> usize {
        self.get(id).map_or(0, |s| s.reports.len())
    }

    fn get(&self, id: &str) -> Option<&Slot> {
        self.slot(*self.by_id.get(id)?)
    }

    fn slot(&self, at: u32) -> Option<&Slot> {
        self.slots.get(at as usize)
    }

    fn id_of(&self, at: u32) -> Option<String> {
        self.slot(at).map(|s| s.id.to_string())
    }

    /// `me`'s reports in name order, then id; unnamed last.
    fn sorted_reports(&self, me: u32) -> Vec<u32> {
        let mut list = self.slot(me).map(|s| s.reports.clone()).unwrap_or_default();
        list.sort_by(|&a, &b| {
            let key = |at: u32| {
                self.slot(at)
                    .map(|s| (s.name.is_none(), s.name.as_deref(), &*s.id))
            };
            key(a).cmp(&key(b))
        });
        list
    }

    /// The slot for `id`, made (as a placeholder) when new. None only past `u32::MAX` slots.
    fn slot_of(&mut self, id: &str) -> Option<u32> {
        if let Some(&at) = self.by_id.get(id) {
            return Some(at);
        }
        let at = u32::try_from(self.slots.len()).ok()?;
        let id: Arc<str> = Arc::from(id);
        self.slots.push(Slot {
            id: id.clone(),
            name: None,
            known: false,
            leader: None,
            pos: 0,
            reports: Vec::new(),
        });
        self.by_id.insert(id, at);
        Some(at)
    }

    /// Point `me` at `leader`: out of the old leader's report list, into the new one's (a
    /// self link is kept as the leader but not listed as a report).
    fn relink(&mut self, me: u32, leader: Option<u32>) {
        let Some(old) = self.slot(me).map(|s| s.leader) else {
            return;
        };
        if old == leader {
            return;
        }
        if let Some(old) = old.filter(|&o| o != me) {
            self.unlist(old, me);
        }
        let mut pos = 0;
        if let Some(new) = leader.filter(|&l| l != me)
            && let Some(slot) = self.slots.get_mut(new as usize)
        {
            pos = u32::try_from(slot.reports.len()).unwrap_or(u32::MAX);
            slot.reports.push(me);
        }
        if let Some(slot) = self.slots.get_mut(me as usize) {
            slot.leader = leader;
            slot.pos = pos;
        }
    }

    /// Take `me` out of `leader`'s report list, moving the last one into its place.
    fn unlist(&mut self, leader: u32, me: u32) {
        let Some(pos) = self.slot(me).map(|s| s.pos as usize) else {
            return;
        };
        let Some(list) = self.slots.get_mut(leader as usize).map(|s| &mut s.reports) else {
            return;
        };
        if list.get(pos) != Some(&me) {
            // Not where it was recorded (cannot happen while the positions are kept): look.
            if let Some(p) = list.iter().position(|&r| r == me) {
                list.swap_remove(p);
            }
            return;
        }
        list.swap_remove(pos);
        let moved = list.get(pos).copied();
        if let Some(slot) = moved.and_then(|m| self.slots.get_mut(m as usize)) {
            slot.pos = u32::try_from(pos).unwrap_or(u32::MAX);
        }
    }
}

#[cfg(test)]
mod tests;
