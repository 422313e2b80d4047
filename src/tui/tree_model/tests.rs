//! Building the rows, listings, cycles in server data, and the bounds on both.

use super::*;

pub(crate) fn dept(id: &str, parent: Option<&str>) -> Dept {
    Dept {
        id: id.into(),
        name: Some(id.to_uppercase()),
        parent_id: parent.map(Into::into),
        ..Dept::default()
    }
}

#[test]
fn rows_follow_open_departments() {
    let mut t = Tree::default();
    t.set_root(dept("r", None));
    t.add_children("r", vec![dept("a", None), dept("b", None)]);
    t.add_member_ids("r", vec!["u1".into()]);
    t.rebuild();
    assert_eq!(t.rows().len(), 1);
    t.node_mut("r").unwrap().expanded = true;
    t.rebuild();
    let kinds: Vec<_> = t.rows().iter().map(|r| (r.depth, r.kind.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (0, RowKind::Dept("r".into())),
            (1, RowKind::Dept("a".into())),
            (1, RowKind::Dept("b".into())),
            (
                1,
                RowKind::User {
                    id: "u1".into(),
                    dept: "r".into()
                }
            ),
        ]
    );
    assert_eq!(t.chain_to("b"), Some(vec!["r".into(), "b".into()]));
}

/// Refreshing one department's rows gives the same rows as rebuilding them all.
#[test]
fn refresh_equals_rebuild() {
    let mut t = Tree::default();
    t.set_root(dept("r", None));
    t.add_children("r", vec![dept("a", None), dept("b", None)]);
    t.add_children("a", vec![dept("a1", None)]);
    t.add_member_ids("a", vec!["u1".into(), "u2".into()]);
    t.add_member_ids("b", vec!["u3".into()]);
    t.add_member_ids("r", vec!["u0".into()]);
    for id in ["r", "a", "b"] {
        t.node_mut(id).unwrap().expanded = true;
    }
    t.rebuild();
    let check = |t: &mut Tree, id: &str| {
        t.refresh(id);
        let refreshed = t.rows().to_vec();
        t.rebuild();
        assert_eq!(refreshed, t.rows(), "after a change under {id}");
    };
    // More members under a, a1 opened, a closed, b's load failing, the root closed.
    t.add_member_ids("a", vec!["u4".into()]);
    check(&mut t, "a");
    t.add_member_ids("a1", vec!["u5".into()]);
    t.node_mut("a1").unwrap().expanded = true;
    check(&mut t, "a1");
    t.node_mut("a").unwrap().expanded = false;
    check(&mut t, "a");
    t.node_mut("b").unwrap().members_load = Load::Failed("boom".into());
    check(&mut t, "b");
    t.node_mut("r").unwrap().expanded = false;
    check(&mut t, "r");
    assert_eq!(t.rows().len(), 1);
    // Not visible: nothing changes.
    t.refresh("a1");
    assert_eq!(t.rows().len(), 1);
}

/// Every department once, however often listed; one listed under itself or below
/// itself is a cycle row; refreshing part of the rows gives what a rebuild gives.
#[test]
fn each_department_once_and_cycles_noted() {
    let mut t = Tree::default();
    t.set_root(dept("r", None));
    t.add_children("r", vec![dept("a", None), dept("b", None)]);
    t.add_children("a", vec![dept("c", None)]);
    // c again (a second parent), r (an ancestor), b (itself).
    t.add_children("b", vec![dept("c", None), dept("r", None), dept("b", None)]);
    t.add_children("c", vec![dept("a", None)]);
    for id in ["r", "a", "b", "c"] {
        t.node_mut(id).unwrap().expanded = true;
    }
    t.rebuild();
    let cycle = |d: &str, c: &str| RowKind::Cycle {
        dept: d.into(),
        child: c.into(),
    };
    let d = |id: &str| RowKind::Dept(id.into());
    let kinds: Vec<_> = t.rows().iter().map(|r| (r.depth, r.kind.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (0, d("r")),
            (1, d("a")),
            (2, d("c")),
            (3, cycle("c", "a")),
            (1, d("b")),
            (2, cycle("b", "r")),
            (2, cycle("b", "b")),
        ]
    );
    // The looping listings did not make the parents loop: paths still reach the root.
    assert_eq!(t.parent("r"), None);
    assert_eq!(t.parent("b"), Some("r"));
    for id in ["a", "b", "c"] {
        assert!(t.chain_to(id).is_some(), "{id}");
    }
    for id in ["c", "b", "a", "r"] {
        t.refresh(id);
        let refreshed = t.rows().to_vec();
        t.rebuild();
        assert_eq!(refreshed, t.rows(), "refreshing {id}");
    }
    // Closing a gives c to b, where it was listed second: refresh agrees with rebuild.
    t.node_mut("a").unwrap().expanded = false;
    t.refresh("a");
    let refreshed = t.rows().to_vec();
    t.rebuild();
    assert_eq!(refreshed, t.rows());
    assert!(t.position(&d("c")).is_some_and(|i| t.rows()[i].depth == 2));
}

/// Two ancestors listed under one department: without a visited set, rows double at
/// every level.
#[test]
fn rows_do_not_grow_exponentially() {
    let mut t = Tree::default();
    t.set_root(dept("r", None));
    t.add_children("r", vec![dept("a", None)]);
    t.add_children("a", vec![dept("r", None), dept("a", None)]);
    t.node_mut("r").unwrap().expanded = true;
    t.node_mut("a").unwrap().expanded = true;
    t.rebuild();
    assert_eq!(t.rows().len(), 4);
}

#[test]
fn cycles_do_not_hang() {
    let mut t = Tree::default();
    t.set_root(dept("r", None));
    t.add_children("r", vec![dept("a", Some("r"))]);
    t.add_children("a", vec![dept("r", Some("a"))]);
    t.node_mut("r").unwrap().expanded = true;
    t.node_mut("a").unwrap().expanded = true;
    t.rebuild();
    assert!(t.rows().len() < 200);
}

#[test]
fn appending_many_ids_is_linear_and_keeps_each_once() {
    let mut list = vec!["a".to_string()];
    append_unique(
        &mut list,
        vec!["b".into(), "a".into(), "c".into(), "b".into()],
    );
    assert_eq!(list, ["a", "b", "c"]);
    // 300,000 members at once, then again: a search per id would take minutes here.
    let started = std::time::Instant::now();
    let ids: Vec<String> = (0..300_000).map(|i| format!("u{i}")).collect();
    let mut t = Tree::default();
    t.set_root(dept("r", None));
    t.add_member_ids("r", ids.clone());
    t.add_member_ids("r", ids);
    assert_eq!(t.node("r").unwrap().members.len(), 300_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
