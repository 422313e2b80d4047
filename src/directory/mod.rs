//! The one interface the TUI and the CLI use, whatever the provider.
//!
//! Submodules: `paging` (the guard on following page tokens), `offline` (a directory
//! answered from memory: a snapshot or an org file), `pending` (a directory still being
//! built, whose calls wait for it).

pub mod offline;
mod paging;
pub mod pending;
mod recorder;

pub use recorder::Recorder;

pub use paging::{MAX_PAGES, PAGE_SLACK, PageGuard, all_pages};

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::model::{Dept, EmailMatch, Page, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Wps,
    Feishu,
    Lark,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Wps => "wps",
            ProviderKind::Feishu => "feishu",
            ProviderKind::Lark => "lark",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "wps" => Some(ProviderKind::Wps),
            "feishu" => Some(ProviderKind::Feishu),
            "lark" => Some(ProviderKind::Lark),
            _ => None,
        }
    }
}

/// What an app was granted when it may read only part of the company (its contact range):
/// top departments (their subtrees included) and people granted one by one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactRange {
    pub dept_ids: Vec<String>,
    pub user_ids: Vec<String>,
}

/// What `orgtui doctor` learns from a live connection: a freshly fetched token's lifetime
/// and the server's clock (its `Date` header), for the skew check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub token_lifetime: Duration,
    pub server_date: Option<SystemTime>,
}

/// A company directory. Listing calls take the opaque page token from the previous page
/// (`None` for the first). Users not found are `Error::NotFound`; in batch calls they are
/// simply absent.
#[async_trait]
pub trait Directory: Send + Sync {
    /// How `children` and `members` are named in errors: a provider names its endpoints,
    /// a directory with no wire (offline) the listings themselves.
    fn listing_names(&self) -> ListingNames {
        ListingNames::UNNAMED
    }

    /// The root department.
    async fn root(&self) -> Result<Dept>;

    /// One department, with its path.
    async fn dept(&self, id: &str) -> Result<Dept>;

    /// Direct sub-departments of `dept_id`, one page.
    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>>;

    /// Direct members of `dept_id`, one page, every status. Members may lack `leader_id` and
    /// `depts` (listings carry a reduced user); `users` fills those in.
    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>>;

    /// One user with departments (names and paths) filled in.
    async fn user(&self, id: &str) -> Result<User>;

    /// Many users with departments; unknown ids are left out. Any number of ids: the
    /// provider chunks as its API requires.
    async fn users(&self, ids: &[String]) -> Result<Vec<User>>;

    /// Users by email, one entry per requested email in the order asked.
    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>>;

    /// Every department below `dept_id` (sub-departments of sub-departments too, not
    /// `dept_id` itself), each naming its parent in `parent_id`, one page: what a walk of
    /// `children` listings finds, in far fewer requests. `Ok(None)` when the directory has
    /// no such listing for `dept_id`; the crawler then lists each department's children.
    async fn subtree_depts(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<Dept>>> {
        let _ = (dept_id, page);
        Ok(None)
    }

    /// Everyone in `dept_id` or a department below it, one page, as full records (what
    /// `users` answers: `dept_ids` and `depts` filled in), every status the member listings
    /// give. It may hold people of other departments too (a company-wide listing): the
    /// crawler places each by `dept_ids`. `Ok(None)` when the directory has no such
    /// listing for `dept_id`; the crawler then lists each department's members.
    async fn subtree_users(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<User>>> {
        let _ = (dept_id, page);
        Ok(None)
    }

    /// The app's contact range, from the provider's range call. `None` where there is no
    /// such call (offline).
    async fn contact_range(&self) -> Result<Option<ContactRange>> {
        Ok(None)
    }

    /// A fresh token and the server's clock, for `orgtui doctor`. `None` offline.
    async fn probe(&self) -> Result<Option<Probe>> {
        Ok(None)
    }
}

/// Why `id` cannot be one segment of a request path, when it cannot. Everything else is
/// percent-encoded as it goes into the path (`/`, `?`, `#`, `%` included), but `.` and `..`
/// are dot-segments, which URL parsers and servers resolve away (`/v7/users/..` is
/// `/v7/users`), and an empty segment would name a different endpoint too.
pub fn unusable_segment(id: &str) -> Option<&'static str> {
    match id {
        "" => Some("it is empty"),
        "." | ".." => Some("a dot-segment would change the request path"),
        _ => None,
    }
}

/// Checked before an id goes into a request path: a server-given id that cannot be one path
/// segment is a protocol error of `endpoint`, and nothing is sent.
pub fn path_segment<'a>(endpoint: &str, id: &'a str) -> Result<&'a str> {
    match unusable_segment(id) {
        None => Ok(id),
        Some(why) => Err(Error::Protocol {
            endpoint: endpoint.to_string(),
            msg: format!(
                "the id {:?} cannot be sent as a path segment: {why}",
                crate::text::sanitize_line(id, 80)
            ),
        }),
    }
}

