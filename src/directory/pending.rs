//! A directory still being built. The offline directory of a 100,000-person snapshot takes
//! about a second to load and index; the browser draws from the snapshot's head at once and
//! its requests wait here until the directory is ready.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::directory::{ContactRange, Directory, ProviderKind};
use crate::error::{Error, Result};
use crate::model::{Dept, EmailMatch, Page, User};

type Built = Option<std::result::Result<Arc<dyn Directory>, String>>;

pub struct PendingDirectory {
    kind: ProviderKind,
    ready: watch::Receiver<Built>,
}

impl std::fmt::Debug for PendingDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingDirectory")
            .field("kind", &self.kind)
            .field("ready", &self.ready.borrow().is_some())
            .finish()
    }
}

impl PendingDirectory {
    /// Run `build` on a blocking thread; requests wait for what it returns. Its error (one
    /// line) answers every request. Must be called within a tokio runtime.
    pub fn spawn<F>(kind: ProviderKind, build: F) -> PendingDirectory
    where
        F: FnOnce() -> Result<Arc<dyn Directory>> + Send + 'static,
    {
        let (tx, ready) = watch::channel(None);
        tokio::task::spawn_blocking(move || {
            let built = build().map_err(|e| e.to_string());
            let _ = tx.send(Some(built));
        });
        PendingDirectory { kind, ready }
    }

    async fn dir(&self) -> Result<Arc<dyn Directory>> {
        let mut ready = self.ready.clone();
        let built = ready
            .wait_for(Option::is_some)
            .await
            .map_err(|_| Error::Io("the offline directory was never built".into()))?;
        match built.as_ref() {
            Some(Ok(dir)) => Ok(dir.clone()),
            Some(Err(e)) => Err(Error::Usage(e.clone())),
            None => Err(Error::Io("the offline directory was never built".into())),
        }
    }
}

#[async_trait]
impl Directory for PendingDirectory {
    async fn root(&self) -> Result<Dept> {
        self.dir().await?.root().await
    }

    async fn dept(&self, id: &str) -> Result<Dept> {
        self.dir().await?.dept(id).await
    }

    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>> {
        self.dir().await?.children(dept_id, page).await
    }

    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>> {
        self.dir().await?.members(dept_id, page).await
    }

    async fn user(&self, id: &str) -> Result<User> {
        self.dir().await?.user(id).await
    }

    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        self.dir().await?.users(ids).await
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>> {
        self.dir().await?.users_by_emails(emails).await
    }

    async fn subtree_depts(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<Dept>>> {
        self.dir().await?.subtree_depts(dept_id, page).await
    }

    async fn subtree_users(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<User>>> {
        self.dir().await?.subtree_users(dept_id, page).await
    }

    async fn contact_range(&self) -> Result<Option<ContactRange>> {
        self.dir().await?.contact_range().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::offline::OfflineDirectory;

    #[tokio::test]
    async fn requests_wait_for_the_directory_and_get_its_error() {
        let file: crate::model::OrgFile = serde_json::from_str(crate::fake::DEMO_ORG_JSON).unwrap();
        let snap = crate::snapshot::Snapshot::from_org_file(&file, "demo");
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let pending = PendingDirectory::spawn(ProviderKind::Wps, move || {
            // Held back until the request below is waiting.
            let _ = wait.recv();
            let dir = OfflineDirectory::from_snapshot(&snap).unwrap();
            Ok(Arc::new(dir) as Arc<dyn Directory>)
        });
        assert!(format!("{pending:?}").contains("kind: Wps"), "{pending:?}");
        let root = tokio::spawn(async move { pending.root().await });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!root.is_finished(), "the request waits for the directory");
        go.send(()).unwrap();
        assert_eq!(root.await.unwrap().unwrap().id, "d00000");

        let failed = PendingDirectory::spawn(ProviderKind::Feishu, || {
            Err(Error::Usage(
                "snapshot.snap: corrupt snapshot: checksum mismatch".into(),
            ))
        });
        let err = failed.user("u1").await.unwrap_err();
        assert!(err.to_string().contains("checksum mismatch"), "{err}");
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
    }
}
