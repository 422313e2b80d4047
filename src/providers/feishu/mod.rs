//! STUB: to be written.
use async_trait::async_trait;

use crate::config::Profile;
use crate::directory::{Directory, ProviderKind};
use crate::error::{Error, Result};
use crate::model::{Dept, EmailMatch, Page, User};

#[derive(Debug)]
pub struct FeishuClient {
    kind: ProviderKind,
}

impl FeishuClient {
    pub fn new(profile: &Profile) -> Result<FeishuClient> {
        Ok(FeishuClient {
            kind: profile.provider,
        })
    }
}

fn todo() -> Error {
    Error::Usage("not implemented".into())
}

#[async_trait]
impl Directory for FeishuClient {
    fn kind(&self) -> ProviderKind {
        self.kind
    }
    async fn root(&self) -> Result<Dept> {
        Err(todo())
    }
    async fn dept(&self, _id: &str) -> Result<Dept> {
        Err(todo())
    }
    async fn children(&self, _dept_id: &str, _page: Option<&str>) -> Result<Page<Dept>> {
        Err(todo())
    }
    async fn members(&self, _dept_id: &str, _page: Option<&str>) -> Result<Page<User>> {
        Err(todo())
    }
    async fn user(&self, _id: &str) -> Result<User> {
        Err(todo())
    }
    async fn users(&self, _ids: &[String]) -> Result<Vec<User>> {
        Err(todo())
    }
    async fn users_by_emails(&self, _emails: &[String]) -> Result<Vec<EmailMatch>> {
        Err(todo())
    }
}