/// An id typed on the command line (`orgtui user ID`, `--dept ID`): refused with a usage
/// error when it is no id at all: empty, a dot-segment, or holding `/`, `\`, `?`, `#`, `%`,
/// whitespace or control characters, none of which a provider's ids contain.
pub fn check_arg_id(what: &str, id: &str) -> Result<()> {
    let why = unusable_segment(id).or_else(|| {
        id.chars()
            .any(|c| {
                matches!(c, '/' | '\\' | '?' | '#' | '%') || c.is_whitespace() || c.is_control()
            })
            .then_some("ids hold no '/', '\\', '?', '#', '%', spaces or control characters")
    });
    match why {
        None => Ok(()),
        Some(why) => Err(Error::Usage(format!(
            "{what} {:?} is not a usable id: {why}",
            crate::text::sanitize_line(id, 80)
        ))),
    }
}

/// The calls of one batch operation (a batch read or email lookup per chunk of ids), made
/// concurrently and answered in order. The HTTP client bounds how many are in flight and
/// spaces them to the rate limit; this only keeps it fed, where one call after another
/// would run at one request's latency (2,000 calls for a 100,000-person export). The calls
/// are futures not yet started (a closure here would trip async_trait's `Send` inference).
pub async fn in_order<R, Fut>(calls: Vec<Fut>) -> Result<Vec<R>>
where
    Fut: std::future::Future<Output = Result<Vec<R>>>,
{
    use futures_util::{StreamExt, TryStreamExt};
    /// Calls started ahead: more than any profile's concurrency needs to stay busy.
    const AHEAD: usize = 64;
    let parts: Vec<Vec<R>> = futures_util::stream::iter(calls)
        .buffered(AHEAD)
        .try_collect()
        .await?;
    Ok(parts.into_iter().flatten().collect())
}

/// What a directory's two listings are called in errors (see `Directory::listing_names`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingNames {
    pub children: &'static str,
    pub members: &'static str,
    /// `Directory::subtree_depts` and `subtree_users`.
    pub subtree_depts: &'static str,
    pub subtree_users: &'static str,
}

impl ListingNames {
    pub const UNNAMED: ListingNames = ListingNames {
        children: "the sub-department listing",
        members: "the member listing",
        subtree_depts: "the listing of every department below",
        subtree_users: "the listing of everyone below",
    };
}

/// How a department's sub-department listing is named in errors: the directory's endpoint
/// when known (the browser knows only the department).
pub fn children_listing(names: Option<ListingNames>, dept_id: &str) -> String {
    let endpoint = names.unwrap_or(ListingNames::UNNAMED).children;
    format!("{endpoint} of {dept_id:?}")
}

/// How a department's member listing is named in errors, like `children_listing`.
pub fn members_listing(names: Option<ListingNames>, dept_id: &str) -> String {
    let endpoint = names.unwrap_or(ListingNames::UNNAMED).members;
    format!("{endpoint} of {dept_id:?}")
}

