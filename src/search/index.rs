//! `SearchIndex`: every candidate converted once into what the matcher reads (lowercased
//! fields, pinyin spellings and their maps back to the name, character masks, one-char
//! columns), in flat per-candidate arrays. Only `search`'s own modules see the layout.

use std::sync::atomic::{AtomicU64, Ordering};

use super::facts::Facts;
use super::hay::{self, Arena, Hay, WordStarts, fold_hay};
use super::pinyin::{self, Form, Scratch, Sink};
use super::query::matched_email;
use super::store::{S_EMAIL, Store, email_hash, key_hash, same_email};
use super::table::Table;
use super::tier::tier;
use super::{Candidate, Field, Kind};

/// Gives every index its own identity so a `Searcher` notices being handed another index.
static NEXT_INDEX_UID: AtomicU64 = AtomicU64::new(1);

/// Letters and digits: what a one-char query is answered for from `SearchIndex::cols`.
pub(super) const ALNUM: usize = 36;

/// The column of a (case-folded) letter or digit.
pub(super) fn alnum_index(c: char) -> Option<usize> {
    match c {
        'a'..='z' => Some((c as usize).saturating_sub('a' as usize)),
        '0'..='9' => Some((c as usize).saturating_sub('0' as usize).saturating_add(26)),
        _ => None,
    }
}

/// A column value for a candidate that has the char, in a field too long to encode where:
/// the one-char path scores such candidates with the matcher instead.
pub(super) const COL_UNKNOWN: u16 = 1;

/// A candidate as the matcher sees it; built once per insert. Small and flat: the text lives
/// in the index's `Arena`, other pinyin spellings in `SearchIndex::forms`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) name: Hay,
    pub(super) email: Hay,
    /// The part before the last `@` (a prefix of `email`'s text): what a query without `@`
    /// is matched against, so that typing `e` does not find everyone at `acme.example`.
    pub(super) email_local: Hay,
    pub(super) employee_id: Hay,
    pub(super) id: Hay,
    pub(super) title: Hay,
    /// The name's most common pinyin spelling, when it has Chinese characters.
    pub(super) pinyin: Form,
    pub(super) has_pinyin: bool,
    /// Other readings of the first character (rarely any): `forms[more_at..][..more_len]`.
    pub(super) more_len: u8,
    pub(super) more_at: u32,
}

impl Entry {
    /// Every pinyin spelling, most common reading first.
    pub(super) fn forms<'a>(&'a self, more: &'a [Form]) -> impl Iterator<Item = &'a Form> {
        let first = self.has_pinyin.then_some(&self.pinyin);
        let rest = if self.more_len == 0 {
            &[][..]
        } else {
            let at = self.more_at as usize;
            more.get(at..at.saturating_add(usize::from(self.more_len)))
                .unwrap_or_default()
        };
        first.into_iter().chain(rest)
    }

    pub(super) fn form<'a>(&'a self, more: &'a [Form], k: usize) -> Option<&'a Form> {
        self.forms(more).nth(k)
    }

    /// Every field with text of its own (the local part shares the email's).
    fn own_hays<'a>(&'a self, more: &'a [Form]) -> impl Iterator<Item = Hay> + 'a {
        let fields = [self.name, self.email, self.employee_id, self.id, self.title];
        let forms = self.forms(more).flat_map(|f| [f.full, f.initials]);
        fields.into_iter().chain(forms)
    }
}

/// An index of candidates; insert is an upsert keyed by (kind, id).
///
/// Everything is kept in flat per-candidate arrays (slot order) and a few text buffers, so a
/// scan reads memory in order.
pub struct SearchIndex {
    pub(super) store: Store,
    pub(super) entries: Vec<Entry>,
    /// Every char any field has: a query needing another char cannot match. Scans test all
    /// of these but read only the entries that pass.
    pub(super) masks: Vec<u64>,
    /// The same without the full email (for queries without `@`, which match only the local
    /// part: `e` is in everyone's `acme.example`).
    pub(super) local_masks: Vec<u64>,
    /// Chars in each whole name: shorter names win ties.
    pub(super) name_lens: Vec<u32>,
    /// One column per letter and digit: for a query of just that char, each candidate's best
    /// tier and start (`tier << 8 | 255 - start`; 0: no match; `COL_UNKNOWN`: score it).
    /// The first keystroke reads one of these instead of any text.
    pub(super) cols: Vec<Vec<u16>>,
    /// The other pinyin spellings of the entries that have some.
    pub(super) forms: Vec<Form>,
    /// Pinyin spelling chars back to name chars, for highlighting (see `Form`).
    pub(super) maps: Vec<u32>,
    pub(super) arena: Arena,
    /// (kind, id) → slot.
    pub(super) keys: Table,
    /// Case-folded email → slots.
    pub(super) emails: Table,
    /// Statuses, departments and paths, for the filters.
    pub(super) facts: Facts,
    scratch: Scratch,
    form_buf: Vec<Form>,
    uid: u64,
    pub(super) generation: u64,
}

