//! A directory answered entirely from memory, built straight from a snapshot: a profile's
//! (`--offline`) or an org file's (`--org-file`, which `Snapshot::from_org_file` reads into
//! a complete one). No request leaves the process; every listing is one page.
//!
//! A snapshot may be partial and is untrusted: departments or people it names but does not
//! hold are left out of listings, duplicate ids keep their first record, and a department's
//! place in the tree comes from its own `parent_id` or, failing that, from the first listing
//! that names it. Listings the snapshot holds keep the server's order; what else links to a
//! department (a child by its parent, a person by their departments) follows.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;

use crate::directory::{Directory, ProviderKind};
use crate::error::{Error, Result};
use crate::model::{Dept, DeptRef, EmailMatch, Page, RANGE_ROOT_ID, User, real_parent};
use crate::snapshot::{SnapDept, Snapshot};

pub struct OfflineDirectory {
    kind: ProviderKind,
    /// The first record of each department, its path filled in when the snapshot has none.
    depts: Vec<Dept>,
    /// Per department: its sub-departments and its members, in listing order.
    children: Vec<Vec<usize>>,
    members: Vec<Vec<usize>>,
    dept_by_id: HashMap<String, usize>,
    /// The first record of each person, `depts` left empty (filled in per answer, with the
    /// departments' current names and paths) and `dept_ids` including every department
    /// whose listing names them.
    users: Vec<User>,
    user_by_id: HashMap<String, usize>,
    /// Lowercased address → the first person with it.
    user_by_email: HashMap<String, usize>,
    /// Departments known only from people's records (not in the snapshot itself).
    refs: HashMap<String, DeptRef>,
    root: Option<usize>,
}

impl std::fmt::Debug for OfflineDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineDirectory")
            .field("kind", &self.kind)
            .field("depts", &self.depts.len())
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

/// The departments of a snapshot, first record of each id, with where each hangs.
struct Tree<'a> {
    records: Vec<&'a SnapDept>,
    by_id: HashMap<String, usize>,
    /// The parent as recorded (the root has none): a listing's word when the record has none.
    parent: Vec<Option<&'a str>>,
    root: Option<usize>,
}

