//! The people/department matcher shared by the TUI and `orgtui search`.
//!
//! Everything a query needs from a candidate (lowercased fields, pinyin spellings and their maps
//! back to the name, character masks) is computed once in `SearchIndex::insert`, so a keystroke
//! only runs the matcher (`matcher.rs`: ranking rules). `Searcher` keeps the matches of the
//! previous queries and, while the user keeps typing, re-scores only those (`searcher.rs`).

mod hay;
mod matcher;
mod pinyin;
mod searcher;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use hay::{Arena, Hay};
use pinyin::PinyinForm;

pub use searcher::Searcher;

/// What a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    User,
    Dept,
}

/// Something search can find. `name` is what is displayed and highlighted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: Kind,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub employee_id: Option<String>,
    pub title: Option<String>,
}

/// Which field matched best.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Pinyin,
    Initials,
    Email,
    EmployeeId,
    Title,
    Id,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub kind: Kind,
    pub id: String,
    pub score: u32,
    pub field: Field,
    /// Char indices into the candidate's `name` to highlight (empty when another field matched).
    pub name_positions: Vec<usize>,
}

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

/// Classify a query. Emails may be pasted from a mail client, so full-width separators and
/// `<...>` or quotes around an address are accepted too.
pub fn classify(query: &str) -> QueryKind {
    let t = query.trim();
    if t.is_empty() {
        return QueryKind::Empty;
    }
    let mut emails: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for token in t.split(is_email_separator).filter(|s| !s.is_empty()) {
        let token = token.trim_matches(|c| matches!(c, '<' | '>' | '"' | '\'' | '(' | ')'));
        if !looks_like_email(token) {
            return QueryKind::Text(t.to_string());
        }
        let key = token.to_lowercase();
        if !seen.contains(&key) {
            seen.push(key);
            emails.push(token.to_string());
        }
    }
    if emails.is_empty() {
        QueryKind::Text(t.to_string())
    } else {
        QueryKind::Emails(emails)
    }
}

fn is_email_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '，' | '；' | '、')
}

/// `x@y`: one `@` with something on both sides.
fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    }
}

/// Gives every index its own identity so a `Searcher` notices being handed another index.
static NEXT_INDEX_UID: AtomicU64 = AtomicU64::new(1);

/// A candidate as the matcher sees it; built once per insert. Small and flat: the text lives
/// in the index's `Arena`.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) name: Hay,
    /// Chars in the whole name: shorter names win ties.
    pub(crate) name_len: u32,
    pub(crate) email: Hay,
    /// The part before the last `@`: what a query without `@` is matched against, so that
    /// typing `e` does not find everyone at `acme.example`.
    pub(crate) email_local: Hay,
    pub(crate) employee_id: Hay,
    pub(crate) id: Hay,
    pub(crate) title: Hay,
    /// None for names without Chinese characters.
    pub(crate) pinyin: Option<PinyinForm>,
    /// Other readings of the first character (rarely any). Kept apart so that the common
    /// case reads no memory outside the entry.
    pub(crate) more_pinyin: Box<[PinyinForm]>,
}

impl Entry {
    fn new(c: &Candidate, arena: &mut Arena) -> Entry {
        let mut opt = |s: Option<&str>| s.map(|s| arena.lowered(s)).unwrap_or_default();
        let email = opt(c.email.as_deref());
        let email_local = opt(c
            .email
            .as_deref()
            .map(|e| e.rsplit_once('@').map_or(e, |(l, _)| l)));
        let employee_id = opt(c.employee_id.as_deref());
        let title = opt(c.title.as_deref());
        let id = arena.lowered(&c.id);
        let name = arena.lowered(&c.name);
        let mut forms = pinyin::pinyin_forms(&c.name, arena).into_iter();
        let pinyin = forms.next();
        let more_pinyin = forms.collect();
        Entry {
            name,
            name_len: u32::try_from(c.name.chars().count()).unwrap_or(u32::MAX),
            email,
            email_local,
            employee_id,
            id,
            title,
            pinyin,
            more_pinyin,
        }
    }

    /// Every char any field has: a query needing another char cannot match.
    fn mask(&self) -> u64 {
        self.hays().fold(0, |m, h| m | h.mask())
    }

    fn hays(&self) -> impl Iterator<Item = Hay> + '_ {
        let fields = [
            self.name,
            self.email,
            self.email_local,
            self.employee_id,
            self.id,
            self.title,
        ];
        let forms = self.pinyin_forms().flat_map(|f| [f.full, f.initials]);
        fields.into_iter().chain(forms)
    }

    fn hays_mut(&mut self) -> impl Iterator<Item = &mut Hay> {
        let fields = [
            &mut self.name,
            &mut self.email,
            &mut self.email_local,
            &mut self.employee_id,
            &mut self.id,
            &mut self.title,
        ];
        let forms = self
            .pinyin
            .iter_mut()
            .chain(self.more_pinyin.iter_mut())
            .flat_map(|f| [&mut f.full, &mut f.initials]);
        fields.into_iter().chain(forms)
    }

    /// Every pinyin spelling, most common reading first.
    pub(crate) fn pinyin_forms(&self) -> impl Iterator<Item = &PinyinForm> {
        self.pinyin.iter().chain(self.more_pinyin.iter())
    }

    pub(crate) fn pinyin_form(&self, k: usize) -> Option<&PinyinForm> {
        self.pinyin_forms().nth(k)
    }
}

