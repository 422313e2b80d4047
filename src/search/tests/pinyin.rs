//! Chinese names: pinyin spellings, initials, every reading of a surname.

use super::*;

#[test]
fn zhang_wei_by_pinyin_initials_and_hanzi() {
    let idx = index_of(vec![
        user("u1", "李娜"),
        user("u2", "张伟"),
        user("u3", "王芳"),
    ]);
    for (query, field) in [
        ("zhangwei", Field::Pinyin),
        ("zhang wei", Field::Pinyin),
        ("ZhangWei", Field::Pinyin),
        ("zw", Field::Initials),
        ("张伟", Field::Name),
        ("zhangw", Field::Pinyin),
    ] {
        let hits = idx.search(query, 10);
        assert_eq!(ids(&hits).first(), Some(&"u2"), "{query}");
        assert_eq!(hits[0].field, field, "{query}");
        assert_eq!(hits[0].name_positions, [0, 1], "{query}");
    }
    let hits = idx.search("zhang", 10);
    assert_eq!(ids(&hits), ["u2"]);
    assert_eq!(hits[0].name_positions, [0]);
    let hits = idx.search("wei", 10);
    assert_eq!(hits[0].name_positions, [1]);
}

#[test]
fn mixed_and_latin_names() {
    let idx = index_of(vec![
        user("u1", "Anna 李"),
        user("u2", "Anna Smith"),
        user("u3", "Émile Müller"),
    ]);
    let hits = idx.search("anna li", 10);
    assert_eq!(ids(&hits), ["u1"]);
    assert_eq!(hits[0].name_positions, [0, 1, 2, 3, 5]);
    assert_eq!(ids(&idx.search("al", 10))[0], "u1");
    let hits = idx.search("ANNA SMITH", 10);
    assert_eq!(ids(&hits)[0], "u2");
    assert_eq!(hits[0].field, Field::Name);
    assert_eq!(hits[0].name_positions, (0..10).collect::<Vec<_>>());
    assert_eq!(ids(&idx.search("muller", 10)), ["u3"]);
    assert_eq!(ids(&idx.search("emile", 10)), ["u3"]);
}

#[test]
fn polyphonic_surnames_match_every_reading() {
    let idx = index_of(vec![
        user("u1", "曾明"),
        user("u2", "单伟"),
        user("u3", "吕布"),
    ]);
    for (q, id) in [
        ("zengming", "u1"),
        ("cengming", "u1"),
        ("shanwei", "u2"),
        ("danwei", "u2"),
        ("sw", "u2"),
        ("lvbu", "u3"),
        ("lubu", "u3"),
    ] {
        let hits = idx.search(q, 10);
        assert_eq!(ids(&hits).first(), Some(&id), "{q}");
        assert_eq!(hits[0].name_positions, [0, 1], "{q}");
    }
}

#[test]
fn pinyin_exact_beats_prefix_and_ties_go_to_shorter_then_earlier() {
    let idx = index_of(vec![
        user("long", "王芳芳"),
        user("first", "王芳"),
        user("second", "王芳"),
        user("other", "张伟"),
    ]);
    assert_eq!(
        ids(&idx.search("wangfang", 10)),
        ["first", "second", "long"]
    );
    assert_eq!(ids(&idx.search("王芳", 10)), ["first", "second", "long"]);
    assert_eq!(ids(&idx.search("wang", 10)), ["first", "second", "long"]);
    assert_eq!(ids(&idx.search("wang", 2)), ["first", "second"]);
}
