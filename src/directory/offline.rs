//! A directory answered entirely from memory: an org file (`--org-file`) or a snapshot
//! (`--offline`). No request leaves the process; every listing is one page.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::directory::{Directory, ProviderKind};
use crate::error::{Error, Result};
use crate::model::{Dept, DeptRef, EmailMatch, Page, RANGE_ROOT_ID, User, UserStatus};
use crate::model::{Org, OrgDept, OrgUser};
use crate::snapshot::Snapshot;

pub struct OfflineDirectory {
    org: Org,
    kind: ProviderKind,
    /// Department records as a server reported them (path, member count), preferred over
    /// what the org can rebuild: a partial snapshot may lack the ancestors a path needs.
    known: HashMap<String, Dept>,
    /// Every department's path, computed once (member listings repeat them per person).
    paths: HashMap<String, String>,
    /// Departments known only from users' department lists (not in the snapshot itself).
    refs: HashMap<String, DeptRef>,
    /// Listings in the order the server gave them, where a snapshot has them complete (an
    /// org file alone knows only department `order` and file order).
    child_order: HashMap<String, Vec<String>>,
    member_order: HashMap<String, Vec<String>>,
    /// Org files leave `status` out for active people (as the fake server reads them); a
    /// snapshot's missing status means the server did not say.
    default_active: bool,
}

impl std::fmt::Debug for OfflineDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineDirectory")
            .field("kind", &self.kind)
            .field("depts", &self.org.depts().len())
            .field("users", &self.org.users().len())
            .finish_non_exhaustive()
    }
}

impl OfflineDirectory {
    /// Serve an org file's contents, reporting `kind` as the provider.
    pub fn new(org: Org, kind: ProviderKind) -> OfflineDirectory {
        let paths = org
            .depts()
            .iter()
            .filter_map(|d| Some((d.id.clone(), org.path(&d.id)?)))
            .collect();
        OfflineDirectory {
            org,
            kind,
            known: HashMap::new(),
            paths,
            refs: HashMap::new(),
            child_order: HashMap::new(),
            member_order: HashMap::new(),
            default_active: true,
        }
    }

    /// Serve a snapshot, complete or not: departments missing from it are left out of
    /// listings and paths come from what the server said. Fails only on an empty snapshot.
    pub fn from_snapshot(snap: &Snapshot) -> std::result::Result<OfflineDirectory, String> {
        if snap.depts.is_empty() && snap.users.is_empty() {
            return Err("the snapshot is empty".into());
        }
        // An org-file snapshot has no provider; its format is WPS-like.
        let kind = ProviderKind::parse(&snap.provider).unwrap_or(ProviderKind::Wps);
        let org = Org::lenient(snap.to_org_file());
        let known: HashMap<String, Dept> = snap
            .depts
            .iter()
            .map(|d| (d.dept.id.clone(), d.dept.clone()))
            .collect();
        let mut refs: HashMap<String, DeptRef> = HashMap::new();
        for u in &snap.users {
            for r in &u.user.depts {
                if !known.contains_key(&r.id) && !refs.contains_key(&r.id) {
                    refs.insert(r.id.clone(), r.clone());
                }
            }
        }
        let paths = org
            .depts()
            .iter()
            .filter_map(|d| {
                let told = known.get(&d.id).and_then(|k| k.path.clone());
                Some((d.id.clone(), told.or_else(|| org.path(&d.id))?))
            })
            .collect();
        let mut child_order = HashMap::new();
        let mut member_order = HashMap::new();
        for d in &snap.depts {
            if let Some(c) = &d.children {
                child_order.insert(d.dept.id.clone(), c.clone());
            }
            if let Some(m) = &d.members {
                member_order.insert(d.dept.id.clone(), m.clone());
            }
        }
        Ok(OfflineDirectory {
            org,
            kind,
            known,
            paths,
            refs,
            child_order,
            member_order,
            default_active: false,
        })
    }

    pub fn org(&self) -> &Org {
        &self.org
    }

