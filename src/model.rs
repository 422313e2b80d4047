//! The provider-neutral directory model. Every field a server may omit is an `Option`
//! (or an empty `Vec`); providers map their wire types into these and nothing else.

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

/// The id of the stand-in root shown when the app may read only part of the company: its
/// children are the granted departments, its members the people granted one by one. No
/// provider issues ids of this shape.
pub const RANGE_ROOT_ID: &str = "~range";

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
