//! Haystacks and needles converted once into the form nucleo-matcher wants, plus the cheap
//! checks that run before and after the matcher: a character-set bitmask that rejects most
//! candidates without calling nucleo, and the match-quality test (exact / prefix / word start /
//! substring / scattered) that ranking is built on.

use nucleo_matcher::{Utf32Str, Utf32String, chars};

/// Fields are cut here before matching: nothing real is longer, and it bounds the work a
/// hostile server value can cause per keystroke. Highlight positions stay valid because the
/// cut keeps a prefix.
pub(super) const MAX_FIELD_CHARS: usize = 256;

/// The text of every haystack of an index in two flat buffers (ASCII bytes and wide chars),
/// so that scanning candidates in insertion order reads memory in order instead of chasing
/// six separate allocations per candidate. Char `i` of a haystack is char `i` of its source
/// text (nucleo's own `Utf32String::from` collapses graphemes, which would shift highlights).
#[derive(Debug, Default)]
pub(super) struct Arena {
    pub(super) ascii: Vec<u8>,
    pub(super) wide: Vec<char>,
    /// Chars no longer referenced since their candidate was replaced.
    pub(super) garbage: usize,
    /// Reused by `push`, which runs for every field of every insert.
    scratch: Vec<char>,
}

/// One searchable field: where its text is in the `Arena`, and its character mask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Hay {
    pub(super) start: u32,
    pub(super) len: u16,
    pub(super) wide: bool,
    /// Bits of every character a needle character could match here (see `char_bit`).
    pub(super) mask: u64,
}

impl Arena {
    /// A field, cut at `MAX_FIELD_CHARS`.
    pub(super) fn lowered(&mut self, s: &str) -> Hay {
        self.push(s.chars().take(MAX_FIELD_CHARS))
    }

    /// Store text lowercased char by char, so indices line up with the original. An arena
    /// past 4G chars stores nothing more: such a hay never matches.
    pub(super) fn push(&mut self, chars: impl Iterator<Item = char>) -> Hay {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        buf.extend(chars.map(fold_case));
        let hay = self.push_folded(&buf);
        self.scratch = buf;
        hay
    }

    fn push_folded(&mut self, chars: &[char]) -> Hay {
        let mask = chars.iter().fold(0, |m, &c| m | hay_char_bits(c));
        let wide = !chars.iter().all(char::is_ascii);
        let at = if wide {
            self.wide.len()
        } else {
            self.ascii.len()
        };
        let (Ok(start), Ok(len)) = (u32::try_from(at), u16::try_from(chars.len())) else {
            return Hay::default();
        };
        if wide {
            self.wide.extend_from_slice(chars);
        } else {
            // All ASCII, so each char is one byte.
            self.ascii.extend(chars.iter().map(|&c| c as u8));
        }
        Hay {
            start,
            len,
            wide,
            mask,
        }
    }

    pub(super) fn text(&self, hay: Hay) -> Utf32Str<'_> {
        let start = hay.start as usize;
        let range = start..start.saturating_add(hay.len());
        if hay.wide {
            Utf32Str::Unicode(self.wide.get(range).unwrap_or_default())
        } else {
            Utf32Str::Ascii(self.ascii.get(range).unwrap_or_default())
        }
    }

    /// The first `len` chars of `hay`, sharing its text (an email's local part).
    pub(super) fn prefix(&self, hay: Hay, len: usize) -> Hay {
        let len = u16::try_from(len).unwrap_or(u16::MAX).min(hay.len);
        let mut part = Hay {
            len,
            mask: 0,
            ..hay
        };
        part.mask = match self.text(part) {
            Utf32Str::Ascii(b) => b.iter().fold(0, |m, &b| m | char_bit(char::from(b))),
            Utf32Str::Unicode(c) => c.iter().fold(0, |m, &c| m | hay_char_bits(c)),
        };
        part
    }

    /// Worth rebuilding: replaced candidates left over half the arena unused.
    pub(super) fn is_mostly_garbage(&self) -> bool {
        self.garbage > 4096
            && self.garbage.saturating_mul(2) > self.ascii.len().saturating_add(self.wide.len())
    }

    /// Copy `hay`'s text from `old` into this arena.
    pub(super) fn copy(&mut self, old: &Arena, hay: Hay) -> Hay {
        match old.text(hay) {
            Utf32Str::Ascii(b) => self.push(b.iter().map(|&b| char::from(b))),
            Utf32Str::Unicode(c) => self.push(c.iter().copied()),
        }
    }
}

