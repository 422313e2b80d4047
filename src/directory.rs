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
    fn kind(&self) -> ProviderKind;

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

/// Guards a listing against a server that hands back a page token it already gave.
#[derive(Debug, Default)]
pub struct PageGuard {
    seen: HashSet<String>,
}

impl PageGuard {
    /// Accept the next token, or fail if it repeats.
    pub fn next(&mut self, endpoint: &str, token: Option<String>) -> Result<Option<String>> {
        match token {
            Some(t) if !self.seen.insert(t.clone()) => Err(Error::Protocol {
                endpoint: endpoint.to_string(),
                msg: "the server repeated a page token; stopping to avoid a loop".into(),
            }),
            other => Ok(other),
        }
    }
}

/// Every page of a listing, following tokens until the last, with the repeat guard.
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
        out.extend(page.items);
        token = guard.next(endpoint, page.next_page)?;
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

/// Every direct sub-department of `dept_id`, all pages.
pub async fn all_children(dir: &dyn Directory, dept_id: &str) -> Result<Vec<Dept>> {
    all_pages("children", async |t| {
        dir.children(dept_id, t.as_deref()).await
    })
    .await
}

/// Every direct member of `dept_id`, all pages.
pub async fn all_members(dir: &dyn Directory, dept_id: &str) -> Result<Vec<User>> {
    all_pages("members", async |t| {
        dir.members(dept_id, t.as_deref()).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_guard_stops_repeats() {
        let mut g = PageGuard::default();
        assert_eq!(g.next("x", Some("a".into())).unwrap(), Some("a".into()));
        assert_eq!(g.next("x", Some("b".into())).unwrap(), Some("b".into()));
        assert!(g.next("x", Some("a".into())).is_err());
        assert_eq!(g.next("x", None).unwrap(), None);
    }
}
