//! `SearchIndex::to_bytes` / `from_bytes`: the index's flat buffers written out as they are
//! (little-endian), so that loading 100,000 people is a few copies and checks instead of
//! redoing every insert (pinyin, masks, columns).
//!
//! Layout: magic, version, then length-prefixed arrays in a fixed order (see `to_bytes`).
//! Loading checks every count, range and char, so bad bytes give an error, never a panic
//! or an index that could panic later.

use super::Kind;
use super::hay::{Arena, Hay};
use super::index::{ALNUM, Entry, SearchIndex};
use super::pinyin::Form;
use super::store::Store;
use super::table::Table;

const MAGIC: &[u8; 8] = b"orgtuiSX";
/// Bump when the layout or the meaning of any stored value (masks, columns, tiers, hashes)
/// changes: an old file is then refused and the caller rebuilds the index.
const VERSION: u32 = 1;

const HAY_BYTES: usize = 4 + 2 + 1 + 8;
const FORM_BYTES: usize = 2 * HAY_BYTES + 8 + 4;
const ENTRY_BYTES: usize = 6 * HAY_BYTES + FORM_BYTES + 1 + 1 + 4;

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }
    /// `n` items of `N` bytes each, length-prefixed, written in place (no per-item growth
    /// checks, so plain arrays become a copy loop).
    fn items<T, const N: usize>(
        &mut self,
        items: impl ExactSizeIterator<Item = T>,
        f: impl Fn(T) -> [u8; N],
    ) {
        let n = items.len();
        self.len(n);
        let at = self.0.len();
        self.0.resize(at.saturating_add(n.saturating_mul(N)), 0);
        let dst = self.0.get_mut(at..).unwrap_or_default();
        for (dst, item) in dst.as_chunks_mut::<N>().0.iter_mut().zip(items) {
            *dst = f(item);
        }
    }
}

/// Fills a fixed-size record front to back. Records are sized by the constants above, so
/// every write fits; one that did not would be dropped rather than panic.
struct Put<'a>(&'a mut [u8]);

impl Put<'_> {
    fn put(&mut self, b: &[u8]) {
        let rest = std::mem::take(&mut self.0);
        if let Some((head, tail)) = rest.split_at_mut_checked(b.len()) {
            head.copy_from_slice(b);
            self.0 = tail;
        }
    }

    fn hay(&mut self, h: Hay) {
        self.put(&h.start.to_le_bytes());
        self.put(&h.len.to_le_bytes());
        self.put(&[u8::from(h.wide)]);
        self.put(&h.mask.to_le_bytes());
    }

    fn form(&mut self, f: &Form) {
        self.hay(f.full);
        self.hay(f.initials);
        self.put(&f.starts.to_le_bytes());
        self.put(&f.map_at.to_le_bytes());
    }
}

fn encode_form(f: &Form) -> [u8; FORM_BYTES] {
    let mut b = [0; FORM_BYTES];
    Put(&mut b).form(f);
    b
}

fn encode_entry(e: &Entry) -> [u8; ENTRY_BYTES] {
    let mut b = [0; ENTRY_BYTES];
    let mut w = Put(&mut b);
    for h in [e.name, e.email, e.email_local, e.employee_id, e.id, e.title] {
        w.hay(h);
    }
    w.form(&e.pinyin);
    w.put(&[u8::from(e.has_pinyin), e.more_len]);
    w.put(&e.more_at.to_le_bytes());
    b
}

struct Reader<'a> {
    rest: &'a [u8],
}

type R<T> = Result<T, String>;

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> R<&'a [u8]> {
        let Some((head, tail)) = self.rest.split_at_checked(n) else {
            return Err(format!("search index: truncated {what}"));
        };
        self.rest = tail;
        Ok(head)
    }
    fn fixed<const N: usize>(&mut self, what: &str) -> R<[u8; N]> {
        let Some((head, tail)) = self.rest.split_first_chunk::<N>() else {
            return Err(format!("search index: truncated {what}"));
        };
        self.rest = tail;
        Ok(*head)
    }
    fn u32(&mut self, what: &str) -> R<u32> {
        self.fixed(what).map(u32::from_le_bytes)
    }
    fn u64(&mut self, what: &str) -> R<u64> {
        self.fixed(what).map(u64::from_le_bytes)
    }
    /// A count or size stored as u64 that must fit in memory here.
    fn usize(&mut self, what: &str) -> R<usize> {
        usize::try_from(self.u64(what)?).map_err(|_| format!("search index: bad {what}"))
    }
    /// A length-prefixed array of items of `N` bytes, checked against what is left.
    fn array<const N: usize>(&mut self, what: &str) -> R<&'a [[u8; N]]> {
        let n = self.usize(what)?;
        let bytes = n
            .checked_mul(N)
            .ok_or_else(|| format!("search index: truncated {what}"))?;
        Ok(self.take(bytes, what)?.as_chunks::<N>().0)
    }
    fn bytes(&mut self, what: &str) -> R<Vec<u8>> {
        Ok(self.array::<1>(what)?.as_flattened().to_vec())
    }
    fn u16s(&mut self, what: &str) -> R<Vec<u16>> {
        Ok(self
            .array(what)?
            .iter()
            .map(|&c| u16::from_le_bytes(c))
            .collect())
    }
    fn u32s(&mut self, what: &str) -> R<Vec<u32>> {
        Ok(self
            .array(what)?
            .iter()
            .map(|&c| u32::from_le_bytes(c))
            .collect())
    }
    fn u64s(&mut self, what: &str) -> R<Vec<u64>> {
        Ok(self
            .array(what)?
            .iter()
            .map(|&c| u64::from_le_bytes(c))
            .collect())
    }
}

