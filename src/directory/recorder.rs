//! Recording what a session loads, to save it as a snapshot.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{ContactRange, Directory, ListingNames, Probe};
use crate::error::Result;
use crate::model::{Dept, EmailMatch, Page, User};
use crate::snapshot::{SnapDept, SnapUser, Snapshot, unix_now};

/// A `Directory` that passes every call through and remembers what came back, so that a
/// session that walked the org (a CLI crawl, the browser) can be saved as a snapshot.
/// A listing counts as loaded only once all its pages came back in sequence.
pub struct Recorder {
    inner: std::sync::Arc<dyn Directory>,
    state: Mutex<Recorded>,
}

#[derive(Default)]
struct Recorded {
    root: Option<String>,
    dept_order: Vec<String>,
    depts: HashMap<String, Dept>,
    children: HashMap<String, Vec<String>>,
    members: HashMap<String, Vec<String>>,
    /// Listings under way, keyed by (department, token of the page expected next).
    partial_children: HashMap<(String, String), Vec<String>>,
    partial_members: HashMap<(String, String), Vec<String>>,
    user_order: Vec<String>,
    users: HashMap<String, SnapUser>,
    /// Bulk listings under way (`subtree_depts`, `subtree_users`), keyed like the others by
    /// (department, token of the page expected next), with what came so far.
    partial_depts: HashMap<(String, String), Vec<Dept>>,
    /// Each person with only their id and departments: the records themselves are in
    /// `users`, and a company-wide listing is large.
    partial_users: HashMap<(String, String), Vec<User>>,
    /// A complete `subtree_users` listing: its top and who is in which department. Every
    /// department of the top's subtree gets its members from it when the snapshot is taken,
    /// an empty list for those nobody named.
    subtree_members: Option<(String, HashMap<String, Vec<String>>)>,
}

impl Recorded {
    fn dept(&mut self, d: &Dept) {
        match self.depts.get_mut(&d.id) {
            Some(old) => {
                // A listing may leave out what get-department said; keep the richer fields.
                let path = d.path.clone().or_else(|| old.path.take());
                let count = d.member_count.or(old.member_count);
                *old = d.clone();
                old.path = path;
                old.member_count = count;
            }
            None => {
                self.dept_order.push(d.id.clone());
                self.depts.insert(d.id.clone(), d.clone());
            }
        }
    }

    fn user(&mut self, u: &User, detailed: bool) {
        match self.users.get_mut(&u.id) {
            // The roster's rule: a reduced listing record is merged into a detailed one,
            // never replaces it.
            Some(old) => crate::model::merge::take_newer(
                &mut old.user,
                &mut old.detailed,
                u.clone(),
                detailed,
            ),
            None => {
                self.user_order.push(u.id.clone());
                self.users.insert(
                    u.id.clone(),
                    SnapUser {
                        user: u.clone(),
                        detailed,
                    },
                );
            }
        }
    }
}

/// Accumulate one page of a listing; returns the whole listing when this was its last page.
fn listing_page<T>(
    partial: &mut HashMap<(String, String), Vec<T>>,
    dept_id: &str,
    token: Option<&str>,
    ids: impl Iterator<Item = T>,
    next: Option<&str>,
) -> Option<Vec<T>> {
    let mut so_far = match token {
        None => Vec::new(),
        Some(t) => partial.remove(&(dept_id.to_string(), t.to_string()))?,
    };
    so_far.extend(ids);
    match next {
        Some(n) => {
            partial.insert((dept_id.to_string(), n.to_string()), so_far);
            None
        }
        None => Some(so_far),
    }
}

impl Recorder {
    pub fn new(inner: std::sync::Arc<dyn Directory>) -> Recorder {
        Recorder {
            inner,
            state: Mutex::new(Recorded::default()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Recorded) -> T) -> T {
        // A panic while holding the lock cannot leave the maps inconsistent in a way that
        // matters for a cache, so a poisoned lock is used as is.
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Everything recorded so far.
    pub fn snapshot(&self, profile: &str, provider: &str) -> Snapshot {
        self.with(|r| {
            let bulk = BulkMembers::of(r);
            let depts = r
                .dept_order
                .iter()
                .filter_map(|id| {
                    Some(SnapDept {
                        dept: r.depts.get(id)?.clone(),
                        children: r.children.get(id).cloned(),
                        members: r.members.get(id).cloned().or_else(|| bulk.members(id)),
                    })
                })
                .collect();
            let users = r
                .user_order
                .iter()
                .filter_map(|id| r.users.get(id).cloned())
                .collect();
            Snapshot {
                profile: profile.to_string(),
                provider: provider.to_string(),
                saved_at: unix_now(),
                root: r.root.clone(),
                depts,
                users,
            }
        })
    }
}

/// The members a complete `subtree_users` listing gives the departments of its top's
/// subtree (as recorded: walked down the children lists, each department once).
struct BulkMembers<'a> {
    within: HashSet<&'a str>,
    by_dept: Option<&'a HashMap<String, Vec<String>>>,
}

impl<'a> BulkMembers<'a> {
    fn of(r: &'a Recorded) -> BulkMembers<'a> {
        let mut within = HashSet::new();
        let Some((top, by_dept)) = &r.subtree_members else {
            return BulkMembers {
                within,
                by_dept: None,
            };
        };
        let mut stack = vec![top.as_str()];
        while let Some(id) = stack.pop() {
            if within.insert(id) {
                stack.extend(r.children.get(id).into_iter().flatten().map(String::as_str));
            }
        }
        BulkMembers {
            within,
            by_dept: Some(by_dept),
        }
    }

    fn members(&self, id: &str) -> Option<Vec<String>> {
        let by_dept = self.by_dept.filter(|_| self.within.contains(id))?;
        Some(by_dept.get(id).cloned().unwrap_or_default())
    }
}

#[async_trait]
impl Directory for Recorder {
    fn listing_names(&self) -> ListingNames {
        self.inner.listing_names()
    }

