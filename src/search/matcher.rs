//! Scoring one candidate against a query.
//!
//! A score is `tier << 16 | points`. The tier comes from which field matched and how (exact,
//! prefix, at a word start, contiguous, scattered; see `tier`), so the rules "a full or prefix
//! name match beats a scattered one" and "name beats title" hold whatever the fuzzy matcher's
//! bonuses say. Points only order candidates within a tier: for a contiguous match, the earlier
//! it starts the better; for a scattered one, nucleo's score. Ties go to the shorter name,
//! then to the earlier inserted candidate (see `rank`).
//!
//! A candidate matches when any field does. Per field that means: the query occurs in it as
//! one run, or (except for ids) as a subsequence whose first char is at a word start. Both
//! survive cutting the query short, which is what lets `Searcher` narrow incrementally.

use std::cmp::Ordering;

use nucleo_matcher::Matcher;

use super::Field;
use super::hay::{Arena, Hay, Needle, Quality, WordStarts, anchor, fold_case, quality};
use super::index::{Entry, SearchIndex};
use super::pinyin::Form;
use super::query::MAX_WORDS;
use super::tier::tier;

pub(super) const TIER_SHIFT: u32 = 16;

/// The score of an exact email match, for pasted lists of addresses.
pub(super) fn exact_email_score() -> u32 {
    tier(Field::Email, Quality::Exact) << TIER_SHIFT
}

fn tier_of(score: u32) -> u32 {
    score >> TIER_SHIFT
}

/// The query as the matcher needs it.
#[derive(Debug)]
pub(super) struct Query {
    /// The trimmed query, case-folded: a query whose key extends another's can only match
    /// a subset of what that one matched.
    pub(super) key: Vec<char>,
    /// For name, email, ids and title.
    pub(super) full: Needle,
    /// Without whitespace, for the pinyin forms (which have none): `zhang wei` finds 张伟.
    pub(super) compact: Needle,
    /// With an `@` the whole email is matched, else only its local part.
    pub(super) has_at: bool,
    /// Each space-separated word on its own, when there are several: a candidate the whole
    /// query does not match still matches when every word matches some field.
    pub(super) words: Vec<Query>,
}

impl Query {
    pub(super) fn parse(text: &str) -> Option<Query> {
        let key: Vec<char> = text.trim().chars().map(fold_case).collect();
        if key.is_empty() {
            return None;
        }
        let mut words: Vec<Query> = key
            .split(|c| c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(Query::word)
            .collect();
        // Beyond a few words, only the whole query is matched: each word costs a pass.
        if words.len() < 2 || words.len() > MAX_WORDS {
            words.clear();
        }
        let mut query = Query::word(&key);
        query.words = words;
        Some(query)
    }

    /// `key` (case-folded) as one run of text.
    fn word(key: &[char]) -> Query {
        let compact: Vec<char> = key.iter().copied().filter(|c| !c.is_whitespace()).collect();
        Query {
            has_at: key.contains(&'@'),
            full: Needle::new(key),
            compact: Needle::new(&compact),
            key: key.to_vec(),
            words: Vec::new(),
        }
    }
}

/// Tiers of matches made of separate words (in any order): all below every whole-query tier
/// (the lowest is 10), ordered by the worst word's tier.
fn words_score(tiers: impl Iterator<Item = u32>) -> Option<u32> {
    let (mut worst, mut sum, mut n) = (u32::MAX, 0u32, 0u32);
    for t in tiers {
        worst = worst.min(t);
        sum = sum.saturating_add(t);
        n = n.saturating_add(1);
    }
    let mean = sum.checked_div(n)?.min(255);
    let worst = worst.min(255);
    let tier = worst
        .saturating_mul(8)
        .checked_div(101)
        .unwrap_or(0)
        .saturating_add(1);
    Some(tier << TIER_SHIFT | worst << 8 | mean)
}

/// A candidate's best match: which field (and which pinyin spelling) and its score.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scored {
    pub(super) slot: u32,
    pub(super) score: u32,
    pub(super) name_len: u32,
    pub(super) field: Field,
    /// Which pinyin spelling, for `Field::Pinyin` and `Field::Initials`.
    pub(super) form: u8,
    /// False when only the score is known (`field` and `form` are not), for hits of a
    /// one-char query, which are far too many to score one by one.
    pub(super) resolved: bool,
}