impl Hay {
    pub(super) fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub(super) fn mask(&self) -> u64 {
        self.mask
    }

    /// False when some needle character occurs nowhere here, so the matcher cannot succeed.
    #[inline]
    pub(super) fn may_match(&self, needle: &Needle) -> bool {
        self.mask & needle.mask == needle.mask
    }
}

/// Hint the CPU to start loading the cache line at `p`. Scans use it a few candidates ahead:
/// they are bound by memory latency, and a prefetch costs nothing when the line is there.
#[inline(always)]
pub(super) fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults, even for an address outside any
    // allocation, and changes no memory. SSE is part of the x86_64 baseline.
    #[allow(unsafe_code)]
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A query (or its whitespace-free form, for pinyin) ready for the matcher.
#[derive(Debug, Clone)]
pub(super) struct Needle {
    text: Utf32String,
    mask: u64,
    /// Whether haystack letters are folded to ASCII (`u` finds `ü`). Like nucleo's "smart"
    /// normalization: off as soon as the user types an accented letter themselves.
    pub(super) normalize: bool,
}

impl Needle {
    /// `chars` must already be case-folded with `fold_case`.
    pub(super) fn new(chars: &[char]) -> Needle {
        let mask = chars.iter().fold(0, |m, &c| m | char_bit(c));
        let normalize = chars.iter().all(|&c| chars::normalize(c) == c);
        let text = if chars.iter().all(char::is_ascii) {
            Utf32String::Ascii(chars.iter().collect::<String>().into_boxed_str())
        } else {
            Utf32String::Unicode(chars.into())
        };
        Needle {
            text,
            mask,
            normalize,
        }
    }

    pub(super) fn text(&self) -> Utf32Str<'_> {
        self.text.slice(..)
    }

    /// The needle's bytes when it is all ASCII.
    pub(super) fn ascii(&self) -> Option<&[u8]> {
        match &self.text {
            Utf32String::Ascii(s) => Some(s.as_bytes()),
            Utf32String::Unicode(_) => None,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.text.len()
    }

    pub(super) fn mask(&self) -> u64 {
        self.mask
    }
}

/// Lowercase one char without changing the char count (the same simple folding nucleo uses).
pub(super) fn fold_case(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else if ('\u{3000}'..='\u{9fff}').contains(&c) {
        // CJK symbols, kana and ideographs have no case: skip the table search, which is
        // most of the cost of indexing a Chinese name.
        c
    } else {
        chars::to_lower_case(c)
    }
}

/// The char the matcher compares against a needle char, given the needle's normalization.
/// `c` comes from the arena, so it is case-folded already (folding twice changes nothing).
pub(super) fn fold_hay(c: char, normalize: bool) -> char {
    if normalize && !c.is_ascii() {
        let n = chars::normalize(c);
        if n == c { c } else { fold_case(n) }
    } else {
        c
    }
}

/// One bit per letter and digit; other characters share the remaining bits by hashing, which
/// only costs a wasted matcher call on a collision, never a missed match.
pub(super) fn char_bit(c: char) -> u64 {
    let n = u32::from(c);
    match c {
        // Every shift is below 64: the patterns bound `n`, and `n & 15 <= 15`.
        'a'..='z' => 1 << n.wrapping_sub(u32::from('a')),
        '0'..='9' => 1 << n.wrapping_sub(u32::from('0')).wrapping_add(26),
        _ if c.is_ascii() => 1 << (n % 12).wrapping_add(36),
        _ => 1 << (n & 15).wrapping_add(48),
    }
}

/// Every char a needle char could equal after nucleo folds this haystack char, whichever
/// normalization the needle uses.
pub(super) fn hay_char_bits(c: char) -> u64 {
    if c.is_ascii() {
        // Arena text is folded already, and ASCII has nothing to normalize.
        return char_bit(c);
    }
    char_bit(c)
        | char_bit(fold_case(c))
        | char_bit(fold_hay(c, true))
        | char_bit(chars::normalize(c))
}

