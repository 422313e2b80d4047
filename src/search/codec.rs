//! `SearchIndex::to_bytes` / `from_bytes`: the index's flat buffers written out as they are
//! (little-endian), so that loading 100,000 people is a few copies and checks instead of
//! redoing every insert (pinyin, masks, columns).
//!
//! Layout: magic, version, then length-prefixed arrays in a fixed order (see `to_bytes`).
//! Loading checks every count, range and char, so bad bytes give an error, never a panic
//! or an index that could panic later.

use super::hay::{Arena, Hay};
use super::pinyin::Form;
use super::table::Table;
use super::{ALNUM, Entry, Kind, SearchIndex, Store};

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
        self.0.resize(at + n * N, 0);
        for (dst, item) in self.0[at..].chunks_exact_mut(N).zip(items) {
            dst.copy_from_slice(&f(item));
        }
    }
}

fn put(dst: &mut [u8], at: &mut usize, b: &[u8]) {
    dst[*at..*at + b.len()].copy_from_slice(b);
    *at += b.len();
}

fn hay_bytes(dst: &mut [u8], at: &mut usize, h: Hay) {
    put(dst, at, &h.start.to_le_bytes());
    put(dst, at, &h.len.to_le_bytes());
    put(dst, at, &[u8::from(h.wide)]);
    put(dst, at, &h.mask.to_le_bytes());
}

fn form_bytes(dst: &mut [u8], at: &mut usize, f: &Form) {
    hay_bytes(dst, at, f.full);
    hay_bytes(dst, at, f.initials);
    put(dst, at, &f.starts.to_le_bytes());
    put(dst, at, &f.map_at.to_le_bytes());
}

fn encode_form(f: &Form) -> [u8; FORM_BYTES] {
    let mut b = [0; FORM_BYTES];
    form_bytes(&mut b, &mut 0, f);
    b
}

fn encode_entry(e: &Entry) -> [u8; ENTRY_BYTES] {
    let mut b = [0; ENTRY_BYTES];
    let at = &mut 0;
    for h in [e.name, e.email, e.email_local, e.employee_id, e.id, e.title] {
        hay_bytes(&mut b, at, h);
    }
    form_bytes(&mut b, at, &e.pinyin);
    put(&mut b, at, &[u8::from(e.has_pinyin), e.more_len]);
    put(&mut b, at, &e.more_at.to_le_bytes());
    b
}

struct Reader<'a> {
    rest: &'a [u8],
}

type R<T> = Result<T, String>;

fn le<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(&b[..N]);
    a
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> R<&'a [u8]> {
        if n > self.rest.len() {
            return Err(format!("search index: truncated {what}"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn u32(&mut self, what: &str) -> R<u32> {
        Ok(u32::from_le_bytes(le(self.take(4, what)?)))
    }
    fn u64(&mut self, what: &str) -> R<u64> {
        Ok(u64::from_le_bytes(le(self.take(8, what)?)))
    }
    /// A length prefix for items of `size` bytes, checked against what is left.
    fn len(&mut self, size: usize, what: &str) -> R<usize> {
        let n =
            usize::try_from(self.u64(what)?).map_err(|_| format!("search index: bad {what}"))?;
        match n.checked_mul(size) {
            Some(bytes) if bytes <= self.rest.len() => Ok(n),
            _ => Err(format!("search index: truncated {what}")),
        }
    }
    fn array(&mut self, size: usize, what: &str) -> R<&'a [u8]> {
        let n = self.len(size, what)?;
        self.take(n * size, what)
    }
    fn bytes(&mut self, what: &str) -> R<Vec<u8>> {
        Ok(self.array(1, what)?.to_vec())
    }
    fn u16s(&mut self, what: &str) -> R<Vec<u16>> {
        let b = self.array(2, what)?;
        Ok(b.chunks_exact(2)
            .map(|c| u16::from_le_bytes(le(c)))
            .collect())
    }
    fn u32s(&mut self, what: &str) -> R<Vec<u32>> {
        let b = self.array(4, what)?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes(le(c)))
            .collect())
    }
    fn u64s(&mut self, what: &str) -> R<Vec<u64>> {
        let b = self.array(8, what)?;
        Ok(b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(le(c)))
            .collect())
    }
}

fn hay_at(b: &[u8]) -> Hay {
    Hay {
        start: u32::from_le_bytes(le(b)),
        len: u16::from_le_bytes(le(&b[4..])),
        wide: b[6] != 0,
        mask: u64::from_le_bytes(le(&b[7..])),
    }
}

