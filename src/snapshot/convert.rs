//! From an org file (the `export` format) to a complete snapshot, which is what
//! `--org-file` and the demo's warm start answer from (`directory::offline`).

use std::collections::{HashMap, HashSet};

use super::{SnapDept, SnapUser, Snapshot, unix_now};
use crate::model::{Dept, DeptRef, RANGE_ROOT_ID};
use crate::model::{OrgDept, OrgFile};

impl Snapshot {
    /// A complete snapshot of an org file (every listing loaded). Paths are the department
    /// names from the top down, as the fake server reports them; `provider` is `org-file`.
    pub fn from_org_file(file: &OrgFile, profile: &str) -> Snapshot {
        let index: HashMap<&str, usize> = file
            .depts
            .iter()
            .enumerate()
            .rev() // the first of duplicate ids wins, as in the offline directory
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

    /// The offline directory over an org file's snapshot answers what the org file's own
    /// index (the fake server's) does: the same children in the same order, the same
    /// members in the same order, the same paths.
    #[tokio::test]
    async fn an_org_files_snapshot_serves_the_file() {
        let file = crate::model::generate::demo();
        let snap = Snapshot::from_org_file(&file, "t");
        assert_eq!(snap.root.as_deref(), Some("d00000"));
        let root = &snap.depts[0];
        assert_eq!(root.dept.path.as_deref(), Some("Acme 集团"));
        assert!(root.children.as_ref().is_some_and(|c| !c.is_empty()));
        let offline = crate::directory::offline::OfflineDirectory::from_snapshot(&snap).unwrap();
        let org = crate::model::Org::new(file.clone()).unwrap();
        assert_eq!(offline.root().await.unwrap().id, org.root().id);
        for d in org.depts() {
            let kids: Vec<String> = org.children(&d.id).iter().map(|c| c.id.clone()).collect();
            let page = offline.children(&d.id, None).await.unwrap();
            let got: Vec<String> = page.items.into_iter().map(|c| c.id).collect();
            assert_eq!(got, kids, "children of {}", d.id);
            let members: Vec<String> = org.members(&d.id).iter().map(|u| u.id.clone()).collect();
            let page = offline.members(&d.id, None).await.unwrap();
            let got: Vec<String> = page.items.into_iter().map(|u| u.id).collect();
            assert_eq!(got, members, "members of {}", d.id);
            let dept = offline.dept(&d.id).await.unwrap();
            assert_eq!(dept.path, org.path(&d.id), "path of {}", d.id);
        }
    }

    #[test]
    fn an_org_files_snapshot_is_complete_and_one_listing_short_is_not() {
        let file = crate::model::generate::demo();
        let mut snap = Snapshot::from_org_file(&file, "t");
        assert!(snap.is_complete());
        let last = snap.depts.len() - 1;
        snap.depts[last].members = None;
        assert!(!snap.is_complete(), "a department's members not listed");
        snap.depts[last].members = Some(Vec::new());
        snap.depts[last].children = None;
        assert!(!snap.is_complete(), "a department's children not listed");
        snap.depts[last].children = Some(vec![snap.depts[0].dept.id.clone()]);
        assert!(snap.is_complete(), "a cycle back to the root ends the walk");
        snap.depts[last].children = Some(vec!["nowhere".into()]);
        assert!(!snap.is_complete(), "a listed child that is not there");
        snap.root = None;
        assert!(!snap.is_complete());
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
}