/// Every direct sub-department of `dept_id`, all pages.
pub async fn all_children(dir: &dyn Directory, dept_id: &str) -> Result<Vec<Dept>> {
    all_pages(
        &children_listing(Some(dir.listing_names()), dept_id),
        async |t| dir.children(dept_id, t.as_deref()).await,
    )
    .await
}

/// Every page of a listing a directory may not offer (`Directory::subtree_depts`,
/// `subtree_users`), within `PageGuard`'s bounds: `Ok(None)` when the first page says it is
/// not offered. One that stops being offered midway is a protocol error of `endpoint`.
pub async fn offered_pages<T, F, Fut>(endpoint: &str, mut fetch: F) -> Result<Option<Vec<T>>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Page<T>>>>,
{
    let mut out = Vec::new();
    let mut guard = PageGuard::default();
    let mut token: Option<String> = None;
    let mut first = true;
    loop {
        let Some(page) = fetch(token.take()).await? else {
            if first {
                return Ok(None);
            }
            return Err(Error::Protocol {
                endpoint: endpoint.to_string(),
                msg: "the listing stopped being offered midway".into(),
            });
        };
        first = false;
        let items = page.items.len();
        out.extend(page.items);
        token = guard.next_page(endpoint, page.next_page, page.total, items)?;
        if token.is_none() {
            return Ok(Some(out));
        }
    }
}

/// Each department's sub-departments from a `subtree_depts` listing, in listing order, by
/// the parent each names; a department listed twice counts once, where first listed.
pub fn children_by_parent(depts: &[Dept]) -> HashMap<&str, Vec<&Dept>> {
    let mut seen = HashSet::new();
    let mut out: HashMap<&str, Vec<&Dept>> = HashMap::new();
    for d in depts {
        if let Some(p) = d.parent_id.as_deref()
            && seen.insert(d.id.as_str())
        {
            out.entry(p).or_default().push(d);
        }
    }
    out
}

/// A listing record that says who and in which departments (`members_by_dept`).
pub trait Placed {
    fn id(&self) -> &str;
    fn dept_ids(&self) -> &[String];
}

impl Placed for User {
    fn id(&self) -> &str {
        &self.id
    }
    fn dept_ids(&self) -> &[String] {
        &self.dept_ids
    }
}

/// Each department's members from a `subtree_users` listing, by their `dept_ids`, in
/// listing order, as positions in `users`; a person listed twice counts once, where first
/// listed.
pub fn members_by_dept<T: Placed>(users: &[T]) -> HashMap<&str, Vec<usize>> {
    let mut seen = HashSet::new();
    let mut out: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, u) in users.iter().enumerate() {
        if !seen.insert(u.id()) {
            continue;
        }
        let mut placed = HashSet::new();
        for d in u.dept_ids().iter().filter(|d| placed.insert(d.as_str())) {
            out.entry(d.as_str()).or_default().push(i);
        }
    }
    out
}

/// Every direct member of `dept_id`, all pages.
pub async fn all_members(dir: &dyn Directory, dept_id: &str) -> Result<Vec<User>> {
    all_pages(
        &members_listing(Some(dir.listing_names()), dept_id),
        async |t| dir.members(dept_id, t.as_deref()).await,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_would_change_the_path_are_refused() {
        for bad in [
            "", ".", "..", "../x", "a/b", "a?b", "a#b", "%2e%2e", "a b", "a\\b", "\u{1b}x",
        ] {
            assert!(check_arg_id("user id", bad).is_err(), "{bad:?}");
        }
        for ok in ["u1", "od-123", "ou_abc", "~range", "a.b", "...", "用户"] {
            assert!(check_arg_id("user id", ok).is_ok(), "{ok:?}");
        }
        for bad in ["", ".", ".."] {
            assert!(path_segment("GET /x/{id}", bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            path_segment("GET /x/{id}", "../../evil").unwrap(),
            "../../evil"
        );
        let e = check_arg_id("user id", "..").unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
    }
}
