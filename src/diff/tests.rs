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
