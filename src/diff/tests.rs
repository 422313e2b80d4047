use super::*;
use crate::model::{Dept, UserStatus};
use crate::snapshot::{SnapDept, SnapUser};

fn dept(id: &str, name: &str, parent: Option<&str>) -> SnapDept {
    SnapDept {
        dept: Dept {
            id: id.into(),
            name: Some(name.into()),
            parent_id: parent.map(str::to_string),
            ..Dept::default()
        },
        children: Some(Vec::new()),
        members: Some(Vec::new()),
    }
}

fn person(id: &str, name: &str, depts: &[&str]) -> SnapUser {
    SnapUser {
        user: User {
            id: id.into(),
            name: Some(name.into()),
            dept_ids: depts.iter().map(|d| d.to_string()).collect(),
            ..User::default()
        },
        detailed: false,
    }
}

fn snap(depts: Vec<SnapDept>, users: Vec<SnapUser>, saved_at: u64) -> Snapshot {
    Snapshot {
        root: Some("r".into()),
        depts,
        users,
        saved_at,
        ..Snapshot::default()
    }
}

#[test]
fn the_same_org_in_another_order_is_no_change() {
    let depts = vec![dept("r", "R", None), dept("a", "A", Some("r"))];
    let users = vec![person("u1", "X", &["a"]), person("u2", "Y", &["a", "r"])];
    let old = snap(depts.clone(), users.clone(), 1);
    let mut new = snap(depts.into_iter().rev().collect(), users, 2);
    new.users.reverse();
    // The set of departments matters, not their order in the record.
    new.users[0].user.dept_ids.reverse();
    // `"0"` and no parent both mark a top department.
    new.depts[1].dept.parent_id = Some("0".into());
    let d = compare(&old, &new);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!((d.from, d.to), (Some(1), Some(2)));
}

#[test]
fn lists_are_ordered_by_name_then_id() {
    let depts = vec![dept("r", "R", None)];
    let old = snap(depts.clone(), vec![], 0);
    let users = vec![
        person("u3", "Bea", &["r"]),
        person("u2", "Ann", &["r"]),
        person("u1", "Bea", &["r"]),
        person("u0", "", &["r"]),
    ];
    let new = snap(depts, users, 0);
    let ids: Vec<String> = compare(&old, &new)
        .joined
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids, ["u0", "u2", "u1", "u3"]);
    let left: Vec<String> = compare(&new, &old).left.into_iter().map(|u| u.id).collect();
    assert_eq!(left, ["u0", "u2", "u1", "u3"]);
}

#[test]
fn fields_change_from_and_to_unknown_and_duplicates_are_read_once() {
    let depts = vec![dept("r", "R", None)];
    let mut before = person("u1", "Ann", &["r"]);
    before.user.status = Some(UserStatus::Active);
    before.user.email = Some("a@x".into());
    let mut after = before.clone();
    after.user.status = None;
    after.user.title = Some("Boss".into());
    // A second record with the same id is ignored (the first wins).
    let mut dup = after.clone();
    dup.user.email = Some("other@x".into());
    let old = snap(depts.clone(), vec![before], 0);
    let new = snap(depts, vec![after, dup], 0);
    let d = compare(&old, &new);
    let got: Vec<(Field, Option<&str>, Option<&str>)> = d
        .changed
        .iter()
        .map(|c| (c.field, c.from.as_deref(), c.to.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Field::Title, None, Some("Boss")),
            (Field::Status, Some("active"), None)
        ]
    );
    assert!(d.joined.is_empty() && d.left.is_empty() && d.moved.is_empty());
}

#[test]
fn paths_are_rebuilt_from_parents_and_loops_end() {
    // No recorded paths; b and c are each other's parent.
    let depts = vec![
        dept("r", "R", None),
        dept("a", "A", Some("r")),
        dept("b", "B", Some("c")),
        dept("c", "C", Some("b")),
    ];
    let old = snap(depts.clone(), vec![person("u1", "Ann", &["a"])], 0);
    let new = snap(depts, vec![person("u1", "Ann", &["b", "gone", "b"])], 0);
    let d = compare(&old, &new);
    let moved = d.moved.first().expect("moved");
    assert_eq!(moved.from, ["R/A"]);
    assert_eq!(moved.to, ["C/B", "[gone]"]);
}