impl<'a> Tree<'a> {
    fn new(snap: &'a Snapshot) -> Tree<'a> {
        let mut records = Vec::with_capacity(snap.depts.len());
        let mut by_id = HashMap::with_capacity(snap.depts.len());
        for d in &snap.depts {
            if !by_id.contains_key(&d.dept.id) {
                by_id.insert(d.dept.id.clone(), records.len());
                records.push(d);
            }
        }
        // A child listing names its parent even when the child's own record does not.
        let mut listed_under: HashMap<&str, &str> = HashMap::new();
        for d in &snap.depts {
            for c in d.children.iter().flatten() {
                listed_under.entry(c.as_str()).or_insert(d.dept.id.as_str());
            }
        }
        let root_id = snap.root.as_deref();
        let parent: Vec<Option<&str>> = records
            .iter()
            .map(|d| match Some(d.dept.id.as_str()) == root_id {
                true => None,
                false => d
                    .dept
                    .parent_id
                    .as_deref()
                    .or_else(|| listed_under.get(d.dept.id.as_str()).copied()),
            })
            .collect();
        // The snapshot's root, else the first department with no parent.
        let root = root_id
            .and_then(|r| by_id.get(r).copied())
            .or_else(|| parent.iter().position(|p| real_parent(*p).is_none()));
        Tree {
            records,
            by_id,
            parent,
            root,
        }
    }

    fn name(&self, i: usize) -> &str {
        self.records
            .get(i)
            .and_then(|d| d.dept.name.as_deref())
            .unwrap_or_default()
    }

    /// Names from the top down to department `i`, through the recorded parents.
    fn path(&self, i: usize) -> String {
        let mut up = crate::dept_path::PathUp::new();
        let mut cur = Some(i);
        while let Some(at) = cur {
            let Some(d) = self.records.get(at) else { break };
            if !up.push(&d.dept.id, self.name(at)) {
                break;
            }
            cur = self
                .parent
                .get(at)
                .copied()
                .flatten()
                .and_then(|p| self.by_id.get(p).copied());
        }
        up.finish()
    }

    /// Sub-departments: the snapshot's listing (those that still hang there) first, then
    /// every other department whose parent it is, by display order.
    fn children(&self) -> Vec<Vec<usize>> {
        let mut linked: Vec<Vec<usize>> = vec![Vec::new(); self.records.len()];
        for (i, p) in self.parent.iter().enumerate() {
            if Some(i) == self.root {
                continue;
            }
            if let Some(slot) = real_parent(*p)
                .and_then(|p| self.by_id.get(p))
                .and_then(|&p| linked.get_mut(p))
            {
                slot.push(i);
            }
        }
        let key = |i: &usize| {
            self.records
                .get(*i)
                .map(|d| (d.dept.order.unwrap_or(i64::MAX), &d.dept.name, &d.dept.id))
        };
        for list in &mut linked {
            list.sort_by_key(key);
        }
        linked
            .into_iter()
            .enumerate()
            .map(|(at, linked)| {
                let Some(d) = self.records.get(at) else {
                    return linked;
                };
                // A listed child recorded under another parent has moved since.
                let hangs_here = |c: &usize| {
                    Some(*c) != self.root
                        && self
                            .parent
                            .get(*c)
                            .copied()
                            .flatten()
                            .is_none_or(|p| p == d.dept.id)
                };
                let listed = d.children.as_ref().map(|ids| {
                    ids.iter()
                        .filter_map(|id| self.by_id.get(id).copied())
                        .filter(hangs_here)
                        .collect()
                });
                listed_first(listed, linked)
            })
            .collect()
    }
}

/// `listed` (in the snapshot's order) first, then the rest of `linked`, each once. Without
/// a listing, `linked` as it is.
fn listed_first(listed: Option<Vec<usize>>, linked: Vec<usize>) -> Vec<usize> {
    let Some(listed) = listed else {
        return linked;
    };
    let mut seen = HashSet::with_capacity(listed.len().max(linked.len()));
    listed
        .into_iter()
        .chain(linked)
        .filter(|i| seen.insert(*i))
        .collect()
}

/// The people of a snapshot, first record of each id. They are ordered by first appearance
/// in a member listing, then the rest in snapshot order, so that a person's place among
/// the people linked to a department (not listed there) is stable.
fn people(snap: &Snapshot) -> (Vec<User>, HashMap<String, usize>) {
    let mut listed_in: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut order: Vec<&str> = Vec::with_capacity(snap.users.len());
    let mut placed: HashSet<&str> = HashSet::with_capacity(snap.users.len());
    for d in &snap.depts {
        for m in d.members.iter().flatten() {
            listed_in
                .entry(m.as_str())
                .or_default()
                .push(d.dept.id.as_str());
            if placed.insert(m.as_str()) {
                order.push(m.as_str());
            }
        }
    }
    let mut record: HashMap<&str, &User> = HashMap::with_capacity(snap.users.len());
    for u in &snap.users {
        record.entry(u.user.id.as_str()).or_insert(&u.user);
        if placed.insert(u.user.id.as_str()) {
            order.push(u.user.id.as_str());
        }
    }
    let users: Vec<User> = order
        .into_iter()
        .filter_map(|id| record.get(id))
        .map(|u| {
            // Once each and bounded, as from a server reply: a person listed in every one
            // of 100,000 departments must not cost a search of the list per listing.
            let listed = listed_in.get(u.id.as_str()).into_iter().flatten();
            let dept_ids = crate::model::distinct_ids(
                u.dept_ids
                    .iter()
                    .cloned()
                    .chain(listed.map(|d| d.to_string())),
            );
            User {
                dept_ids,
                depts: Vec::new(),
                ..(*u).clone()
            }
        })
        .collect();
    let by_id = users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id.clone(), i))
        .collect();
    (users, by_id)
}

