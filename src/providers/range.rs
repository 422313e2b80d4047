//! Apps granted only part of the company (their contact range), in one place.
//!
//! When the real root is refused as outside the range (`Error::OutOfRange`), this directory
//! reads the range from the provider and serves a stand-in root instead
//! (`model::RANGE_ROOT_ID`): its children are the granted departments (a granted department
//! inside another granted one is left to appear under it, once), its members the people
//! granted one by one. The granted departments name the stand-in as their parent, so walks
//! up the tree and paths stop there; paths of departments in the range start at the granted
//! department (`Granted/Sub`), whatever the provider reports above it (WPS gives the full
//! company path, Feishu cannot read it). Everything else is the provider's answer.
//!
//! The range is learnt once, on the first call that needs it: the root, for the browser and
//! crawls. A one-off `user` or `members` costs one extra root request on a whole-company app;
//! on a limited one it reads the range first (the grants, each granted department and its
//! parents), so that its paths are cut the same way as everywhere else. A range with nothing
//! readable in it is the root's refusal: the app may read nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use tokio::sync::OnceCell;

use crate::directory::{ContactRange, Directory, ListingNames, Probe, in_order};
use crate::error::{Error, Result};
use crate::model::{Dept, EmailMatch, Page, RANGE_ROOT_ID, User};

pub use crate::model::{RANGE_ROOT_NAME, stand_in_root};
/// Most granted departments shown: a bound on what a server can make us ask for.
const MAX_TOPS: usize = 10_000;
/// Levels walked up from a granted department looking for a granted ancestor.
const MAX_DEPTH: usize = 64;

pub struct RangeDirectory {
    inner: Arc<dyn Directory>,
    mode: OnceCell<Mode>,
    /// The root read while learning the mode, handed to the first `root()` call so that it
    /// costs no second request.
    first_root: std::sync::Mutex<Option<Dept>>,
    /// Learning the mode failed for a call other than `root()`: such calls stop trying and
    /// pass straight through (the root's own error is reported by `root()`).
    gave_up: AtomicBool,
}

enum Mode {
    Whole,
    Limited(View),
}

/// What a limited app may read.
struct View {
    /// The granted top departments, parents set to the stand-in, paths cut.
    tops: Vec<Dept>,
    top_ids: HashSet<String>,
    /// People granted one by one.
    users: Vec<String>,
    /// Path rewrites, by a granted department's path as the server gave it (`full`): a path
    /// that is `full` or starts with `full/` loses its first `cut` bytes (what the server
    /// reports above the granted department).
    cuts: HashMap<String, usize>,
}

impl View {
    fn path(&self, path: Option<String>) -> Option<String> {
        let p = path?;
        // Each leading run of whole names, shortest first: a lookup per level, whatever the
        // number of granted departments.
        let ends = p
            .match_indices('/')
            .map(|(i, _)| i)
            .chain(std::iter::once(p.len()));
        for end in ends {
            if let Some(&cut) = self.cuts.get(&p[..end]) {
                if cut > 0 && cut <= end && p.is_char_boundary(cut) {
                    return Some(p[cut..].to_string());
                }
                break;
            }
        }
        Some(p)
    }

    fn dept(&self, mut d: Dept) -> Dept {
        if self.top_ids.contains(&d.id) {
            d.parent_id = Some(RANGE_ROOT_ID.to_string());
        }
        d.path = self.path(d.path.take());
        d
    }

    fn user(&self, mut u: User) -> User {
        for r in &mut u.depts {
            r.path = self.path(r.path.take());
        }
        u
    }
}

/// How many leading bytes of `full` (a granted department's path as the server gave it)
/// are the departments above it: everything before its own name.
fn cut_of(full: &str, name: Option<&str>) -> usize {
    match name.filter(|n| !n.is_empty()) {
        Some(n) if full == n => 0,
        Some(n)
            if full
                .strip_suffix(n)
                .is_some_and(|above| above.ends_with('/')) =>
        {
            full.len().saturating_sub(n.len())
        }
        _ => full.rfind('/').map_or(0, |i| i.saturating_add(1)),
    }
}

impl RangeDirectory {
    pub fn new(inner: Arc<dyn Directory>) -> RangeDirectory {
        RangeDirectory {
            inner,
            mode: OnceCell::new(),
            first_root: std::sync::Mutex::new(None),
            gave_up: AtomicBool::new(false),
        }
    }

