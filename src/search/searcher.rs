//! `Searcher`: the stateful search behind the TUI's search box. It keeps the matches of the
//! queries typed so far; a query that extends one of them can only match a subset of its
//! matches (see the matching rule in `matcher.rs`), so only those are re-scored. Large
//! candidate sets are scored on several threads.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::thread;

use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::filter::split_filters;
use super::filtered::{DeptMatches, SlotFilter};
use super::hay::{Arena, Needle, WordStarts, anchor, quality};
use super::index::{COL_UNKNOWN, Entry, SearchIndex, alnum_index};
use super::matcher::{Query, Scored, exact_email_score, score_slot, score_words};
use super::query::{Plan, plan};
use super::top::top;
use super::{Field, Hit};

/// Queries kept for reuse. Typing one character at a time makes one per keystroke; backspace
/// goes back to an earlier one for free. Bounds memory at this many match lists.
const MAX_LAYERS: usize = 24;

/// Candidates per chunk of a scan that threads take turns claiming; below two chunks one
/// thread is faster than starting more.
const PER_THREAD: usize = 4096;

const MAX_THREADS: usize = 8;

/// The matches of one query, kept so a longer query can start from them.
#[derive(Debug)]
struct Layer {
    key: Vec<char>,
    /// In slot order, which keeps re-scoring memory-friendly.
    hits: Vec<Scored>,
}

/// What to score: everything, or the matches of an earlier query.
#[derive(Clone, Copy)]
enum Pool<'a> {
    All(u32),
    Hits(&'a [Scored]),
}

impl Pool<'_> {
    fn len(self) -> usize {
        match self {
            Pool::All(n) => usize::try_from(n).unwrap_or(usize::MAX),
            Pool::Hits(h) => h.len(),
        }
    }

    fn slot(self, i: usize) -> Option<u32> {
        match self {
            Pool::All(_) => u32::try_from(i).ok(),
            Pool::Hits(h) => h.get(i).map(|s| s.slot),
        }
    }
}

fn new_matcher() -> Matcher {
    let mut config = Config::DEFAULT;
    config.ignore_case = true;
    Matcher::new(config)
}

/// Score `pool[range]`, keeping the matches in order.
fn score_range(
    matcher: &mut Matcher,
    index: &SearchIndex,
    query: &Query,
    pool: Pool<'_>,
    range: std::ops::Range<usize>,
) -> Vec<Scored> {
    let mut out = Vec::with_capacity(range.len());
    let end = range.end;
    for i in range {
        // Scanning is bound by memory latency more than by matching: ask for the data of
        // the candidates a few ahead while scoring this one.
        let (ahead8, ahead4) = (i.saturating_add(8), i.saturating_add(4));
        if let Some(e) = pool.slot(ahead8).filter(|_| ahead8 < end) {
            index.prefetch_entry(e as usize);
        }
        if let Some(e) = pool.slot(ahead4).filter(|_| ahead4 < end) {
            index.prefetch_text(e as usize);
        }
        if let Some(s) = pool
            .slot(i)
            .and_then(|slot| score_slot(matcher, index, query, slot))
        {
            out.push(s);
        }
    }
    out
}

