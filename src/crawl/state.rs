//! What a crawl knows so far, department by department, and when each department's
//! listings are complete enough to hand on (`Found`): its children and (when asked) its
//! members, and its parent handed on before it, so that whoever builds a tree from the
//! `Found`s always has the parent in place.
//!
//! Children come from a department's own listing or from the subtree's bulk listing;
//! members from its own listing or, all at the end, from the bulk user listing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use super::members::{Everyone, Members};
use super::{Crawl, CrawlOptions, Found, MAX_TREE_DEPTH, Progress};
use crate::directory::{ListingNames, Placed, children_listing, members_by_dept};
use crate::error::{Error, Result};
use crate::model::{Dept, User};

/// Where the members come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembersBy {
    /// Not asked for.
    Off,
    /// Each department's own listing.
    PerDept,
    /// The bulk user listing, under way: nothing is listed per department meanwhile.
    Waiting,
    /// The bulk user listing, complete: placed once every department is known.
    Bulk,
}

pub struct State {
    pub out: Crawl,
    pub opts: CrawlOptions,
    pub members_by: MembersBy,
    /// Each department's depth below the start, and where it was first listed.
    depth: HashMap<String, usize>,
    under: HashMap<String, String>,
    /// Listed children not yet handed on, and which departments' children are known.
    kids: HashMap<String, Vec<Dept>>,
    have_children: HashSet<String>,
    handed_on: HashSet<String>,
    /// Members placed by id, not yet handed on (`place_everyone` in a crawl that streams).
    ids: HashMap<String, Vec<String>>,
    /// Keep each department's members in `out` once handed on (else they go with the
    /// `Found`).
    keep: bool,
}

impl State {
    pub fn new(start: Dept, opts: CrawlOptions, members_by: MembersBy, keep: bool) -> State {
        let mut out = Crawl {
            start: start.id.clone(),
            ..Crawl::default()
        };
        let mut depth = HashMap::new();
        depth.insert(start.id.clone(), 0);
        out.depts.insert(start.id.clone(), start);
        State {
            out,
            opts,
            members_by,
            depth,
            under: HashMap::new(),
            kids: HashMap::new(),
            have_children: HashSet::new(),
            handed_on: HashSet::new(),
            ids: HashMap::new(),
            keep,
        }
    }

    pub fn depth(&self, id: &str) -> usize {
        self.depth.get(id).copied().unwrap_or_default()
    }

    /// Whether `depth` is above the crawl's deepest level, so its children are listed.
    pub fn descends(&self, depth: usize) -> bool {
        self.opts.max_depth.is_none_or(|m| depth < m)
    }

    /// `dept_id`'s children, complete: the ones not seen before are returned, to be visited.
    pub fn children_found(
        &mut self,
        names: ListingNames,
        dept_id: &str,
        children: Vec<Dept>,
        progress: &Progress,
    ) -> Result<Vec<(String, usize)>> {
        let depth = self.depth(dept_id);
        let descend = self.descends(depth);
        if descend && depth >= MAX_TREE_DEPTH && !children.is_empty() {
            return Err(Error::Protocol {
                endpoint: children_listing(Some(names), dept_id),
                msg: format!(
                    "the department tree goes deeper than {MAX_TREE_DEPTH} levels; stopping"
                ),
            });
        }
        let mut new = Vec::new();
        if descend {
            for child in &children {
                // A department seen twice (a server bug) is visited once.
                if !self.out.depts.contains_key(&child.id) {
                    let d = depth.saturating_add(1);
                    self.depth.insert(child.id.clone(), d);
                    self.under.insert(child.id.clone(), dept_id.to_string());
                    self.out.depts.insert(child.id.clone(), child.clone());
                    progress.depts_known.fetch_add(1, Ordering::Relaxed);
                    new.push((child.id.clone(), d));
                }
            }
            let ids = children.iter().map(|c| c.id.clone()).collect();
            self.out.children.insert(dept_id.to_string(), ids);
        }
        self.kids.insert(dept_id.to_string(), children);
        if self.have_children.insert(dept_id.to_string()) {
            progress.depts_listed.fetch_add(1, Ordering::Relaxed);
        }
        Ok(new)
    }

