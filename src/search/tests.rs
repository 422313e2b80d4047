use super::*;
use crate::fake::generate::{GenSpec, generate};

/// `idx.search(q, n)`: one query on a fresh `Searcher`, as a one-off search runs it.
trait SearchOnce {
    fn search(&self, query: &str, limit: usize) -> Vec<Hit>;
}

impl SearchOnce for SearchIndex {
    fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        Searcher::new().search(self, query, limit)
    }
}

fn user(id: &str, name: &str) -> Candidate {
    Candidate {
        kind: Kind::User,
        id: id.into(),
        name: name.into(),
        email: None,
        employee_id: None,
        title: None,
    }
}

fn index_of(cands: Vec<Candidate>) -> SearchIndex {
    let mut idx = SearchIndex::new();
    for c in cands {
        idx.insert(c);
    }
    idx
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

/// The org generator's people and departments, as the TUI would index them.
fn generated(users: usize, depts: usize) -> SearchIndex {
    let org = generate(&GenSpec::new(users, depts, 1));
    let mut idx = SearchIndex::new();
    for d in org.depts {
        idx.insert(Candidate {
            kind: Kind::Dept,
            name: d.name.unwrap_or_default(),
            id: d.id,
            email: None,
            employee_id: None,
            title: None,
        });
    }
    for u in org.users {
        idx.insert(Candidate {
            kind: Kind::User,
            name: u.name.unwrap_or_default(),
            id: u.id,
            email: u.email,
            employee_id: u.employee_id,
            title: u.title,
        });
    }
    idx
}

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

#[test]
fn email_employee_id_and_id() {
    let mut a = user("u000042", "张伟");
    a.email = Some("Wei.Zhang42@acme.example".into());
    a.employee_id = Some("E000042".into());
    a.title = Some("软件工程师".into());
    let mut b = user("u000043", "李娜");
    b.email = Some("na.li43@acme.example".into());
    b.employee_id = Some("E000043".into());
    let idx = index_of(vec![b, a]);

    let hits = idx.search("wei.zhang42@ACME.example", 10);
    assert_eq!(ids(&hits), ["u000042"]);
    assert_eq!(hits[0].field, Field::Email);
    assert!(hits[0].name_positions.is_empty());

    let hits = idx.search("e000042", 10);
    assert_eq!(ids(&hits)[0], "u000042");
    assert_eq!(hits[0].field, Field::EmployeeId);
    let exact = hits[0].score;

    let hits = idx.search("E00004", 10);
    assert_eq!(ids(&hits), ["u000043", "u000042"]);
    assert_eq!(hits[0].field, Field::EmployeeId);
    assert!(hits[0].score < exact);

    let hits = idx.search("u000043", 10);
    assert_eq!((ids(&hits)[0], hits[0].field), ("u000043", Field::Id));

    let hits = idx.search("na.li", 10);
    assert_eq!((ids(&hits)[0], hits[0].field), ("u000043", Field::Email));

    let hits = idx.search("工程师", 10);
    assert_eq!((ids(&hits)[0], hits[0].field), ("u000042", Field::Title));
}

#[test]
fn pasted_emails_are_looked_up_in_order() {
    let mut a = user("a", "Anna");
    a.email = Some("anna@x.com".into());
    let mut b = user("b", "Ben");
    b.email = Some("ben@x.com".into());
    let idx = index_of(vec![a, b]);
    let hits = idx.search("BEN@x.com, anna@x.com; nobody@x.com", 10);
    assert_eq!(ids(&hits), ["b", "a"]);
    assert!(hits.iter().all(|h| h.field == Field::Email));
    assert_eq!(ids(&idx.search("ben@x.com\nanna@x.com", 1)), ["b"]);
}

#[test]
fn classify_cases() {
    assert_eq!(classify(""), QueryKind::Empty);
    assert_eq!(classify(" \n\t"), QueryKind::Empty);
    assert_eq!(
        classify(" anna@x.com "),
        QueryKind::Emails(vec!["anna@x.com".into()])
    );
    assert_eq!(
        classify("a@x.com, b@y.org;c@z.cn\nA@X.com\r\n<d@w.io>，e@v.net"),
        QueryKind::Emails(vec![
            "a@x.com".into(),
            "b@y.org".into(),
            "c@z.cn".into(),
            "d@w.io".into(),
            "e@v.net".into(),
        ])
    );
    assert_eq!(
        classify("a@x.com zhang wei"),
        QueryKind::Text("a@x.com zhang wei".into())
    );
    assert_eq!(classify(" zhang "), QueryKind::Text("zhang".into()));
    assert_eq!(classify("anna@"), QueryKind::Text("anna@".into()));
    assert_eq!(classify("@x"), QueryKind::Text("@x".into()));
    assert_eq!(classify(", ;"), QueryKind::Text(", ;".into()));
}

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

/// Per-keystroke latency over 100,000 generated people in 5,000 departments while typing
/// 10-character queries, three rounds.
/// `cargo test --release --lib search::tests::keystroke_latency -- --ignored --nocapture`
#[test]
#[ignore]
fn keystroke_latency() {
    use std::time::{Duration, Instant};
    let start = Instant::now();
    let idx = generated(100_000, 5_000);
    println!(
        "generated and indexed {} candidates in {:?}",
        idx.len(),
        start.elapsed()
    );
    let queries = [
        "zhangxiaod",
        "anna smith",
        "wangfang.l",
        "huangjunji",
        "e000123456",
        "liuhaiyan1",
        "zwzwzwzwzw",
        "sofwareeng",
    ];
    let mut all: Vec<Duration> = Vec::new();
    for round in 0..3 {
        let mut times: Vec<Duration> = Vec::new();
        for q in queries {
            // A fresh searcher per query, as after clearing the search box.
            let mut s = Searcher::new();
            let chars: Vec<char> = q.chars().collect();
            let mut line = Vec::new();
            for n in 1..=chars.len() {
                let prefix: String = chars[..n].iter().collect();
                let t = Instant::now();
                // The TUI's limit.
                let hits = s.search(&idx, &prefix, 200);
                let dt = t.elapsed();
                times.push(dt);
                line.push(format!("{:.2}ms/{}", dt.as_secs_f64() * 1e3, s.total()));
                std::hint::black_box(hits);
            }
            if round == 0 {
                println!("{q:>12}: {}", line.join(" "));
            }
        }
        all.extend(&times);
        println!("round {round}: {}", percentiles(&mut times));
    }
    println!("all rounds: {}", percentiles(&mut all));
}

fn percentiles(times: &mut [std::time::Duration]) -> String {
    times.sort();
    let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    format!(
        "keystrokes {}: median {:?}, p90 {:?}, p99 {:?}, max {:?}",
        times.len(),
        pct(50),
        pct(90),
        pct(99),
        times[times.len() - 1],
    )
}
#[test]
#[ignore]
fn profile_keystrokes() {
    let idx = generated(100_000, 5_000);
    let q: String = std::env::var("PROFILE_QUERY").unwrap_or_else(|_| "e".into());
    let t = std::time::Instant::now();
    let mut n = 0;
    let chars: Vec<char> = q.chars().collect();
    let mut s = Searcher::new().with_threads(1);
    let last: String = chars.iter().collect();
    let before: String = chars[..chars.len() - 1].iter().collect();
    while t.elapsed().as_secs() < 5 {
        // The last keystroke only: backspace returns to the cached layer.
        std::hint::black_box(s.search(&idx, &before, 200));
        std::hint::black_box(s.search(&idx, &last, 200));
        n += 1;
    }
    println!("{q}: {:?} per search", t.elapsed() / n);
    let mut s = Searcher::new().with_threads(1);
    for k in 1..=chars.len() {
        let prefix: String = chars[..k].iter().collect();
        let t = std::time::Instant::now();
        s.search(&idx, &prefix, 200);
        println!("{prefix}: {:?} total {}", t.elapsed(), s.total());
    }
}

/// fuzzy-matcher's SkimMatcherV2 against nucleo-matcher on the same haystacks (one line per
/// person: name, pinyin, email, employee id; each query word matched on its own, like fzf):
/// time per full scan and the top 10, next to this index's top 10.
/// `cargo test --release --lib search::tests::compare_matchers -- --ignored --nocapture`
#[test]
#[ignore]
fn compare_matchers() {
    use ::pinyin::ToPinyin;
    use fuzzy_matcher::FuzzyMatcher;
    use fuzzy_matcher::skim::SkimMatcherV2;
    use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
    use nucleo_matcher::{Config, Matcher, Utf32Str};
    use std::time::Instant;

    let org = generate(&GenSpec::new(100_000, 5_000, 1));
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut line = |id: &str, name: &str, email: Option<&str>, emp: Option<&str>| {
        let py: String = name
            .chars()
            .map(|c| {
                c.to_pinyin()
                    .map_or(c.to_string(), |p| p.plain().to_string())
            })
            .collect();
        let text = format!("{name} {py} {} {}", email.unwrap_or(""), emp.unwrap_or(""));
        lines.push((id.to_string(), text));
    };
    for d in &org.depts {
        line(&d.id, d.name.as_deref().unwrap_or(""), None, None);
    }
    for u in &org.users {
        line(
            &u.id,
            u.name.as_deref().unwrap_or(""),
            u.email.as_deref(),
            u.employee_id.as_deref(),
        );
    }
    let idx = generated(100_000, 5_000);
    let utf32: Vec<nucleo_matcher::Utf32String> =
        lines.iter().map(|(_, l)| l.as_str().into()).collect();
    let label: std::collections::HashMap<&str, &str> = lines
        .iter()
        .map(|(id, t)| (id.as_str(), t.as_str()))
        .collect();
    let show = |ids: &[String]| -> Vec<String> {
        ids.iter()
            .map(|id| {
                label
                    .get(id.as_str())
                    .map_or(id.clone(), |l| (*l).to_string())
            })
            .collect()
    };
    let top10 = |mut scored: Vec<(i64, usize)>| -> Vec<String> {
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .iter()
            .take(10)
            .map(|&(_, i)| lines[i].0.clone())
            .collect()
    };
    for q in ["zhang wei", "zw", "wang", "E00012", "li.na"] {
        let mut m = Matcher::new(Config::DEFAULT);
        let pattern = Pattern::new(
            q,
            CaseMatching::Ignore,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let mut buf = Vec::new();
        let t = Instant::now();
        let nucleo: Vec<(i64, usize)> = lines
            .iter()
            .enumerate()
            .filter_map(|(i, (_, l))| {
                let s = pattern.score(Utf32Str::new(l, &mut buf), &mut m)?;
                Some((i64::from(s), i))
            })
            .collect();
        let t_nucleo_str = t.elapsed();
        // As nucleo is meant to be used (and as the index does): haystacks converted once.
        let t = Instant::now();
        let converted = utf32
            .iter()
            .filter(|h| pattern.score(h.slice(..), &mut m).is_some())
            .count();
        let t_nucleo = t.elapsed();
        assert_eq!(converted, nucleo.len());
        let skim = SkimMatcherV2::default().ignore_case();
        let words: Vec<&str> = q.split_whitespace().collect();
        let t = Instant::now();
        let skimmed: Vec<(i64, usize)> = lines
            .iter()
            .enumerate()
            .filter_map(|(i, (_, l))| {
                let s = words
                    .iter()
                    .try_fold(0i64, |acc, w| skim.fuzzy_match(l, w).map(|s| acc + s))?;
                Some((s, i))
            })
            .collect();
        let t_skim = t.elapsed();
        let t = Instant::now();
        let ours = idx.search(q, 10);
        let t_ours = t.elapsed();
        println!(
            "\n== {q:?}: nucleo {:?} (from &str {:?}; {} matches), skim v2 {:?} ({} matches), \
             index {:?}",
            t_nucleo,
            t_nucleo_str,
            nucleo.len(),
            t_skim,
            skimmed.len(),
            t_ours
        );
        let ours: Vec<String> = ours.iter().map(|h| h.id.clone()).collect();
        for (name, ids) in [
            ("nucleo", top10(nucleo)),
            ("skim", top10(skimmed)),
            ("index", ours),
        ] {
            println!("  {name:>6}: {:?}", show(&ids));
        }
    }
}