    fn dept_of(&self, d: &OrgDept) -> Dept {
        let path = self.paths.get(&d.id).cloned();
        if let Some(k) = self.known.get(&d.id) {
            let mut k = k.clone();
            k.path = k.path.or(path);
            return k;
        }
        Dept {
            id: d.id.clone(),
            name: d.name.clone(),
            parent_id: d.parent().map(str::to_string),
            path,
            order: d.order,
            leader_ids: d.leader_ids.clone(),
            member_count: u64::try_from(self.org.members(&d.id).len()).ok(),
        }
    }

    fn user_of(&self, u: &OrgUser) -> User {
        let depts = u
            .dept_ids
            .iter()
            // Membership of the stand-in root is how a snapshot records people granted
            // directly; it is not one of their departments (online it is not either).
            .filter(|id| *id != RANGE_ROOT_ID)
            .filter_map(|id| match self.org.dept(id) {
                Some(d) => Some(DeptRef {
                    id: d.id.clone(),
                    name: d.name.clone(),
                    path: self.paths.get(id).cloned(),
                }),
                None => self.refs.get(id).cloned(),
            })
            .collect();
        let status = match (u.status, self.default_active) {
            (None, true) => Some(UserStatus::Active),
            (s, _) => s,
        };
        let mut user = u.to_user(status, depts);
        user.dept_ids.retain(|id| id != RANGE_ROOT_ID);
        user
    }

    /// `listed` (ids, in the server's order) first, then anything else the org links there,
    /// each once.
    fn ordered<'a, T>(
        listed: Option<&Vec<String>>,
        linked: Vec<&'a T>,
        id_of: impl Fn(&T) -> &str,
        find: impl Fn(&str) -> Option<&'a T>,
    ) -> Vec<&'a T> {
        let Some(listed) = listed else {
            return linked;
        };
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(linked.len().max(listed.len()));
        for id in listed {
            if let Some(x) = find(id)
                && seen.insert(id_of(x).to_string())
            {
                out.push(x);
            }
        }
        for x in linked {
            if seen.insert(id_of(x).to_string()) {
                out.push(x);
            }
        }
        out
    }

    fn known_dept(&self, id: &str) -> Result<&OrgDept> {
        self.org
            .dept(id)
            .ok_or_else(|| Error::not_found(format!("department {id}")))
    }
}

/// Listings are one page; a token we never handed out gets an empty last page.
fn one_page<T>(page: Option<&str>, items: impl FnOnce() -> Vec<T>) -> Page<T> {
    Page {
        items: if page.is_none() { items() } else { Vec::new() },
        next_page: None,
        total: None,
    }
}

#[async_trait]
impl Directory for OfflineDirectory {
    async fn root(&self) -> Result<Dept> {
        let root = self
            .org
            .find_root()
            .ok_or_else(|| Error::not_found("root department (not in the offline data)"))?;
        Ok(self.dept_of(root))
    }

    async fn dept(&self, id: &str) -> Result<Dept> {
        Ok(self.dept_of(self.known_dept(id)?))
    }

    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>> {
        self.known_dept(dept_id)?;
        Ok(one_page(page, || {
            let kids = Self::ordered(
                self.child_order.get(dept_id),
                self.org.children(dept_id),
                |d| &d.id,
                |id| {
                    // Only departments that hang here: a listed child that the snapshot
                    // records under another parent has moved since.
                    self.org.dept(id).filter(|d| {
                        d.parent_id.as_deref().is_none_or(|p| p == dept_id)
                            && self.org.find_root().is_none_or(|r| r.id != d.id)
                    })
                },
            );
            kids.into_iter().map(|d| self.dept_of(d)).collect()
        }))
    }

    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>> {
        self.known_dept(dept_id)?;
        Ok(one_page(page, || {
            let members = Self::ordered(
                self.member_order.get(dept_id),
                self.org.members(dept_id),
                |u| &u.id,
                |id| self.org.user(id),
            );
            members.into_iter().map(|u| self.user_of(u)).collect()
        }))
    }