/// Reads a fixed-size record front to back (the inverse of `Put`). Records come from
/// `Reader::array` with the exact size, so every read fits; a short one reads zeros.
struct Get<'a>(&'a [u8]);

impl Get<'_> {
    fn next<const N: usize>(&mut self) -> [u8; N] {
        match self.0.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.0 = tail;
                *head
            }
            None => [0; N],
        }
    }

    fn hay(&mut self) -> Hay {
        Hay {
            start: u32::from_le_bytes(self.next()),
            len: u16::from_le_bytes(self.next()),
            wide: self.next::<1>() != [0],
            mask: u64::from_le_bytes(self.next()),
        }
    }

    fn form(&mut self) -> Form {
        Form {
            full: self.hay(),
            initials: self.hay(),
            starts: u64::from_le_bytes(self.next()),
            map_at: u32::from_le_bytes(self.next()),
        }
    }
}

fn form_at(b: &[u8; FORM_BYTES]) -> Form {
    Get(b).form()
}

fn entry_at(b: &[u8; ENTRY_BYTES]) -> Entry {
    let mut r = Get(b);
    let [name, email, email_local, employee_id, id, title] = std::array::from_fn(|_| r.hay());
    let pinyin = r.form();
    let [has_pinyin, more_len] = r.next();
    Entry {
        name,
        email,
        email_local,
        employee_id,
        id,
        title,
        pinyin,
        has_pinyin: has_pinyin != 0,
        more_len,
        more_at: u32::from_le_bytes(r.next()),
    }
}

