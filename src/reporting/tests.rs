use super::*;
use proptest::prelude::*;

fn known(ids: &[&str]) -> Vec<Link> {
    ids.iter().map(|s| Link::Known(s.to_string())).collect()
}

fn ids(tree: &ReportTree) -> Vec<(&str, usize, usize)> {
    tree.rows
        .iter()
        .map(|r| (r.id.as_str(), r.level, r.below))
        .collect()
}

/// c0 <- c1 <- ... <- c6: a chain of seven people, c0 at the top.
fn ladder(r: &mut Reporting) {
    r.set("c0", Some("Top"), None);
    for i in 1..7 {
        let leader = format!("c{}", i - 1);
        r.set(&format!("c{i}"), Some(&format!("L{i}")), Some(&leader));
    }
}

#[test]
fn a_long_chain_is_nearest_first_up_to_the_top() {
    let mut r = Reporting::default();
    ladder(&mut r);
    let chain = r.chain("c6");
    assert_eq!(chain.links, known(&["c5", "c4", "c3", "c2", "c1", "c0"]));
    assert_eq!(chain.cycle, None);
    assert!(!chain.cut);
    assert_eq!(r.head_count("c0"), 6);
    assert_eq!(r.head_count("c4"), 2);
    let tree = r.tree("c3", None);
    assert_eq!(
        ids(&tree),
        [("c3", 0, 3), ("c4", 1, 2), ("c5", 2, 1), ("c6", 3, 0)]
    );
    assert_eq!(ids(&r.tree("c3", Some(1))), [("c3", 0, 3), ("c4", 1, 2)]);
    assert!(!r.tree("c3", Some(1)).cut);
}

#[test]
fn a_person_without_a_leader_has_an_empty_chain() {
    let mut r = Reporting::default();
    r.set("solo", Some("Solo"), None);
    r.set("blank", Some("Blank"), Some(""));
    for id in ["solo", "blank"] {
        assert_eq!(r.chain(id), Chain::default());
        assert_eq!(r.direct(id), Vec::<&str>::new());
        assert_eq!(ids(&r.tree(id, None)), [(id, 0, 0)]);
    }
    assert!(r.contains("solo") && !r.contains("nobody"));
    assert_eq!(r.chain("nobody"), Chain::default());
    assert!(r.tree("nobody", None).rows.is_empty());
}

#[test]
fn a_cycle_is_named_once_and_never_followed() {
    let mut r = Reporting::default();
    // a -> b -> c -> a, and x hangs below a (x's leader is a).
    r.set("a", Some("A"), Some("b"));
    r.set("b", Some("B"), Some("c"));
    r.set("c", Some("C"), Some("a"));
    r.set("x", Some("X"), Some("a"));
    let chain = r.chain("x");
    assert_eq!(chain.links, known(&["a", "b", "c"]));
    assert_eq!(chain.cycle.unwrap().ids, ["a", "b", "c"]);
    let chain = r.chain("a");
    assert_eq!(chain.links, known(&["b", "c"]));
    assert_eq!(chain.cycle.unwrap().ids, ["a", "b", "c"]);
    // Down from a: its reports are c and x (name order); c's report is b; b's is a again.
    let tree = r.tree("a", None);
    assert_eq!(
        ids(&tree),
        [("a", 0, 3), ("c", 1, 3), ("b", 2, 3), ("x", 1, 0)]
    );
    assert_eq!(tree.cycle.unwrap().ids, ["a", "b", "c"]);
    assert_eq!(r.head_count("b"), 3);
    assert_eq!(r.tree("x", None).cycle, None);
}

#[test]
fn naming_oneself_is_a_cycle_of_one() {
    let mut r = Reporting::default();
    r.set("me", Some("Me"), Some("me"));
    r.set("kid", Some("Kid"), Some("me"));
    let chain = r.chain("me");
    assert!(chain.links.is_empty());
    assert_eq!(chain.cycle.unwrap().ids, ["me"]);
    assert_eq!(r.chain("kid").links, known(&["me"]));
    assert_eq!(r.direct("me"), ["kid"]);
    assert_eq!(r.direct_count("me"), 1);
    assert_eq!(r.head_count("me"), 1);
    assert_eq!(r.tree("me", None).cycle.unwrap().ids, ["me"]);
    assert_eq!(r.leader("me"), Some("me"));
}