    /// `dept_id`'s members, complete.
    pub fn members_found(&mut self, dept_id: &str, members: Vec<User>, progress: &Progress) {
        progress
            .people
            .fetch_add(members.len() as u64, Ordering::Relaxed);
        self.out.members.insert(dept_id.to_string(), members);
    }

    /// The bulk user listing's people, each in the crawled departments its `dept_ids`
    /// name, in the listing's order; a department nobody names has no members. They were
    /// counted as their pages came in. Records go to `out.members`, placements (a crawl
    /// that streams: the records went on already) to member ids.
    pub fn place_everyone(&mut self, everyone: Everyone) {
        match everyone {
            Everyone::Records(users) => {
                let placed = place(users, self.out.depts.keys(), |u| u);
                self.out.members.extend(placed);
            }
            Everyone::Placements(people) => {
                let placed = place(people, self.out.depts.keys(), |p| p.id);
                self.ids.extend(placed);
            }
        }
        self.out.detailed = true;
    }

    fn ready(&self, id: &str) -> bool {
        let members = match self.members_by {
            MembersBy::Off => true,
            _ => self.out.members.contains_key(id) || self.ids.contains_key(id),
        };
        members && self.have_children.contains(id)
    }

    /// Hand on `id` if it is complete and its parent was handed on, then any of its
    /// children that were only waiting for it.
    pub fn hand_on(&mut self, id: &str, progress: &Progress, on_found: &mut impl FnMut(Found)) {
        let mut stack = vec![id.to_string()];
        while let Some(id) = stack.pop() {
            // Whoever cancelled from `on_found` gets no more.
            if progress.is_cancelled() {
                return;
            }
            let parent_done = match self.under.get(&id) {
                None => true,
                Some(p) => self.handed_on.contains(p),
            };
            if self.handed_on.contains(&id) || !parent_done || !self.ready(&id) {
                continue;
            }
            let children = self.kids.remove(&id).unwrap_or_default();
            let found = Found {
                dept_id: id.clone(),
                depth: self.depth(&id),
                members: match (self.members_by, self.keep) {
                    (MembersBy::Off, _) => None,
                    _ if self.ids.contains_key(&id) => self.ids.remove(&id).map(Members::Ids),
                    (_, true) => self.out.members.get(&id).cloned().map(Members::Records),
                    (_, false) => self.out.members.remove(&id).map(Members::Records),
                },
                children,
            };
            on_found(found);
            progress.depts_done.fetch_add(1, Ordering::Relaxed);
            self.handed_on.insert(id.clone());
            for c in self.out.children.get(&id).into_iter().flatten() {
                if self.under.get(c) == Some(&id) {
                    stack.push(c.clone());
                }
            }
        }
    }
}

/// `everyone` in each of `depts` their `dept_ids` name, in listing order, as `keep` makes of
/// them. Each one is moved to its last place and copied only for the others: at 100,000
/// people a second copy of everyone is tens of MB.
fn place<'a, T: Placed + Clone, K>(
    everyone: Vec<T>,
    depts: impl Iterator<Item = &'a String>,
    keep: impl Fn(T) -> K,
) -> Vec<(String, Vec<K>)> {
    let places: Vec<(String, Vec<usize>)> = {
        let by_dept = members_by_dept(&everyone);
        depts
            .map(|id| {
                (
                    id.clone(),
                    by_dept.get(id.as_str()).cloned().unwrap_or_default(),
                )
            })
            .collect()
    };
    let mut uses = vec![0usize; everyone.len()];
    for i in places.iter().flat_map(|(_, at)| at) {
        if let Some(n) = uses.get_mut(*i) {
            *n = n.saturating_add(1);
        }
    }
    let mut everyone: Vec<Option<T>> = everyone.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(places.len());
    for (id, at) in places {
        let mut members = Vec::with_capacity(at.len());
        for i in at {
            let (Some(left), Some(slot)) = (uses.get_mut(i), everyone.get_mut(i)) else {
                continue;
            };
            *left = left.saturating_sub(1);
            let one = match *left {
                0 => slot.take(),
                _ => slot.clone(),
            };
            members.extend(one.map(&keep));
        }
        out.push((id, members));
    }
    out
}
