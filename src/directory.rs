//! The one interface the TUI and the CLI use, whatever the provider.

use std::collections::HashSet;
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

/// Most pages one listing may take, whatever the server says: 10,000 pages of 50 is half a
/// million entries in one department, far past any real directory, and still an end.
pub const MAX_PAGES: u64 = 10_000;
/// Pages a listing may take beyond what its reported total needs (an empty last page, a
/// total that moved while paging).
pub const PAGE_SLACK: u64 = 2;

/// Guards one listing against a server that never lets it end: a page token it already
/// gave, more pages than the total it reported can fill, or more than `MAX_PAGES`.
#[derive(Debug, Clone)]
pub struct PageGuard {
    seen: HashSet<String>,
    pages: u64,
    /// The largest total the server reported, and the most items it put on one page.
    total: Option<u64>,
    widest: u64,
    ceiling: u64,
}

impl Default for PageGuard {
    fn default() -> Self {
        PageGuard::with_ceiling(MAX_PAGES)
    }
}

impl PageGuard {
    /// A guard that stops after `ceiling` pages (`MAX_PAGES` by default).
    pub fn with_ceiling(ceiling: u64) -> PageGuard {
        PageGuard {
            seen: HashSet::new(),
            pages: 0,
            total: None,
            widest: 0,
            ceiling,
        }
    }

    /// Accept the next token of a page that carried no total, or fail if it repeats.
    pub fn next(&mut self, endpoint: &str, token: Option<String>) -> Result<Option<String>> {
        self.next_page(endpoint, token, None, 0)
    }

    /// Record one page (its next token, the total it reported, how many items it held) and
    /// hand back the token to ask for next, or fail when the listing must not go on.
    pub fn next_page(
        &mut self,
        endpoint: &str,
        token: Option<String>,
        total: Option<u64>,
        items: usize,
    ) -> Result<Option<String>> {
        self.pages = self.pages.saturating_add(1);
        self.widest = self.widest.max(u64::try_from(items).unwrap_or(u64::MAX));
        if let Some(t) = total {
            self.total = Some(self.total.map_or(t, |old| old.max(t)));
        }
        let Some(t) = token else {
            return Ok(None);
        };
        let fail = |msg: String| Error::Protocol {
            endpoint: endpoint.to_string(),
            msg,
        };
        if !self.seen.insert(t.clone()) {
            return Err(fail(format!(
                "the server repeated a page token after {} pages; stopping to avoid a loop",
                self.pages
            )));
        }
        if self.pages >= self.ceiling {
            return Err(fail(format!(
                "the listing did not end after {} pages (the most one listing may take); stopping",
                self.pages
            )));
        }
        if let Some(total) = self.total {
            // A page holds at least one item, and no fewer than the fullest page so far.
            let needed = total
                .div_ceil(self.widest.max(1))
                .saturating_add(PAGE_SLACK);
            if self.pages >= needed {
                return Err(fail(format!(
                    "the listing did not end after {} pages although the server reported {total} \
                     items in all; stopping",
                    self.pages
                )));
            }
        }
        Ok(Some(t))
    }
}
/// Every page of a listing, following tokens until the last, within `PageGuard`'s bounds.
pub async fn all_pages<T, F, Fut>(endpoint: &str, mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>>>,
{
    let mut out = Vec::new();
    let mut guard = PageGuard::default();
    let mut token: Option<String> = None;
    loop {
        let page = fetch(token.take()).await?;
        let items = page.items.len();
        out.extend(page.items);
        token = guard.next_page(endpoint, page.next_page, page.total, items)?;
        if token.is_none() {
            return Ok(out);
        }
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
}

impl ListingNames {
    pub const UNNAMED: ListingNames = ListingNames {
        children: "the sub-department listing",
        members: "the member listing",
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

    #[test]
    fn page_guard_stops_repeats() {
        let mut g = PageGuard::default();
        assert_eq!(g.next("x", Some("a".into())).unwrap(), Some("a".into()));
        assert_eq!(g.next("x", Some("b".into())).unwrap(), Some("b".into()));
        assert!(g.next("x", Some("a".into())).is_err());
        assert_eq!(g.next("x", None).unwrap(), None);
    }

    /// Fresh tokens forever end at the ceiling, which is `MAX_PAGES` unless told otherwise.
    #[test]
    fn page_guard_has_a_ceiling() {
        assert_eq!(PageGuard::default().ceiling, MAX_PAGES);
        let mut g = PageGuard::with_ceiling(5);
        for i in 1..5 {
            assert!(g.next("x", Some(format!("t{i}"))).is_ok(), "page {i}");
        }
        let e = g.next("x", Some("t5".into())).unwrap_err().to_string();
        assert!(e.contains("did not end after 5 pages"), "{e}");
        // The default ceiling is really there: 10,000 pages of fresh tokens, then an error.
        let mut g = PageGuard::default();
        let mut ended = None;
        for i in 0..=MAX_PAGES {
            if let Err(e) = g.next("x", Some(i.to_string())) {
                ended = Some((i, e.to_string()));
                break;
            }
        }
        let (at, e) = ended.expect("the ceiling stops the listing");
        assert_eq!(at + 1, MAX_PAGES);
        assert!(e.contains("10000 pages"), "{e}");
    }

    /// A reported total bounds the pages: total / fullest page + slack.
    #[test]
    fn page_guard_limits_pages_to_the_total() {
        let mut g = PageGuard::default();
        // 3 items in all, one a page: pages 1..=4 may go on, the 5th (3 + slack 2) may not.
        for i in 1..5 {
            assert!(g.next_page("x", Some(format!("t{i}")), Some(3), 1).is_ok());
        }
        let e = g
            .next_page("x", Some("t5".into()), Some(3), 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("reported 3 items"), "{e}");
        // A listing that ends in time is fine, and no total means only the ceiling applies.
        let mut g = PageGuard::default();
        assert_eq!(
            g.next_page("x", Some("a".into()), Some(100), 50).unwrap(),
            Some("a".into())
        );
        assert_eq!(g.next_page("x", None, Some(100), 50).unwrap(), None);
    }
}
