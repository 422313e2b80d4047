// TODO(issue 9 lint pass): remove once this file is fixed
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
//! Making server text safe to print: nothing from the server reaches a terminal with control or
//! escape characters in it.

/// Replace every control character (C0, DEL, C1, and the bidi overrides that can reorder what a
/// terminal shows) with a visible stand-in, and cut at `max_chars`.
pub fn sanitize_line(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    for (n, c) in s.chars().enumerate() {
        if n >= max_chars {
            out.push('…');
            break;
        }
        out.push(safe_char(c));
    }
    out
}

/// Like `sanitize_line` without a length limit.
pub fn sanitize(s: &str) -> String {
    s.chars().map(safe_char).collect()
}

fn safe_char(c: char) -> char {
    if is_unsafe(c) {
        // U+FFFD keeps the width roughly right and makes the oddity visible.
        '\u{FFFD}'
    } else {
        c
    }
}

/// True for characters a terminal would act on rather than show.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible() {
        assert_eq!(sanitize("a\x1b[31mb\n"), "a\u{FFFD}[31mb\u{FFFD}");
        assert_eq!(sanitize("\u{9b}x"), "\u{FFFD}x");
        assert_eq!(sanitize("张伟"), "张伟");
        assert_eq!(sanitize_line("abcdef", 3), "abc…");
    }
}
