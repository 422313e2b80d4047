//! Making server text safe to print: nothing from the server reaches a terminal with control or
//! escape characters in it, nor characters that reorder, hide or break what is shown.

/// Replace every unsafe character (see `is_unsafe`) with a visible stand-in, and cut at
/// `max_chars`.
pub fn sanitize_line(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars.saturating_mul(4)));
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

/// True for characters a terminal would act on rather than show (C0, DEL, C1), and for the
/// invisible ones that change what a reader sees: bidi controls (reorder text), zero-width
/// characters (hide or join text) and the line and paragraph separators (break a line where
/// a terminal, a spreadsheet or a JavaScript consumer may not expect it).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_invisible(c)
}

/// The bidi controls: Arabic letter mark, LRM/RLM, the embeddings and overrides, and the
/// isolates.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Zero-width characters (space, non-joiner, joiner, word joiner, BOM) and the line and
/// paragraph separators.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{2028}' | '\u{2029}'
    )
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len().saturating_add(digits.len() / 3));
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && digits.len().saturating_sub(i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
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

    #[test]
    fn bidi_zero_width_and_separators_become_visible() {
        for c in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}',
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{2028}', '\u{2029}',
            '\u{7f}', '\u{80}', '\u{9f}', '\t', '\r',
        ] {
            assert!(is_unsafe(c), "U+{:04X}", c as u32);
            assert_eq!(
                sanitize(&format!("a{c}b")),
                "a\u{FFFD}b",
                "U+{:04X}",
                c as u32
            );
        }
        // Their neighbours are ordinary text.
        for c in [
            '\u{061B}', '\u{200A}', '\u{2027}', '\u{202F}', '\u{2065}', '\u{206A}', 'é',
        ] {
            assert!(!is_unsafe(c), "U+{:04X}", c as u32);
        }
    }
}
