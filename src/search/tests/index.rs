//! The index itself: upserts in place, and input no search may panic on.

use super::*;

#[test]
fn upsert_replaces_in_place() {
    let mut idx = index_of(vec![user("u1", "张伟"), user("u2", "王芳")]);
    let g = idx.generation();
    let mut richer = user("u1", "李娜");
    richer.email = Some("na.li@acme.example".into());
    idx.insert(richer.clone());
    assert_eq!(idx.len(), 2);
    assert!(idx.generation() > g);
    assert_eq!(idx.get(Kind::User, "u1"), Some(richer.clone()));
    assert!(idx.search("zhangwei", 10).is_empty());
    assert_eq!(ids(&idx.search("lina", 10)), ["u1"]);
    assert_eq!(ids(&idx.search("na.li@acme.example, x@y.z", 10)), ["u1"]);
    richer.email = None;
    idx.insert(richer);
    assert!(idx.search("na.li@acme.example, x@y.z", 10).is_empty());
    // A department may share an id with a user.
    idx.insert(Candidate {
        kind: Kind::Dept,
        ..user("u1", "研发中心")
    });
    assert_eq!(idx.len(), 3);
    assert_eq!(
        idx.get(Kind::Dept, "u1").map(|c| c.name).as_deref(),
        Some("研发中心")
    );
    assert_eq!(idx.get(Kind::User, "nobody"), None);
}

#[test]
fn odd_input_never_panics() {
    let long = "a".repeat(10_000);
    let han = "张".repeat(5_000);
    let names = [
        "",
        " ",
        "😀",
        "a\u{301}",
        "İstanbul",
        "ß",
        "\u{1b}[31m",
        "\0",
        &long,
        &han,
        "·",
        "ǅ",
    ];
    let mut idx = SearchIndex::new();
    for (i, n) in names.iter().enumerate() {
        let mut c = user(&i.to_string(), n);
        c.email = Some((*n).to_string());
        c.title = Some((*n).to_string());
        idx.insert(c);
    }
    let mut s = Searcher::new();
    let queries = [
        "",
        "😀",
        "😀😀😀😀",
        "\u{301}",
        "İ",
        "i̇",
        "ss",
        "\u{1b}",
        "\0",
        "@",
        "@@",
        "a@",
        ",,;;",
        &long,
        &han,
        "zhang",
        "ǆ",
        "\u{FFFF}",
    ];
    for q in queries {
        for limit in [0, 1, 100] {
            for h in s.search(&idx, q, limit) {
                let name = &idx.get(h.kind, &h.id).map(|c| c.name);
                let len = name.as_deref().map_or(0, |n| n.chars().count());
                assert!(h.name_positions.iter().all(|&p| p < len), "{q:?}");
            }
            let _ = idx.search(q, limit);
        }
    }
    assert_eq!(ids(&idx.search("😀", 10)), ["2"]);
    assert!(idx.search("zz", 0).is_empty());
}
