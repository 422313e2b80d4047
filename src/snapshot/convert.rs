//! Between snapshots and org files (the `export` format).

use std::collections::{HashMap, HashSet};

use super::{SnapDept, SnapUser, Snapshot, unix_now};
use crate::model::{Dept, DeptRef, RANGE_ROOT_ID, User};
use crate::model::{OrgDept, OrgFile};

impl Snapshot {
    /// Everything in it as an org file (members from `members` lists and users' dept_ids).
    ///
    /// The root comes first and has no parent, so the file stands on its own. Users are
    /// ordered by first appearance in the departments' member lists, which keeps each
    /// department's listing order for everyone who is in one department (an org file has no
    /// per-department order of its own). References to departments or people that are not in
    /// the snapshot are kept; `Org::lenient` ignores them.
    pub fn to_org_file(&self) -> OrgFile {
        // A child listing names its parent even when the child's own record does not.
        let mut parent_of: HashMap<&str, &str> = HashMap::new();
        for d in &self.depts {
            for c in d.children.iter().flatten() {
                parent_of.entry(c.as_str()).or_insert(d.dept.id.as_str());
            }
        }
        let root = self.root.as_deref();
        let mut depts: Vec<OrgDept> = Vec::with_capacity(self.depts.len());
        let mut seen_dept: HashMap<&str, ()> = HashMap::with_capacity(self.depts.len());
        let root_first = self
            .depts
            .iter()
            .filter(|d| Some(d.dept.id.as_str()) == root)
            .chain(
                self.depts
                    .iter()
                    .filter(|d| Some(d.dept.id.as_str()) != root),
            );
        for d in root_first {
            if seen_dept.insert(d.dept.id.as_str(), ()).is_some() {
                continue;
            }
            let is_root = Some(d.dept.id.as_str()) == root;
            let parent_id = if is_root {
                None
            } else {
                d.dept
                    .parent_id
                    .clone()
                    .or_else(|| parent_of.get(d.dept.id.as_str()).map(|p| p.to_string()))
            };
            depts.push(OrgDept {
                id: d.dept.id.clone(),
                name: d.dept.name.clone(),
                parent_id,
                order: d.dept.order,
                leader_ids: d.dept.leader_ids.clone(),
            });
        }

        // Extra memberships known only from member lists, per user.
        let mut listed_in: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut order: Vec<&str> = Vec::with_capacity(self.users.len());
        let mut placed: HashMap<&str, ()> = HashMap::with_capacity(self.users.len());
        for d in &self.depts {
            for m in d.members.iter().flatten() {
                listed_in
                    .entry(m.as_str())
                    .or_default()
                    .push(d.dept.id.as_str());
                if placed.insert(m.as_str(), ()).is_none() {
                    order.push(m.as_str());
                }
            }
        }
        let mut by_id: HashMap<&str, &User> = HashMap::with_capacity(self.users.len());
        for u in &self.users {
            by_id.entry(u.user.id.as_str()).or_insert(&u.user);
            if placed.insert(u.user.id.as_str(), ()).is_none() {
                order.push(u.user.id.as_str());
            }
        }
        let users = order
            .into_iter()
            .filter_map(|id| by_id.get(id))
            .map(|u| {
                let mut org = u.org_entry();
                // Once each and bounded, as from a server reply: a person listed in every
                // one of 100,000 departments must not cost a search of the list per listing.
                let listed = listed_in.get(u.id.as_str()).into_iter().flatten();
                org.dept_ids = crate::model::distinct_ids(
                    std::mem::take(&mut org.dept_ids)
                        .into_iter()
                        .chain(listed.map(|d| d.to_string())),
                );
                org
            })
            .collect();
        OrgFile {
            depts,
            users,
            ..OrgFile::default()
        }
    }

