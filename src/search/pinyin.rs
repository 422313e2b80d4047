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

#[derive(Debug, Clone)]
pub(crate) struct PinyinForm {
    pub(crate) full: Hay,
    /// Bit `i`: a syllable or word starts at char `i` of `full`.
    pub(crate) starts: u64,
    pub(crate) initials: Hay,
    /// Only needed to highlight the few hits shown, so kept out of the scanned data.
    maps: Box<Maps>,
}

#[derive(Debug, Clone)]
struct Maps {
    full: Box<[u32]>,
    initials: Box<[u32]>,
}

impl PinyinForm {
    /// The name char index for spelling char `i` of the full form or of the initials.
    pub(crate) fn name_index(&self, initials: bool, i: u32) -> Option<usize> {
        let map = if initials {
            &self.maps.initials
        } else {
            &self.maps.full
        };
        let i = usize::try_from(i).ok()?;
        map.get(i).and_then(|&n| usize::try_from(n).ok())
    }
}

/// All spellings worth matching for `name`; empty when no char has a reading (a Latin name is
/// matched on its own text only).
pub(crate) fn pinyin_forms(name: &str, arena: &mut Arena) -> Vec<PinyinForm> {
    if name.is_ascii() {
        return Vec::new();
    }
    let chars: Vec<char> = name.chars().take(MAX_FIELD_CHARS).collect();
    let readings: Vec<Option<&'static str>> = chars
        .iter()
        .map(|c| c.to_pinyin().map(|p| p.plain()))
        .collect();
    let Some(first) = readings.iter().position(Option::is_some) else {
        return Vec::new();
    };
    let mut forms = vec![build(&chars, &readings, 'v').finish(arena)];
    for alt in alternate_readings(chars[first], readings[first]) {
        let mut r = readings.clone();
        r[first] = Some(alt);
        forms.push(build(&chars, &r, 'v').finish(arena));
    }
    // IMEs spell ü as v (lv for 吕); romanized names and email handles use u.
    if readings.iter().flatten().any(|s| s.contains('ü')) {
        forms.push(build(&chars, &readings, 'u').finish(arena));
    }
    forms
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
#[derive(Default)]
struct Spelling {
    full: Vec<char>,
    starts: u64,
    full_map: Vec<u32>,
    initials: Vec<char>,
    initials_map: Vec<u32>,
}

impl Spelling {
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

    fn finish(self, arena: &mut Arena) -> PinyinForm {
        PinyinForm {
            full: arena.push(self.full.into_iter()),
            starts: self.starts,
            initials: arena.push(self.initials.into_iter()),
            maps: Box::new(Maps {
                full: self.full_map.into_boxed_slice(),
                initials: self.initials_map.into_boxed_slice(),
            }),
        }
    }
}

/// One spelling: each char with a reading becomes its syllable; whitespace is dropped;
/// anything else passes through (lowercased by the arena), each Latin word contributing its
/// first letter to the initials (`Anna 李` → `annali`, `al`).
fn build(chars: &[char], readings: &[Option<&str>], u_umlaut: char) -> Spelling {
    let mut out = Spelling::default();
    let mut in_word = false;
    for (i, (&c, reading)) in chars.iter().zip(readings).enumerate() {
        let Ok(from) = u32::try_from(i) else { break };
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(name: &str) -> Vec<(String, String)> {
        let mut arena = Arena::default();
        pinyin_forms(name, &mut arena)
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
        let forms = pinyin_forms("Anna 李", &mut Arena::default());
        let f = &forms[0];
        assert_eq!(&*f.maps.full, &[0, 1, 2, 3, 5, 5]);
        assert_eq!(&*f.maps.initials, &[0, 5]);
        assert_eq!(f.name_index(false, 4), Some(5));
        assert_eq!(f.starts, 0b10001);
        assert_eq!(f.name_index(true, 9), None);
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
