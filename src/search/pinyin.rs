//! Pinyin spellings of a name, computed once per candidate: the full toneless spelling
//! (`张伟` → `zhangwei`) and the initials (`zw`), each with a map from every spelling char back
//! to the name char it came from, so a pinyin match can be highlighted on the Chinese text, and
//! the positions where syllables (or Latin words in mixed names) start, so a match at `wei`
//! ranks as a word start. Whitespace is left out, so the query (whose whitespace is removed
//! too) can be typed as `zhangwei` or `zhang wei`.

use pinyin::{ToPinyin, ToPinyinMulti};

use super::hay::{Arena, Hay, MAX_FIELD_CHARS};

/// Other readings of a name's first character that get their own spelling. The pinyin crate's
/// first reading is the most common one, which for surnames is often wrong (曾 → ceng, not
/// zeng; 单 → dan, not shan), and the first character is usually the surname.
const MAX_ALTERNATE_READINGS: usize = 3;

/// One spelling of a name as the matcher sees it. Its maps back to the name (only needed to
/// highlight the few hits shown) are in the index's `maps` at `map_at`: one entry per char of
/// `full`, then one per char of `initials`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Form {
    pub(super) full: Hay,
    /// Bit `i`: a syllable or word starts at char `i` of `full`.
    pub(super) starts: u64,
    pub(super) initials: Hay,
    pub(super) map_at: u32,
}

impl Form {
    /// The name char index for spelling char `i` of the full form or of the initials.
    pub(super) fn name_index(&self, maps: &[u32], initials: bool, i: u32) -> Option<usize> {
        let i = usize::try_from(i).ok()?;
        let at = self.map_at as usize;
        let at = if initials {
            if i >= self.initials.len() {
                return None;
            }
            at.saturating_add(self.full.len()).saturating_add(i)
        } else {
            if i >= self.full.len() {
                return None;
            }
            at.saturating_add(i)
        };
        maps.get(at).map(|&n| n as usize)
    }
}

/// Where forms are written: the arena for their text and the flat list of maps.
pub(super) struct Sink<'a> {
    pub(super) arena: &'a mut Arena,
    pub(super) maps: &'a mut Vec<u32>,
    pub(super) scratch: &'a mut Scratch,
}

/// Buffers reused from one insert to the next.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    chars: Vec<char>,
    readings: Vec<Option<&'static str>>,
    spelling: Spelling,
}

/// All spellings worth matching for `name`, appended to `out`; none when no char has a
/// reading (a Latin name is matched on its own text only).
pub(super) fn pinyin_forms(name: &str, sink: &mut Sink<'_>, out: &mut Vec<Form>) {
    if name.is_ascii() {
        return;
    }
    let scratch = &mut *sink.scratch;
    scratch.chars.clear();
    scratch.chars.extend(name.chars().take(MAX_FIELD_CHARS));
    scratch.readings.clear();
    scratch.readings.extend(
        scratch
            .chars
            .iter()
            .map(|c| c.to_pinyin().map(|p| p.plain())),
    );
    let Some((first, &primary)) = scratch
        .readings
        .iter()
        .enumerate()
        .find(|(_, r)| r.is_some())
    else {
        return;
    };
    let Some(&first_char) = scratch.chars.get(first) else {
        return;
    };
    let mut spelling = std::mem::take(&mut scratch.spelling);
    build(&mut spelling, &scratch.chars, &scratch.readings, None, 'v');
    out.push(spelling.finish(sink.arena, sink.maps));
    for alt in alternate_readings(first_char, primary) {
        build(
            &mut spelling,
            &scratch.chars,
            &scratch.readings,
            Some((first, alt)),
            'v',
        );
        out.push(spelling.finish(sink.arena, sink.maps));
    }
    // IMEs spell ü as v (lv for 吕); romanized names and email handles use u.
    if scratch.readings.iter().flatten().any(|s| s.contains('ü')) {
        build(&mut spelling, &scratch.chars, &scratch.readings, None, 'u');
        out.push(spelling.finish(sink.arena, sink.maps));
    }
    sink.scratch.spelling = spelling;
}

/// Every char any spelling of `c` may hold, whatever reading is chosen: the letters of all its
/// readings, with `ü` also as the spellings write it (`v`, `u`; see `pinyin_forms`). None
/// when `c` has no reading.
pub(super) fn spelled_chars(c: char) -> Option<Vec<char>> {
    let readings = c.to_pinyin_multi()?;
    let mut out = Vec::new();
    for r in readings {
        for p in r.plain().chars() {
            out.push(p);
            if p == 'ü' {
                out.extend(['v', 'u']);
            }
        }
    }
    Some(out)
}

/// Distinct toneless readings of `c` other than `primary`, at most `MAX_ALTERNATE_READINGS`.
fn alternate_readings(c: char, primary: Option<&str>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let Some(multi) = c.to_pinyin_multi() else {
        return out;
    };
    for p in multi {
        let plain = p.plain();
        if Some(plain) != primary && !out.contains(&plain) {
            out.push(plain);
        }
        if out.len() == MAX_ALTERNATE_READINGS {
            break;
        }
    }
    out
}

