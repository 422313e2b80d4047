//! Words in any order, and the `in:` / `is:` filters.

use super::*;
use crate::model::UserStatus;

fn person(id: &str, name: &str, status: UserStatus, depts: &[&str]) -> Candidate {
    Candidate {
        status: Some(status),
        dept_ids: depts.iter().map(|d| d.to_string()).collect(),
        ..user(id, name)
    }
}

fn dept(id: &str, path: &str) -> Candidate {
    Candidate {
        kind: Kind::Dept,
        name: path.rsplit('/').next().unwrap_or(path).into(),
        path: Some(path.into()),
        ..user(id, "")
    }
}

fn org() -> SearchIndex {
    index_of(vec![
        dept("d0", "Acme"),
        dept("d1", "Acme/研发中心"),
        dept("d2", "Acme/研发中心/后端组"),
        dept("d3", "Acme/销售部"),
        person("u1", "张伟", UserStatus::Active, &["d2"]),
        person("u2", "张伟", UserStatus::Dimission, &["d1"]),
        person("u3", "张伟", UserStatus::Active, &["d3"]),
        person("u4", "Anna Smith", UserStatus::Active, &["d3", "d2"]),
        person("u5", "Smith Anna", UserStatus::Disabled, &["d3"]),
        person("u6", "李娜", UserStatus::Notactive, &[]),
    ])
}

#[test]
fn words_match_in_any_order_with_pinyin_per_word() {
    let idx = org();
    for q in ["zhang wei", "wei zhang", "zw", "zhangwei", "wei z"] {
        let hits = idx.search(q, 10);
        assert_eq!(ids(&hits), ["u1", "u2", "u3"], "query {q:?}");
    }
    let hits = idx.search("smith anna", 10);
    assert_eq!(ids(&hits), ["u5", "u4"]);
    assert_eq!(hits[1].field, Field::Words);
    // Each word's own highlight, on the displayed name.
    assert_eq!(
        hits[1].name_positions,
        (0..10).filter(|&i| i != 4).collect::<Vec<_>>()
    );
    // Every word must match something.
    assert!(idx.search("anna zzz", 10).is_empty());
}

#[test]
fn an_in_order_match_beats_a_reordered_one() {
    let idx = org();
    let hits = idx.search("anna smith", 10);
    assert_eq!(ids(&hits), ["u4", "u5"]);
    assert!(hits[0].score > hits[1].score);
    assert_ne!(hits[0].field, Field::Words);
    // Reordered words rank below even a scattered whole-query match of the title.
    let mut t = user("t", "Bob");
    t.title = Some("wei ops zhang".into());
    let idx = index_of(vec![user("z", "张伟"), t]);
    let hits = idx.search("wei zhang", 10);
    assert_eq!(ids(&hits), ["t", "z"]);
    assert_eq!((hits[0].field, hits[1].field), (Field::Title, Field::Words));
    let hits = idx.search("zhang wei", 10);
    assert_eq!(ids(&hits), ["z", "t"]);
}

#[test]
fn in_keeps_people_whose_department_path_matches() {
    let idx = org();
    // 研发中心 by pinyin, and the people of the departments under it.
    assert_eq!(ids(&idx.search("in:yanfa", 10)), ["u1", "u2", "u4"]);
    assert_eq!(ids(&idx.search("in:研发", 10)), ["u1", "u2", "u4"]);
    assert_eq!(ids(&idx.search("in:houduan", 10)), ["u1", "u4"]);
    assert_eq!(ids(&idx.search("zhang in:yanfa", 10)), ["u1", "u2"]);
    assert_eq!(ids(&idx.search("in:yanfa zw", 10)), ["u1", "u2"]);
    // Two `in:` words: both.
    assert_eq!(ids(&idx.search("in:xiaoshou in:houduan", 10)), ["u4"]);
    // Scattered letters of a path are not enough.
    assert!(idx.search("in:aeo", 10).is_empty());
    // Departments themselves never pass a filter.
    assert!(
        idx.search("in:acme", 10)
            .iter()
            .all(|h| h.kind == Kind::User)
    );
}

#[test]
fn is_keeps_people_with_that_status() {
    let idx = org();
    assert_eq!(ids(&idx.search("zhang is:active", 10)), ["u1", "u3"]);
    assert_eq!(ids(&idx.search("zhang in:yanfa is:active", 10)), ["u1"]);
    assert_eq!(ids(&idx.search("IS:Dimission", 10)), ["u2"]);
    assert_eq!(ids(&idx.search("is:notactive", 10)), ["u6"]);
    assert!(idx.search("is:bogus", 10).is_empty());
    assert!(idx.search("zhang is:bogus", 10).is_empty());
    let (words, filters) = split_filters("zhang is:bogus in:x");
    assert_eq!(words, "zhang");
    let e = filters.unwrap_err();
    assert!(e.contains("is:bogus") && e.contains("dimission"), "{e}");
    // A filter being typed is left out.
    assert_eq!(
        split_filters("zhang in:"),
        ("zhang".into(), Ok(Filters::default()))
    );
}

#[test]
fn a_filter_alone_lists_everyone_passing_it_up_to_the_limit() {
    let idx = org();
    let mut s = Searcher::new();
    let hits = s.search(&idx, "is:active", 2);
    assert_eq!(ids(&hits), ["u1", "u3"]);
    assert_eq!(s.total(), 3);
    // Typing on narrows as usual (the layers hold the words only).
    for q in [
        "z",
        "zh",
        "zha",
        "zhang",
        "zhang ",
        "zhang i",
        "zhang in:",
        "zhang in:y",
    ] {
        s.search(&idx, q, 10);
    }
    assert_eq!(ids(&s.search(&idx, "zhang in:yanfa", 10)), ["u1", "u2"]);
    assert_eq!(ids(&s.search(&idx, "zhang in:yanfa is:active", 10)), ["u1"]);
    assert_eq!(ids(&s.search(&idx, "zhang", 10)), ["u1", "u2", "u3"]);
}

#[test]
fn facts_come_back_from_get_and_follow_replacement() {
    let mut idx = org();
    let c = idx.get(Kind::User, "u4").unwrap();
    assert_eq!(c.dept_ids, ["d3", "d2"]);
    assert_eq!(c.status, Some(UserStatus::Active));
    assert_eq!(
        idx.get(Kind::Dept, "d2").unwrap().path.as_deref(),
        Some("Acme/研发中心/后端组")
    );
    idx.insert(person("u4", "Anna Smith", UserStatus::Dimission, &["d3"]));
    assert!(idx.search("anna is:active", 10).is_empty());
    assert_eq!(ids(&idx.search("anna in:houduan", 10)), Vec::<&str>::new());
    // A department renamed: its people follow.
    idx.insert(dept("d3", "Acme/市场部"));
    assert_eq!(ids(&idx.search("in:shichang", 10)), ["u3", "u4", "u5"]);
}