#[test]
fn an_unknown_leader_ends_the_chain_as_unknown() {
    let mut r = Reporting::default();
    r.set("a", Some("A"), Some("ghost"));
    r.set("b", Some("B"), Some("a"));
    let chain = r.chain("b");
    assert_eq!(
        chain.links,
        [Link::Known("a".into()), Link::Unknown("ghost".into())]
    );
    assert!(!r.contains("ghost"));
    // When the leader arrives, the chain goes on through them.
    r.set("ghost", Some("G"), None);
    assert_eq!(r.chain("b").links, known(&["a", "ghost"]));
    r.remove("ghost");
    assert_eq!(
        r.chain("b").links.last(),
        Some(&Link::Unknown("ghost".into()))
    );
    assert_eq!(r.len(), 2);
}

#[test]
fn many_direct_reports_come_in_name_then_id_order() {
    let mut r = Reporting::default();
    r.set("boss", Some("Boss"), None);
    // Names repeat every 10, so ties fall back to the id; a few have no name and go last.
    for i in (0..150).rev() {
        let name = format!("N{:02}", i % 10);
        let name = (i % 50 != 7).then_some(name.as_str());
        r.set(&format!("p{i:03}"), name, Some("boss"));
    }
    let got = r.direct("boss");
    assert_eq!(got.len(), 150);
    assert_eq!(r.direct_count("boss"), 150);
    assert_eq!(r.head_count("boss"), 150);
    let mut expected: Vec<(bool, String, String)> = (0..150)
        .map(|i| (i % 50 == 7, format!("N{:02}", i % 10), format!("p{i:03}")))
        .collect();
    expected.sort();
    let expected: Vec<&str> = expected.iter().map(|(_, _, id)| id.as_str()).collect();
    assert_eq!(got, expected);
    assert_eq!(r.tree("boss", Some(1)).rows.len(), 151);
}

#[test]
fn changing_a_leader_moves_the_person_and_their_reports() {
    let mut r = Reporting::default();
    ladder(&mut r);
    r.set("other", Some("Other"), None);
    // c3 (with c4..c6 below) moves under "other".
    r.set("c3", Some("Renamed"), Some("other"));
    assert_eq!(r.direct("c2"), Vec::<&str>::new());
    assert_eq!(r.direct("other"), ["c3"]);
    assert_eq!(r.head_count("other"), 4);
    assert_eq!(r.head_count("c0"), 2);
    assert_eq!(r.chain("c6").links, known(&["c5", "c4", "c3", "other"]));
    assert_eq!(r.name("c3"), Some("Renamed"));
    // Setting the same again changes nothing; removing takes them out of the list.
    r.set("c3", Some("Renamed"), Some("other"));
    assert_eq!(r.direct_count("other"), 1);
    r.remove("c3");
    assert_eq!(r.direct_count("other"), 0);
    assert!(!r.contains("c3"));
    assert_eq!(r.chain("c4").links, [Link::Unknown("c3".into())]);
}

#[test]
fn moves_in_a_long_list_keep_every_other_report() {
    let mut r = Reporting::default();
    for i in 0..100 {
        r.set(&format!("p{i}"), None, Some("a"));
    }
    for i in (0..100).step_by(3) {
        r.set(&format!("p{i}"), None, Some("b"));
    }
    assert_eq!(r.direct_count("a"), 66);
    assert_eq!(r.direct_count("b"), 34);
    let mut a = r.direct("a");
    a.sort();
    let mut want: Vec<String> = (0..100)
        .filter(|i| i % 3 != 0)
        .map(|i| format!("p{i}"))
        .collect();
    want.sort();
    assert_eq!(a, want);
}