impl SearchIndex {
    /// The index as bytes for `from_bytes`: versioned, and mostly a copy of its buffers
    /// (about 1 KB per person). Store them next to the org snapshot they were built from.
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.entries.len();
        // (count, bytes each) of what is written; only a capacity hint, so saturating.
        let parts = [
            (1, 256),
            (1, self.store.text.len()),
            (n, 40 + 1 + ENTRY_BYTES + 8 + 8 + 4 + 2 * ALNUM),
            (self.forms.len(), FORM_BYTES),
            (1, self.arena.ascii.len()),
            (self.arena.wide.len(), 4),
            (self.maps.len(), 4),
            (self.keys.cells.len(), 4),
            (self.emails.cells.len(), 4),
        ];
        let capacity = parts.iter().fold(0usize, |sum, &(k, size)| {
            sum.saturating_add(k.saturating_mul(size))
        });
        let mut w = Writer(Vec::with_capacity(capacity));
        w.0.extend_from_slice(MAGIC);
        w.u32(VERSION);
        w.len(n);
        w.bytes(self.store.text.as_bytes());
        w.items(self.store.spans.iter(), |s| {
            let mut b = [0; 40];
            for (dst, x) in b.chunks_exact_mut(4).zip(s) {
                dst.copy_from_slice(&x.to_le_bytes());
            }
            b
        });
        w.items(self.store.kinds.iter(), |k| [*k as u8]);
        w.len(self.store.garbage);
        w.items(self.entries.iter(), encode_entry);
        w.items(self.masks.iter(), |x| x.to_le_bytes());
        w.items(self.local_masks.iter(), |x| x.to_le_bytes());
        w.items(self.name_lens.iter(), |x| x.to_le_bytes());
        for col in &self.cols {
            w.items(col.iter(), |x| x.to_le_bytes());
        }
        w.items(self.forms.iter(), encode_form);
        w.items(self.maps.iter(), |x| x.to_le_bytes());
        w.bytes(&self.arena.ascii);
        w.items(self.arena.wide.iter(), |&c| u32::from(c).to_le_bytes());
        w.len(self.arena.garbage);
        for t in [&self.keys, &self.emails] {
            w.len(t.len);
            w.items(t.cells.iter(), |x| x.to_le_bytes());
        }
        w.u64(self.generation);
        w.0
    }

    /// An index saved by `to_bytes`. Bytes from another version, truncated or damaged give
    /// an error (rebuild the index from the candidates then), never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<SearchIndex, String> {
        let mut r = Reader { rest: bytes };
        if r.take(MAGIC.len(), "header").ok() != Some(MAGIC.as_slice()) {
            return Err("not a search index".into());
        }
        let version = r.u32("header")?;
        if version != VERSION {
            return Err(format!(
                "search index version {version}, this orgtui reads {VERSION}"
            ));
        }
        let bad = |what: &str| format!("search index: bad {what}");
        let n = r.usize("count")?;
        let text = String::from_utf8(r.bytes("text")?).map_err(|_| bad("text"))?;
        let flat = r.array::<40>("spans")?;
        if flat.len() != n {
            return Err(bad("spans"));
        }
        let spans: Vec<[u32; 10]> = flat.iter().map(le_spans).collect();
        for s in &spans {
            for &[start, len] in s.as_chunks::<2>().0 {
                let start = start as usize;
                if start != u32::MAX as usize
                    && text
                        .get(start..start.saturating_add(len as usize))
                        .is_none()
                {
                    return Err(bad("spans"));
                }
            }
        }
        let kinds = r
            .array::<1>("kinds")?
            .iter()
            .map(|&[k]| match k {
                0 => Ok(Kind::User),
                1 => Ok(Kind::Dept),
                _ => Err(bad("kinds")),
            })
            .collect::<R<Vec<Kind>>>()?;
        let store_garbage = r.usize("garbage")?;
        let entries: Vec<Entry> = r.array("entries")?.iter().map(entry_at).collect();
        let masks = r.u64s("masks")?;
        let local_masks = r.u64s("masks")?;
        let name_lens = r.u32s("name lengths")?;
        let cols = (0..ALNUM)
            .map(|_| r.u16s("columns"))
            .collect::<R<Vec<_>>>()?;
        let forms: Vec<Form> = r.array("forms")?.iter().map(form_at).collect();
        let maps = r.u32s("maps")?;
        let ascii = r.bytes("text")?;
        let wide = r
            .array("text")?
            .iter()
            .map(|&c| char::from_u32(u32::from_le_bytes(c)).ok_or_else(|| bad("text")))
            .collect::<R<Vec<char>>>()?;
        let arena_garbage = r.usize("garbage")?;
        let mut tables = [Table::default(), Table::default()];
        for t in &mut tables {
            t.len = r.usize("table")?;
            t.cells = r.u32s("table")?;
        }
        let generation = r.u64("generation")?;
        if !r.rest.is_empty() {
            return Err(bad("length"));
        }
        let [keys, emails] = tables;
        let arena = Arena::from_parts(ascii, wide, arena_garbage);
        let counts_ok = [
            kinds.len(),
            entries.len(),
            masks.len(),
            local_masks.len(),
            name_lens.len(),
        ]
        .iter()
        .chain(cols.iter().map(Vec::len).collect::<Vec<_>>().iter())
        .all(|&len| len == n);
        if !counts_ok || u32::try_from(n).is_err() {
            return Err(bad("counts"));
        }
        let form_ok = |f: &Form| {
            let end = (f.map_at as usize)
                .saturating_add(f.full.len())
                .saturating_add(f.initials.len());
            arena.holds(f.full) && arena.holds(f.initials) && end <= maps.len()
        };
        let entries_ok = entries.iter().all(|e| {
            [e.name, e.email, e.email_local, e.employee_id, e.id, e.title]
                .into_iter()
                .all(|h| arena.holds(h))
                && form_ok(&e.pinyin)
                && (e.more_at as usize).saturating_add(usize::from(e.more_len)) <= forms.len()
        });
        if !entries_ok || !forms.iter().all(form_ok) {
            return Err(bad("entries"));
        }
        // Maps point into the first chars of a name.
        if maps
            .iter()
            .any(|&m| m as usize >= super::hay::MAX_FIELD_CHARS)
        {
            return Err(bad("maps"));
        }
        if !keys.is_valid(n) || !emails.is_valid(n) {
            return Err(bad("tables"));
        }
        let mut index = SearchIndex {
            store: Store {
                text,
                spans,
                kinds,
                garbage: store_garbage,
            },
            entries,
            masks,
            local_masks,
            name_lens,
            cols,
            forms,
            maps,
            arena,
            keys,
            emails,
            ..SearchIndex::default()
        };
        index.generation = generation;
        Ok(index)
    }
}

fn le_spans(c: &[u8; 40]) -> [u32; 10] {
    let mut a = [0; 10];
    for (x, &b) in a.iter_mut().zip(c.as_chunks::<4>().0) {
        *x = u32::from_le_bytes(b);
    }
    a
}