    /// A complete snapshot of an org file (every listing loaded). Paths are the department
    /// names from the top down, as the fake server reports them; `provider` is `org-file`.
    pub fn from_org_file(file: &OrgFile, profile: &str) -> Snapshot {
        let index: HashMap<&str, usize> = file
            .depts
            .iter()
            .enumerate()
            .rev() // the first of duplicate ids wins, as in `Org::lenient`
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        let paths = dept_paths(&file.depts, &index);
        let is_top = OrgDept::is_top;
        let root = file.depts.iter().find(|d| is_top(d)).map(|d| d.id.clone());

        let mut children: HashMap<&str, Vec<&OrgDept>> = HashMap::new();
        for (i, d) in file.depts.iter().enumerate() {
            if index.get(d.id.as_str()) != Some(&i) || is_top(d) {
                continue;
            }
            if let Some(p) = d.parent_id.as_deref().filter(|p| index.contains_key(p)) {
                children.entry(p).or_default().push(d);
            }
        }
        for list in children.values_mut() {
            list.sort_by(|x, y| {
                (x.order.unwrap_or(i64::MAX), &x.name, &x.id).cmp(&(
                    y.order.unwrap_or(i64::MAX),
                    &y.name,
                    &y.id,
                ))
            });
        }
        let mut members: HashMap<&str, Vec<String>> = HashMap::new();
        let mut seen_user: HashMap<&str, ()> = HashMap::with_capacity(file.users.len());
        let mut users = Vec::with_capacity(file.users.len());
        for u in &file.users {
            if seen_user.insert(u.id.as_str(), ()).is_some() {
                continue;
            }
            let mut refs = Vec::with_capacity(u.dept_ids.len());
            for d in &u.dept_ids {
                if let Some(&i) = index.get(d.as_str()) {
                    members.entry(d.as_str()).or_default().push(u.id.clone());
                    refs.push(DeptRef {
                        id: d.clone(),
                        name: file.depts.get(i).and_then(|d| d.name.clone()),
                        path: paths.get(i).cloned(),
                    });
                }
            }
            users.push(SnapUser {
                user: u.to_user(Some(u.status_or_active()), refs),
                detailed: true,
            });
        }
        let depts = file
            .depts
            .iter()
            .enumerate()
            .filter(|(i, d)| index.get(d.id.as_str()) == Some(i))
            .map(|(i, d)| {
                let kids = children
                    .get(d.id.as_str())
                    .map(|v| v.iter().map(|k| k.id.clone()).collect())
                    .unwrap_or_default();
                let mine = members.remove(d.id.as_str()).unwrap_or_default();
                SnapDept {
                    dept: Dept {
                        id: d.id.clone(),
                        name: d.name.clone(),
                        parent_id: d.parent_id.clone().filter(|_| !is_top(d)),
                        path: paths.get(i).cloned(),
                        order: d.order,
                        leader_ids: d.leader_ids.clone(),
                        member_count: u64::try_from(mine.len()).ok(),
                    },
                    children: Some(kids),
                    members: Some(mine),
                }
            })
            .collect();
        let mut snap = Snapshot {
            profile: profile.to_string(),
            provider: "org-file".into(),
            saved_at: unix_now(),
            root,
            depts,
            users,
        };
        // People and no departments: an app granted only people (see `OrgFile::roots`).
        if !file.roots.is_empty() || (file.depts.is_empty() && !file.users.is_empty()) {
            snap.stand_in_range(&file.roots);
        }
        snap
    }

    /// A contact-range file is shown as online: under the stand-in root, whose children are
    /// its `roots` and whose members are the people in none of its departments (granted
    /// directly).
    fn stand_in_range(&mut self, roots: &[String]) {
        let known: HashSet<&str> = self.depts.iter().map(|d| d.dept.id.as_str()).collect();
        let mut tops: Vec<String> = Vec::new();
        for r in roots {
            if known.contains(r.as_str()) && !tops.contains(r) {
                tops.push(r.clone());
            }
        }
        let direct: Vec<String> = self
            .users
            .iter()
            .filter(|u| !u.user.dept_ids.iter().any(|d| known.contains(d.as_str())))
            .map(|u| u.user.id.clone())
            .collect();
        let is_top: HashSet<String> = tops.iter().cloned().collect();
        for d in &mut self.depts {
            if is_top.contains(&d.dept.id) {
                d.dept.parent_id = Some(RANGE_ROOT_ID.to_string());
            }
        }
        let mut root = crate::model::stand_in_root();
        root.member_count = u64::try_from(direct.len()).ok();
        self.depts.insert(
            0,
            SnapDept {
                dept: root,
                children: Some(tops),
                members: Some(direct),
            },
        );
        self.root = Some(RANGE_ROOT_ID.to_string());
    }
}

