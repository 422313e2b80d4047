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

use crate::directory::{ContactRange, Directory, Probe, ProviderKind, in_order};
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
    fn kind(&self) -> ProviderKind {
        self.inner.kind()
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
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::error::ServerReply;
    use crate::model::DeptRef;

    /// A provider whose app may read `readable` departments; everything else is refused
    /// as outside the range. Paths are the full company paths, as WPS reports them.
    #[derive(Default)]
    struct Mock {
        depts: Vec<Dept>,
        readable: HashSet<String>,
        users: Vec<User>,
        range: ContactRange,
        root_calls: AtomicUsize,
        root_ok: bool,
    }

    fn refused(what: &str) -> Error {
        Error::OutOfRange {
            what: what.into(),
            reply: ServerReply::default(),
        }
    }

    fn dept(id: &str, parent: Option<&str>, path: &str) -> Dept {
        Dept {
            id: id.into(),
            name: path.rsplit('/').next().map(str::to_string),
            parent_id: parent.map(str::to_string),
            path: Some(path.into()),
            ..Dept::default()
        }
    }

    fn user(id: &str, dept: &str, path: &str) -> User {
        User {
            id: id.into(),
            dept_ids: vec![dept.into()],
            depts: vec![DeptRef {
                id: dept.into(),
                name: None,
                path: Some(path.into()),
            }],
            ..User::default()
        }
    }

    #[async_trait]
    impl Directory for Mock {
        fn kind(&self) -> ProviderKind {
            ProviderKind::Wps
        }
        async fn root(&self) -> Result<Dept> {
            self.root_calls.fetch_add(1, Ordering::Relaxed);
            match self.root_ok {
                true => Ok(self.depts[0].clone()),
                false => Err(refused("root")),
            }
        }
        async fn dept(&self, id: &str) -> Result<Dept> {
            if !self.readable.contains(id) {
                return Err(refused(id));
            }
            let d = self.depts.iter().find(|d| d.id == id).cloned();
            d.ok_or_else(|| Error::not_found(id))
        }
        async fn children(&self, id: &str, _: Option<&str>) -> Result<Page<Dept>> {
            self.dept(id).await?;
            let items = self
                .depts
                .iter()
                .filter(|d| d.parent_id.as_deref() == Some(id))
                .cloned()
                .collect();
            Ok(Page {
                items,
                next_page: None,
                total: None,
            })
        }
        async fn members(&self, id: &str, _: Option<&str>) -> Result<Page<User>> {
            self.dept(id).await?;
            let items = self
                .users
                .iter()
                .filter(|u| u.dept_ids.iter().any(|d| d == id))
                .cloned()
                .collect();
            Ok(Page {
                items,
                next_page: None,
                total: None,
            })
        }
        async fn user(&self, id: &str) -> Result<User> {
            let u = self.users.iter().find(|u| u.id == id).cloned();
            u.ok_or_else(|| Error::not_found(id))
        }
        async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
            Ok(self
                .users
                .iter()
                .filter(|u| ids.contains(&u.id))
                .cloned()
                .collect())
        }
        async fn users_by_emails(&self, _: &[String]) -> Result<Vec<EmailMatch>> {
            Ok(Vec::new())
        }
        async fn contact_range(&self) -> Result<Option<ContactRange>> {
            Ok(Some(self.range.clone()))
        }
    }

    /// Acme / R&D / Backend / DB (granted) / Disk, Acme / Sales (granted) / North (also
    /// granted: inside Sales), a granted id that cannot be read, one person granted directly.
    fn limited() -> Mock {
        let depts = vec![
            dept("r", None, "Acme"),
            dept("rd", Some("r"), "Acme/R&D"),
            dept("be", Some("rd"), "Acme/R&D/Backend"),
            dept("db", Some("be"), "Acme/R&D/Backend/DB"),
            dept("disk", Some("db"), "Acme/R&D/Backend/DB/Disk"),
            dept("sales", Some("r"), "Acme/Sales"),
            dept("north", Some("sales"), "Acme/Sales/North"),
        ];
        let readable = ["db", "disk", "sales", "north"].map(String::from).into();
        Mock {
            depts,
            readable,
            users: vec![
                user("u-disk", "disk", "Acme/R&D/Backend/DB/Disk"),
                user("solo", "rd", "Acme/R&D"),
            ],
            range: ContactRange {
                dept_ids: ["north", "db", "gone", "sales"].map(String::from).into(),
                user_ids: vec!["solo".into(), "nobody".into()],
            },
            ..Mock::default()
        }
    }

    #[tokio::test]
    async fn a_refused_root_becomes_the_stand_in_over_the_granted_departments() {
        let dir = RangeDirectory::new(Arc::new(limited()));
        let root = dir.root().await.unwrap();
        assert_eq!(root.id, RANGE_ROOT_ID);
        assert_eq!(root.parent_id, None);
        assert_eq!(root, dir.dept(RANGE_ROOT_ID).await.unwrap());

        // North sits inside Sales: shown there, not a second time at the top.
        let tops = dir.children(RANGE_ROOT_ID, None).await.unwrap();
        let ids: Vec<&str> = tops.items.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["db", "sales"]);
        assert!(tops.next_page.is_none());
        for t in &tops.items {
            assert_eq!(t.parent_id.as_deref(), Some(RANGE_ROOT_ID));
        }
        assert_eq!(tops.items[0].path.as_deref(), Some("DB"));
        assert!(
            dir.children(RANGE_ROOT_ID, Some("x"))
                .await
                .unwrap()
                .items
                .is_empty()
        );

        // A granted top read on its own names the stand-in too; paths start at it.
        let db = dir.dept("db").await.unwrap();
        assert_eq!(db.parent_id.as_deref(), Some(RANGE_ROOT_ID));
        let kids = dir.children("db", None).await.unwrap();
        assert_eq!(kids.items[0].path.as_deref(), Some("DB/Disk"));
        assert_eq!(kids.items[0].parent_id.as_deref(), Some("db"));
        let north = dir.dept("north").await.unwrap();
        assert_eq!(north.parent_id.as_deref(), Some("sales"));
        assert_eq!(north.path.as_deref(), Some("Sales/North"));

        // The stand-in's members: the people granted directly that can be read.
        let direct = dir.members(RANGE_ROOT_ID, None).await.unwrap();
        let ids: Vec<&str> = direct.items.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["solo"]);
        // Outside the range, paths are the server's.
        assert_eq!(direct.items[0].depts[0].path.as_deref(), Some("Acme/R&D"));
        let u = dir.user("u-disk").await.unwrap();
        assert_eq!(u.depts[0].path.as_deref(), Some("DB/Disk"));

        // Outside stays refused.
        assert!(matches!(
            dir.members("rd", None).await,
            Err(Error::OutOfRange { .. })
        ));
    }

    #[tokio::test]
    async fn a_readable_root_passes_through_and_is_read_once() {
        let inner = Arc::new(Mock {
            root_ok: true,
            ..limited()
        });
        let dir = RangeDirectory::new(inner.clone());
        // Learning the mode reads the root; the first root() call is answered from it.
        assert_eq!(
            dir.dept("db").await.unwrap().parent_id.as_deref(),
            Some("be")
        );
        assert_eq!(dir.root().await.unwrap().id, "r");
        assert_eq!(inner.root_calls.load(Ordering::Relaxed), 1);
        assert_eq!(dir.root().await.unwrap().id, "r");
        assert_eq!(inner.root_calls.load(Ordering::Relaxed), 2);
        let u = dir.user("u-disk").await.unwrap();
        assert_eq!(u.depts[0].path.as_deref(), Some("Acme/R&D/Backend/DB/Disk"));
    }

    #[tokio::test]
    async fn parent_loops_end_the_walk() {
        let mut m = limited();
        // db's parent chain loops through readable departments that are not granted.
        m.depts[3].parent_id = Some("loop-a".into());
        m.depts.push(dept("loop-a", Some("loop-b"), "A"));
        m.depts.push(dept("loop-b", Some("loop-a"), "B"));
        m.readable
            .extend(["loop-a".to_string(), "loop-b".to_string()]);
        let dir = RangeDirectory::new(Arc::new(m));
        let tops = dir.children(RANGE_ROOT_ID, None).await.unwrap();
        assert!(tops.items.iter().any(|d| d.id == "db"));
    }

    #[test]
    fn cuts_keep_the_granted_name() {
        assert_eq!(cut_of("Acme/R&D/DB", Some("DB")), "Acme/R&D/".len());
        assert_eq!(cut_of("DB", Some("DB")), 0);
        assert_eq!(cut_of("Acme/X", None), "Acme/".len());
        let view = View {
            tops: Vec::new(),
            top_ids: HashSet::new(),
            users: Vec::new(),
            cuts: HashMap::from([("Acme/DB".to_string(), 5)]),
        };
        assert_eq!(view.path(Some("Acme/DB/x".into())).as_deref(), Some("DB/x"));
        assert_eq!(
            view.path(Some("Acme/DBA".into())).as_deref(),
            Some("Acme/DBA")
        );
        assert_eq!(view.path(None), None);
    }
}