impl Default for SearchIndex {
    fn default() -> SearchIndex {
        SearchIndex {
            store: Store::default(),
            entries: Vec::new(),
            masks: Vec::new(),
            local_masks: Vec::new(),
            name_lens: Vec::new(),
            cols: vec![Vec::new(); ALNUM],
            forms: Vec::new(),
            maps: Vec::new(),
            arena: Arena::default(),
            keys: Table::default(),
            emails: Table::default(),
            facts: Facts::default(),
            scratch: Scratch::default(),
            form_buf: Vec::new(),
            uid: NEXT_INDEX_UID.fetch_add(1, Ordering::Relaxed),
            generation: 0,
        }
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("len", &self.entries.len())
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl Extend<Candidate> for SearchIndex {
    /// Insert many candidates (the same as inserting them one by one, with room reserved
    /// up front).
    fn extend<I: IntoIterator<Item = Candidate>>(&mut self, items: I) {
        let items = items.into_iter();
        self.reserve(items.size_hint().0);
        for c in items {
            self.insert(c);
        }
    }
}

impl FromIterator<Candidate> for SearchIndex {
    fn from_iter<I: IntoIterator<Item = Candidate>>(items: I) -> SearchIndex {
        let mut index = SearchIndex::new();
        index.extend(items);
        index
    }
}

impl SearchIndex {
    pub fn new() -> SearchIndex {
        SearchIndex::default()
    }

    /// Make room for `more` candidates.
    pub fn reserve(&mut self, more: usize) {
        self.entries.reserve(more);
        self.masks.reserve(more);
        self.local_masks.reserve(more);
        self.name_lens.reserve(more);
        self.store.spans.reserve(more);
        self.store.kinds.reserve(more);
        self.facts.reserve(more);
        for col in &mut self.cols {
            col.reserve(more);
        }
        let store = &self.store;
        self.keys.reserve(more, |s| store.key_hash_of(s));
        self.emails.reserve(more, |s| store.email_hash_of(s));
    }

    /// Add a candidate, or replace the one with the same kind and id in place (it keeps its
    /// position, which is the final tie-break in ranking).
    pub fn insert(&mut self, c: Candidate) {
        let existing = self.slot(c.kind, &c.id);
        let Ok(slot) = u32::try_from(existing.unwrap_or(self.entries.len())) else {
            // Over four billion candidates: nothing sensible to do but ignore more.
            return;
        };
        let entry = self.make_entry(&c);
        let cols = self.column_keys(&entry);
        let (mask, local) = self.masks_of(&entry);
        let name_len = u32::try_from(c.name.chars().count()).unwrap_or(u32::MAX);
        let s = slot as usize;
        self.facts.set(s, &c);
        match existing {
            Some(_) => {
                self.unlink_email(slot);
                self.store.replace(s, &c);
                if let Some(old) = self.entries.get_mut(s) {
                    let old = std::mem::replace(old, entry);
                    let released = old
                        .own_hays(&self.forms)
                        .fold(0usize, |sum, h| sum.saturating_add(h.len()));
                    self.arena.garbage = self.arena.garbage.saturating_add(released);
                }
                set(&mut self.masks, s, mask);
                set(&mut self.local_masks, s, local);
                set(&mut self.name_lens, s, name_len);
                for (col, key) in self.cols.iter_mut().zip(cols) {
                    set(col, s, key);
                }
                if self.arena.is_mostly_garbage() {
                    self.compact();
                }
            }
            None => {
                self.store.push(&c);
                self.entries.push(entry);
                self.masks.push(mask);
                self.local_masks.push(local);
                self.name_lens.push(name_len);
                for (col, key) in self.cols.iter_mut().zip(cols) {
                    col.push(key);
                }
                let store = &self.store;
                self.keys
                    .insert(key_hash(c.kind, &c.id), slot, |s| store.key_hash_of(s));
            }
        }
        self.link_email(slot);
        // Only compared for change, so wrapping after 2^64 inserts is harmless.
        self.generation = self.generation.wrapping_add(1);
    }

    fn make_entry(&mut self, c: &Candidate) -> Entry {
        let a = &mut self.arena;
        let mut opt = |s: Option<&str>| s.map(|s| a.lowered(s)).unwrap_or_default();
        let email = opt(c.email.as_deref());
        let employee_id = opt(c.employee_id.as_deref());
        let title = opt(c.title.as_deref());
        let id = a.lowered(&c.id);
        let name = a.lowered(&c.name);
        let email_local = match c.email.as_deref() {
            Some(e) => {
                let local = matched_email(e, false);
                a.prefix(email, local.chars().count())
            }
            None => Hay::default(),
        };
        self.form_buf.clear();
        let mut sink = Sink {
            arena: &mut self.arena,
            maps: &mut self.maps,
            scratch: &mut self.scratch,
        };
        pinyin::pinyin_forms(&c.name, &mut sink, &mut self.form_buf);
        let mut entry = Entry {
            name,
            email,
            email_local,
            employee_id,
            id,
            title,
            ..Entry::default()
        };
        if let Some((first, more)) = self.form_buf.split_first() {
            entry.pinyin = *first;
            entry.has_pinyin = true;
            if !more.is_empty() {
                entry.more_at = u32::try_from(self.forms.len()).unwrap_or(u32::MAX);
                entry.more_len = u8::try_from(more.len()).unwrap_or(u8::MAX);
                self.forms.extend_from_slice(more);
            }
        }
        entry
    }

    fn masks_of(&self, e: &Entry) -> (u64, u64) {
        let all = e.own_hays(&self.forms).fold(0, |m, h| m | h.mask());
        let local = e
            .own_hays(&self.forms)
            .filter(|h| *h != e.email)
            .fold(e.email_local.mask(), |m, h| m | h.mask());
        (all, local)
    }

    /// The `cols` values of an entry: its best tier and start for each one-char query, the
    /// same as the matcher would find (see `tier::tier`; a one-char needle is always
    /// contiguous, so only where it first occurs at each quality matters).
    fn column_keys(&self, e: &Entry) -> [u16; ALNUM] {
        let mut keys = [0u16; ALNUM];
        let mut long = false;
        let mut field = |hay: Hay, field: Field, starts: WordStarts| {
            let text = self.arena.text(hay);
            let len = hay.len();
            for (i, c) in text.chars().enumerate() {
                let Some(k) = alnum_index(fold_hay(c, true)) else {
                    continue;
                };
                let Some(slot) = keys.get_mut(k) else {
                    continue;
                };
                let Ok(start) = u8::try_from(i) else {
                    long = true;
                    *slot = (*slot).max(COL_UNKNOWN);
                    continue;
                };
                let quality = if i == 0 {
                    if len == 1 {
                        hay::Quality::Exact
                    } else {
                        hay::Quality::Prefix
                    }
                } else if starts.at(text, i) {
                    hay::Quality::WordStart
                } else {
                    hay::Quality::Substring
                };
                let tier = tier(field, quality);
                // `!start` is `255 - start`: later starts rank lower.
                let key = (tier << 8 | u32::from(!start)) as u16;
                *slot = (*slot).max(key);
            }
        };
        use WordStarts::{Every, Marked, Separators};
        field(e.id, Field::Id, Separators);
        field(e.employee_id, Field::EmployeeId, Separators);
        field(e.email_local, Field::Email, Separators);
        field(e.name, Field::Name, Separators);
        for f in e.forms(&self.forms) {
            field(f.full, Field::Pinyin, Marked(f.starts));
            field(f.initials, Field::Initials, Every);
        }
        field(e.title, Field::Title, Separators);
        if long {
            // A start past 255 cannot be encoded: let the matcher score every char found.
            for k in keys.iter_mut().filter(|k| **k != 0) {
                *k = COL_UNKNOWN;
            }
        }
        keys
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The candidate with this kind and id, as inserted.
    pub fn get(&self, kind: Kind, id: &str) -> Option<Candidate> {
        let s = self.slot(kind, id)?;
        let mut c = self.store.candidate(s)?;
        c.status = self.facts.status(s);
        c.dept_ids = self.facts.dept_ids(s);
        c.path = self.facts.path_of(&c.id).filter(|_| kind == Kind::Dept);
        Some(c)
    }

    /// Changes on every insert; a `Searcher` drops its cached matches when it changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Rebuild the arena (and the spellings' lists) from the live entries, dropping the text
    /// of replaced ones.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.arena);
        let old_maps = std::mem::take(&mut self.maps);
        let old_forms = std::mem::take(&mut self.forms);
        let copy_form = |arena: &mut Arena, maps: &mut Vec<u32>, f: &Form| {
            let full = arena.copy(&old, f.full);
            let initials = arena.copy(&old, f.initials);
            let map_at = u32::try_from(maps.len()).unwrap_or(u32::MAX);
            let at = f.map_at as usize;
            let n = f.full.len().saturating_add(f.initials.len());
            maps.extend(old_maps.get(at..at.saturating_add(n)).unwrap_or_default());
            Form {
                full,
                initials,
                map_at,
                ..*f
            }
        };
        let (arena, maps) = (&mut self.arena, &mut self.maps);
        for e in &mut self.entries {
            let more: Vec<Form> = e.forms(&old_forms).skip(1).copied().collect();
            if e.has_pinyin {
                e.pinyin = copy_form(arena, maps, &e.pinyin);
            }
            if !more.is_empty() {
                e.more_at = u32::try_from(self.forms.len()).unwrap_or(u32::MAX);
                for f in &more {
                    let f = copy_form(arena, maps, f);
                    self.forms.push(f);
                }
            }
            let local = e.email_local.len();
            for hay in [
                &mut e.name,
                &mut e.email,
                &mut e.employee_id,
                &mut e.id,
                &mut e.title,
            ] {
                *hay = arena.copy(&old, *hay);
            }
            e.email_local = arena.prefix(e.email, local);
        }
    }

    fn slot(&self, kind: Kind, id: &str) -> Option<usize> {
        let store = &self.store;
        self.keys
            .find(key_hash(kind, id), |s| {
                store.kind(s as usize) == kind && store.id(s as usize) == id
            })
            .map(|s| s as usize)
    }

    pub(super) fn uid(&self) -> u64 {
        self.uid
    }

    pub(super) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry in `slot` if it has every char of `needed` (in the fields a query with or
    /// without `@` is matched against).
    pub(super) fn entry_with(&self, slot: usize, needed: u64, has_at: bool) -> Option<&Entry> {
        let masks = if has_at {
            &self.masks
        } else {
            &self.local_masks
        };
        let mask = *masks.get(slot)?;
        if mask & needed == needed {
            self.entries.get(slot)
        } else {
            None
        }
    }

    /// Start loading the entry in `slot` into the cache.
    #[inline]
    pub(super) fn prefetch_entry(&self, slot: usize) {
        if let Some(e) = self.entries.get(slot) {
            let p: *const u8 = (e as *const Entry).cast();
            for line in 0..std::mem::size_of::<Entry>().div_ceil(64) {
                hay::prefetch(p.wrapping_add(line.wrapping_mul(64)));
            }
        }
    }

    /// Start loading the ASCII text of the entry in `slot` (all of one entry's ASCII fields
    /// are stored together, from its email on).
    #[inline]
    pub(super) fn prefetch_text(&self, slot: usize) {
        if let Some(e) = self.entries.get(slot) {
            let first = if e.email.len > 0 && !e.email.wide {
                e.email.start
            } else {
                e.id.start
            };
            let p = self.arena.ascii.as_ptr().wrapping_add(first as usize);
            hay::prefetch(p);
            hay::prefetch(p.wrapping_add(64));
        }
    }

    pub(super) fn name_len(&self, slot: usize) -> u32 {
        self.name_lens.get(slot).copied().unwrap_or(u32::MAX)
    }

    /// Slots whose email equals `email`, ignoring case, in slot order.
    pub(super) fn slots_with_email(&self, email: &str) -> Vec<u32> {
        let store = &self.store;
        let mut slots = self.emails.find_all(email_hash(email), |s| {
            store
                .field(s as usize, S_EMAIL)
                .is_some_and(|e| same_email(e, email))
        });
        slots.sort_unstable();
        slots.dedup();
        slots
    }

    fn link_email(&mut self, slot: u32) {
        let store = &self.store;
        if let Some(email) = store.field(slot as usize, S_EMAIL) {
            self.emails
                .insert(email_hash(email), slot, |s| store.email_hash_of(s));
        }
    }

    fn unlink_email(&mut self, slot: u32) {
        let store = &self.store;
        if let Some(email) = store.field(slot as usize, S_EMAIL) {
            self.emails
                .remove(email_hash(email), slot, |s| store.email_hash_of(s));
        }
    }
}

fn set<T>(v: &mut [T], i: usize, value: T) {
    if let Some(x) = v.get_mut(i) {
        *x = value;
    }
}
