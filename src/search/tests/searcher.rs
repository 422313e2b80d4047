//! `Searcher`'s shortcuts (reused matches, one-char columns) give what a fresh search gives.

use super::*;

#[test]
fn searcher_notices_index_changes() {
    let mut idx = index_of(vec![user("u1", "张伟")]);
    let mut s = Searcher::new();
    assert_eq!(ids(&s.search(&idx, "zhang", 10)), ["u1"]);
    idx.insert(user("u2", "张伟明"));
    assert_eq!(ids(&s.search(&idx, "zhangw", 10)), ["u1", "u2"]);
    assert_eq!(s.total(), 2);
    let other = index_of(vec![user("x", "张三")]);
    assert_eq!(ids(&s.search(&other, "zhang", 10)), ["x"]);
}

#[test]
fn incremental_narrowing_matches_fresh_search() {
    let idx = generated(3000, 100);
    let mut typed = Vec::new();
    for word in [
        "zhang wei",
        "anna s",
        "e0001",
        "软件",
        "zw",
        "liuhaiyan",
        "huaDong",
    ] {
        let chars: Vec<char> = word.chars().collect();
        for n in 1..=chars.len() {
            typed.push(chars[..n].iter().collect::<String>());
        }
        for n in (0..chars.len()).rev() {
            typed.push(chars[..n].iter().collect::<String>());
        }
    }
    typed.extend(
        [
            "zhang",
            "zhangx",
            "zh",
            "zhangxiaodong",
            "  zhang  ",
            "zhang w",
        ]
        .map(String::from),
    );
    let mut searcher = Searcher::new();
    let mut threaded = Searcher::new().with_threads(4).with_tiny_chunks();
    for q in &typed {
        let fresh_searcher = &mut Searcher::new().with_threads(1);
        let fresh = fresh_searcher.search(&idx, q, 40);
        assert_eq!(searcher.search(&idx, q, 40), fresh, "query {q:?}");
        assert_eq!(searcher.total(), fresh_searcher.total(), "query {q:?}");
        assert_eq!(threaded.search(&idx, q, 40), fresh, "threaded {q:?}");
        assert_eq!(threaded.total(), fresh_searcher.total(), "threaded {q:?}");
    }
    assert!(!idx.search("zhang", 10).is_empty());
}

#[test]
fn one_char_columns_agree_with_the_matcher() {
    let mut idx = generated(2000, 100);
    let long = format!("{}x", "a".repeat(300));
    let long_han = "张".repeat(120);
    for (i, name) in [
        "Émile Müller",
        "Ünal",
        "O'Neil 9",
        "曾明",
        &long,
        &long_han,
        "a",
        "Z",
    ]
    .iter()
    .enumerate()
    {
        let mut c = user(&format!("odd{i}"), name);
        c.email = Some(format!("{name}@x.org"));
        c.title = Some((*name).to_string());
        idx.insert(c);
    }
    for c in ('a'..='z').chain('0'..='9') {
        for q in [c.to_string(), c.to_ascii_uppercase().to_string()] {
            let mut fast = Searcher::new();
            let mut slow = Searcher::new().without_columns();
            assert_eq!(
                fast.search(&idx, &q, 3000),
                slow.search(&idx, &q, 3000),
                "{q}"
            );
            assert_eq!(fast.total(), slow.total(), "{q}");
            assert_eq!(fast.search(&idx, &q, 7), slow.search(&idx, &q, 7), "{q}");
        }
    }
}