    async fn root(&self) -> Result<Dept> {
        let d = self.inner.root().await?;
        self.with(|r| {
            r.root = Some(d.id.clone());
            r.dept(&d);
        });
        Ok(d)
    }

    async fn dept(&self, id: &str) -> Result<Dept> {
        let d = self.inner.dept(id).await?;
        self.with(|r| r.dept(&d));
        Ok(d)
    }

    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>> {
        let p = self.inner.children(dept_id, page).await?;
        self.with(|r| {
            for d in &p.items {
                r.dept(d);
            }
            let ids = p.items.iter().map(|d| d.id.clone());
            let done = listing_page(
                &mut r.partial_children,
                dept_id,
                page,
                ids,
                p.next_page.as_deref(),
            );
            if let Some(all) = done {
                r.children.insert(dept_id.to_string(), all);
            }
        });
        Ok(p)
    }

    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>> {
        let p = self.inner.members(dept_id, page).await?;
        self.with(|r| {
            for u in &p.items {
                r.user(u, false);
            }
            let ids = p.items.iter().map(|u| u.id.clone());
            let done = listing_page(
                &mut r.partial_members,
                dept_id,
                page,
                ids,
                p.next_page.as_deref(),
            );
            if let Some(all) = done {
                r.members.insert(dept_id.to_string(), all);
            }
        });
        Ok(p)
    }

    /// Recorded as the children listings of the top and of every department below it.
    async fn subtree_depts(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<Dept>>> {
        let Some(p) = self.inner.subtree_depts(dept_id, page).await? else {
            return Ok(None);
        };
        self.with(|r| {
            p.items.iter().for_each(|d| r.dept(d));
            let next = p.next_page.as_deref();
            let items = p.items.iter().cloned();
            let Some(all) = listing_page(&mut r.partial_depts, dept_id, page, items, next) else {
                return;
            };
            let mut kids = super::children_by_parent(&all);
            let listed = std::iter::once(dept_id).chain(all.iter().map(|d| d.id.as_str()));
            for id in listed {
                let ids = kids.remove(id).unwrap_or_default();
                let ids = ids.into_iter().map(|d| d.id.clone()).collect();
                r.children.entry(id.to_string()).or_insert(ids);
            }
        });
        Ok(Some(p))
    }

    /// Recorded as full records, and as the member listings of the top's subtree.
    async fn subtree_users(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<User>>> {
        let Some(p) = self.inner.subtree_users(dept_id, page).await? else {
            return Ok(None);
        };
        self.with(|r| {
            p.items.iter().for_each(|u| r.user(u, true));
            let next = p.next_page.as_deref();
            let items = p.items.iter().map(|u| User {
                id: u.id.clone(),
                dept_ids: u.dept_ids.clone(),
                ..User::default()
            });
            let Some(all) = listing_page(&mut r.partial_users, dept_id, page, items, next) else {
                return;
            };
            let by_dept = super::members_by_dept(&all)
                .into_iter()
                .map(|(d, at)| {
                    let ids = at.iter().filter_map(|&i| all.get(i)).map(|u| u.id.clone());
                    (d.to_string(), ids.collect())
                })
                .collect();
            r.subtree_members = Some((dept_id.to_string(), by_dept));
        });
        Ok(Some(p))
    }

    async fn user(&self, id: &str) -> Result<User> {
        let u = self.inner.user(id).await?;
        self.with(|r| r.user(&u, true));
        Ok(u)
    }

    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        let us = self.inner.users(ids).await?;
        self.with(|r| us.iter().for_each(|u| r.user(u, true)));
        Ok(us)
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>> {
        let found = self.inner.users_by_emails(emails).await?;
        self.with(|r| {
            found
                .iter()
                .filter_map(|m| m.user.as_ref())
                .for_each(|u| r.user(u, true))
        });
        Ok(found)
    }

    async fn contact_range(&self) -> Result<Option<ContactRange>> {
        self.inner.contact_range().await
    }

    async fn probe(&self) -> Result<Option<Probe>> {
        self.inner.probe().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeptRef;

    /// The recorder keeps people by the roster's rule (`model::merge::take_newer`): a newer
    /// listing's values reach a detailed record, which keeps its paths and stays detailed;
    /// a full record replaces it whole.
    #[test]
    fn a_newer_listing_updates_a_detailed_record_without_replacing_it() {
        let in_d = |path: Option<&str>| DeptRef {
            id: "d".into(),
            name: Some("D".into()),
            path: path.map(str::to_string),
        };
        let mut r = Recorded::default();
        let full = User {
            id: "u1".into(),
            title: Some("Engineer".into()),
            email: Some("u1@x.example".into()),
            dept_ids: vec!["d".into()],
            depts: vec![in_d(Some("A/D"))],
            ..User::default()
        };
        r.user(&full, true);
        let listing = User {
            id: "u1".into(),
            title: Some("Senior engineer".into()),
            dept_ids: vec!["d".into()],
            depts: vec![in_d(None)],
            ..User::default()
        };
        r.user(&listing, false);
        let held = &r.users["u1"];
        assert!(held.detailed);
        assert_eq!(held.user.title.as_deref(), Some("Senior engineer"));
        assert_eq!(held.user.email.as_deref(), Some("u1@x.example"));
        assert_eq!(held.user.depts[0].path.as_deref(), Some("A/D"));
        r.user(
            &User {
                id: "u1".into(),
                ..User::default()
            },
            true,
        );
        assert_eq!(r.users["u1"].user.title, None);
        assert_eq!(r.user_order, ["u1"]);
    }
}