    async fn mode(&self) -> Result<&Mode> {
        self.mode.get_or_try_init(|| self.learn()).await
    }

    /// The limited view, when the app has one; `None` when it may read the whole company
    /// or the mode cannot be learnt (then calls pass through). A refused token is the
    /// answer itself: passing through would only be refused again.
    async fn view(&self) -> Result<Option<&View>> {
        if self.gave_up.load(Ordering::Relaxed) && self.mode.get().is_none() {
            return Ok(None);
        }
        match self.mode().await {
            Ok(Mode::Limited(v)) => Ok(Some(v)),
            Ok(Mode::Whole) => Ok(None),
            Err(e @ Error::Auth { .. }) => Err(e),
            Err(e) => {
                crate::log::debug(&format!("contact range: not learnt ({e}); passing through"));
                self.gave_up.store(true, Ordering::Relaxed);
                Ok(None)
            }
        }
    }

    async fn learn(&self) -> Result<Mode> {
        match self.inner.root().await {
            Ok(root) => {
                *self.first_root.lock().unwrap_or_else(|e| e.into_inner()) = Some(root);
                Ok(Mode::Whole)
            }
            Err(refused @ Error::OutOfRange { .. }) => {
                let range = match self.inner.contact_range().await {
                    Ok(Some(r)) => r,
                    Ok(None) => return Err(refused),
                    // The range call refused too (no permission to read it): the root's
                    // refusal says more. Anything else (network, server) is the news.
                    Err(Error::OutOfRange { .. } | Error::NotFound { .. }) => return Err(refused),
                    Err(e) => return Err(e),
                };
                crate::log::debug(&format!(
                    "contact range: root refused; {} departments and {} people granted",
                    range.dept_ids.len(),
                    range.user_ids.len()
                ));
                let view = self.read_view(range).await?;
                if view.tops.is_empty() && view.users.is_empty() {
                    crate::log::warn("contact range: nothing granted can be read");
                    return Err(refused);
                }
                Ok(Mode::Limited(view))
            }
            Err(e) => Err(e),
        }
    }

    async fn read_view(&self, range: ContactRange) -> Result<View> {
        let mut ids = range.dept_ids;
        if ids.len() > MAX_TOPS {
            crate::log::warn("contact range: too many departments granted; the rest are left out");
            ids.truncate(MAX_TOPS);
        }
        let granted: HashSet<String> = ids.iter().cloned().collect();
        let granted = &granted;
        let calls: Vec<_> = ids.iter().map(|id| self.granted_top(id, granted)).collect();
        let mut tops = Vec::new();
        let mut top_ids = HashSet::new();
        for d in in_order(calls).await? {
            if top_ids.insert(d.id.clone()) {
                tops.push(d);
            }
        }
        let cuts = tops
            .iter()
            .filter_map(|d| {
                let full = d.path.clone()?;
                let cut = cut_of(&full, d.name.as_deref());
                Some((full, cut))
            })
            .collect();
        let mut view = View {
            tops: Vec::new(),
            top_ids,
            users: range.user_ids,
            cuts,
        };
        view.tops = tops
            .into_iter()
            .map(|d| {
                let mut d = view.dept(d);
                if d.path.is_none() {
                    d.path = d.name.clone();
                }
                d
            })
            .collect();
        Ok(view)
    }

    /// The people granted one by one who are not already members of a department in the
    /// range: those show up there, once, as they do in an org file of the range read back.
    async fn granted_outside(&self, view: &View) -> Result<Vec<User>> {
        let users = self.inner.users(&view.users).await?;
        let mut readable: HashMap<String, bool> = HashMap::new();
        let mut out = Vec::with_capacity(users.len());
        for u in users {
            let mut inside = false;
            for d in &u.dept_ids {
                let known = match readable.get(d) {
                    Some(k) => *k,
                    None => {
                        let k = view.top_ids.contains(d) || self.inner.dept(d).await.is_ok();
                        readable.insert(d.clone(), k);
                        k
                    }
                };
                if known {
                    inside = true;
                    break;
                }
            }
            if !inside {
                out.push(u);
            }
        }
        Ok(out)
    }

