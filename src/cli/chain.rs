//! `orgtui chain USER_ID`: the chain of leaders from the user's leader up to the top,
//! nearest first. JSON: `{"user": User, "chain": [User, ...]}`; a leader id that nobody in
//! the org has ends the chain as a record holding only that id. Text: one line per level,
//! `1  王芳  (u123)  CTO`; a person without a leader prints nothing. A loop in the leader
//! links stops the chain before anyone repeats and is named once on stderr (the exit status
//! stays 0).

use std::sync::Arc;

use serde::Serialize;

use super::output::{self, UserJson};
use super::whole_org::{self, Org, WholeOrg};
use crate::directory::Directory;
use crate::error::Result;
use crate::model::User;
use crate::reporting::Link;
use crate::text::sanitize;

#[derive(Serialize)]
struct ChainJson<'a> {
    user: UserJson<'a>,
    chain: Vec<UserJson<'a>>,
}

pub async fn run(
    dir: Arc<dyn Directory>,
    org: Option<WholeOrg>,
    id: &str,
    json: bool,
) -> Result<i32> {
    let org = Org::for_user(dir, org, id).await?;
    let user = org.user(id)?;
    let chain = org.links.chain(id);
    let records: Vec<User> = chain.links.iter().map(|l| org.record(l.id())).collect();
    let text = if json {
        output::to_json(&ChainJson {
            user: UserJson::from(user),
            chain: records.iter().map(UserJson::from).collect(),
        })?
    } else {
        let mut out = String::new();
        for (level, (link, u)) in (1usize..).zip(chain.links.iter().zip(&records)) {
            let line = match link {
                Link::Known(_) => person(u),
                Link::Unknown(id) => format!("-  ({})  not in the org", sanitize(id)),
            };
            out.push_str(&format!("{level}  {line}\n"));
        }
        out
    };
    let cut = chain.cut.then(|| {
        format!(
            "the chain is longer than {} levels: cut there",
            crate::reporting::MAX_CHAIN
        )
    });
    whole_org::emit(&text, chain.cycle.as_ref(), cut)
}

/// A person on one line: `王芳  (u123)  CTO` (the title left out when there is none).
pub fn person(u: &User) -> String {
    let mut s = format!(
        "{}  ({})",
        output::field(u.name.as_deref()),
        sanitize(&u.id)
    );
    if let Some(t) = u.title.as_deref().filter(|t| !t.is_empty()) {
        s.push_str("  ");
        s.push_str(&sanitize(t));
    }
    s
}