proptest! {
    /// On any leader graph (loops, self links, unknown ids), `chain` ends, never repeats a
    /// person nor names the start, and a named cycle is a real loop of leader links.
    #[test]
    fn chain_terminates_and_never_repeats(
        links in proptest::collection::vec(proptest::option::of(0u8..40), 1..40),
    ) {
        let mut r = Reporting::default();
        for (i, l) in links.iter().enumerate() {
            let leader = l.map(|l| format!("u{l}"));
            r.set(&format!("u{i}"), None, leader.as_deref());
        }
        for i in 0..links.len() {
            let id = format!("u{i}");
            let chain = r.chain(&id);
            let mut seen = std::collections::HashSet::new();
            prop_assert!(chain.links.iter().all(|l| seen.insert(l.id().to_string())));
            prop_assert!(!seen.contains(&id));
            if let Some(cycle) = &chain.cycle {
                for (k, c) in cycle.ids.iter().enumerate() {
                    let next = &cycle.ids[(k + 1) % cycle.ids.len()];
                    prop_assert_eq!(r.leader(c), Some(next.as_str()));
                }
            }
            // Head counts agree with the tree, which lists each person once.
            let tree = r.tree(&id, None);
            let mut once = std::collections::HashSet::new();
            prop_assert!(tree.rows.iter().all(|row| once.insert(row.id.clone())));
            prop_assert_eq!(tree.rows.len(), r.head_count(&id) + 1);
        }
    }
}

#[test]
fn a_hundred_thousand_people_build_quickly() {
    let start = std::time::Instant::now();
    let mut r = Reporting::default();
    for i in 0..100_000u32 {
        // A wide, fairly deep org: everyone's leader is i / 20; one manager has thousands.
        let leader = if i == 0 {
            None
        } else if i % 7 == 0 {
            Some("u1".to_string())
        } else {
            Some(format!("u{}", i / 20))
        };
        r.set(&format!("u{i}"), Some(&format!("N{i}")), leader.as_deref());
    }
    let built = start.elapsed();
    assert_eq!(r.head_count("u0"), 99_999);
    assert!(r.direct_count("u1") > 14_000);
    assert_eq!(r.direct("u1").len(), r.direct_count("u1"));
    // Debug builds are several times slower; the 100 ms goal is for release.
    let limit = if cfg!(debug_assertions) { 2_000 } else { 100 };
    assert!(built.as_millis() < limit, "built in {built:?}");
}

#[test]
fn the_count_of_people_follows_sets_and_removes() {
    let mut r = Reporting::default();
    assert!(r.is_empty());
    r.set("a", None, Some("ghost"));
    r.set("a", Some("A"), Some("ghost"));
    r.set("b", None, None);
    assert_eq!(r.len(), 2);
    r.remove("ghost");
    r.remove("a");
    r.remove("a");
    assert_eq!(r.len(), 1);
    r.set("ghost", None, None);
    assert_eq!(r.len(), 2);
}

#[test]
fn deep_and_looping_graphs_are_bounded() {
    let mut r = Reporting::default();
    // A ladder of 20,000 below "top", and a loop of 20,000.
    r.set("top", None, None);
    for i in 0..20_000 {
        let leader = if i == 0 {
            "top".to_string()
        } else {
            format!("l{}", i - 1)
        };
        r.set(&format!("l{i}"), None, Some(&leader));
        r.set(
            &format!("o{i}"),
            None,
            Some(&format!("o{}", (i + 1) % 20_000)),
        );
    }
    let chain = r.chain("l19999");
    assert!(chain.cut && chain.links.len() == MAX_CHAIN && chain.cycle.is_none());
    let tree = r.tree("top", None);
    assert!(tree.cut);
    assert_eq!(tree.rows.len(), MAX_TREE_DEPTH + 1);
    assert_eq!(tree.rows[0].below, 20_000);
    assert!(!r.tree("top", Some(3)).cut);
    let tree = r.tree("o0", None);
    assert_eq!(tree.cycle.unwrap().ids.len(), 20_000);
    assert!(tree.rows.iter().all(|row| row.below == 19_999));
    // Longer than a chain may be: cut before the loop closes, so it is not named.
    let chain = r.chain("o5");
    assert!(chain.cut && chain.cycle.is_none());
    assert_eq!(chain.links.len(), MAX_CHAIN);
}

/// `first_direct` is the head of `direct`, whatever `n`.
#[test]
fn first_direct_is_the_head_of_direct() {
    let mut r = Reporting::default();
    r.set("m", Some("M"), None);
    for i in 0..50 {
        r.set(
            &format!("r{i}"),
            Some(&format!("N{:02}", (i * 7) % 50)),
            Some("m"),
        );
    }
    r.set("x", None, Some("m"));
    let all = r.direct("m");
    for n in [0, 1, 5, 50, 51, 100] {
        assert_eq!(
            r.first_direct("m", n),
            all[..n.min(all.len())].to_vec(),
            "{n}"
        );
    }
    assert!(r.first_direct("nobody", 5).is_empty());
}
