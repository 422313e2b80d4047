//! An org file with its indexes (children, members, paths, lookups by id and email): built
//! once and only read, by the fake server and by the offline directory.

use std::collections::HashMap;

use super::org_file::{OrgDept, OrgFile, OrgUser};

static NO_ROOT: OrgDept = OrgDept {
    id: String::new(),
    name: None,
    parent_id: None,
    order: None,
    leader_ids: Vec::new(),
};

/// An org file with its indexes. Built once; the server only reads it.
#[derive(Debug)]
pub struct Org {
    depts: Vec<OrgDept>,
    users: Vec<OrgUser>,
    dept_by_id: HashMap<String, usize>,
    user_by_id: HashMap<String, usize>,
    user_by_email: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
    members: HashMap<String, Vec<usize>>,
    /// Always set for a one-tree file; a contact-range file (`roots`) has none: its tops
    /// are in `tops`.
    root: Option<usize>,
    /// The top departments: the root, or a contact-range file's `roots` in order.
    tops: Vec<usize>,
    /// A contact-range file (see `is_range`).
    range: bool,
}

impl Org {
    /// Index an org file, checking it holds together: one root (or a contact range's
    /// `roots`), known parents, unique ids.
    pub fn new(file: OrgFile) -> Result<Org, String> {
        let OrgFile {
            roots: range_roots,
            depts,
            users,
        } = file;
        // A contact-range file: several tops are expected, and people may name departments
        // outside the range (not in the file). People and no departments at all is the
        // range of an app granted only people (`roots` cannot name a top there).
        let range = !range_roots.is_empty() || (depts.is_empty() && !users.is_empty());
        let listed: std::collections::HashSet<&str> =
            range_roots.iter().map(String::as_str).collect();
        let mut dept_by_id = HashMap::with_capacity(depts.len());
        for (i, d) in depts.iter().enumerate() {
            if dept_by_id.contains_key(&d.id) {
                return Err(format!("department id {:?} appears twice", d.id));
            }
            dept_by_id.insert(d.id.clone(), i);
        }
        let mut root = None;
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, d) in depts.iter().enumerate() {
            match d.parent() {
                None if range => {
                    if !listed.contains(d.id.as_str()) {
                        return Err(format!(
                            "department {:?} has no parent but is not listed in roots",
                            d.id
                        ));
                    }
                }
                None => {
                    if root.is_some() {
                        return Err("more than one root department (parent_id null)".into());
                    }
                    root = Some(i);
                }
                Some(p) if dept_by_id.contains_key(p) => {
                    children.entry(p.to_string()).or_default().push(i)
                }
                Some(p) => {
                    return Err(format!("department {:?} has unknown parent {:?}", d.id, p));
                }
            }
        }
        let mut tops: Vec<usize> = Vec::new();
        let mut placed: std::collections::HashSet<usize> = std::collections::HashSet::new();
        if range {
            for id in &range_roots {
                let Some(&i) = dept_by_id.get(id) else {
                    return Err(format!("roots names unknown department {id:?}"));
                };
                let parentless = depts.get(i).is_none_or(OrgDept::is_top);
                if !parentless {
                    return Err(format!("roots names {id:?}, which has a parent"));
                }
                if placed.insert(i) {
                    tops.push(i);
                }
            }
        } else if root.is_none() {
            return Err("no root department (one with parent_id null)".into());
        } else {
            tops.extend(root);
        }
        let key = |i: &usize| {
            depts
                .get(*i)
                .map(|d| (d.order.unwrap_or(i64::MAX), d.name.clone(), d.id.clone()))
        };
        for list in children.values_mut() {
            list.sort_by_key(key);
        }
        let mut user_by_id = HashMap::with_capacity(users.len());
        let mut user_by_email = HashMap::new();
        let mut members: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, u) in users.iter().enumerate() {
            if user_by_id.contains_key(&u.id) {
                return Err(format!("user id {:?} appears twice", u.id));
            }
            user_by_id.insert(u.id.clone(), i);
            if let Some(e) = &u.email {
                user_by_email.insert(e.to_lowercase(), i);
            }
            for d in &u.dept_ids {
                if !dept_by_id.contains_key(d) {
                    if !range {
                        return Err(format!("user {:?} is in unknown department {:?}", u.id, d));
                    }
                    continue;
                }
                let list = members.entry(d.clone()).or_default();
                // The same department listed twice in one user is one membership.
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        Ok(Org {
            depts,
            users,
            dept_by_id,
            user_by_id,
            user_by_email,
            children,
            members,
            root,
            tops,
            range,
        })
    }

    pub fn from_json(text: &str) -> Result<Org, String> {
        let file: OrgFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Org::new(file)
    }

    /// The root department. Only a contact-range file lacks one; it then answers an empty
    /// placeholder (use `find_root` to tell).
    pub fn root(&self) -> &OrgDept {
        self.find_root().unwrap_or(&NO_ROOT)
    }

    pub fn find_root(&self) -> Option<&OrgDept> {
        self.root.and_then(|i| self.depts.get(i))
    }

    /// The top departments: the root of a one-tree file, the `roots` of a contact-range
    /// file.
    pub fn tops(&self) -> Vec<&OrgDept> {
        self.tops
            .iter()
            .filter_map(|&i| self.depts.get(i))
            .collect()
    }

    /// True for a contact-range file: one with `roots`, or people and no departments.
    pub fn is_range(&self) -> bool {
        self.range
    }

    /// People who sit in no department of the file: in a contact-range file, the people
    /// granted one by one. In file order.
    pub fn unattached_users(&self) -> Vec<&OrgUser> {
        let attached: std::collections::HashSet<usize> =
            self.members.values().flatten().copied().collect();
        self.users
            .iter()
            .enumerate()
            .filter(|(i, u)| !attached.contains(i) && self.user_by_id.get(&u.id) == Some(i))
            .map(|(_, u)| u)
            .collect()
    }

    pub fn dept(&self, id: &str) -> Option<&OrgDept> {
        self.dept_by_id.get(id).and_then(|&i| self.depts.get(i))
    }

    pub fn user(&self, id: &str) -> Option<&OrgUser> {
        self.user_by_id.get(id).and_then(|&i| self.users.get(i))
    }

    pub fn user_by_email(&self, email: &str) -> Option<&OrgUser> {
        self.user_by_email
            .get(&email.trim().to_lowercase())
            .and_then(|&i| self.users.get(i))
    }

    /// Direct sub-departments in display order.
    pub fn children(&self, id: &str) -> Vec<&OrgDept> {
        self.children
            .get(id)
            .map(|v| v.iter().filter_map(|&i| self.depts.get(i)).collect())
            .unwrap_or_default()
    }

    /// Direct members in file order.
    pub fn members(&self, id: &str) -> Vec<&OrgUser> {
        self.members
            .get(id)
            .map(|v| v.iter().filter_map(|&i| self.users.get(i)).collect())
            .unwrap_or_default()
    }

    /// `id` and every department below it, in tree order (parents before children, siblings
    /// in display order), each once even should the file hold a cycle.
    pub fn subtree(&self, id: &str) -> Vec<&OrgDept> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<&OrgDept> = self.dept(id).into_iter().collect();
        while let Some(d) = stack.pop() {
            if !seen.insert(d.id.as_str()) {
                continue;
            }
            out.push(d);
            stack.extend(self.children(&d.id).into_iter().rev());
        }
        out
    }

    /// Names from the root down to `id`, joined with `/`, cut to
    /// `dept_path::MAX_PATH_BYTES`. The constructor guarantees parents exist, not that there
    /// is no cycle: a loop ends the path where it closes.
    pub fn path(&self, id: &str) -> Option<String> {
        let mut up = crate::dept_path::PathUp::new();
        let mut cur = self.dept(id)?;
        while up.push(&cur.id, cur.name.as_deref().unwrap_or_default()) {
            match cur.parent_id.as_deref().and_then(|p| self.dept(p)) {
                Some(p) => cur = p,
                None => break,
            }
        }
        Some(up.finish())
    }

    /// The org as an app without the email and phone field scopes sees it: no record carries
    /// an email or a mobile. The email index stays, so lookups by email still resolve (to
    /// records without one), as they would on a server that only hides the fields.
    pub fn without_contact_fields(mut self) -> Org {
        for u in &mut self.users {
            u.email = None;
            u.mobile = None;
        }
        self
    }

    pub fn depts(&self) -> &[OrgDept] {
        &self.depts
    }

    pub fn users(&self) -> &[OrgUser] {
        &self.users
    }
}