/// Best first; then shorter name; then insertion order. A total order, so results never
/// depend on the order candidates were scored in.
pub(super) fn rank(a: &Scored, b: &Scored) -> Ordering {
    b.score
        .cmp(&a.score)
        .then(a.name_len.cmp(&b.name_len))
        .then(a.slot.cmp(&b.slot))
}

/// The best match so far while scoring one candidate.
#[derive(Debug, Clone, Copy)]
struct Best {
    score: u32,
    field: Field,
    form: u8,
}

struct Scorer<'a> {
    matcher: &'a mut Matcher,
    arena: &'a Arena,
    forms: &'a [Form],
    query: &'a Query,
    best: Option<Best>,
}

impl Scorer<'_> {
    fn best_tier(&self) -> u32 {
        self.best.map_or(0, |b| tier_of(b.score))
    }

    /// Whether `hay` could still beat the best match; skipping hopeless fields is most of the
    /// per-candidate work saved. Only a haystack as long as the needle can match exactly.
    fn worth(&self, field: Field, hay: Hay, needle: &Needle) -> bool {
        let best = if hay.len() == needle.len() {
            Quality::Exact
        } else {
            Quality::Prefix
        };
        self.best_tier() < tier(field, best)
    }

    fn worth_scattered(&self, field: Field) -> bool {
        self.best_tier() < tier(field, Quality::Scattered)
    }

    /// Score one field and keep it if it is the best so far. A contiguous match is ranked by
    /// where it starts; only a scattered one needs nucleo, and only if its tier could still
    /// win. Ids are never matched with gaps: scattered hits in hex ids are noise.
    #[inline(always)]
    fn try_field(&mut self, hay: Hay, how: How, field: Field, form: u8, starts: WordStarts) {
        let needle = match how {
            How::Compact => &self.query.compact,
            How::Full | How::Contiguous => &self.query.full,
        };
        // The char masks reject most fields before any text is read.
        if !hay.may_match(needle) || !self.worth(field, hay, needle) {
            return;
        }
        let text = self.arena.text(hay);
        let score = match quality(text, needle, starts) {
            (q, Some(start)) => {
                let points =
                    u32::from(u16::MAX).saturating_sub(start.try_into().unwrap_or(u32::MAX));
                tier(field, q) << TIER_SHIFT | points
            }
            (_, None) => {
                if how == How::Contiguous || !self.worth_scattered(field) {
                    return;
                }
                let Some(from) = anchor(text, needle, starts) else {
                    return;
                };
                // Greedy is linear where the optimal alignment is quadratic, and finds a match
                // exactly when one exists; its score only orders scattered matches within a
                // tier. Highlights still use the optimal alignment.
                self.matcher.config.normalize = needle.normalize;
                let rest = text.slice(from..);
                let Some(points) = self.matcher.fuzzy_match_greedy(rest, needle.text()) else {
                    return;
                };
                tier(field, Quality::Scattered) << TIER_SHIFT | u32::from(points)
            }
        };
        if self.best.is_none_or(|b| score > b.score) {
            self.best = Some(Best { score, field, form });
        }
    }

    /// Fields in order of the best tier they can reach.
    fn score(mut self, e: &Entry) -> Option<Best> {
        use WordStarts::{Every, Marked, Separators};
        let q = self.query;
        let n = q.full.len();
        // An exact key match is the best there is, and only possible at equal length.
        if e.id.len() == n {
            self.try_field(e.id, How::Contiguous, Field::Id, 0, Separators);
        }
        if e.employee_id.len() == n {
            self.try_field(
                e.employee_id,
                How::Contiguous,
                Field::EmployeeId,
                0,
                Separators,
            );
        }
        if e.email.len() == n {
            self.try_field(e.email, How::Contiguous, Field::Email, 0, Separators);
        }
        self.try_field(e.name, How::Full, Field::Name, 0, Separators);
        if e.has_pinyin {
            let f = &e.pinyin;
            self.try_field(f.full, How::Compact, Field::Pinyin, 0, Marked(f.starts));
            self.try_field(f.initials, How::Compact, Field::Initials, 0, Every);
            for (k, f) in e.forms(self.forms).enumerate().skip(1) {
                let k = u8::try_from(k).unwrap_or(u8::MAX);
                self.try_field(f.full, How::Compact, Field::Pinyin, k, Marked(f.starts));
                self.try_field(f.initials, How::Compact, Field::Initials, k, Every);
            }
        }
        if e.id.len() != n {
            self.try_field(e.id, How::Contiguous, Field::Id, 0, Separators);
        }
        if e.employee_id.len() != n {
            self.try_field(
                e.employee_id,
                How::Contiguous,
                Field::EmployeeId,
                0,
                Separators,
            );
        }
        let email = if q.has_at { e.email } else { e.email_local };
        if !(q.has_at && email.len() == n) {
            self.try_field(email, How::Full, Field::Email, 0, Separators);
        }
        self.try_field(e.title, How::Full, Field::Title, 0, Separators);
        self.best
    }
}

