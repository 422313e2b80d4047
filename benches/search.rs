//! Search on a generated org of 100,000 people in 5,000 departments: per-keystroke latency
//! while typing 10-character queries (the TUI's `Searcher`, limit 200 like the TUI), building
//! the index, and the raw matchers compared on the same haystacks.
//!
//! `cargo bench --bench search` (about two minutes); one group: `cargo bench --bench search
//! -- keystroke`. Per-keystroke percentiles over all queries (median, p99) are printed by
//! `cargo test --release --lib search::tests::keystroke_latency -- --ignored --nocapture`.

use std::sync::LazyLock;

use divan::Bencher;
use orgtui::model::generate::{GenSpec, generate};
use orgtui::search::{Candidate, Kind, SearchIndex, Searcher};

fn main() {
    divan::main();
}

/// The TUI's result limit.
const LIMIT: usize = 200;

/// The same queries as the latency test: Chinese names by pinyin, a Latin name, an email, an
/// employee id, initials, a misspelt title.
const QUERIES: [&str; 8] = [
    "zhangxiaod",
    "anna smith",
    "wangfang.l",
    "huangjunji",
    "e000123456",
    "liuhaiyan1",
    "zwzwzwzwzw",
    "sofwareeng",
];

static CANDIDATES: LazyLock<Vec<Candidate>> = LazyLock::new(|| {
    let org = generate(&GenSpec::new(100_000, 5_000, 1));
    let depts = org
        .depts
        .into_iter()
        .map(|d| Candidate::new(Kind::Dept, d.id, d.name.unwrap_or_default()));
    let users = org.users.into_iter().map(|u| Candidate {
        kind: Kind::User,
        name: u.name.unwrap_or_default(),
        id: u.id,
        email: u.email,
        employee_id: u.employee_id,
        title: u.title,
        status: u.status,
        dept_ids: u.dept_ids,
        path: None,
    });
    depts.chain(users).collect()
});

static INDEX: LazyLock<SearchIndex> = LazyLock::new(|| CANDIDATES.iter().cloned().collect());

/// Every prefix of every query: `anna smith` gives `a`, `an`, … `anna smith`.
fn keystrokes() -> Vec<String> {
    QUERIES
        .iter()
        .flat_map(|q| (1..=q.chars().count()).map(|n| q.chars().take(n).collect::<String>()))
        .collect()
}

/// One keystroke: the searcher has seen every shorter prefix (as while typing), and the
/// measured call adds the last char. A one-char query starts from a fresh searcher.
#[divan::bench(args = keystrokes(), sample_count = 25, sample_size = 1)]
fn keystroke(b: Bencher, query: &str) {
    let index = &*INDEX;
    let chars: Vec<char> = query.chars().collect();
    b.with_inputs(|| {
        let mut s = Searcher::new();
        for n in 1..chars.len() {
            s.search(index, &chars[..n].iter().collect::<String>(), LIMIT);
        }
        s
    })
    .bench_local_refs(|s| s.search(index, query, LIMIT));
}

/// Typing a whole query from an empty box: ten keystrokes.
#[divan::bench(args = QUERIES, sample_count = 15, sample_size = 1)]
fn type_query(b: Bencher, query: &str) {
    let index = &*INDEX;
    let prefixes: Vec<String> = (1..=query.chars().count())
        .map(|n| query.chars().take(n).collect())
        .collect();
    b.bench_local(|| {
        let mut s = Searcher::new();
        for p in &prefixes {
            divan::black_box(s.search(index, p, LIMIT));
        }
    });
}

/// A one-shot search with a fresh searcher (what `orgtui search` does once per run).
#[divan::bench(args = ["zhang wei", "zw", "wang", "E00012", "li.na"], sample_count = 15)]
fn one_shot(query: &str) -> usize {
    Searcher::new().search(&INDEX, query, 50).len()
}

mod index {
    use super::*;

    /// Insert 105,000 candidates into an empty index.
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn build(b: Bencher) {
        b.with_inputs(|| CANDIDATES.clone())
            .bench_local_values(|c| c.into_iter().collect::<SearchIndex>());
    }
}

/// The raw matchers on the same haystacks (one line per person: name, pinyin, email,
/// employee id), each query word matched on its own and the scores added, like fzf. Time
/// per full scan of 105,000 lines. The ranking comparison is printed by
/// `cargo test --release --lib search::tests::compare_matchers -- --ignored --nocapture`.
mod matchers {
    use super::*;
    use fuzzy_matcher::FuzzyMatcher;
    use fuzzy_matcher::skim::SkimMatcherV2;
    use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
    use nucleo_matcher::{Config, Matcher, Utf32String};

    const SCAN_QUERIES: [&str; 5] = ["zhang wei", "zw", "wang", "E00012", "li.na"];

    static LINES: LazyLock<Vec<String>> = LazyLock::new(|| {
        CANDIDATES
            .iter()
            .map(|c| {
                let pinyin: String = c
                    .name
                    .chars()
                    .map(|ch| {
                        use pinyin::ToPinyin;
                        ch.to_pinyin()
                            .map_or(ch.to_string(), |p| p.plain().to_string())
                    })
                    .collect();
                format!(
                    "{} {} {} {}",
                    c.name,
                    pinyin,
                    c.email.as_deref().unwrap_or(""),
                    c.employee_id.as_deref().unwrap_or("")
                )
            })
            .collect()
    });

    /// Haystacks converted once, as nucleo is meant to be used (converting a line with
    /// Chinese text on every scan costs more than matching it).
    static UTF32: LazyLock<Vec<Utf32String>> =
        LazyLock::new(|| LINES.iter().map(|l| l.as_str().into()).collect());

    #[divan::bench(args = SCAN_QUERIES, sample_count = 10, sample_size = 1)]
    fn nucleo(query: &str) -> usize {
        let mut m = Matcher::new(Config::DEFAULT);
        let pattern = Pattern::new(
            query,
            CaseMatching::Ignore,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        UTF32
            .iter()
            .filter(|h| pattern.score(h.slice(..), &mut m).is_some())
            .count()
    }

    #[divan::bench(args = SCAN_QUERIES, sample_count = 10, sample_size = 1)]
    fn skim_v2(query: &str) -> usize {
        let m = SkimMatcherV2::default().ignore_case();
        let words: Vec<&str> = query.split_whitespace().collect();
        LINES
            .iter()
            .filter(|l| {
                words
                    .iter()
                    .try_fold(0i64, |acc, w| m.fuzzy_match(l, w).map(|s| acc + s))
                    .is_some()
            })
            .count()
    }

    /// The index with a fresh searcher, for scale (it matches fields separately, pinyin
    /// included, and ranks by tier).
    #[divan::bench(args = SCAN_QUERIES, sample_count = 10, sample_size = 1)]
    fn search_index(query: &str) -> usize {
        Searcher::new().search(&INDEX, query, 10).len()
    }
}
