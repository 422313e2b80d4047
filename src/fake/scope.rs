//! The fake server's contact range (`--scope`): the part of the org an app may read. Granted
//! departments bring their whole subtree, granted people only themselves; a member of any
//! department in range is readable too. Everything else answers the provider's
//! "no authority" error (see the hooks in `wps/scope.rs` and `feishu/scopes.rs`, which ask
//! `FakeState::dept_visible`/`user_visible`/`granted` in `state.rs`). This file knows only
//! the org, not the server's state.
//!
//! Without `--scope` the app may read the whole company, except for a contact-range org
//! file (one with `roots`): it holds only what some app could read, so it is served as that
//! app's range (its tops and the people in none of its departments).

use std::collections::{HashSet, VecDeque};

use crate::model::Org;

#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// What the range endpoints answer, in the order given: granted departments and people.
    pub granted_depts: Vec<String>,
    pub granted_users: Vec<String>,
    /// Every department in range (the granted ones and everything below them).
    depts: HashSet<String>,
    /// Every person readable: the members of departments in range and the granted people.
    users: HashSet<String>,
}

impl Scope {
    /// The range for `ids` (department or user ids of `org`). An id that names nothing in
    /// the org, or both a department and a person, is an error naming it.
    pub fn new(org: &Org, ids: &[String]) -> Result<Scope, String> {
        let mut depts = Vec::new();
        let mut users = Vec::new();
        for id in ids.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            match (org.dept(id).is_some(), org.user(id).is_some()) {
                (true, true) => {
                    return Err(format!("{id:?} is both a department and a user id"));
                }
                (true, false) if !depts.iter().any(|d| d == id) => depts.push(id.to_string()),
                (false, true) if !users.iter().any(|u| u == id) => users.push(id.to_string()),
                (false, false) => {
                    return Err(format!("{id:?} is neither a department nor a user id"));
                }
                _ => {}
            }
        }
        Ok(Scope::of(org, depts, users))
    }

    /// The range the server applies: `--scope` (ids it cannot place are left out; the CLI
    /// checks them first with `new`), else a contact-range file's own.
    pub fn for_options(org: &Org, ids: Option<&[String]>) -> Option<Scope> {
        match ids {
            Some(ids) => {
                let known: Vec<String> = ids
                    .iter()
                    .filter(|id| org.dept(id).is_some() || org.user(id).is_some())
                    .cloned()
                    .collect();
                // Ambiguous ids: grant nothing rather than everything.
                Some(Scope::new(org, &known).unwrap_or_default())
            }
            None => Scope::of_range_file(org),
        }
    }

    /// The range a contact-range org file stands for; `None` for a file that is one tree.
    pub fn of_range_file(org: &Org) -> Option<Scope> {
        if !org.is_range() {
            return None;
        }
        let depts = org.tops().iter().map(|d| d.id.clone()).collect();
        let users = org
            .unattached_users()
            .iter()
            .map(|u| u.id.clone())
            .collect();
        Some(Scope::of(org, depts, users))
    }

    fn of(org: &Org, granted_depts: Vec<String>, granted_users: Vec<String>) -> Scope {
        // Breadth first with a visited set: an org file may hold a cycle away from the root.
        let mut depts: HashSet<String> = HashSet::new();
        let mut queue: VecDeque<String> = VecDeque::new();
        for d in &granted_depts {
            if depts.insert(d.clone()) {
                queue.push_back(d.clone());
            }
        }
        let mut users: HashSet<String> = granted_users.iter().cloned().collect();
        while let Some(id) = queue.pop_front() {
            users.extend(org.members(&id).iter().map(|u| u.id.clone()));
            for c in org.children(&id) {
                if depts.insert(c.id.clone()) {
                    queue.push_back(c.id.clone());
                }
            }
        }
        Scope {
            granted_depts,
            granted_users,
            depts,
            users,
        }
    }

    pub fn has_dept(&self, id: &str) -> bool {
        self.depts.contains(id)
    }

    pub fn has_user(&self, id: &str) -> bool {
        self.users.contains(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{OrgDept, OrgFile, OrgUser};

    fn org() -> Org {
        let d = |id: &str, parent: Option<&str>| OrgDept {
            id: id.into(),
            name: Some(id.to_uppercase()),
            parent_id: parent.map(str::to_string),
            ..OrgDept::default()
        };
        let u = |id: &str, dept: &str| OrgUser {
            id: id.into(),
            dept_ids: vec![dept.into()],
            ..OrgUser::default()
        };
        Org::new(OrgFile {
            depts: vec![
                d("r", None),
                d("a", Some("r")),
                d("a1", Some("a")),
                d("b", Some("r")),
            ],
            users: vec![u("ur", "r"), u("ua", "a"), u("ua1", "a1"), u("ub", "b")],
            ..OrgFile::default()
        })
        .unwrap()
    }

    #[test]
    fn departments_grant_subtrees_and_people_themselves() {
        let org = org();
        let s = Scope::new(&org, &["a".into(), "ub".into(), "a".into()]).unwrap();
        assert_eq!(s.granted_depts, ["a"]);
        assert_eq!(s.granted_users, ["ub"]);
        assert!(s.has_dept("a") && s.has_dept("a1"));
        assert!(!s.has_dept("r") && !s.has_dept("b"));
        assert!(s.has_user("ua") && s.has_user("ua1") && s.has_user("ub"));
        assert!(!s.has_user("ur"));
        assert!(Scope::new(&org, &["nope".into()]).is_err());
        assert!(Scope::of_range_file(&org).is_none());
    }

    fn range_file(roots: &[&str]) -> OrgFile {
        let d = |id: &str, parent: Option<&str>| OrgDept {
            id: id.into(),
            parent_id: parent.map(str::to_string),
            ..OrgDept::default()
        };
        OrgFile {
            roots: roots.iter().map(|r| r.to_string()).collect(),
            depts: vec![d("a", None), d("a1", Some("a")), d("b", None)],
            users: vec![
                OrgUser {
                    id: "ua".into(),
                    dept_ids: vec!["a1".into(), "outside".into()],
                    ..OrgUser::default()
                },
                OrgUser {
                    id: "solo".into(),
                    dept_ids: vec!["outside".into()],
                    ..OrgUser::default()
                },
            ],
        }
    }

    #[test]
    fn a_range_file_is_served_as_its_own_range() {
        let org = Org::new(range_file(&["b", "a"])).unwrap();
        assert!(org.is_range() && org.find_root().is_none());
        let tops: Vec<&str> = org.tops().iter().map(|d| d.id.as_str()).collect();
        assert_eq!(tops, ["b", "a"]);
        let solo: Vec<&str> = org
            .unattached_users()
            .iter()
            .map(|u| u.id.as_str())
            .collect();
        assert_eq!(solo, ["solo"]);
        let s = Scope::of_range_file(&org).unwrap();
        assert_eq!(s.granted_depts, ["b", "a"]);
        assert_eq!(s.granted_users, ["solo"]);
        assert!(s.has_dept("a1") && s.has_user("ua"));
        // Strict about what `roots` says: every top listed, every listed one a top.
        assert!(Org::new(range_file(&["a"])).is_err());
        assert!(Org::new(range_file(&["a", "b", "a1"])).is_err());
        assert!(Org::new(range_file(&["a", "b", "nope"])).is_err());
        // Without roots the same file is two roots and people in unknown departments.
        assert!(Org::new(range_file(&[])).is_err());
    }
}
