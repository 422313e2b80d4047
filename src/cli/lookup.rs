//! `orgtui lookup EMAIL...`: users for emails, in input order; unknown ones named on stderr
//! and the exit status 1.

use std::sync::Arc;

use super::output::{self, UserJson};
use crate::directory::Directory;
use crate::error::{Error, Result, exit};
use crate::text::sanitize;

pub async fn run(dir: Arc<dyn Directory>, emails: &[String], json: bool) -> Result<i32> {
    let emails: Vec<String> = emails
        .iter()
        .flat_map(|e| e.split([',', ' ', '\n', ';']))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(bad) = emails.iter().find(|e| !looks_like_email(e)) {
        return Err(Error::Usage(format!(
            "not an email address: {:?}",
            sanitize(bad)
        )));
    }
    let found = dir.users_by_emails(&emails).await?;
    let missing: Vec<&str> = found
        .iter()
        .filter(|m| m.user.is_none())
        .map(|m| m.email.as_str())
        .collect();
    if json {
        let users: Vec<UserJson> = found
            .iter()
            .filter_map(|m| m.user.as_ref())
            .map(UserJson::from)
            .collect();
        output::emit(&output::to_json(&users)?)?;
    } else {
        let mut text = String::new();
        for m in &found {
            if let Some(u) = &m.user {
                text.push_str(&format!(
                    "{}\t{}\n",
                    sanitize(&m.email),
                    output::user_line(u)
                ));
            }
        }
        output::emit(&text)?;
    }
    for e in &missing {
        eprintln!("orgtui: not found: {}", sanitize(e));
    }
    Ok(if missing.is_empty() {
        exit::OK
    } else {
        exit::NOT_FOUND
    })
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    }
}
