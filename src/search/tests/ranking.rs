//! Ranking: match quality tiers, and where a gapped match may start.

use super::*;

#[test]
fn exact_beats_prefix_beats_word_start_beats_substring_beats_scattered_beats_title() {
    let mut bob = user("title", "Bob");
    bob.title = Some("Ann".into());
    let idx = index_of(vec![
        bob,
        user("scattered", "Alan Nunn"),
        user("substring", "Joanna"),
        user("word", "Mary Annette"),
        user("prefix", "Anna Smith"),
        user("exact", "Ann"),
    ]);
    let hits = idx.search("ann", 10);
    assert_eq!(
        ids(&hits),
        ["exact", "prefix", "word", "substring", "scattered", "title"]
    );
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(hits[5].field, Field::Title);
    assert!(hits[5].name_positions.is_empty());
    assert_eq!(hits[4].name_positions, [0, 3, 5]);
}

#[test]
fn gapped_matches_start_at_a_word() {
    let mut eng = user("eng", "Tom");
    eng.title = Some("Software Engineer".into());
    let mut mail = user("mail", "Ben");
    mail.email = Some("wei.zhang7@acme.example".into());
    let idx = index_of(vec![
        user("huang", "黄俊杰"),
        user("jun", "Anna Junjie"),
        user("cjk", "张小伟明"),
        eng,
        mail,
    ]);
    // h-u-A-N-g-j-u-N is not a match: the gap starts mid-syllable.
    assert!(ids(&idx.search("ann", 10)).iter().all(|&id| id != "huang"));
    assert_eq!(ids(&idx.search("hjj", 10)), ["huang"]);
    assert_eq!(ids(&idx.search("sofwareeng", 10)), ["eng"]);
    assert_eq!(ids(&idx.search("zhang7", 10)), ["mail"]);
    assert!(idx.search("acme", 10).is_empty(), "the domain needs an @");
    assert_eq!(ids(&idx.search("@acme", 10)), ["mail"]);
    // Each Chinese character starts a word.
    let hits = idx.search("小明", 10);
    assert_eq!(ids(&hits), ["cjk"]);
    assert_eq!(hits[0].name_positions, [1, 3]);
    let hits = idx.search("伟明", 10);
    assert_eq!(hits[0].name_positions, [2, 3]);
}