    async fn user(&self, id: &str) -> Result<User> {
        self.org
            .user(id)
            .map(|u| self.user_of(u))
            .ok_or_else(|| Error::not_found(format!("user {id}")))
    }

    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        Ok(ids
            .iter()
            .filter_map(|id| self.org.user(id))
            .map(|u| self.user_of(u))
            .collect())
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>> {
        Ok(emails
            .iter()
            .map(|e| EmailMatch {
                email: e.clone(),
                user: self.org.user_by_email(e).map(|u| self.user_of(u)),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::User;
    use crate::snapshot::{SnapDept, SnapUser};

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn partial_snapshot_drops_dangling_references() {
        let dept = |id: &str, parent: Option<&str>, path: &str| SnapDept {
            dept: Dept {
                id: id.into(),
                name: Some(id.to_uppercase()),
                parent_id: parent.map(str::to_string),
                path: Some(path.into()),
                ..Dept::default()
            },
            children: None,
            members: None,
        };
        let snap = Snapshot {
            provider: "feishu".into(),
            root: Some("r".into()),
            depts: vec![
                SnapDept {
                    children: Some(vec!["a".into(), "gone".into()]),
                    members: Some(vec!["u1".into()]),
                    ..dept("r", None, "R")
                },
                dept("a", Some("r"), "R/A"),
                // Its parent was never loaded: kept, with the server's path.
                dept("deep", Some("missing"), "R/M/DEEP"),
            ],
            users: vec![
                SnapUser {
                    user: User {
                        id: "u1".into(),
                        name: Some("One".into()),
                        email: Some("One@X.example".into()),
                        dept_ids: vec!["r".into(), "elsewhere".into()],
                        depts: vec![DeptRef {
                            id: "elsewhere".into(),
                            name: Some("E".into()),
                            path: Some("R/E".into()),
                        }],
                        ..User::default()
                    },
                    detailed: true,
                },
                SnapUser {
                    user: User {
                        id: "u2".into(),
                        dept_ids: vec!["deep".into()],
                        ..User::default()
                    },
                    detailed: false,
                },
            ],
            ..Snapshot::default()
        };
        let dir = OfflineDirectory::from_snapshot(&snap).unwrap();
        block(async {
            assert!(format!("{dir:?}").contains("kind: Feishu"), "{dir:?}");
            assert_eq!(dir.root().await.unwrap().id, "r");
            let kids = dir.children("r", None).await.unwrap();
            assert_eq!(kids.items.len(), 1);
            assert_eq!(kids.next_page, None);
            assert_eq!(
                dir.dept("deep").await.unwrap().path.as_deref(),
                Some("R/M/DEEP")
            );
            let u1 = dir.user("u1").await.unwrap();
            let paths: Vec<_> = u1.depts.iter().map(|d| d.path.clone()).collect();
            assert_eq!(paths, [Some("R".into()), Some("R/E".into())]);
            assert_eq!(u1.status, None);
            let members = dir.members("deep", None).await.unwrap();
            assert_eq!(members.items[0].id, "u2");
            let found = dir
                .users_by_emails(&["nobody@x".into(), "one@x.EXAMPLE".into()])
                .await
                .unwrap();
            assert!(found[0].user.is_none());
            assert_eq!(found[1].user.as_ref().unwrap().id, "u1");
            assert!(matches!(dir.user("u9").await, Err(Error::NotFound { .. })));
            assert!(matches!(
                dir.children("gone", None).await,
                Err(Error::NotFound { .. })
            ));
        });
    }

    #[test]
    fn no_root_is_not_found() {
        let snap = Snapshot {
            users: vec![SnapUser::default()],
            ..Snapshot::default()
        };
        let dir = OfflineDirectory::from_snapshot(&snap).unwrap();
        assert!(matches!(block(dir.root()), Err(Error::NotFound { .. })));
        assert!(OfflineDirectory::from_snapshot(&Snapshot::default()).is_err());
    }
}