/// Every char the matcher may compare with a query char where a field has `c`, before or
/// after its case folding and accent normalization (a superset of what `hay_char_bits`
/// covers for the folded char): what `Prefilter` needs to be sure a candidate cannot match.
pub(super) fn compared_forms(c: char) -> [char; 5] {
    let folded = fold_case(c);
    let normalized = chars::normalize(c);
    [
        c,
        folded,
        normalized,
        fold_case(normalized),
        fold_case(chars::normalize(folded)),
    ]
}

/// How well a needle sits in a haystack, worst to best. Ranking is built on this first, so a
/// contiguous hit always beats a scattered one in the same field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Quality {
    Scattered,
    Substring,
    /// A substring starting where a word (or pinyin syllable) starts.
    WordStart,
    Prefix,
    Exact,
}

/// Where words start in a haystack, per kind of field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WordStarts {
    /// After any non-alphanumeric char (space, `.`, `@`, `-`...), and at every Chinese (or
    /// other caseless-script) character, which is a word of its own in a name.
    Separators,
    /// Bit `i` set: a pinyin syllable or word starts at char `i` (none are marked past 63,
    /// which only costs a long department name a little rank).
    Marked(u64),
    /// Everywhere: each char of an initials haystack is a syllable.
    Every,
}

impl WordStarts {
    /// Whether a word starts at byte `i` of an ASCII haystack (`i` in range).
    #[inline]
    fn at_ascii(self, hay: &[u8], i: usize) -> bool {
        match self {
            WordStarts::Every => true,
            _ if i == 0 => true,
            WordStarts::Marked(bits) => i < 64 && bits >> i & 1 == 1,
            WordStarts::Separators => hay
                .get(i.wrapping_sub(1))
                .is_some_and(|p| !p.is_ascii_alphanumeric()),
        }
    }

    pub(super) fn at(self, hay: Utf32Str<'_>, i: usize) -> bool {
        match self {
            WordStarts::Every => true,
            _ if i == 0 => true,
            WordStarts::Marked(bits) => i < 64 && bits >> i & 1 == 1,
            WordStarts::Separators => match (char_at(hay, i.wrapping_sub(1)), char_at(hay, i)) {
                (Some(prev), Some(c)) => {
                    !prev.is_alphanumeric() || is_caseless_letter(prev) || is_caseless_letter(c)
                }
                _ => false,
            },
        }
    }
}

fn is_caseless_letter(c: char) -> bool {
    !c.is_ascii() && c.is_alphabetic() && !c.is_lowercase() && !c.is_uppercase()
}

/// Where a scattered match may begin: the first word start holding the needle's first char.
/// Gapped matches must start at a word so that `ann` does not find h-u-A-N-g-j-u-N; a prefix
/// of an anchored match is anchored at the same place, so narrowing stays exact.
pub(super) fn anchor(hay: Utf32Str<'_>, needle: &Needle, starts: WordStarts) -> Option<usize> {
    let last = hay.len().checked_sub(needle.len())?;
    if let (Utf32Str::Ascii(hb), Some(nb)) = (hay, needle.ascii()) {
        let first = *nb.first()?;
        let window = hb.get(..=last)?;
        return window
            .iter()
            .enumerate()
            .find(|&(p, &b)| b == first && starts.at_ascii(hb, p))
            .map(|(p, _)| p);
    }
    let first = needle.text().chars().next()?;
    (0..=last).find(|&p| {
        char_at(hay, p).is_some_and(|h| fold_hay(h, needle.normalize) == first) && starts.at(hay, p)
    })
}

fn char_at(hay: Utf32Str<'_>, i: usize) -> Option<char> {
    if i < hay.len() {
        u32::try_from(i).ok().map(|i| hay.get(i))
    } else {
        None
    }
}

/// The best contiguous placement of `needle` in `hay` and its start, or `Scattered` with no
/// start when there is none (the needle may still match with gaps; only nucleo can tell).
pub(super) fn quality(
    hay: Utf32Str<'_>,
    needle: &Needle,
    starts: WordStarts,
) -> (Quality, Option<usize>) {
    let (h, n) = (hay.len(), needle.len());
    if n == 0 || n > h {
        return (Quality::Scattered, None);
    }
    match (hay, needle.text()) {
        // Arena text is case-folded, so ASCII needs no per-char work: compare bytes.
        (Utf32Str::Ascii(hb), Utf32Str::Ascii(nb)) => ascii_quality(hb, nb, starts),
        _ => {
            let runs = (0..=h.saturating_sub(n)).filter(|&s| occurs_at(hay, needle, s));
            best_run(hay, n, starts, runs)
        }
    }
}

