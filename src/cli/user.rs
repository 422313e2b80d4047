//! `orgtui user USER_ID`: one user with departments, the leader shown by name.

use std::sync::Arc;

use super::output::{self, UserJson};
use crate::directory::Directory;
use crate::error::{Result, exit};

pub async fn run(dir: Arc<dyn Directory>, id: &str, json: bool) -> Result<i32> {
    crate::directory::check_arg_id("user id", id)?;
    let user = dir.user(id).await?;
    if json {
        output::emit(&output::to_json(&UserJson::from(&user))?)?;
        return Ok(exit::OK);
    }
    // The leader by name; a leader we cannot read is shown by id rather than failing.
    let leader = match &user.leader_id {
        Some(l) => dir.user(l).await.ok().map(|u| output::user_line(&u)),
        None => None,
    };
    output::emit(&output::user_block(&user, leader.as_deref()))?;
    Ok(exit::OK)
}
