//! The org file: flat departments and users, what `--org-file` reads, what the fake server
//! serves and what `export --format json` writes.

use serde::{Deserialize, Serialize};

use crate::model::UserStatus;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OrgFile {
    /// The top departments, in order, of a file that holds an app's contact range rather
    /// than one tree: several tops, or people granted one by one (they sit in no department
    /// of the file). Empty, and left out of the JSON, for a file that is one tree, so such
    /// files read and write as before. (A file of people and no departments is the range of
    /// an app granted only people.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<String>,
    #[serde(default)]
    pub depts: Vec<OrgDept>,
    #[serde(default)]
    pub users: Vec<OrgUser>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OrgDept {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub order: Option<i64>,
    #[serde(default)]
    pub leader_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OrgUser {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub employee_id: Option<String>,
    #[serde(default)]
    pub status: Option<UserStatus>,
    #[serde(default)]
    pub leader_id: Option<String>,
    #[serde(default)]
    pub dept_ids: Vec<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub work_place: Option<String>,
}

impl From<&crate::model::User> for OrgUser {
    /// A person as the org file records them (what `export` writes).
    fn from(u: &crate::model::User) -> OrgUser {
        OrgUser {
            id: u.id.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            mobile: u.mobile.clone(),
            title: u.title.clone(),
            employee_id: u.employee_id.clone(),
            status: u.status,
            leader_id: u.leader_id.clone(),
            dept_ids: u.dept_ids.clone(),
            city: u.city.clone(),
            work_place: u.work_place.clone(),
        }
    }
}

impl OrgUser {
    pub fn status_or_active(&self) -> UserStatus {
        self.status.unwrap_or(UserStatus::Active)
    }

    /// The person in the neutral model, with `status` and `depts` as the caller decides
    /// them (an org file leaves both to be read in context).
    pub fn to_user(
        &self,
        status: Option<UserStatus>,
        depts: Vec<crate::model::DeptRef>,
    ) -> crate::model::User {
        crate::model::User {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            mobile: self.mobile.clone(),
            title: self.title.clone(),
            employee_id: self.employee_id.clone(),
            status,
            leader_id: self.leader_id.clone(),
            dept_ids: self.dept_ids.clone(),
            depts,
            city: self.city.clone(),
            work_place: self.work_place.clone(),
        }
    }
}

impl OrgDept {
    /// The parent, if any: an org file marks a top department with a null, empty or `"0"`
    /// parent (`"0"` as WPS names the root's parent). The one place that rule lives.
    pub fn parent(&self) -> Option<&str> {
        self.parent_id
            .as_deref()
            .filter(|p| !p.is_empty() && *p != "0")
    }

    /// A top department of its file (see `parent`).
    pub fn is_top(&self) -> bool {
        self.parent().is_none()
    }
}
