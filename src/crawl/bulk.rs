//! The bulk listings a crawl of a whole subtree tries first (`Directory::subtree_depts`,
//! `subtree_users`): a few pages where the walk takes a request or more per department.
//! A listing the directory does not offer, or that the server refuses as outside what the
//! app may read, is `None`: the crawl then lists department by department, as it always
//! could.

use crate::directory::{Directory, offered_pages};
use crate::error::{Error, Result};
use crate::model::{Dept, User};

/// Set `ORGTUI_CRAWL=per-dept` to walk department by department even where a bulk listing
/// is offered: for comparing the two, and a way out should a server's bulk listing disagree
/// with its per-department ones.
pub const MODE_ENV: &str = "ORGTUI_CRAWL";

/// Whether bulk listings may be tried (`ORGTUI_CRAWL` is not `per-dept`).
pub fn allowed() -> bool {
    std::env::var(MODE_ENV).map_or(true, |v| v.trim() != "per-dept")
}

/// Every department below `top`, or `None` (see the module).
pub async fn departments(
    dir: &dyn Directory,
    top: &str,
    count: Count<'_>,
) -> Result<Option<Vec<Dept>>> {
    let endpoint = format!("{} {top:?}", dir.listing_names().subtree_depts);
    let list = |t: Option<String>| async move { dir.subtree_depts(top, t.as_deref()).await };
    let got = offered_pages(&endpoint, |t| counted(count, list(t))).await;
    fall_back(&endpoint, got)
}

/// Everyone in `top`'s subtree (and maybe others), full records, or `None`.
pub async fn everyone(
    dir: &dyn Directory,
    top: &str,
    count: Count<'_>,
) -> Result<Option<Vec<User>>> {
    let endpoint = dir.listing_names().subtree_users;
    let list = |t: Option<String>| async move { dir.subtree_users(top, t.as_deref()).await };
    fall_back(
        endpoint,
        offered_pages(endpoint, |t| counted(count, list(t))).await,
    )
}

/// Called once per page answered.
pub type Count<'a> = &'a (dyn Fn() + Sync);

/// A page, counted once answered: a listing not offered costs nothing.
async fn counted<T>(
    count: Count<'_>,
    page: impl std::future::Future<Output = Result<Option<T>>>,
) -> Result<Option<T>> {
    let page = page.await?;
    if page.is_some() {
        count();
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