/// Names from the top down for every department (`paths[i]` for `depts[i]`), each computed
/// once from its parent's and cut to `dept_path::MAX_PATH_BYTES`. A missing parent ends a
/// path; a cycle is cut where it closes.
fn dept_paths(depts: &[OrgDept], index: &HashMap<&str, usize>) -> Vec<String> {
    let mut paths: Vec<Option<String>> = vec![None; depts.len()];
    let mut chain = Vec::new();
    // The chain's members, for a loop check that stays linear on a deep chain.
    let mut on_chain = HashSet::new();
    for start in 0..depts.len() {
        // Climb to the first ancestor with a known path (or the top), then fill downwards.
        chain.clear();
        on_chain.clear();
        let mut cur = Some(start);
        let mut base: Option<String> = None;
        while let Some(i) = cur {
            if let Some(p) = paths.get(i).and_then(Option::as_ref) {
                base = Some(p.clone());
                break;
            }
            if !on_chain.insert(i) {
                break;
            }
            chain.push(i);
            cur = depts
                .get(i)
                .and_then(|d| d.parent_id.as_deref())
                .and_then(|p| index.get(p).copied());
        }
        for &i in chain.iter().rev() {
            let name = depts
                .get(i)
                .and_then(|d| d.name.as_deref())
                .unwrap_or_default();
            let path = crate::dept_path::child_path(base.as_deref(), name);
            if let Some(slot) = paths.get_mut(i) {
                *slot = Some(path.clone());
            }
            base = Some(path);
        }
    }
    paths.into_iter().map(Option::unwrap_or_default).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Directory;

    #[test]
    fn org_file_round_trip_keeps_structure() {
        let file = crate::model::generate::demo();
        let snap = Snapshot::from_org_file(&file, "t");
        assert_eq!(snap.root.as_deref(), Some("d00000"));
        let root = &snap.depts[0];
        assert_eq!(root.dept.path.as_deref(), Some("Acme 集团"));
        assert!(root.children.as_ref().is_some_and(|c| !c.is_empty()));
        let back = snap.to_org_file();
        let offline = crate::directory::offline::OfflineDirectory::from_snapshot(&snap).unwrap();
        let a = crate::model::Org::new(file.clone()).unwrap();
        let b = crate::model::Org::new(back).unwrap();
        for d in a.depts() {
            let ids = |o: &crate::model::Org| -> Vec<String> {
                o.children(&d.id).iter().map(|c| c.id.clone()).collect()
            };
            assert_eq!(ids(&a), ids(&b), "children of {}", d.id);
            // An org file cannot keep every department's member order (someone in two
            // departments has one place in the file): the same people here, and the exact
            // order from the offline directory, which reads the snapshot's lists.
            let ms = |o: &crate::model::Org| -> Vec<String> {
                o.members(&d.id).iter().map(|u| u.id.clone()).collect()
            };
            let (mut x, mut y) = (ms(&a), ms(&b));
            let listed = x.clone();
            x.sort();
            y.sort();
            assert_eq!(x, y, "members of {}", d.id);
            let page = block(offline.members(&d.id, None)).unwrap();
            let got: Vec<String> = page.items.into_iter().map(|u| u.id).collect();
            assert_eq!(got, listed, "offline members of {}", d.id);
            assert_eq!(a.path(&d.id), b.path(&d.id));
        }
    }

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn paths_survive_cycles_and_missing_parents() {
        let d = |id: &str, parent: Option<&str>| OrgDept {
            id: id.into(),
            name: Some(id.to_uppercase()),
            parent_id: parent.map(str::to_string),
            ..OrgDept::default()
        };
        let depts = vec![
            d("r", None),
            d("a", Some("r")),
            d("b", Some("a")),
            d("x", Some("y")),
            d("y", Some("x")),
            d("o", Some("gone")),
        ];
        let index = depts
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        let p = dept_paths(&depts, &index);
        assert_eq!(p[2], "R/A/B");
        assert_eq!(p[5], "O");
        assert!(p[3].ends_with("X") && p[4].ends_with('Y'));
    }

    /// A person in the member list of every one of 20,000 departments: in the org file
    /// once per department, and at most `MAX_IDS_PER_LIST` of them.
    #[test]
    fn memberships_from_listings_are_once_each_and_bounded() {
        let depts = (0..20_000)
            .map(|i| SnapDept {
                dept: Dept {
                    id: format!("d{i}"),
                    ..Dept::default()
                },
                children: None,
                members: Some(vec!["u1".into(), "u1".into()]),
            })
            .collect();
        let snap = Snapshot {
            profile: "t".into(),
            provider: "wps".into(),
            saved_at: 0,
            root: Some("d0".into()),
            depts,
            users: vec![SnapUser {
                user: User {
                    id: "u1".into(),
                    dept_ids: vec!["d1".into()],
                    ..User::default()
                },
                detailed: false,
            }],
        };
        let file = snap.to_org_file();
        let ids = &file.users[0].dept_ids;
        assert_eq!(ids.len(), crate::model::MAX_IDS_PER_LIST);
        assert_eq!(ids[..3], ["d1", "d0", "d2"]);
    }
}