/// An index of candidates; insert is an upsert keyed by (kind, id).
pub struct SearchIndex {
    items: Vec<Candidate>,
    entries: Vec<Entry>,
    /// `entries[i].mask()`, kept apart: a scan tests all of these but reads only the entries
    /// that pass.
    masks: Vec<u64>,
    arena: Arena,
    users: HashMap<String, u32>,
    depts: HashMap<String, u32>,
    /// Lowercased email → slots, for pasted lists of addresses.
    emails: HashMap<String, Vec<u32>>,
    uid: u64,
    generation: u64,
}

impl Default for SearchIndex {
    fn default() -> SearchIndex {
        SearchIndex {
            items: Vec::new(),
            entries: Vec::new(),
            masks: Vec::new(),
            arena: Arena::default(),
            users: HashMap::new(),
            depts: HashMap::new(),
            emails: HashMap::new(),
            uid: NEXT_INDEX_UID.fetch_add(1, Ordering::Relaxed),
            generation: 0,
        }
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("len", &self.items.len())
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    pub fn new() -> SearchIndex {
        SearchIndex::default()
    }

    /// Add a candidate, or replace the one with the same kind and id in place (it keeps its
    /// position, which is the final tie-break in ranking).
    pub fn insert(&mut self, c: Candidate) {
        let entry = Entry::new(&c, &mut self.arena);
        let slot = match self.slot(c.kind, &c.id) {
            Some(slot) => {
                let old_email = self.items[slot].email.clone();
                self.unlink_email(old_email.as_deref(), slot);
                self.items[slot] = c;
                self.masks[slot] = entry.mask();
                let old = std::mem::replace(&mut self.entries[slot], entry);
                old.hays().for_each(|h| self.arena.release(h));
                if self.arena.is_mostly_garbage() {
                    self.compact();
                }
                slot
            }
            None => {
                let slot = self.items.len();
                let Ok(key) = u32::try_from(slot) else {
                    // Over four billion candidates: nothing sensible to do but ignore more.
                    return;
                };
                let map = match c.kind {
                    Kind::User => &mut self.users,
                    Kind::Dept => &mut self.depts,
                };
                map.insert(c.id.clone(), key);
                self.items.push(c);
                self.masks.push(entry.mask());
                self.entries.push(entry);
                slot
            }
        };
        let email = self.items[slot].email.clone();
        self.link_email(email.as_deref(), slot);
        self.generation += 1;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn get(&self, kind: Kind, id: &str) -> Option<&Candidate> {
        self.slot(kind, id).and_then(|s| self.items.get(s))
    }

    /// Changes on every insert; a `Searcher` drops its cached matches when it changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Best matches first, at most `limit`. See `Searcher::search`; this one starts from
    /// scratch each time, so the TUI should keep a `Searcher` instead.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        Searcher::new().search(self, query, limit)
    }

    /// Rebuild the arena from the live entries, dropping the text of replaced ones.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.arena);
        for e in &mut self.entries {
            for hay in e.hays_mut() {
                *hay = self.arena.copy(&old, *hay);
            }
        }
    }

    fn slot(&self, kind: Kind, id: &str) -> Option<usize> {
        let map = match kind {
            Kind::User => &self.users,
            Kind::Dept => &self.depts,
        };
        map.get(id).and_then(|&s| usize::try_from(s).ok())
    }

    pub(crate) fn uid(&self) -> u64 {
        self.uid
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry in `slot` if it has every char of `needed`.
    pub(crate) fn entry_with(&self, slot: usize, needed: u64) -> Option<&Entry> {
        let mask = *self.masks.get(slot)?;
        if mask & needed == needed {
            self.entries.get(slot)
        } else {
            None
        }
    }

    pub(crate) fn arena(&self) -> &Arena {
        &self.arena
    }

    pub(crate) fn candidate(&self, slot: usize) -> Option<&Candidate> {
        self.items.get(slot)
    }

    /// Slots whose email equals `email`, ignoring case.
    pub(crate) fn slots_with_email(&self, email: &str) -> &[u32] {
        self.emails
            .get(&email.to_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    fn link_email(&mut self, email: Option<&str>, slot: usize) {
        let (Some(email), Ok(slot)) = (email, u32::try_from(slot)) else {
            return;
        };
        let slots = self.emails.entry(email.to_lowercase()).or_default();
        if !slots.contains(&slot) {
            slots.push(slot);
            slots.sort_unstable();
        }
    }

    fn unlink_email(&mut self, email: Option<&str>, slot: usize) {
        let (Some(email), Ok(slot)) = (email, u32::try_from(slot)) else {
            return;
        };
        let key = email.to_lowercase();
        if let Some(slots) = self.emails.get_mut(&key) {
            slots.retain(|&s| s != slot);
            if slots.is_empty() {
                self.emails.remove(&key);
            }
        }
    }
}
