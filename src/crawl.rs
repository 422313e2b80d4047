//! Walks a department subtree with many requests in flight. The HTTP layer bounds how many
//! (the profile's concurrency) and how fast (its rate limit); this only keeps it fed.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use crate::directory::{Directory, all_children, all_members};
use crate::error::Result;
use crate::model::{Dept, User};

/// What a crawl found: the departments, each one's sub-department ids in server order, and
/// (when asked) its direct members.
#[derive(Debug, Default)]
pub struct Crawl {
    pub start: String,
    pub depts: HashMap<String, Dept>,
    pub children: HashMap<String, Vec<String>>,
    pub members: HashMap<String, Vec<User>>,
}

impl Crawl {
    /// Departments in pre-order from the start, with their depth below it; the order is the
    /// servers', so output is the same run after run whatever order the answers came in.
    pub fn walk(&self) -> Vec<(usize, &Dept)> {
        let mut out = Vec::with_capacity(self.depts.len());
        let mut stack = vec![(0usize, self.start.as_str())];
        while let Some((depth, id)) = stack.pop() {
            let Some(d) = self.depts.get(id) else {
                continue;
            };
            out.push((depth, d));
            if let Some(kids) = self.children.get(id) {
                for k in kids.iter().rev() {
                    stack.push((depth + 1, k));
                }
            }
        }
        out
    }

    /// Every member once (people in two departments appear once), in walk order.
    pub fn unique_users(&self) -> Vec<&User> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (_, d) in self.walk() {
            for u in self.members.get(&d.id).into_iter().flatten() {
                if seen.insert(u.id.as_str()) {
                    out.push(u);
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy)]
pub struct CrawlOptions {
    /// Levels below the start to descend (0: the start only). `None`: all.
    pub max_depth: Option<usize>,
    pub members: bool,
}

struct Found {
    dept_id: String,
    depth: usize,
    children: Vec<Dept>,
    members: Option<Vec<User>>,
}

/// Crawl from `start`. Any failed listing fails the crawl (a partial org is not an export).
pub async fn crawl(dir: Arc<dyn Directory>, start: Dept, opts: CrawlOptions) -> Result<Crawl> {
    let mut out = Crawl {
        start: start.id.clone(),
        ..Crawl::default()
    };
    let mut tasks = JoinSet::new();
    spawn_visit(&mut tasks, dir.clone(), start.id.clone(), 0, opts);
    out.depts.insert(start.id.clone(), start);
    while let Some(joined) = tasks.join_next().await {
        let found = match joined {
            Ok(r) => r?,
            Err(e) => {
                return Err(crate::error::Error::Io(format!("crawl task failed: {e}")));
            }
        };
        let ids: Vec<String> = found.children.iter().map(|c| c.id.clone()).collect();
        let descend = opts.max_depth.is_none_or(|m| found.depth < m);
        for child in found.children {
            // A department seen twice (a server bug) is visited once.
            if descend && !out.depts.contains_key(&child.id) {
                spawn_visit(
                    &mut tasks,
                    dir.clone(),
                    child.id.clone(),
                    found.depth + 1,
                    opts,
                );
                out.depts.insert(child.id.clone(), child);
            }
        }
        if descend {
            out.children.insert(found.dept_id.clone(), ids);
        }
        if let Some(m) = found.members {
            out.members.insert(found.dept_id, m);
        }
    }
    Ok(out)
}

fn spawn_visit(
    tasks: &mut JoinSet<Result<Found>>,
    dir: Arc<dyn Directory>,
    dept_id: String,
    depth: usize,
    opts: CrawlOptions,
) {
    tasks.spawn(async move {
        let wants_children = opts.max_depth.is_none_or(|m| depth < m);
        let (children, members) = tokio::join!(
            async {
                if wants_children {
                    all_children(dir.as_ref(), &dept_id).await
                } else {
                    Ok(Vec::new())
                }
            },
            async {
                if opts.members {
                    all_members(dir.as_ref(), &dept_id).await.map(Some)
                } else {
                    Ok(None)
                }
            }
        );
        Ok(Found {
            dept_id,
            depth,
            children: children?,
            members: members?,
        })
    });
}
