//! The offline directory over partial, odd and hostile snapshots.

use super::*;
use crate::model::User;
use crate::snapshot::{SnapDept, SnapUser};

/// Department `id` named in capitals, with no listings loaded.
fn dept(id: &str, parent: Option<&str>) -> SnapDept {
    SnapDept {
        dept: Dept {
            id: id.into(),
            name: Some(id.to_uppercase()),
            parent_id: parent.map(str::to_string),
            ..Dept::default()
        },
        children: None,
        members: None,
    }
}

#[tokio::test]
async fn partial_snapshot_drops_dangling_references() {
    let dept = |id: &str, parent: Option<&str>, path: &str| {
        let mut d = dept(id, parent);
        d.dept.path = Some(path.into());
        d
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
}

#[tokio::test]
async fn no_root_is_not_found() {
    let snap = Snapshot {
        users: vec![SnapUser::default()],
        ..Snapshot::default()
    };
    let dir = OfflineDirectory::from_snapshot(&snap).unwrap();
    assert!(matches!(dir.root().await, Err(Error::NotFound { .. })));
    assert!(OfflineDirectory::from_snapshot(&Snapshot::default()).is_err());
}

/// A person in the member list of every one of 20,000 departments: among their
/// departments once each, and at most `MAX_IDS_PER_LIST` of them, their own first.
#[tokio::test]
async fn memberships_from_listings_are_once_each_and_bounded() {
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
    let dir = OfflineDirectory::from_snapshot(&snap).unwrap();
    let u1 = dir.user("u1").await.unwrap();
    assert_eq!(u1.dept_ids.len(), crate::model::MAX_IDS_PER_LIST);
    assert_eq!(u1.dept_ids[..3], ["d1", "d0", "d2"]);
    assert_eq!(u1.depts.len(), crate::model::MAX_IDS_PER_LIST);
    // Listed once in d5 (its listing names them twice), though not among their 256.
    let listed = dir.members("d300", None).await.unwrap();
    assert_eq!(listed.items.len(), 1);
}

/// Feishu's root is "0", and its children name "0" as their parent: they hang there by
/// the root's listing, and their paths run through the root.
#[tokio::test]
async fn a_root_named_zero_keeps_its_children() {
    let snap = Snapshot {
        provider: "feishu".into(),
        root: Some("0".into()),
        depts: vec![
            SnapDept {
                children: Some(vec!["a".into()]),
                ..dept("0", None)
            },
            dept("a", Some("0")),
            dept("b", Some("a")),
        ],
        ..Snapshot::default()
    };
    let dir = OfflineDirectory::from_snapshot(&snap).unwrap();
    let kids = dir.children("0", None).await.unwrap();
    assert_eq!(kids.items.len(), 1);
    assert_eq!(kids.items[0].id, "a");
    let b = dir.dept("b").await.unwrap();
    assert_eq!(b.path.as_deref(), Some("0/A/B"));
    assert_eq!(dir.children("a", None).await.unwrap().items[0].id, "b");
}
