//! `orgtui tree`: the department tree as indented text or nested JSON (`children`, `members`).

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::members::hydrate;
use super::output::{self, DeptJson, UserJson};
use crate::crawl::{Crawl, CrawlOptions, Progress, crawl_with};
use crate::directory::Directory;
use crate::error::{Result, exit};
use crate::model::User;
use crate::text::sanitize;

pub async fn run(
    dir: Arc<dyn Directory>,
    dept: Option<&str>,
    depth: Option<usize>,
    list_members: bool,
    json: bool,
) -> Result<i32> {
    let (found, people) = crawl_with_people(dir, dept, depth).await?;
    let text = if json {
        output::to_json(&nested(&found, &people, &found.start))?
    } else {
        indented(&found, &people, list_members)
    };
    output::emit(&text)?;
    Ok(exit::OK)
}

/// Crawl from `dept` (or the root) with members, and read everyone's full details once.
pub async fn crawl_with_people(
    dir: Arc<dyn Directory>,
    dept: Option<&str>,
    depth: Option<usize>,
) -> Result<(Crawl, HashMap<String, User>)> {
    let start = match dept {
        Some(id) => dir.dept(id).await?,
        None => dir.root().await?,
    };
    let opts = CrawlOptions {
        max_depth: depth,
        members: true,
    };
    let progress = Arc::new(Progress::new());
    let bar = progress_bar(progress.clone());
    let found = crawl_with(dir.clone(), start, opts, &progress, |_| {}).await;
    if let Some(bar) = bar {
        bar.abort();
        // Clear the progress line.
        eprint!("\r\x1b[2K");
    }
    let found = found?;
    let listed: Vec<User> = found.unique_users().into_iter().cloned().collect();
    let people = hydrate(dir.as_ref(), listed)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    Ok((found, people))
}

#[derive(Serialize)]
struct Node<'a> {
    #[serde(flatten)]
    dept: DeptJson<'a>,
    children: Vec<Node<'a>>,
    members: Vec<UserJson<'a>>,
}

fn members_of<'a>(c: &'a Crawl, people: &'a HashMap<String, User>, id: &str) -> Vec<&'a User> {
    c.members
        .get(id)
        .into_iter()
        .flatten()
        .map(|u| people.get(&u.id).unwrap_or(u))
        .collect()
}

fn nested<'a>(c: &'a Crawl, people: &'a HashMap<String, User>, id: &str) -> Option<Node<'a>> {
    let dept = c.depts.get(id)?;
    let children = c
        .children
        .get(id)
        .into_iter()
        .flatten()
        .filter_map(|k| nested(c, people, k))
        .collect();
    let members = members_of(c, people, id)
        .into_iter()
        .map(UserJson::from)
        .collect();
    Some(Node {
        dept: DeptJson::from(dept),
        children,
        members,
    })
}

fn indented(c: &Crawl, people: &HashMap<String, User>, list_members: bool) -> String {
    let mut out = String::new();
    for (depth, d) in c.walk() {
        let indent = "  ".repeat(depth);
        let members = members_of(c, people, &d.id);
        out.push_str(&format!(
            "{indent}{} [{}]  {} member{}\n",
            output::field(d.name.as_deref()),
            sanitize(&d.id),
            members.len(),
            if members.len() == 1 { "" } else { "s" }
        ));
        if list_members {
            for u in members {
                let star = if d.leader_ids.contains(&u.id) {
                    "★ "
                } else {
                    ""
                };
                out.push_str(&format!("{indent}  · {star}{}\n", output::user_line(u)));
            }
        }
    }
    out
}

/// A progress line on stderr while crawling, only when stderr is a terminal (never in pipes
/// or logs).
fn progress_bar(progress: Arc<Progress>) -> Option<tokio::task::JoinHandle<()>> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        loop {
            tick.tick().await;
            let v = progress.view();
            let width = 30u64;
            let filled = (v.depts_done * width)
                .checked_div(v.depts_known)
                .unwrap_or(0);
            let bar: String = (0..width)
                .map(|i| if i < filled { '#' } else { '-' })
                .collect();
            eprint!("\r\x1b[2K[{bar}] {}", v.describe());
        }
    }))
}
