//! `orgtui members DEPT_ID`: every direct member, all pages, with full user details.

use std::sync::Arc;

use super::output::{self, UserJson};
use crate::directory::{Directory, all_members};
use crate::error::{Result, exit};
use crate::model::User;

pub async fn run(dir: Arc<dyn Directory>, dept_id: &str, json: bool) -> Result<i32> {
    crate::directory::check_arg_id("department id", dept_id)?;
    let listed = all_members(dir.as_ref(), dept_id).await?;
    let members = hydrate(dir.as_ref(), listed).await?;
    if json {
        let users: Vec<UserJson> = members.iter().map(UserJson::from).collect();
        output::emit(&output::to_json(&users)?)?;
    } else {
        let text: String = members
            .iter()
            .map(|u| output::user_line(u) + "\n")
            .collect();
        output::emit(&text)?;
    }
    Ok(exit::OK)
}

/// Member listings may carry reduced users (no leader, no departments): read them in batches
/// and keep the listing's order. Anyone the batch read leaves out keeps the listed details.
pub async fn hydrate(dir: &dyn Directory, listed: Vec<User>) -> Result<Vec<User>> {
    let ids: Vec<String> = listed.iter().map(|u| u.id.clone()).collect();
    let full = dir.users(&ids).await?;
    let mut by_id: std::collections::HashMap<String, User> =
        full.into_iter().map(|u| (u.id.clone(), u)).collect();
    Ok(listed
        .into_iter()
        .map(|u| match by_id.remove(&u.id) {
            Some(full) => crate::model::merge::kept(u, false, full, true),
            None => u,
        })
        .collect())
}
