//! The org file: flat departments and users, what `--org-file` reads, what the fake server
//! serves and what `export --format json` writes.

use serde::{Deserialize, Serialize};

use crate::model::{DeptRef, User, UserStatus};

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
    #[serde(default, with = "rows")]
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

/// A person in an org file: the model's `User`, written without `depts` (an org file
/// holds only department ids; names and paths are read from its departments), every field
/// optional on reading. See `rows` for the mapping.
pub type OrgUser = User;

impl User {
    /// The person as an org file records them (what `export` writes): without `depts`.
    pub fn org_entry(&self) -> OrgUser {
        User {
            depts: Vec::new(),
            ..self.clone()
        }
    }

    /// The status an org file means: one left out is active (as the fake server reads it).
    pub fn status_or_active(&self) -> UserStatus {
        self.status.unwrap_or(UserStatus::Active)
    }

    /// The person with `status` and `depts` as the caller decides them (an org file leaves
    /// both to be read in context).
    pub fn to_user(&self, status: Option<UserStatus>, depts: Vec<DeptRef>) -> User {
        User {
            status,
            depts,
            ..self.clone()
        }
    }
}

/// The org file's users as JSON: each `User` field by name, in order, except `depts`.
mod rows {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::model::{User, UserStatus};

    #[derive(Serialize, Deserialize)]
    #[serde(remote = "User")]
    struct Row {
        id: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        email: Option<String>,
        #[serde(default)]
        mobile: Option<String>,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        employee_id: Option<String>,
        #[serde(default)]
        status: Option<UserStatus>,
        #[serde(default)]
        leader_id: Option<String>,
        #[serde(default)]
        dept_ids: Vec<String>,
        #[serde(skip)]
        depts: Vec<crate::model::DeptRef>,
        #[serde(default)]
        city: Option<String>,
        #[serde(default)]
        work_place: Option<String>,
    }

    #[derive(Serialize)]
    struct RowRef<'a>(#[serde(with = "Row")] &'a User);

    #[derive(Deserialize)]
    struct RowOwned(#[serde(with = "Row")] User);

    pub fn serialize<S: Serializer>(users: &[User], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(users.iter().map(RowRef))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<User>, D::Error> {
        let rows = Vec::<RowOwned>::deserialize(d)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

/// A recorded parent id as a parent: none for a null, empty or `"0"` one (`"0"` as WPS
/// names the root's parent), which mark a top department. The one place that rule lives,
/// for org files and for the snapshots made of them.
pub fn real_parent(parent_id: Option<&str>) -> Option<&str> {
    parent_id.filter(|p| !p.is_empty() && *p != "0")
}

impl OrgDept {
    /// The parent, if any: an org file marks a top department with a null, empty or `"0"`
    /// parent (`"0"` as WPS names the root's parent). The one place that rule lives.
    pub fn parent(&self) -> Option<&str> {
        real_parent(self.parent_id.as_deref())
    }

    /// A top department of its file (see `parent`).
    pub fn is_top(&self) -> bool {
        self.parent().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The org file's user rows are `User` without `depts`, in field order, nulls written;
    /// on reading every field but `id` is optional and a `depts` key is ignored.
    #[test]
    fn users_read_and_write_as_org_file_rows() {
        let file = OrgFile {
            users: vec![User {
                id: "u1".into(),
                name: Some("A".into()),
                dept_ids: vec!["d".into()],
                depts: vec![DeptRef::default()],
                ..User::default()
            }],
            ..OrgFile::default()
        };
        let text = serde_json::to_string(&file).unwrap();
        assert_eq!(
            text,
            r#"{"depts":[],"users":[{"id":"u1","name":"A","email":null,"mobile":null,"title":null,"employee_id":null,"status":null,"leader_id":null,"dept_ids":["d"],"city":null,"work_place":null}]}"#
        );
        let back: OrgFile =
            serde_json::from_str(r#"{"users":[{"id":"u1","depts":[1,2],"status":"active"}]}"#)
                .unwrap();
        assert_eq!(back.users[0].status, Some(UserStatus::Active));
        assert!(back.users[0].depts.is_empty());
        assert!(serde_json::from_str::<OrgFile>(r#"{"users":[{"name":"x"}]}"#).is_err());
    }
}