fn form_at(b: &[u8]) -> Form {
    Form {
        full: hay_at(b),
        initials: hay_at(&b[HAY_BYTES..]),
        starts: u64::from_le_bytes(le(&b[2 * HAY_BYTES..])),
        map_at: u32::from_le_bytes(le(&b[2 * HAY_BYTES + 8..])),
    }
}

fn entry_at(b: &[u8]) -> Entry {
    let h = |k: usize| hay_at(&b[k * HAY_BYTES..]);
    let rest = &b[6 * HAY_BYTES + FORM_BYTES..];
    Entry {
        name: h(0),
        email: h(1),
        email_local: h(2),
        employee_id: h(3),
        id: h(4),
        title: h(5),
        pinyin: form_at(&b[6 * HAY_BYTES..]),
        has_pinyin: rest[0] != 0,
        more_len: rest[1],
        more_at: u32::from_le_bytes(le(&rest[2..])),
    }
}

impl SearchIndex {
    /// The index as bytes for `from_bytes`: versioned, and mostly a copy of its buffers
    /// (about 1 KB per person). Store them next to the org snapshot they were built from.
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.entries.len();
        let mut w = Writer(Vec::with_capacity(
            256 + self.store.text.len()
                + n * (40 + 1 + ENTRY_BYTES + 8 + 8 + 4 + 2 * ALNUM)
                + self.forms.len() * FORM_BYTES
                + self.arena.ascii.len()
                + 4 * (self.arena.wide.len() + self.maps.len())
                + 4 * (self.keys.cells.len() + self.emails.cells.len()),
        ));
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
        let n = usize::try_from(r.u64("count")?).map_err(|_| bad("count"))?;
        let text = String::from_utf8(r.bytes("text")?).map_err(|_| bad("text"))?;
        let flat = r.array(40, "spans")?;
        if flat.len() != n.saturating_mul(40) {
            return Err(bad("spans"));
        }
        let spans: Vec<[u32; 10]> = flat.chunks_exact(40).map(le_spans).collect();
        for s in &spans {
            for k in 0..5 {
                let (start, len) = (s[2 * k], s[2 * k + 1]);
                if start != u32::MAX
                    && text
                        .get(start as usize..start as usize + len as usize)
                        .is_none()
                {
                    return Err(bad("spans"));
                }
            }
        }
        let kinds = r
            .array(1, "kinds")?
            .iter()
            .map(|&k| match k {
                0 => Ok(Kind::User),
                1 => Ok(Kind::Dept),
                _ => Err(bad("kinds")),
            })
            .collect::<R<Vec<Kind>>>()?;
        let store_garbage = r.u64("garbage")? as usize;
        let entries: Vec<Entry> = r
            .array(ENTRY_BYTES, "entries")?
            .chunks_exact(ENTRY_BYTES)
            .map(entry_at)
            .collect();
        let masks = r.u64s("masks")?;
        let local_masks = r.u64s("masks")?;
        let name_lens = r.u32s("name lengths")?;
        let cols = (0..ALNUM)
            .map(|_| r.u16s("columns"))
            .collect::<R<Vec<_>>>()?;
        let forms: Vec<Form> = r
            .array(FORM_BYTES, "forms")?
            .chunks_exact(FORM_BYTES)
            .map(form_at)
            .collect();
        let maps = r.u32s("maps")?;
        let ascii = r.bytes("text")?;
        let wide = r
            .array(4, "text")?
            .chunks_exact(4)
            .map(|c| char::from_u32(u32::from_le_bytes(le(c))).ok_or_else(|| bad("text")))
            .collect::<R<Vec<char>>>()?;
        let arena_garbage = r.u64("garbage")? as usize;
        let mut tables = [Table::default(), Table::default()];
        for t in &mut tables {
            t.len = r.u64("table")? as usize;
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
            let end = f.map_at as usize + f.full.len() + f.initials.len();
            arena.holds(f.full) && arena.holds(f.initials) && end <= maps.len()
        };
        let entries_ok = entries.iter().all(|e| {
            [e.name, e.email, e.email_local, e.employee_id, e.id, e.title]
                .into_iter()
                .all(|h| arena.holds(h))
                && form_ok(&e.pinyin)
                && e.more_at as usize + usize::from(e.more_len) <= forms.len()
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

fn le_spans(c: &[u8]) -> [u32; 10] {
    let mut a = [0; 10];
    for (x, b) in a.iter_mut().zip(c.chunks_exact(4)) {
        *x = u32::from_le_bytes(le(b));
    }
    a
}