#[test]
fn departments_added_removed_renamed_and_moved() {
    let old = snap(
        vec![
            dept("r", "R", None),
            dept("a", "A", Some("r")),
            dept("b", "B", Some("r")),
            dept("x", "X", Some("a")),
        ],
        vec![],
        0,
    );
    let mut new = snap(
        vec![
            dept("r", "R", None),
            dept("a", "A2", Some("r")),
            dept("b", "B", Some("a")),
            dept("y", "Y", Some("b")),
        ],
        vec![],
        0,
    );
    // A recorded path is used as it is.
    new.depts[3].dept.path = Some("R/A2/B/Y".into());
    let d = compare(&old, &new).depts;
    let ids = |v: &[Dept]| v.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&d.added), ["y"]);
    assert_eq!(d.added[0].path.as_deref(), Some("R/A2/B/Y"));
    assert_eq!(ids(&d.removed), ["x"]);
    assert_eq!(d.removed[0].path.as_deref(), Some("R/A/X"));
    assert_eq!(
        d.renamed,
        [Renamed {
            id: "a".into(),
            from: Some("A".into()),
            to: Some("A2".into())
        }]
    );
    assert_eq!(
        d.moved,
        [DeptMoved {
            id: "b".into(),
            from: "R/B".into(),
            to: "R/A2/B".into()
        }]
    );
}

#[test]
fn dates_are_rfc3339_utc() {
    assert_eq!(
        rfc3339(1_796_205_600).as_deref(),
        Some("2026-12-02T10:00:00Z")
    );
    assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
    assert_eq!(rfc3339(u64::MAX), None);
}

/// `since_previous` reads the two files a part at a time and keeps only who changed; what it
/// finds is what `compare` finds on both decoded whole, across parts (1,500 people).
#[test]
fn since_previous_streams_to_the_same_diff_as_compare() {
    let depts = || {
        let mut r = dept("r", "Acme", None);
        r.children = Some(vec!["a".into(), "b".into()]);
        vec![
            r,
            dept("a", "Eng", Some("r")),
            dept("b", "Sales", Some("r")),
        ]
    };
    let everyone: Vec<SnapUser> = (0..1500)
        .map(|i| {
            let mut p = person(&format!("u{i:04}"), &format!("P{i}"), &["a"]);
            p.user.title = Some("Engineer".into());
            p
        })
        .collect();
    let (t0, t1) = (1_764_064_800, 1_764_669_600);
    let old = snap(depts(), everyone.clone(), t0);
    let mut users = everyone;
    users.retain(|u| u.user.id != "u0007" && u.user.id != "u1400");
    users.push(person("u9000", "Newcomer", &["b"]));
    for u in &mut users {
        match u.user.id.as_str() {
            "u0600" => u.user.dept_ids = vec!["b".into()],
            "u1100" => u.user.title = Some("Lead".into()),
            "u1499" => u.user.status = Some(UserStatus::Dimission),
            // A change compare does not report: no entry either way.
            "u0002" => u.user.mobile = Some("+1 555".into()),
            _ => {}
        }
    }
    // The first of a duplicate id wins in both.
    users.push(person("u0003", "Shadow", &["b"]));
    let new = snap(depts(), users, t1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.snap");
    let prev = crate::snapshot::previous_path(&path);
    assert!(matches!(since_previous(&path), Err(NoDiff::NoPrevious(_))));
    crate::snapshot::save(&prev, &old).unwrap();
    crate::snapshot::save(&path, &new).unwrap();
    let streamed = since_previous(&path).unwrap();
    let whole = compare(
        &crate::snapshot::load(&prev).unwrap(),
        &crate::snapshot::load(&path).unwrap(),
    );
    assert_eq!(streamed, whole);
    let ids = |v: &[User]| v.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&streamed.joined), ["u9000"]);
    // By name: "P1400" before "P7".
    assert_eq!(ids(&streamed.left), ["u1400", "u0007"]);
    assert_eq!(streamed.moved.len(), 1);
    assert_eq!(streamed.changed.len(), 2);
    assert_eq!((streamed.from, streamed.to), (Some(t0), Some(t1)));
}
