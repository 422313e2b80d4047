//! What a typed query means, decided in one place for the browser, `orgtui search` and the
//! `Searcher`: `classify` (empty, pasted email addresses, or text), `plan` (what a search
//! does with it), and `Prefilter`, the cheap test of whether a candidate could match at all,
//! built on the matcher's own folding and pinyin rules.

use std::collections::HashMap;

use super::hay::{self, fold_case};
use super::pinyin;

/// The most words matched one by one (see the matcher's `Query::words`); a longer query is
/// matched only as a whole. Here, so the prefilter and the matcher agree on it.
pub(super) const MAX_WORDS: usize = 8;

/// How to treat what was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryKind {
    /// Empty or blank.
    Empty,
    /// One or more email addresses (separated by spaces, commas, semicolons or newlines).
    Emails(Vec<String>),
    /// Anything else: fuzzy text. The TUI also tries it as a user id when it looks like one.
    Text(String),
}

/// Classify a query. Emails may be pasted from a mail client: `crate::addresses` reads them
/// (`Name <addr>`, quotes, `mailto:`, full-width separators); any other token makes it text.
pub fn classify(query: &str) -> QueryKind {
    let t = query.trim();
    if t.is_empty() {
        return QueryKind::Empty;
    }
    let parsed = crate::addresses::parse(t);
    if parsed.addresses.is_empty() || !parsed.rejected.is_empty() {
        QueryKind::Text(t.to_string())
    } else {
        QueryKind::Emails(parsed.addresses)
    }
}

/// What a search does with a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Plan {
    /// Nothing: the query is blank.
    Nothing,
    /// Look these addresses up exactly, in this order: several were pasted.
    Lookup(Vec<String>),
    /// Match the text. One address is matched as text too: it may still be being typed.
    Match,
}

pub(super) fn plan(query: &str) -> Plan {
    match classify(query) {
        QueryKind::Empty => Plan::Nothing,
        QueryKind::Emails(list) if list.len() > 1 => Plan::Lookup(list),
        QueryKind::Emails(_) | QueryKind::Text(_) => Plan::Match,
    }
}

/// The part of an email a query is matched against: the whole address when the query has an
/// `@`, else only what comes before the last `@`, so that typing `e` does not find everyone
/// at `acme.example`.
pub(super) fn matched_email(email: &str, query_has_at: bool) -> &str {
    if query_has_at {
        email
    } else {
        email.rsplit_once('@').map_or(email, |(local, _)| local)
    }
}

/// A candidate's text, borrowed: what `Prefilter::keep` reads. `name` is the name as
/// indexed (a record without one is indexed under its id).
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub employee_id: Option<&'a str>,
    pub title: Option<&'a str>,
}

/// A cheap, conservative test of whether a candidate could match a query, run before the
/// costly part of indexing it (pinyin spellings, matcher-ready text). It relies only on what
/// any match needs: the matcher matches one field at a time, and a field matches only if every
/// (non-blank) query char equals some char of it after case folding and accent
/// normalization; for a pinyin spelling, a letter of some reading of the name's chars. So a
/// candidate none of whose fields has all the query's chars can be left out. Anything the
/// filter is unsure of (a long list of unusual chars) keeps the candidate.
pub struct Prefilter {
    /// Query chars, folded, as a bit set over ASCII...
    ascii: u128,
    /// ...and the others (at most 64).
    other: Vec<char>,
    /// Lowercased addresses, for a pasted list of emails (matched exactly).
    emails: Option<Vec<String>>,
    /// With an `@` the matcher reads the whole email, else only the part before the last `@`.
    has_at: bool,
    forms_memo: CharMap,
    spelled_memo: CharMap,
    /// For a query of several words, one filter per word: a candidate may match each word
    /// in another field (see `matcher::Query::words`).
    words: Vec<Prefilter>,
}

/// Memo of per-char bits. Keyed by chars only, so a one-multiply hash does; SipHash was a
/// tenth of the whole search's time.
type CharMap = HashMap<char, (u128, u64), std::hash::BuildHasherDefault<CharHasher>>;

#[derive(Default)]
struct CharHasher(u64);

