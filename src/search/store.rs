//! `Store`: the candidates as they were given, kept for `SearchIndex::get` and for building
//! hits, and the hashes the index's tables key them by.

use super::hay::fold_case;
use super::table::Hasher;
use super::{Candidate, Kind};

/// The candidates as given (for `get` and for hits), as one string and five spans per
/// candidate, so that saving and loading an index copies a few buffers.
#[derive(Debug, Clone, Default)]
pub(super) struct Store {
    pub(super) text: String,
    /// Per candidate: (start, len) of id, name, email, employee id, title; start `NONE`:
    /// absent.
    pub(super) spans: Vec<[u32; 10]>,
    pub(super) kinds: Vec<Kind>,
    /// Bytes of `text` no longer referenced.
    pub(super) garbage: usize,
}

const S_ID: usize = 0;
const S_NAME: usize = 1;
pub(super) const S_EMAIL: usize = 2;
const S_EMPLOYEE_ID: usize = 3;
const S_TITLE: usize = 4;
const NONE: u32 = u32::MAX;

impl Store {
    fn spans_of(&mut self, c: &Candidate) -> [u32; 10] {
        let fields = [
            Some(c.id.as_str()),
            Some(c.name.as_str()),
            c.email.as_deref(),
            c.employee_id.as_deref(),
            c.title.as_deref(),
        ];
        let mut spans = [NONE, 0, NONE, 0, NONE, 0, NONE, 0, NONE, 0];
        for (f, span) in fields.into_iter().zip(spans.as_chunks_mut::<2>().0) {
            let Some(f) = f else { continue };
            let (Ok(start), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(f.len()))
            else {
                // Past 4 GB of text: keep the rest out rather than wrap around.
                continue;
            };
            if start == NONE || start.checked_add(len).is_none() {
                continue;
            }
            self.text.push_str(f);
            *span = [start, len];
        }
        spans
    }

    pub(super) fn push(&mut self, c: &Candidate) {
        let spans = self.spans_of(c);
        self.spans.push(spans);
        self.kinds.push(c.kind);
    }

    pub(super) fn replace(&mut self, slot: usize, c: &Candidate) {
        let spans = self.spans_of(c);
        if let Some(old) = self.spans.get_mut(slot) {
            let released = old
                .as_chunks::<2>()
                .0
                .iter()
                .filter(|[start, _]| *start != NONE)
                .fold(0usize, |sum, [_, len]| sum.saturating_add(*len as usize));
            self.garbage = self.garbage.saturating_add(released);
            *old = spans;
        }
        if self.garbage > 4096 && self.garbage.saturating_mul(2) > self.text.len() {
            self.compact();
        }
    }

    fn compact(&mut self) {
        let old = std::mem::take(&mut self.text);
        for spans in &mut self.spans {
            for [start, len] in spans.as_chunks_mut::<2>().0 {
                if *start == NONE {
                    continue;
                }
                let s = *start as usize;
                let new_start = u32::try_from(self.text.len()).unwrap_or(NONE);
                match old.get(s..s.saturating_add(*len as usize)) {
                    Some(t) if new_start != NONE => {
                        self.text.push_str(t);
                        *start = new_start;
                    }
                    _ => *start = NONE,
                }
            }
        }
        self.garbage = 0;
    }

    pub(super) fn field(&self, slot: usize, k: usize) -> Option<&str> {
        let &[start, len] = self.spans.get(slot)?.as_chunks::<2>().0.get(k)?;
        if start == NONE {
            return None;
        }
        let start = start as usize;
        self.text.get(start..start.saturating_add(len as usize))
    }

    pub(super) fn id(&self, slot: usize) -> &str {
        self.field(slot, S_ID).unwrap_or_default()
    }

    pub(super) fn kind(&self, slot: usize) -> Kind {
        self.kinds.get(slot).copied().unwrap_or(Kind::User)
    }

    pub(super) fn candidate(&self, slot: usize) -> Option<Candidate> {
        let owned = |k| self.field(slot, k).map(str::to_owned);
        Some(Candidate {
            kind: *self.kinds.get(slot)?,
            id: owned(S_ID).unwrap_or_default(),
            name: owned(S_NAME).unwrap_or_default(),
            email: owned(S_EMAIL),
            employee_id: owned(S_EMPLOYEE_ID),
            title: owned(S_TITLE),
            status: None,
            dept_ids: Vec::new(),
            path: None,
        })
    }

    pub(super) fn key_hash_of(&self, slot: u32) -> u64 {
        key_hash(self.kind(slot as usize), self.id(slot as usize))
    }

    pub(super) fn email_hash_of(&self, slot: u32) -> u64 {
        email_hash(self.field(slot as usize, S_EMAIL).unwrap_or_default())
    }
}

pub(super) fn key_hash(kind: Kind, id: &str) -> u64 {
    let seed = match kind {
        Kind::User => 1,
        Kind::Dept => 2,
    };
    let mut h = Hasher::new(seed);
    h.bytes(id.as_bytes());
    h.finish()
}

/// Emails are looked up ignoring case: hashed and compared after folding each char.
pub(super) fn email_hash(email: &str) -> u64 {
    let mut h = Hasher::new(3);
    if email.is_ascii() {
        let mut buf = [0u8; 64];
        for chunk in email.as_bytes().chunks(64) {
            let Some(part) = buf.get_mut(..chunk.len()) else {
                continue;
            };
            part.copy_from_slice(chunk);
            part.make_ascii_lowercase();
            h.bytes(part);
        }
    } else {
        let folded: String = email.chars().map(fold_case).collect();
        for chunk in folded.as_bytes().chunks(64) {
            h.bytes(chunk);
        }
    }
    h.finish()
}

pub(super) fn same_email(a: &str, b: &str) -> bool {
    a.chars().map(fold_case).eq(b.chars().map(fold_case))
}
