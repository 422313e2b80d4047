//! The bulk listings a crawl of a whole subtree tries first (`Directory::subtree_depts`,
//! `subtree_users`): a few pages where the walk takes a request or more per department.
//! A listing the directory does not offer, or that the server refuses as outside what the
//! app may read, is `None`: the crawl then lists department by department, as it always
//! could.

use crate::directory::{Directory, offered_pages};
use crate::error::{Error, Result};
use crate::model::{Dept, Page, User};

/// Set `ORGTUI_CRAWL=per-dept` to walk department by department even where a bulk listing
/// is offered: for comparing the two, and a way out should a server's bulk listing disagree
/// with its per-department ones.
pub const MODE_ENV: &str = "ORGTUI_CRAWL";

/// Whether bulk listings may be tried (`ORGTUI_CRAWL` is not `per-dept`).
pub fn allowed() -> bool {
    std::env::var(MODE_ENV).map_or(true, |v| v.trim() != "per-dept")
}

/// Every department below `top`, or `None` (see the module).
///
/// A listing in which nothing is below the first level is not trusted: a server that ignores
/// the ask for the whole subtree (Feishu's `fetch_child=true`) answers with `top`'s own
/// children, and taking that for everything would cut the tree short. The departments are
/// then listed one by one, which for a really flat org costs what it always did.
pub async fn departments(
    dir: &dyn Directory,
    top: &str,
    count: Count<'_, Dept>,
) -> Result<Option<Vec<Dept>>> {
    let endpoint = format!("{} {top:?}", dir.listing_names().subtree_depts);
    let list = |t: Option<String>| async move { dir.subtree_depts(top, t.as_deref()).await };
    let got = offered_pages(&endpoint, |t| counted(count, list(t))).await;
    let got = fall_back(&endpoint, got)?;
    Ok(got.filter(|depts| {
        let deep = goes_deeper(top, depts);
        if !deep && !depts.is_empty() {
            crate::log::debug(&format!(
                "{endpoint}: nothing listed below the first level; listing department by \
                 department to be sure"
            ));
        }
        deep
    }))
}

/// Whether some department in `depts` hangs below another one listed (not only below `top`).
fn goes_deeper(top: &str, depts: &[Dept]) -> bool {
    let listed: std::collections::HashSet<&str> = depts
        .iter()
        .map(|d| d.id.as_str())
        .filter(|id| *id != top)
        .collect();
    depts
        .iter()
        .any(|d| d.parent_id.as_deref().is_some_and(|p| listed.contains(p)))
}

/// Everyone in `top`'s subtree (and maybe others), or `None`. Each page goes through `take`
/// as it comes, which keeps what the crawl needs of it (for the people to be searchable
/// before the listing ends, the full records can go on and only ids and departments stay).
pub async fn everyone<T>(
    dir: &dyn Directory,
    top: &str,
    take: Take<'_, T>,
) -> Result<Option<Vec<T>>> {
    let endpoint = dir.listing_names().subtree_users;
    let list = |t: Option<String>| async move {
        let page = dir.subtree_users(top, t.as_deref()).await?;
        Ok(page.map(take))
    };
    fall_back(endpoint, offered_pages(endpoint, list).await)
}

/// Called with each page of people answered; returns what the listing keeps of it.
pub type Take<'a, T> = &'a (dyn Fn(Page<User>) -> Page<T> + Sync);

/// Called with each page answered.
pub type Count<'a, T> = &'a (dyn Fn(&Page<T>) + Sync);

/// A page, counted once answered: a listing not offered costs nothing.
async fn counted<T>(
    count: Count<'_, T>,
    page: impl std::future::Future<Output = Result<Option<Page<T>>>>,
) -> Result<Option<Page<T>>> {
    let page = page.await?;
    if let Some(p) = &page {
        count(p);
    }
    Ok(page)
}

/// A refusal of the bulk listing (outside the app's range, not found, another 4xx such as
/// a missing permission) is `None`; anything else (the network, 5xx after retries, a
/// protocol error, a cancel) fails the crawl as a department listing would.
fn fall_back<T>(endpoint: &str, got: Result<Option<T>>) -> Result<Option<T>> {
    match got {
        Ok(v) => Ok(v),
        Err(e) if refused(&e) => {
            crate::log::warn(&format!(
                "{endpoint}: {e}; listing department by department instead"
            ));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn refused(e: &Error) -> bool {
    match e {
        Error::OutOfRange { .. } | Error::NotFound { .. } => true,
        Error::Server { reply, .. } => reply
            .status
            .is_some_and(|s| (400..500).contains(&s) && s != 429),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(id: &str, parent: &str) -> Dept {
        Dept {
            id: id.into(),
            name: Some(id.into()),
            parent_id: Some(parent.into()),
            ..Dept::default()
        }
    }

    #[test]
    fn a_listing_of_the_first_level_only_is_not_taken_for_the_subtree() {
        let flat = [dept("a", "0"), dept("b", "0")];
        assert!(!goes_deeper("0", &flat));
        let deep = [dept("a", "0"), dept("b", "0"), dept("c", "b")];
        assert!(goes_deeper("0", &deep));
        // A department naming the top as a listed one's parent is not depth.
        assert!(!goes_deeper("0", &[dept("0", "0"), dept("a", "0")]));
        assert!(!goes_deeper("0", &[]));
    }
}