    /// Granted department `id`, unless it cannot be read or sits inside another granted
    /// department (then it shows up there, not twice). One element or none.
    async fn granted_top(&self, id: &str, granted: &HashSet<String>) -> Result<Vec<Dept>> {
        let d = match self.inner.dept(id).await {
            Ok(d) => d,
            Err(Error::OutOfRange { .. } | Error::NotFound { .. }) => {
                crate::log::warn(&format!(
                    "contact range: granted department {id:?} cannot be read; left out"
                ));
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        let mut seen = HashSet::from([d.id.clone()]);
        let mut parent = d.parent_id.clone();
        for _ in 0..MAX_DEPTH {
            let Some(p) = parent.take().filter(|p| !p.is_empty()) else {
                break;
            };
            if granted.contains(&p) {
                return Ok(Vec::new());
            }
            if !seen.insert(p.clone()) {
                break;
            }
            match self.inner.dept(&p).await {
                Ok(pd) => parent = pd.parent_id,
                // Outside the range (or gone): `d` is a top of the range.
                Err(Error::OutOfRange { .. } | Error::NotFound { .. }) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(vec![d])
    }
}

/// The first page of a listing served from memory; any token gets an empty last page.
fn one_page<T>(page: Option<&str>, items: Vec<T>) -> Page<T> {
    Page {
        items: if page.is_none() { items } else { Vec::new() },
        next_page: None,
        total: None,
    }
}

#[async_trait]
impl Directory for RangeDirectory {
    fn listing_names(&self) -> ListingNames {
        self.inner.listing_names()
    }

    async fn root(&self) -> Result<Dept> {
        match self.mode().await? {
            Mode::Limited(_) => Ok(stand_in_root()),
            Mode::Whole => {
                let first = self
                    .first_root
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                match first {
                    Some(d) => Ok(d),
                    None => self.inner.root().await,
                }
            }
        }
    }

    async fn dept(&self, id: &str) -> Result<Dept> {
        let Some(view) = self.view().await? else {
            return self.inner.dept(id).await;
        };
        if id == RANGE_ROOT_ID {
            return Ok(stand_in_root());
        }
        Ok(view.dept(self.inner.dept(id).await?))
    }

    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>> {
        let Some(view) = self.view().await? else {
            return self.inner.children(dept_id, page).await;
        };
        if dept_id == RANGE_ROOT_ID {
            return Ok(one_page(page, view.tops.clone()));
        }
        let mut p = self.inner.children(dept_id, page).await?;
        p.items = p.items.into_iter().map(|d| view.dept(d)).collect();
        Ok(p)
    }

    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>> {
        let Some(view) = self.view().await? else {
            return self.inner.members(dept_id, page).await;
        };
        if dept_id == RANGE_ROOT_ID {
            let users = match page {
                None => self.granted_outside(view).await?,
                Some(_) => Vec::new(),
            };
            let users = users.into_iter().map(|u| view.user(u)).collect();
            return Ok(one_page(page, users));
        }
        let mut p = self.inner.members(dept_id, page).await?;
        p.items = p.items.into_iter().map(|u| view.user(u)).collect();
        Ok(p)
    }

    /// A whole-company app only (known to be one): a limited one's crawl starts at the
    /// stand-in, whose listings are served here, one department at a time.
    async fn subtree_depts(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<Dept>>> {
        self.view().await?;
        match self.mode.get() {
            Some(Mode::Whole) => self.inner.subtree_depts(dept_id, page).await,
            _ => Ok(None),
        }
    }

    async fn subtree_users(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<User>>> {
        self.view().await?;
        match self.mode.get() {
            Some(Mode::Whole) => self.inner.subtree_users(dept_id, page).await,
            _ => Ok(None),
        }
    }

    async fn user(&self, id: &str) -> Result<User> {
        let u = self.inner.user(id).await?;
        Ok(match self.view().await? {
            Some(view) => view.user(u),
            None => u,
        })
    }

    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        let us = self.inner.users(ids).await?;
        Ok(match self.view().await? {
            Some(view) => us.into_iter().map(|u| view.user(u)).collect(),
            None => us,
        })
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>> {
        let found = self.inner.users_by_emails(emails).await?;
        let Some(view) = self.view().await? else {
            return Ok(found);
        };
        Ok(found
            .into_iter()
            .map(|m| EmailMatch {
                email: m.email,
                user: m.user.map(|u| view.user(u)),
            })
            .collect())
    }

    async fn contact_range(&self) -> Result<Option<ContactRange>> {
        self.inner.contact_range().await
    }

    async fn probe(&self) -> Result<Option<Probe>> {
        self.inner.probe().await
    }
}

#[cfg(test)]
mod tests;
