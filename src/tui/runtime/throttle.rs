//! The directory as a crawl in the browser sees it: at most `slots` of its calls at once,
//! none started while paused. The user's own requests go to the directory itself, so a
//! background index holding fewer slots than the profile's concurrency always leaves some of
//! the HTTP client's in-flight permits free for them (see `Executor::crawl`).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::http::lane::{Gate, MAX_PASSES, Pass};

use crate::directory::{Directory, ListingNames};
use crate::error::Result;
use crate::model::{Dept, EmailMatch, Page, User};

pub struct Throttled {
    inner: Arc<dyn Directory>,
    /// Two lanes, as the HTTP client's: a crawl's page-token chains (`http::urgent`) are not
    /// held behind its queued department listings here either.
    slots: Arc<Gate>,
    /// Slots given out so far (`new`, then `widen`).
    total: std::sync::atomic::AtomicUsize,
    paused: watch::Receiver<bool>,
}

impl Throttled {
    /// `slots` at least 1; `paused` true holds back every call not yet started.
    pub fn new(inner: Arc<dyn Directory>, slots: usize, paused: watch::Receiver<bool>) -> Self {
        let slots = slots.clamp(1, MAX_PASSES);
        Throttled {
            inner,
            slots: Gate::new(slots),
            total: std::sync::atomic::AtomicUsize::new(slots),
            paused,
        }
    }

    /// Raise the number of calls at once to `slots` (never lowers it).
    pub fn widen(&self, slots: usize) {
        use std::sync::atomic::Ordering;
        let slots = slots.min(MAX_PASSES);
        let before = self.total.fetch_max(slots, Ordering::SeqCst);
        self.slots.add_passes(slots.saturating_sub(before));
    }

    /// Wait while paused, then for a slot; the slot is held for the call.
    async fn turn(&self) -> Result<Pass> {
        let mut paused = self.paused.clone();
        // The sender gone means the crawl is over: nothing is held back any more.
        let _ = paused.wait_for(|p| !*p).await;
        Ok(self.slots.acquire().await)
    }
}

#[async_trait]
impl Directory for Throttled {
    fn listing_names(&self) -> ListingNames {
        self.inner.listing_names()
    }

    async fn root(&self) -> Result<Dept> {
        let _slot = self.turn().await?;
        self.inner.root().await
    }

    async fn dept(&self, id: &str) -> Result<Dept> {
        let _slot = self.turn().await?;
        self.inner.dept(id).await
    }

    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>> {
        let _slot = self.turn().await?;
        self.inner.children(dept_id, page).await
    }

    async fn subtree_depts(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<Dept>>> {
        let _slot = self.turn().await?;
        self.inner.subtree_depts(dept_id, page).await
    }

    async fn subtree_users(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<User>>> {
        let _slot = self.turn().await?;
        self.inner.subtree_users(dept_id, page).await
    }

    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>> {
        let _slot = self.turn().await?;
        self.inner.members(dept_id, page).await
    }

    async fn user(&self, id: &str) -> Result<User> {
        let _slot = self.turn().await?;
        self.inner.user(id).await
    }

    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        let _slot = self.turn().await?;
        self.inner.users(ids).await
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>> {
        let _slot = self.turn().await?;
        self.inner.users_by_emails(emails).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The demo org answered from memory, counting the calls that reach it.
    struct Counted(Arc<dyn Directory>, AtomicUsize);

    #[async_trait]
    impl Directory for Counted {
        async fn root(&self) -> Result<Dept> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.root().await
        }
        async fn dept(&self, id: &str) -> Result<Dept> {
            self.0.dept(id).await
        }
        async fn children(&self, d: &str, p: Option<&str>) -> Result<Page<Dept>> {
            self.0.children(d, p).await
        }
        async fn members(&self, d: &str, p: Option<&str>) -> Result<Page<User>> {
            self.0.members(d, p).await
        }
        async fn user(&self, id: &str) -> Result<User> {
            self.0.user(id).await
        }
        async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
            self.0.users(ids).await
        }
        async fn users_by_emails(&self, e: &[String]) -> Result<Vec<EmailMatch>> {
            self.0.users_by_emails(e).await
        }
    }

    #[tokio::test]
    async fn nothing_starts_while_paused_and_everything_after() {
        let snap = crate::source::demo_snapshot().unwrap();
        let offline = crate::directory::offline::OfflineDirectory::from_snapshot(&snap).unwrap();
        let counted = Arc::new(Counted(Arc::new(offline), AtomicUsize::new(0)));
        let (pause, paused) = watch::channel(true);
        let dir = Arc::new(Throttled::new(counted.clone(), 1, paused));
        let call = tokio::spawn({
            let dir = dir.clone();
            async move { dir.root().await }
        });
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            counted.1.load(Ordering::SeqCst),
            0,
            "held back while paused"
        );
        assert!(!call.is_finished());
        pause.send(false).unwrap();
        assert!(call.await.unwrap().is_ok());
        assert_eq!(counted.1.load(Ordering::SeqCst), 1);
        // The pause ended with its sender: calls go through.
        drop(pause);
        assert!(dir.root().await.is_ok());
    }
}
