//! The provider-neutral directory model. Every field a server may omit is an `Option`
//! (or an empty `Vec`); providers map their wire types into these and nothing else.
//!
//! Submodules: `org_file` (the org file format), `org_index` (an org file indexed for
//! reading), `merge` (a listing's record of a person merged with a full one), `generate`
//! (the deterministic org generator behind the bundled demo org and the benchmarks' orgs).

pub mod generate;
pub mod merge;
pub mod org_file;
pub mod org_index;

pub use org_file::{OrgDept, OrgFile, OrgUser, real_parent};
pub use org_index::Org;

use serde::{Deserialize, Serialize};

/// Account status, in WPS terms (Feishu's flags are mapped onto these by its provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    Notactive,
    Disabled,
    Dimission,
}

impl UserStatus {
    pub const ALL: [UserStatus; 4] = [
        UserStatus::Active,
        UserStatus::Notactive,
        UserStatus::Disabled,
        UserStatus::Dimission,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Notactive => "notactive",
            UserStatus::Disabled => "disabled",
            UserStatus::Dimission => "dimission",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        UserStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// The most leaders a department, or departments a person, is taken to have from a server
/// reply; the rest are left out. Real ones have a handful. The lists are deduplicated (see
/// `distinct_ids`) and each of them may cost work per row drawn, and for Feishu a request
/// per department a person is in, so a reply with a million of them must not be kept whole.
pub const MAX_IDS_PER_LIST: usize = 256;

/// The non-empty ids of `ids`, each once, in their first order, at most `MAX_IDS_PER_LIST`
/// of them. Linear, whatever the reply holds: a seen-set rather than a search of the list
/// so far.
pub fn distinct_ids(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for id in ids {
        if out.len() >= MAX_IDS_PER_LIST {
            break;
        }
        if !id.trim().is_empty() && seen.insert(id.clone()) {
            out.push(id);
        }
    }
    out
}

/// The id of the stand-in root shown when the app may read only part of the company: its
/// children are the granted departments, its members the people granted one by one. No
/// provider issues ids of this shape.
pub const RANGE_ROOT_ID: &str = "~range";
/// The stand-in root's name.
pub const RANGE_ROOT_NAME: &str = "Contact range";

/// The stand-in root, as every directory (online or offline) presents it.
pub fn stand_in_root() -> Dept {
    Dept {
        id: RANGE_ROOT_ID.to_string(),
        name: Some(RANGE_ROOT_NAME.to_string()),
        parent_id: None,
        path: None,
        order: None,
        leader_ids: Vec::new(),
        member_count: None,
    }
}

/// A department. `parent_id` is `None` for the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dept {
    pub id: String,
    pub name: Option<String>,
    pub parent_id: Option<String>,
    /// Full path of names from the root, joined with `/` (e.g. `Acme/R&D/Backend`).
    pub path: Option<String>,
    pub order: Option<i64>,
    pub leader_ids: Vec<String>,
    /// Direct member count, when the server tells it.
    pub member_count: Option<u64>,
}

/// A department as seen from a user: enough to show where they sit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeptRef {
    pub id: String,
    pub name: Option<String>,
    pub path: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub title: Option<String>,
    pub employee_id: Option<String>,
    pub status: Option<UserStatus>,
    pub leader_id: Option<String>,
    pub dept_ids: Vec<String>,
    /// Departments with names and paths, when the call that produced this user gives them
    /// (get-user and batch reads do; member listings may not).
    pub depts: Vec<DeptRef>,
    pub city: Option<String>,
    pub work_place: Option<String>,
}

/// One page of a listing. `next_page` is the opaque token for the next call, `None` on the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page: Option<String>,
    /// How many items the whole listing holds, when the server says: it bounds how many
    /// pages the listing may take (`directory::PageGuard`).
    pub total: Option<u64>,
}

/// The answer for one requested email, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMatch {
    pub email: String,
    pub user: Option<User>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_ids_are_once_each_in_order_and_bounded() {
        let ids = ["b", "", "a", "b", " ", "c", "a"].map(String::from);
        assert_eq!(distinct_ids(ids), ["b", "a", "c"]);
        // A million repeats of a few ids, then many distinct ones: linear, and cut.
        let many = (0..1_000_000)
            .map(|i| (i % 3).to_string())
            .chain((0..100_000).map(|i| format!("x{i}")));
        let got = distinct_ids(many);
        assert_eq!(got.len(), MAX_IDS_PER_LIST);
        assert_eq!(got[..4], ["0", "1", "2", "x0"]);
    }
}
