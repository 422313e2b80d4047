//! `Searcher`: the stateful search behind the TUI's search box. It keeps the matches of the
//! queries typed so far; a query that extends one of them can only match a subset of its
//! matches (see the matching rule in `matcher.rs`), so only those are re-scored. Large
//! candidate sets are scored on several threads.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::thread;

use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::hay::{Arena, Needle, WordStarts, anchor, quality};
use super::matcher::{Query, Scored, exact_email_score, rank, score_slot};
use super::{Entry, Field, Hit, QueryKind, SearchIndex, classify};

/// Queries kept for reuse. Typing one character at a time makes one per keystroke; backspace
/// goes back to an earlier one for free. Bounds memory at this many match lists.
const MAX_LAYERS: usize = 24;

/// Below this many candidates one thread is faster than starting more.
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
    range
        .filter_map(|i| score_slot(matcher, index, query, pool.slot(i)?))
        .collect()
}

/// Score the whole pool, split into contiguous chunks over up to `matchers.len()` threads
/// (the calling thread takes the first chunk), concatenated in order so the result does not
/// depend on the thread count.
fn score_pool(
    matchers: &mut [Matcher],
    index: &SearchIndex,
    query: &Query,
    pool: Pool<'_>,
) -> Vec<Scored> {
    let n = pool.len();
    let threads = matchers.len().max(1);
    let chunk = n.div_ceil(threads);
    let Some((own, others)) = matchers.split_first_mut() else {
        return Vec::new();
    };
    if threads == 1 {
        return score_range(own, index, query, pool, 0..n);
    }
    thread::scope(|scope| {
        let mut spawned = Vec::new();
        for (t, m) in others.iter_mut().take(threads - 1).enumerate() {
            let range = (chunk * (t + 1)).min(n)..(chunk * (t + 2)).min(n);
            let part = range.clone();
            let work = move || score_range(m, index, query, pool, part);
            // A thread that cannot be started leaves its chunk to the calling thread.
            let handle = thread::Builder::new().spawn_scoped(scope, work).ok();
            spawned.push((handle, range));
        }
        let mut out = score_range(own, index, query, pool, 0..chunk.min(n));
        for (handle, range) in spawned {
            match handle.map(|h| h.join()) {
                Some(Ok(part)) => out.extend(part),
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                None => {
                    let mut m = new_matcher();
                    out.extend(score_range(&mut m, index, query, pool, range));
                }
            }
        }
        out
    })
}

/// The `limit` best of `hits`, best first, without sorting them all.
fn top(hits: &[Scored], limit: usize, scratch: &mut Vec<Scored>) -> Vec<Scored> {
    let k = limit.min(hits.len());
    if k == 0 {
        return Vec::new();
    }
    scratch.clear();
    scratch.extend_from_slice(hits);
    if k < scratch.len() {
        scratch.select_nth_unstable_by(k - 1, rank);
        scratch.truncate(k);
    }
    scratch.sort_unstable_by(rank);
    scratch.clone()
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
    scratch: Vec<Scored>,
    indices: Vec<u32>,
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
            scratch: Vec::new(),
            indices: Vec::new(),
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

    /// Best matches first, at most `limit`. An empty query finds nothing. Several pasted email
    /// addresses find the people with exactly those addresses, in the order given; anything
    /// else (including one address, which may still be being typed) is a fuzzy search.
    pub fn search(&mut self, index: &SearchIndex, query: &str, limit: usize) -> Vec<Hit> {
        self.sync(index);
        match classify(query) {
            QueryKind::Empty => {
                self.total = 0;
                Vec::new()
            }
            QueryKind::Emails(list) if list.len() > 1 => self.lookup_emails(index, &list, limit),
            QueryKind::Emails(_) | QueryKind::Text(_) => self.search_text(index, query, limit),
        }
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
        let Some(query) = Query::parse(text) else {
            self.total = 0;
            return Vec::new();
        };
        self.narrow_to(index, &query);
        let Some(layer) = self.layers.last() else {
            return Vec::new();
        };
        self.total = layer.hits.len();
        let best = top(&layer.hits, limit, &mut self.scratch);
        best.iter()
            .filter_map(|s| self.hit(index, &query, s))
            .collect()
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
        let wanted = (pool.len() / self.per_thread.max(1)).clamp(1, self.threads);
        while self.matchers.len() < wanted {
            self.matchers.push(new_matcher());
        }
        let hits = score_pool(&mut self.matchers[..wanted], index, query, pool);
        self.layers.push(Layer {
            key: query.key.clone(),
            hits,
        });
        if self.layers.len() > MAX_LAYERS {
            self.layers.remove(0);
        }
    }

    fn hit(&mut self, index: &SearchIndex, query: &Query, s: &Scored) -> Option<Hit> {
        let slot = usize::try_from(s.slot).ok()?;
        let c = index.candidate(slot)?;
        let e = index.entries().get(slot)?;
        Some(Hit {
            kind: c.kind,
            id: c.id.clone(),
            score: s.score,
            field: s.field,
            name_positions: self.name_positions(index.arena(), e, query, s),
        })
    }

    /// Char indices of `name` to highlight: the matched chars themselves, or for a pinyin or
    /// initials match the Chinese chars the matched letters were spelled from.
    fn name_positions(
        &mut self,
        arena: &Arena,
        e: &Entry,
        query: &Query,
        s: &Scored,
    ) -> Vec<usize> {
        let form = e.pinyin_form(usize::from(s.form));
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
                    .filter_map(|&i| f.name_index(initials, i))
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
                self.indices.iter_mut().for_each(|i| *i += offset);
            }
        }
    }

    fn lookup_emails(&mut self, index: &SearchIndex, emails: &[String], limit: usize) -> Vec<Hit> {
        let mut seen = HashSet::new();
        let mut hits = Vec::new();
        for email in emails {
            for &slot in index.slots_with_email(email) {
                let Some(c) = usize::try_from(slot).ok().and_then(|s| index.candidate(s)) else {
                    continue;
                };
                if seen.insert(slot) {
                    hits.push(Hit {
                        kind: c.kind,
                        id: c.id.clone(),
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