impl std::hash::Hasher for CharHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = crate::fnv::step(self.0, u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Prefilter {
    /// None when every candidate must be kept (an empty query, or too many unusual chars).
    pub fn new(query: &str) -> Option<Prefilter> {
        match plan(query) {
            Plan::Nothing => None,
            Plan::Lookup(list) => Some(Prefilter {
                ascii: 0,
                other: Vec::new(),
                emails: Some(list.iter().map(|e| e.to_lowercase()).collect()),
                has_at: true,
                forms_memo: CharMap::default(),
                spelled_memo: CharMap::default(),
                words: Vec::new(),
            }),
            Plan::Match => {
                // Filters are checked by the search itself; only the words narrow here.
                let (words, filters) = super::filter::split_filters(query);
                let query = match filters {
                    Ok(f) if f.is_empty() => query,
                    _ => words.as_str(),
                };
                let split: Vec<&str> = query.split_whitespace().collect();
                if (2..=MAX_WORDS).contains(&split.len()) {
                    let words: Option<Vec<Prefilter>> =
                        split.iter().map(|w| Prefilter::word(w)).collect();
                    let mut all = Prefilter::word(query)?;
                    all.words = words?;
                    return Some(all);
                }
                Prefilter::word(query)
            }
        }
    }

    /// The filter for `query` matched as one run of text.
    fn word(query: &str) -> Option<Prefilter> {
        let mut ascii = 0u128;
        let mut other = Vec::new();
        for c in query.trim().chars().filter(|c| !c.is_whitespace()) {
            let c = fold_case(c);
            if c.is_ascii() {
                ascii |= 1 << u32::from(c);
            } else if !other.contains(&c) {
                other.push(c);
            }
        }
        if other.len() > 64 {
            return None;
        }
        Some(Prefilter {
            ascii,
            other,
            emails: None,
            has_at: query.contains('@'),
            forms_memo: CharMap::default(),
            spelled_memo: CharMap::default(),
            words: Vec::new(),
        })
    }

    /// Whether `c` could match the query; false only when it certainly cannot.
    pub fn keep(&mut self, c: &Fields<'_>) -> bool {
        if !self.words.is_empty() {
            // Every word's chars in some field (which a whole-query match implies too).
            return self.words.iter_mut().all(|w| w.keep(c));
        }
        if let Some(list) = &self.emails {
            return c.email.is_some_and(|e| list.contains(&e.to_lowercase()));
        }
        let has_at = self.has_at;
        let email = c.email.map(|e| matched_email(e, has_at));
        self.field(c.name)
            || self.pinyin(c.name)
            || email.is_some_and(|e| self.field(e))
            || self.field(c.id)
            || c.employee_id.is_some_and(|e| self.field(e))
            || c.title.is_some_and(|t| self.field(t))
    }

    /// Whether one field's chars (each in every form the matcher may compare) include all of
    /// the query's.
    fn field(&mut self, text: &str) -> bool {
        if text.is_ascii() {
            // The common case, byte by byte. ASCII folds to ASCII, so it can never supply
            // the query's other chars.
            let mut seen = 0u128;
            for b in text.bytes() {
                seen |= 1 << b.to_ascii_lowercase();
            }
            return self.other.is_empty() && self.ascii & !seen == 0;
        }
        let mut seen = Seen::default();
        for c in text.chars() {
            let (a, o) = self.forms(c);
            seen.ascii |= a;
            seen.other |= o;
        }
        self.covered(&seen)
    }

    /// The same for the pinyin spellings of a name: letters of every reading of its Chinese
    /// chars, its other chars as they are.
    fn pinyin(&mut self, name: &str) -> bool {
        if name.is_ascii() {
            return false; // no spelling: the name field covered it
        }
        let mut seen = Seen::default();
        for c in name.chars() {
            let (a, o) = self.spelled(c);
            seen.ascii |= a;
            seen.other |= o;
        }
        self.covered(&seen)
    }

    /// Bits of every form of `c` the matcher may compare with a query char (memoized: names
    /// and titles reuse few distinct chars).
    fn forms(&mut self, c: char) -> (u128, u64) {
        if c.is_ascii() {
            return (1 << u32::from(c.to_ascii_lowercase()), 0);
        }
        if let Some(&bits) = self.forms_memo.get(&c) {
            return bits;
        }
        let mut bits = (0u128, 0u64);
        for v in hay::compared_forms(c) {
            if v.is_ascii() {
                bits.0 |= 1 << u32::from(v);
            } else if let Some(i) = self.other.iter().position(|&o| o == v) {
                bits.1 |= 1 << i;
            }
        }
        self.forms_memo.insert(c, bits);
        bits
    }

    /// Bits of what `c` contributes to a pinyin spelling (any reading, see
    /// `pinyin::spelled_chars`), or of itself when it has no reading.
    fn spelled(&mut self, c: char) -> (u128, u64) {
        if c.is_ascii() {
            return self.forms(c);
        }
        if let Some(&bits) = self.spelled_memo.get(&c) {
            return bits;
        }
        let bits = match pinyin::spelled_chars(c) {
            Some(letters) => letters.into_iter().fold((0u128, 0u64), |bits, p| {
                let (a, o) = self.forms(p);
                (bits.0 | a, bits.1 | o)
            }),
            None => self.forms(c),
        };
        self.spelled_memo.insert(c, bits);
        bits
    }

    fn covered(&self, seen: &Seen) -> bool {
        // The low `other.len()` bits (at most 64).
        let n = u32::try_from(self.other.len()).unwrap_or(u32::MAX);
        let all_other = u64::MAX.checked_shr(64u32.saturating_sub(n)).unwrap_or(0);
        self.ascii & !seen.ascii == 0 && seen.other & all_other == all_other
    }
}

#[derive(Default)]
struct Seen {
    ascii: u128,
    other: u64,
}