/// Which form of the query a field is matched with, and whether gaps are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Full,
    /// Without whitespace, for pinyin.
    Compact,
    /// The full query as one run.
    Contiguous,
}

fn score_entry(
    matcher: &mut Matcher,
    index: &SearchIndex,
    query: &Query,
    e: &Entry,
) -> Option<Best> {
    Scorer {
        matcher,
        arena: &index.arena,
        forms: &index.forms,
        query,
        best: None,
    }
    .score(e)
}

/// Score the candidate in `slot`; None when it does not match.
pub(super) fn score_slot(
    matcher: &mut Matcher,
    index: &SearchIndex,
    query: &Query,
    slot: u32,
) -> Option<Scored> {
    // Every field match needs all of the (whitespace-free) query's chars somewhere.
    let s = usize::try_from(slot).ok()?;
    let e = index.entry_with(s, query.compact.mask(), query.has_at)?;
    let best = match score_entry(matcher, index, query, e) {
        Some(b) => b,
        None if !query.words.is_empty() => {
            let mut tiers = Vec::with_capacity(query.words.len());
            for w in &query.words {
                tiers.push(tier_of(score_entry(matcher, index, w, e)?.score));
            }
            Best {
                score: words_score(tiers.into_iter())?,
                field: Field::Words,
                form: 0,
            }
        }
        None => return None,
    };
    Some(Scored {
        slot,
        score: best.score,
        name_len: index.name_len(s),
        field: best.field,
        form: best.form,
        resolved: true,
    })
}

/// How each word of a `Field::Words` match matched on its own (for highlighting).
pub(super) fn score_words(
    matcher: &mut Matcher,
    index: &SearchIndex,
    query: &Query,
    slot: u32,
) -> Vec<(usize, Scored)> {
    let mut out = Vec::new();
    let Ok(s) = usize::try_from(slot) else {
        return out;
    };
    let Some(e) = index.entries().get(s) else {
        return out;
    };
    for (i, w) in query.words.iter().enumerate() {
        if let Some(b) = score_entry(matcher, index, w, e) {
            out.push((
                i,
                Scored {
                    slot,
                    score: b.score,
                    name_len: index.name_len(s),
                    field: b.field,
                    form: b.form,
                    resolved: true,
                },
            ));
        }
    }
    out
}
