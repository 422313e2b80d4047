//! `orgtui reports USER_ID`: the user's direct reports (`--depth 1`, the default), or the
//! reporting tree `--depth N` levels deep (1 to 256), or all of it (`--all`, up to 256
//! levels). Each level in name order, then id. JSON: `{"user": User, "reports": [{"user":
//! User, "reports": [...]}, ...]}`, a person at the depth asked having `"reports": []`. Text:
//! an indented tree, each line the person and their head count (`(12 below)`: everyone
//! below them, however deep, each once). Everyone appears once: a loop of leader links
//! through the user is not followed and is named once on stderr.

use std::sync::Arc;

use serde::Serialize;

use super::chain::person;
use super::output::{self, UserJson};
use super::whole_org::{self, Org, WholeOrg};
use crate::directory::Directory;
use crate::error::Result;
use crate::model::User;
use crate::reporting::{MAX_TREE_DEPTH, TreeRow};

/// One person and those below them.
#[derive(Serialize)]
struct Node<'a> {
    user: UserJson<'a>,
    reports: Vec<Node<'a>>,
}

pub async fn run(
    dir: Arc<dyn Directory>,
    org: Option<WholeOrg>,
    id: &str,
    depth: Option<usize>,
    json: bool,
) -> Result<i32> {
    let org = Org::for_user(dir, org, id).await?;
    let tree = org.links.tree(id, depth);
    let records: Vec<User> = tree.rows.iter().map(|r| org.record(&r.id)).collect();
    let text = if json {
        output::to_json(&nest(&tree.rows, &records))?
    } else {
        let mut out = String::new();
        for (row, u) in tree.rows.iter().zip(&records) {
            let indent = "  ".repeat(row.level);
            out.push_str(&format!("{indent}{}  ({} below)\n", person(u), row.below));
        }
        out
    };
    let cut = tree.cut.then(|| {
        format!(
            "the reporting tree is deeper than {MAX_TREE_DEPTH} levels, or too large: cut there"
        )
    });
    whole_org::emit(&text, tree.cycle.as_ref(), cut)
}

/// The nested JSON of rows given depth first (`rows[0]` at level 0), without recursion: a
/// stack holds the open nodes, each closed into its parent when a row at its level or above
/// comes.
fn nest<'a>(rows: &[TreeRow], records: &'a [User]) -> Option<Node<'a>> {
    let mut open: Vec<(usize, Node<'a>)> = Vec::new();
    let close = |open: &mut Vec<(usize, Node<'a>)>| {
        if let Some((_, done)) = open.pop()
            && let Some((_, parent)) = open.last_mut()
        {
            parent.reports.push(done);
        }
    };
    for (row, u) in rows.iter().zip(records) {
        while open.len() > 1 && open.last().is_some_and(|(level, _)| *level >= row.level) {
            close(&mut open);
        }
        open.push((
            row.level,
            Node {
                user: UserJson::from(u),
                reports: Vec::new(),
            },
        ));
    }
    while open.len() > 1 {
        close(&mut open);
    }
    open.pop().map(|(_, root)| root)
}