/// Score the whole pool in chunks of `chunk` that the calling thread and up to
/// `matchers.len() - 1` helpers claim in turn, so a helper that starts late (the machine is
/// busy) only means the caller does more of the work. Chunks are put back in order, so the
/// result does not depend on the thread count.
fn score_pool(
    matchers: &mut [Matcher],
    index: &SearchIndex,
    query: &Query,
    pool: Pool<'_>,
    chunk: usize,
) -> Vec<Scored> {
    let n = pool.len();
    let chunk = chunk.max(1);
    let chunks = n.div_ceil(chunk);
    let Some((own, others)) = matchers.split_first_mut() else {
        return Vec::new();
    };
    let helpers = others.len().min(chunks.saturating_sub(1));
    if helpers == 0 {
        return score_range(own, index, query, pool, 0..n);
    }
    let next = AtomicUsize::new(0);
    let work = |m: &mut Matcher| {
        let mut done = Vec::new();
        loop {
            let c = next.fetch_add(1, AtomicOrdering::Relaxed);
            if c >= chunks {
                return done;
            }
            let start = c.saturating_mul(chunk);
            let range = start..start.saturating_add(chunk).min(n);
            done.push((c, score_range(m, index, query, pool, range)));
        }
    };
    let work = &work;
    let mut parts = thread::scope(|scope| {
        // A thread that cannot be started just leaves its share to the others.
        let handles: Vec<_> = others
            .iter_mut()
            .take(helpers)
            .filter_map(|m| {
                thread::Builder::new()
                    .spawn_scoped(scope, move || work(m))
                    .ok()
            })
            .collect();
        let mut parts = work(own);
        for h in handles {
            match h.join() {
                Ok(p) => parts.extend(p),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        parts
    });
    parts.sort_unstable_by_key(|p| p.0);
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum());
    for (_, part) in parts {
        out.extend(part);
    }
    out
}

/// A one-char query of a letter or digit, from the index's column for that char: no text is
/// read. Scores are exact (see `SearchIndex::column_keys`); which field matched is left for
/// the few hits shown (`resolved` false).
fn column_scan(
    matcher: &mut Matcher,
    index: &SearchIndex,
    query: &Query,
    col: usize,
) -> Vec<Scored> {
    let Some(keys) = index.cols.get(col) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(keys.iter().filter(|&&k| k != 0).count());
    for (slot, (&key, &name_len)) in keys.iter().zip(&index.name_lens).enumerate() {
        let Ok(slot) = u32::try_from(slot) else { break };
        match key {
            0 => {}
            COL_UNKNOWN => out.extend(score_slot(matcher, index, query, slot)),
            _ => out.push(Scored {
                slot,
                score: column_score(key),
                name_len,
                field: Field::Name,
                form: 0,
                resolved: false,
            }),
        }
    }
    out
}

/// The matcher's score for a column value `tier << 8 | 255 - start`.
fn column_score(key: u16) -> u32 {
    // With start = 255 - (key & 0xff): u16::MAX - start = 0xff00 | (key & 0xff).
    let tier = u32::from(key >> 8);
    tier << super::matcher::TIER_SHIFT | (0xff00 | u32::from(key & 0xff))
}

/// Stateful search for the TUI's search box: remembers the matches of the queries typed so
/// far, so each keystroke that extends the query re-scores only those, and backspace returns
/// to an earlier result without matching at all. It notices when the index changes (another
/// index, or any insert) and starts over.
pub struct Searcher {
    /// One per worker thread; the first is also used for highlighting.
    matchers: Vec<Matcher>,
    threads: usize,
    /// Candidates per thread before another one is worth starting.
    per_thread: usize,
    index_uid: u64,
    generation: u64,
    layers: Vec<Layer>,
    total: usize,
    indices: Vec<u32>,
    /// Answer one-char queries from the index's columns (off only to test them).
    columns: bool,
    /// Which departments match the `in:` words typed so far.
    dept_matches: DeptMatches,
}

impl Default for Searcher {
    fn default() -> Searcher {
        let threads = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Searcher {
            matchers: vec![new_matcher()],
            threads: threads.clamp(1, MAX_THREADS),
            per_thread: PER_THREAD,
            index_uid: 0,
            generation: 0,
            layers: Vec::new(),
            total: 0,
            indices: Vec::new(),
            columns: true,
            dept_matches: DeptMatches::default(),
        }
    }
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher")
            .field("threads", &self.threads)
            .field("layers", &self.layers.len())
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl Searcher {
    pub fn new() -> Searcher {
        Searcher::default()
    }

    /// Use at most `threads` threads (at least one) for large candidate sets. The default is
    /// the machine's parallelism, up to 8.
    pub fn with_threads(mut self, threads: usize) -> Searcher {
        self.threads = threads.clamp(1, MAX_THREADS);
        self
    }

    /// Best matches first, at most `limit`: the one way to search an index (for a single
    /// query, `Searcher::new().search(..)`). An empty query finds nothing. Several pasted email
    /// addresses find the people with exactly those addresses, in the order given; anything
    /// else (including one address, which may still be being typed) is a fuzzy search.
    pub fn search(&mut self, index: &SearchIndex, query: &str, limit: usize) -> Vec<Hit> {
        self.sync(index);
        match plan(query) {
            Plan::Nothing => {
                self.total = 0;
                Vec::new()
            }
            Plan::Lookup(list) => self.lookup_emails(index, &list, limit),
            Plan::Match => self.search_text(index, query, limit),
        }
    }

    /// Score one-char queries with the matcher too, to check the columns against it.
    #[cfg(test)]
    pub(crate) fn without_columns(mut self) -> Searcher {
        self.columns = false;
        self
    }

    /// Split even small candidate sets over threads, to test that path.
    #[cfg(test)]
    pub(crate) fn with_tiny_chunks(mut self) -> Searcher {
        self.per_thread = 16;
        self
    }

    /// How many candidates matched the last query, before `limit`.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Forget cached matches (they are also dropped automatically when the index changes).
    pub fn reset(&mut self) {
        self.layers.clear();
        self.total = 0;
    }

    fn sync(&mut self, index: &SearchIndex) {
        if self.index_uid != index.uid() || self.generation != index.generation() {
            self.index_uid = index.uid();
            self.generation = index.generation();
            self.layers.clear();
        }
    }

    fn search_text(&mut self, index: &SearchIndex, text: &str, limit: usize) -> Vec<Hit> {
        let (words, filters) = split_filters(text);
        let filters = match filters {
            Ok(f) if f.is_empty() => None,
            Ok(f) => Some(f),
            // An unknown `is:`: the caller shows `split_filters`' reason.
            Err(_) => {
                self.total = 0;
                return Vec::new();
            }
        };
        let words = if filters.is_some() {
            words.as_str()
        } else {
            text
        };
        let Some(query) = Query::parse(words) else {
            return match filters {
                Some(f) => self.filter_only(index, &f, limit),
                None => {
                    self.total = 0;
                    Vec::new()
                }
            };
        };
        self.narrow_to(index, &query);
        let Some(layer) = self.layers.last() else {
            return Vec::new();
        };
        let kept: Vec<Scored>;
        let hits = match &filters {
            Some(f) => {
                let keep = SlotFilter::new(index, f, &mut self.dept_matches);
                kept = layer
                    .hits
                    .iter()
                    .filter(|s| keep.passes(s.slot as usize))
                    .copied()
                    .collect();
                &kept
            }
            None => &layer.hits,
        };
        self.total = hits.len();
        let best = top(hits, limit);
        best.iter()
            .filter_map(|s| {
                let s = self.resolve(index, &query, s);
                self.hit(index, &query, &s)
            })
            .collect()
    }

    /// A query of filters only: everyone passing them, in index order, up to `limit`.
    fn filter_only(
        &mut self,
        index: &SearchIndex,
        filters: &super::Filters,
        limit: usize,
    ) -> Vec<Hit> {
        let keep = SlotFilter::new(index, filters, &mut self.dept_matches);
        let mut hits = Vec::new();
        let mut total = 0usize;
        for slot in (0..index.entries().len()).filter(|&s| keep.passes(s)) {
            total = total.saturating_add(1);
            if hits.len() < limit {
                hits.push(Hit {
                    kind: index.store.kind(slot),
                    id: index.store.id(slot).to_string(),
                    score: 0,
                    field: Field::Id,
                    name_positions: Vec::new(),
                });
            }
        }
        self.total = total;
        hits
    }

    /// Make the top layer hold the matches of `query`, reusing the longest earlier query
    /// that it extends.
    fn narrow_to(&mut self, index: &SearchIndex, query: &Query) {
        while self
            .layers
            .last()
            .is_some_and(|l| !query.key.starts_with(&l.key))
        {
            self.layers.pop();
        }
        if self.layers.last().is_some_and(|l| l.key == query.key) {
            return;
        }
        let pool = match self.layers.last() {
            Some(prev) => Pool::Hits(&prev.hits),
            None => Pool::All(u32::try_from(index.entries().len()).unwrap_or(u32::MAX)),
        };
        let single = match query.key.as_slice() {
            [c] => alnum_index(*c),
            _ => None,
        };
        let hits = match (pool, single.filter(|_| self.columns)) {
            (Pool::All(_), Some(col)) => {
                let m = self.matchers.first_mut();
                let mut fallback = None;
                let m = match m {
                    Some(m) => m,
                    None => fallback.insert(new_matcher()),
                };
                column_scan(m, index, query, col)
            }
            _ => {
                let wanted = pool
                    .len()
                    .checked_div(self.per_thread.max(1))
                    .unwrap_or(0)
                    .clamp(1, self.threads);
                while self.matchers.len() < wanted {
                    self.matchers.push(new_matcher());
                }
                score_pool(
                    self.matchers.get_mut(..wanted).unwrap_or_default(),
                    index,
                    query,
                    pool,
                    self.per_thread,
                )
            }
        };
        self.layers.push(Layer {
            key: query.key.clone(),
            hits,
        });
        if self.layers.len() > MAX_LAYERS {
            self.layers.remove(0);
        }
    }

    /// Find which field a hit from `column_scan` matched in (its score is already right).
    fn resolve(&mut self, index: &SearchIndex, query: &Query, s: &Scored) -> Scored {
        if s.resolved {
            return *s;
        }
        let Some(m) = self.matchers.first_mut() else {
            return *s;
        };
        match score_slot(m, index, query, s.slot) {
            // `one_char_columns_agree_with_the_matcher` checks that the scores are equal.
            Some(full) => Scored {
                score: s.score,
                ..full
            },
            None => *s,
        }
    }

    fn hit(&mut self, index: &SearchIndex, query: &Query, s: &Scored) -> Option<Hit> {
        let slot = usize::try_from(s.slot).ok()?;
        let e = index.entries().get(slot)?;
        Some(Hit {
            kind: index.store.kind(slot),
            id: index.store.id(slot).to_string(),
            score: s.score,
            field: s.field,
            name_positions: self.name_positions(index, e, query, s),
        })
    }

    /// Char indices of `name` to highlight: the matched chars themselves, or for a pinyin or
    /// initials match the Chinese chars the matched letters were spelled from.
    fn name_positions(
        &mut self,
        index: &SearchIndex,
        e: &Entry,
        query: &Query,
        s: &Scored,
    ) -> Vec<usize> {
        if s.field == Field::Words {
            // Each word's own highlight, together.
            let Some(m) = self.matchers.first_mut() else {
                return Vec::new();
            };
            let words = score_words(m, index, query, s.slot);
            let mut out = Vec::new();
            for (i, ws) in words {
                if let Some(w) = query.words.get(i) {
                    out.extend(self.name_positions(index, e, w, &ws));
                }
            }
            out.sort_unstable();
            out.dedup();
            return out;
        }
        let arena: &Arena = &index.arena;
        let form = e.form(&index.forms, usize::from(s.form));
        let (hay, needle, starts) = match (s.field, form) {
            (Field::Name, _) => (e.name, &query.full, WordStarts::Separators),
            (Field::Pinyin, Some(f)) => (f.full, &query.compact, WordStarts::Marked(f.starts)),
            (Field::Initials, Some(f)) => (f.initials, &query.compact, WordStarts::Every),
            _ => return Vec::new(),
        };
        self.match_indices(arena.text(hay), needle, starts);
        let mut out: Vec<usize> = match (s.field, form) {
            (Field::Name, _) => self
                .indices
                .iter()
                .filter_map(|&i| usize::try_from(i).ok())
                .collect(),
            (_, Some(f)) => {
                let initials = s.field == Field::Initials;
                self.indices
                    .iter()
                    .filter_map(|&i| f.name_index(&index.maps, initials, i))
                    .collect()
            }
            _ => Vec::new(),
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Fill `self.indices` with the matched haystack chars: the contiguous run that ranking
    /// credited when there is one, else nucleo's best scattered alignment.
    fn match_indices(&mut self, hay: Utf32Str<'_>, needle: &Needle, starts: WordStarts) {
        self.indices.clear();
        match quality(hay, needle, starts) {
            (_, Some(start)) => {
                let end = start.saturating_add(needle.len());
                self.indices
                    .extend((start..end).filter_map(|i| u32::try_from(i).ok()));
            }
            (_, None) => {
                let (Some(matcher), Some(from)) =
                    (self.matchers.first_mut(), anchor(hay, needle, starts))
                else {
                    return;
                };
                matcher.config.normalize = needle.normalize;
                matcher.fuzzy_indices(hay.slice(from..), needle.text(), &mut self.indices);
                let offset = u32::try_from(from).unwrap_or(0);
                self.indices
                    .iter_mut()
                    .for_each(|i| *i = i.saturating_add(offset));
            }
        }
    }

    fn lookup_emails(&mut self, index: &SearchIndex, emails: &[String], limit: usize) -> Vec<Hit> {
        let mut seen = HashSet::new();
        let mut hits = Vec::new();
        for email in emails {
            for slot in index.slots_with_email(email) {
                let s = slot as usize;
                if seen.insert(slot) {
                    hits.push(Hit {
                        kind: index.store.kind(s),
                        id: index.store.id(s).to_string(),
                        score: exact_email_score(),
                        field: Field::Email,
                        name_positions: Vec::new(),
                    });
                }
            }
        }
        self.total = hits.len();
        hits.truncate(limit);
        hits
    }
}
