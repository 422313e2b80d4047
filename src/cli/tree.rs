//! `orgtui tree`: the department tree as indented text or nested JSON (`children`, `members`).
//!
//! For an app limited to its contact range the start is the stand-in root
//! (`model::RANGE_ROOT_ID`). Text shows it as the top line, its members marked as granted
//! directly. JSON carries the granted departments as they are: one granted department and
//! no one granted directly is that department's node (the usual shape); otherwise
//! `{"roots": [node...], "members": [user...]}`, `members` being the people granted
//! directly. Either way the top departments have `parent_id: null`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use super::members::hydrate;
use super::output::{self, DeptJson, UserJson};
use crate::crawl::{Crawl, CrawlOptions, Progress, Step, crawl_with};
use crate::directory::Directory;
use crate::error::{Result, exit};
use crate::model::{RANGE_ROOT_ID, User};
use crate::text::sanitize;

pub async fn run(
    dir: Arc<dyn Directory>,
    dept: Option<&str>,
    depth: Option<usize>,
    list_members: bool,
    json: bool,
) -> Result<i32> {
    let (found, people) = crawl_with_people(dir, dept, depth).await?;
    let text = if json && found.start == RANGE_ROOT_ID {
        let tops = range_tops(&found);
        let direct = members_of(&found, &people, RANGE_ROOT_ID);
        if let ([top], true) = (tops.as_slice(), direct.is_empty()) {
            output::to_json(&nested(&found, &people, top, &mut HashSet::new()))?
        } else {
            // Departments written under one top are not written again under another.
            let mut written = HashSet::new();
            output::to_json(&Roots {
                roots: tops
                    .iter()
                    .filter_map(|id| nested(&found, &people, id, &mut written))
                    .collect(),
                members: direct.into_iter().map(UserJson::from).collect(),
            })?
        }
    } else if json {
        output::to_json(&nested(&found, &people, &found.start, &mut HashSet::new()))?
    } else {
        indented(&found, &people, list_members)
    };
    output::emit(&text)?;
    report_cycles(&found);
    Ok(exit::OK)
}

/// Cycles in the server's data, one line each on stderr: the output has every department
/// once and says where it stopped following one.
pub fn report_cycles(found: &Crawl) {
    for note in found.cycles() {
        eprintln!("warning: {note}");
    }
}

/// Crawl from `dept` (or the root) with members, and read everyone's full details once.
pub async fn crawl_with_people(
    dir: Arc<dyn Directory>,
    dept: Option<&str>,
    depth: Option<usize>,
) -> Result<(Crawl, HashMap<String, User>)> {
    let start = match dept {
        Some(id) => {
            crate::directory::check_arg_id("department id", id)?;
            dir.dept(id).await?
        }
        None => dir.root().await?,
    };
    // A limited app's levels count from its granted departments, one below the stand-in.
    let max_depth = match start.id == RANGE_ROOT_ID {
        true => depth.map(|d| d.saturating_add(1)),
        false => depth,
    };
    let opts = CrawlOptions {
        max_depth,
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
    // Members from a bulk user listing are full records already.
    let people = match found.detailed {
        true => listed,
        false => hydrate(dir.as_ref(), listed).await?,
    };
    let people = people.into_iter().map(|u| (u.id.clone(), u)).collect();
    Ok((found, people))
}

/// The granted departments under the stand-in root, in order.
pub fn range_tops(c: &Crawl) -> Vec<&str> {
    c.children
        .get(RANGE_ROOT_ID)
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
}

/// `tree --json` for a contact range of several tops, or with people granted directly.
#[derive(Serialize)]
struct Roots<'a> {
    roots: Vec<Node<'a>>,
    members: Vec<UserJson<'a>>,
}

#[derive(Serialize)]
struct Node<'a> {
    #[serde(flatten)]
    dept: DeptJson<'a>,
    children: Vec<Node<'a>>,
    members: Vec<UserJson<'a>>,
    /// What could not be followed here, e.g. `cycle: d1 is its own ancestor`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<String>,
}

fn members_of<'a>(c: &'a Crawl, people: &'a HashMap<String, User>, id: &str) -> Vec<&'a User> {
    c.members
        .get(id)
        .into_iter()
        .flatten()
        .map(|u| people.get(&u.id).unwrap_or(u))
        .collect()
}

/// The JSON node of `id` and everything under it. Each department is written once (those
/// in `written` are left out); one listed below itself becomes an `errors` note there
/// instead of a node.
fn nested<'a>(
    c: &'a Crawl,
    people: &'a HashMap<String, User>,
    id: &str,
    written: &mut HashSet<&'a str>,
) -> Option<Node<'a>> {
    nested_in(c, people, id, written, &mut Vec::new())
}

/// `nested`, with the departments on the way down in `above`.
fn nested_in<'a>(
    c: &'a Crawl,
    people: &'a HashMap<String, User>,
    id: &str,
    drawn: &mut HashSet<&'a str>,
    above: &mut Vec<&'a str>,
) -> Option<Node<'a>> {
    let (key, dept) = c.depts.get_key_value(id)?;
    let key = key.as_str();
    if !drawn.insert(key) {
        return None;
    }
    above.push(key);
    let mut children = Vec::new();
    let mut errors = Vec::new();
    for k in c.children.get(id).into_iter().flatten() {
        if above.contains(&k.as_str()) {
            errors.push(crate::crawl::cycle_note(k));
        } else if let Some(n) = nested_in(c, people, k, drawn, above) {
            children.push(n);
        }
    }
    above.pop();
    let members = members_of(c, people, id)
        .into_iter()
        .map(UserJson::from)
        .collect();
    let mut dept = DeptJson::from(dept);
    // The stand-in is not part of the output: the granted departments are tops.
    dept.parent_id = dept.parent_id.filter(|p| *p != RANGE_ROOT_ID);
    Some(Node {
        dept,
        children,
        members,
        errors,
    })
}

fn indented(c: &Crawl, people: &HashMap<String, User>, list_members: bool) -> String {
    let mut out = String::new();
    for step in c.steps() {
        let (depth, d) = match step {
            Step::Dept(depth, d) => (depth, d),
            Step::Cycle { depth, child, .. } => {
                let indent = "  ".repeat(depth);
                out.push_str(&format!("{indent}✗ {}\n", crate::crawl::cycle_note(child)));
                continue;
            }
        };
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
                let direct = match d.id == RANGE_ROOT_ID {
                    true => "  (granted directly)",
                    false => "",
                };
                out.push_str(&format!(
                    "{indent}  · {star}{}{direct}\n",
                    output::user_line(u)
                ));
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
            let filled = v
                .depts_done
                .saturating_mul(width)
                .checked_div(v.depts_known)
                .unwrap_or(0);
            let bar: String = (0..width)
                .map(|i| if i < filled { '#' } else { '-' })
                .collect();
            eprint!("\r\x1b[2K[{bar}] {}", v.describe());
        }
    }))
}
