//! Bounds on following a listing's page tokens: a server that repeats a token, or keeps
//! handing out pages past the total it reported, must not keep a listing going forever.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::model::Page;

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