/// `quality` for ASCII text: bytes compared directly, word starts tested on bytes.
fn ascii_quality(hb: &[u8], nb: &[u8], starts: WordStarts) -> (Quality, Option<usize>) {
    let (Some((&first, rest)), Some(last)) = (nb.split_first(), hb.len().checked_sub(nb.len()))
    else {
        return (Quality::Scattered, None);
    };
    let mut found = None;
    let mut p = 0;
    while p <= last {
        let Some(k) = hb
            .get(p..=last)
            .and_then(|w| w.iter().position(|&b| b == first))
        else {
            break;
        };
        // p + k <= last and p + len(nb) <= len(hb), so saturating never changes a value.
        p = p.saturating_add(k);
        // Needles are short: a plain loop beats a call to memcmp.
        let tail = hb
            .get(p.saturating_add(1)..p.saturating_add(nb.len()))
            .unwrap_or_default();
        if tail.len() == rest.len() && tail.iter().zip(rest).all(|(a, b)| a == b) {
            if p == 0 {
                let q = if nb.len() == hb.len() {
                    Quality::Exact
                } else {
                    Quality::Prefix
                };
                return (q, Some(0));
            }
            if starts.at_ascii(hb, p) {
                return (Quality::WordStart, Some(p));
            }
            found.get_or_insert(p);
        }
        p = p.saturating_add(1);
    }
    match found {
        Some(s) => (Quality::Substring, Some(s)),
        None => (Quality::Scattered, None),
    }
}

/// The best of the places where a needle of `n` chars occurs (in increasing order): the
/// start, else the first at a word start, else the first anywhere.
fn best_run(
    hay: Utf32Str<'_>,
    n: usize,
    starts: WordStarts,
    runs: impl Iterator<Item = usize>,
) -> (Quality, Option<usize>) {
    let mut found = None;
    for s in runs {
        if s == 0 {
            let q = if n == hay.len() {
                Quality::Exact
            } else {
                Quality::Prefix
            };
            return (q, Some(0));
        }
        if starts.at(hay, s) {
            return (Quality::WordStart, Some(s));
        }
        found.get_or_insert(s);
    }
    match found {
        Some(s) => (Quality::Substring, Some(s)),
        None => (Quality::Scattered, None),
    }
}

fn occurs_at(hay: Utf32Str<'_>, needle: &Needle, s: usize) -> bool {
    needle.text().chars().enumerate().all(|(k, n)| {
        char_at(hay, s.saturating_add(k)).is_some_and(|h| fold_hay(h, needle.normalize) == n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needle(s: &str) -> Needle {
        Needle::new(&s.chars().map(fold_case).collect::<Vec<_>>())
    }

    #[test]
    fn quality_levels() {
        let mut arena = Arena::default();
        let hay = arena.lowered("Anna Smith");
        let q = |s: &str| quality(arena.text(hay), &needle(s), WordStarts::Separators);
        assert_eq!(q("anna smith"), (Quality::Exact, Some(0)));
        assert_eq!(q("ANN"), (Quality::Prefix, Some(0)));
        assert_eq!(q("smi"), (Quality::WordStart, Some(5)));
        assert_eq!(q("mit"), (Quality::Substring, Some(6)));
        assert_eq!(q("asmith"), (Quality::Scattered, None));
        assert_eq!(q("anna smith and more"), (Quality::Scattered, None));
    }

    #[test]
    fn masks_cover_folded_and_normalized_letters() {
        let mut arena = Arena::default();
        let hay = arena.lowered("Müller");
        assert!(hay.may_match(&needle("muller")));
        assert!(hay.may_match(&needle("MÜ")));
        assert!(!hay.may_match(&needle("mx")));
        let (q, _) = quality(arena.text(hay), &needle("mu"), WordStarts::Separators);
        assert_eq!(q, Quality::Prefix);
    }

    #[test]
    fn indices_are_chars_not_graphemes() {
        // "e" + combining acute: two chars, one grapheme.
        let mut arena = Arena::default();
        let hay = arena.lowered("Re\u{301}ne");
        assert_eq!(hay.len(), 5);
        let moved = Arena::default().copy(&arena, hay);
        assert_eq!((moved.len(), moved.mask()), (5, hay.mask()));
    }
}