/// Accumulates one spelling and its maps back to name chars.
#[derive(Debug, Default)]
struct Spelling {
    full: Vec<char>,
    starts: u64,
    full_map: Vec<u32>,
    initials: Vec<char>,
    initials_map: Vec<u32>,
}

impl Spelling {
    fn clear(&mut self) {
        self.full.clear();
        self.starts = 0;
        self.full_map.clear();
        self.initials.clear();
        self.initials_map.clear();
    }

    fn push_full(&mut self, c: char, from: u32, starts_word: bool) {
        if starts_word && self.full.len() < 64 {
            self.starts |= 1 << self.full.len();
        }
        self.full.push(c);
        self.full_map.push(from);
    }

    fn push_initial(&mut self, c: char, from: u32) {
        self.initials.push(c);
        self.initials_map.push(from);
    }

    fn finish(&self, arena: &mut Arena, maps: &mut Vec<u32>) -> Form {
        let full = arena.push(self.full.iter().copied());
        let initials = arena.push(self.initials.iter().copied());
        let map_at = u32::try_from(maps.len()).unwrap_or(u32::MAX);
        // Cut to what the arena kept, so `name_index` can find the initials' part.
        maps.extend(self.full_map.iter().take(full.len()));
        maps.extend(self.initials_map.iter().take(initials.len()));
        Form {
            full,
            starts: self.starts,
            initials,
            map_at,
        }
    }
}

/// One spelling: each char with a reading becomes its syllable (`alt` replaces one char's
/// reading); whitespace is dropped; anything else passes through (lowercased by the arena),
/// each Latin word contributing its first letter to the initials (`Anna 李` → `annali`, `al`).
fn build(
    out: &mut Spelling,
    chars: &[char],
    readings: &[Option<&str>],
    alt: Option<(usize, &str)>,
    u_umlaut: char,
) {
    out.clear();
    let mut in_word = false;
    for (i, (&c, &reading)) in chars.iter().zip(readings).enumerate() {
        let Ok(from) = u32::try_from(i) else { break };
        let reading = match alt {
            Some((at, r)) if at == i => Some(r),
            _ => reading,
        };
        match reading {
            Some(syllable) => {
                for (k, p) in syllable.chars().enumerate() {
                    let p = if p == 'ü' { u_umlaut } else { p };
                    out.push_full(p, from, k == 0);
                    if k == 0 {
                        out.push_initial(p, from);
                    }
                }
                in_word = false;
            }
            None if c.is_whitespace() => in_word = false,
            None => {
                let starts_word = c.is_alphanumeric() && !in_word;
                out.push_full(c, from, starts_word);
                if starts_word {
                    out.push_initial(c, from);
                }
                in_word = c.is_alphanumeric();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(name: &str) -> (Arena, Vec<u32>, Vec<Form>) {
        let (mut arena, mut maps, mut scratch) = (Arena::default(), Vec::new(), Scratch::default());
        let mut out = Vec::new();
        let mut sink = Sink {
            arena: &mut arena,
            maps: &mut maps,
            scratch: &mut scratch,
        };
        pinyin_forms(name, &mut sink, &mut out);
        (arena, maps, out)
    }

    fn spelled(name: &str) -> Vec<(String, String)> {
        let (arena, _, forms) = forms(name);
        forms
            .iter()
            .map(|f| {
                (
                    arena.text(f.full).chars().collect(),
                    arena.text(f.initials).chars().collect(),
                )
            })
            .collect()
    }

    #[test]
    fn chinese_mixed_and_latin_names() {
        assert_eq!(spelled("张伟"), [("zhangwei".into(), "zw".into())]);
        assert_eq!(spelled("Anna 李"), [("annali".into(), "al".into())]);
        assert_eq!(spelled("Anna Smith"), []);
        assert_eq!(spelled(""), []);
    }

    #[test]
    fn maps_point_back_to_name_chars() {
        let (_, maps, forms) = forms("Anna 李");
        let f = &forms[0];
        assert_eq!(maps, [0, 1, 2, 3, 5, 5, 0, 5]);
        assert_eq!(f.name_index(&maps, false, 4), Some(5));
        assert_eq!(f.name_index(&maps, true, 1), Some(5));
        assert_eq!(f.starts, 0b10001);
        assert_eq!(f.name_index(&maps, true, 9), None);
        assert_eq!(f.name_index(&maps, false, 6), None);
    }

    #[test]
    fn surname_readings_and_umlaut() {
        let zeng = spelled("曾明");
        assert!(zeng.iter().any(|(full, _)| full == "cengming"));
        assert!(zeng.iter().any(|(full, _)| full == "zengming"));
        let lv = spelled("吕布");
        assert!(lv.iter().any(|(full, _)| full == "lvbu"));
        assert!(lv.iter().any(|(full, _)| full == "lubu"));
    }
}
