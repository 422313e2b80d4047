//! Applying a query's filters (`filter.rs`) to candidates: which slots pass `in:` and `is:`.
//! The departments matching an `in:` word are found once per word with the matcher itself,
//! over an index of the department paths (a few thousand at most), and kept while neither
//! the word nor the paths change.

use std::collections::HashMap;

use super::facts::Facts;
use super::filter::Filters;
use super::hay::Quality;
use super::matcher::TIER_SHIFT;
use super::tier::tier;
use super::{Candidate, Field, Kind, SearchIndex, Searcher};
use crate::model::UserStatus;

/// The weakest department match `in:` takes: contiguous text, or initials. Scattered letters
/// in a long path would let almost any word match.
fn weakest_tier() -> u32 {
    tier(Field::Initials, Quality::Substring)
}

/// The paths' index and the matches of the words asked so far.
#[derive(Debug, Default)]
pub(super) struct DeptMatches {
    /// Index uid, paths version and count the paths' index was built for.
    built_for: (u64, u64, usize),
    paths: Option<Box<SearchIndex>>,
    words: HashMap<String, Vec<bool>>,
}

impl DeptMatches {
    /// Per department number: whether its path matches `word`.
    fn of(&mut self, index: &SearchIndex, word: &str) -> Vec<bool> {
        let facts = &index.facts;
        let key = (index.uid(), facts.version, facts.paths().len());
        if self.paths.is_none() || self.built_for != key {
            let paths: SearchIndex = facts
                .paths()
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    Some(Candidate::new(
                        Kind::Dept,
                        i.to_string(),
                        p.as_deref()?.into(),
                    ))
                })
                .collect();
            self.paths = Some(Box::new(paths));
            self.built_for = key;
            self.words.clear();
        }
        if let Some(m) = self.words.get(word) {
            return m.clone();
        }
        let mut matched = vec![false; facts.paths().len()];
        if let Some(paths) = self.paths.as_deref() {
            let hits = Searcher::new().search(paths, word, paths.len());
            for h in hits {
                if h.score >> TIER_SHIFT >= weakest_tier()
                    && let Ok(i) = h.id.parse::<usize>()
                    && let Some(m) = matched.get_mut(i)
                {
                    *m = true;
                }
            }
        }
        if self.words.len() > 16 {
            self.words.clear();
        }
        self.words.insert(word.to_string(), matched.clone());
        matched
    }
}

/// The filters of one query, ready to test slots.
pub(super) struct SlotFilter<'a> {
    index: &'a SearchIndex,
    facts: &'a Facts,
    status: Option<UserStatus>,
    /// Per `in:` word, per department number: matched.
    depts: Vec<Vec<bool>>,
}

impl<'a> SlotFilter<'a> {
    pub(super) fn new(
        index: &'a SearchIndex,
        filters: &Filters,
        cache: &mut DeptMatches,
    ) -> SlotFilter<'a> {
        SlotFilter {
            index,
            facts: &index.facts,
            status: filters.status,
            depts: filters.depts.iter().map(|w| cache.of(index, w)).collect(),
        }
    }

    /// Filters are about people: departments never pass.
    pub(super) fn passes(&self, slot: usize) -> bool {
        self.index.store.kind(slot) == Kind::User
            && self.status.is_none_or(|s| self.facts.has_status(slot, s))
            && self.depts.iter().all(|matched| {
                self.facts
                    .depts(slot)
                    .iter()
                    .any(|&r| matched.get(r as usize).copied().unwrap_or(false))
            })
    }
}