impl OfflineDirectory {
    /// Serve a snapshot, complete or not (see the module's comment). Fails only on an empty
    /// snapshot.
    pub fn from_snapshot(snap: &Snapshot) -> std::result::Result<OfflineDirectory, String> {
        if snap.depts.is_empty() && snap.users.is_empty() {
            return Err("the snapshot is empty".into());
        }
        // An org-file snapshot has no provider; its format is WPS-like.
        let kind = ProviderKind::parse(&snap.provider).unwrap_or(ProviderKind::Wps);
        let tree = Tree::new(snap);
        let children = tree.children();
        let (users, user_by_id) = people(snap);

        let mut user_by_email = HashMap::new();
        let mut linked: Vec<Vec<usize>> = vec![Vec::new(); tree.records.len()];
        for (i, u) in users.iter().enumerate() {
            if let Some(e) = &u.email {
                user_by_email.entry(e.to_lowercase()).or_insert(i);
            }
            for d in &u.dept_ids {
                if let Some(list) = tree.by_id.get(d).and_then(|&d| linked.get_mut(d)) {
                    list.push(i);
                }
            }
        }
        let members = linked
            .into_iter()
            .enumerate()
            .map(|(at, linked)| {
                let listed = tree.records.get(at).and_then(|d| d.members.as_ref());
                let listed = listed.map(|ids| {
                    ids.iter()
                        .filter_map(|id| user_by_id.get(id).copied())
                        .collect()
                });
                listed_first(listed, linked)
            })
            .collect();

        let mut refs: HashMap<String, DeptRef> = HashMap::new();
        for r in snap.users.iter().flat_map(|u| &u.user.depts) {
            if !tree.by_id.contains_key(&r.id) && !refs.contains_key(&r.id) {
                refs.insert(r.id.clone(), r.clone());
            }
        }
        let depts = tree
            .records
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let mut dept = d.dept.clone();
                // What the server said, else what the tree here can rebuild (a partial
                // snapshot may lack the ancestors a path needs).
                if dept.path.is_none() {
                    dept.path = Some(tree.path(i));
                }
                dept
            })
            .collect();
        Ok(OfflineDirectory {
            kind,
            depts,
            children,
            members,
            dept_by_id: tree.by_id,
            users,
            user_by_id,
            user_by_email,
            refs,
            root: tree.root,
        })
    }

    fn user_of(&self, u: &User) -> User {
        let depts = u
            .dept_ids
            .iter()
            // Membership of the stand-in root is how a snapshot records people granted
            // directly; it is not one of their departments (online it is not either).
            .filter(|id| *id != RANGE_ROOT_ID)
            .filter_map(|id| match self.dept_record(id) {
                Some(d) => Some(DeptRef {
                    id: d.id.clone(),
                    name: d.name.clone(),
                    path: d.path.clone(),
                }),
                None => self.refs.get(id).cloned(),
            })
            .collect();
        let mut user = User { depts, ..u.clone() };
        user.dept_ids.retain(|id| id != RANGE_ROOT_ID);
        user
    }

    fn dept_record(&self, id: &str) -> Option<&Dept> {
        self.dept_by_id.get(id).and_then(|&i| self.depts.get(i))
    }

    fn user_record(&self, id: &str) -> Option<&User> {
        self.user_by_id.get(id).and_then(|&i| self.users.get(i))
    }

    /// The department's index, or not found.
    fn known_dept(&self, id: &str) -> Result<usize> {
        self.dept_by_id
            .get(id)
            .copied()
            .ok_or_else(|| Error::not_found(format!("department {id}")))
    }
}

/// Listings are one page; a token we never handed out gets an empty last page.
fn one_page<T>(page: Option<&str>, items: impl FnOnce() -> Vec<T>) -> Page<T> {
    Page {
        items: if page.is_none() { items() } else { Vec::new() },
        next_page: None,
        total: None,
    }
}

#[async_trait]
impl Directory for OfflineDirectory {
    async fn root(&self) -> Result<Dept> {
        self.root
            .and_then(|i| self.depts.get(i))
            .cloned()
            .ok_or_else(|| Error::not_found("root department (not in the offline data)"))
    }

    async fn dept(&self, id: &str) -> Result<Dept> {
        let i = self.known_dept(id)?;
        Ok(self.depts.get(i).cloned().unwrap_or_default())
    }

    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>> {
        let at = self.known_dept(dept_id)?;
        Ok(one_page(page, || {
            let kids = self.children.get(at).into_iter().flatten();
            kids.filter_map(|&i| self.depts.get(i)).cloned().collect()
        }))
    }

    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>> {
        let at = self.known_dept(dept_id)?;
        Ok(one_page(page, || {
            let people = self.members.get(at).into_iter().flatten();
            people
                .filter_map(|&i| self.users.get(i))
                .map(|u| self.user_of(u))
                .collect()
        }))
    }

    async fn user(&self, id: &str) -> Result<User> {
        self.user_record(id)
            .map(|u| self.user_of(u))
            .ok_or_else(|| Error::not_found(format!("user {id}")))
    }

    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        Ok(ids
            .iter()
            .filter_map(|id| self.user_record(id))
            .map(|u| self.user_of(u))
            .collect())
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>> {
        Ok(emails
            .iter()
            .map(|e| EmailMatch {
                email: e.clone(),
                user: self
                    .user_by_email
                    .get(&e.trim().to_lowercase())
                    .and_then(|&i| self.users.get(i))
                    .map(|u| self.user_of(u)),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests;
