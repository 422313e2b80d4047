//! Email addresses out of what people paste: one parser for `orgtui lookup` and the browser's
//! search box. It takes the forms of mail headers and clients: bare addresses, `Name <addr>`,
//! `"Quoted, Name" <addr>` (a comma inside quotes separates nothing), Outlook's unquoted
//! `Last, First <addr>`, `<addr>` alone,
//! `mailto:addr` (with `?subject=...` and comma lists), separated by `,` `;` whitespace,
//! newlines, and the full-width `，` `；` `、`. Addresses come out once each (compared without
//! regard to case), in first-seen order, as first written; every other token is rejected.

/// What a text holds: distinct addresses in first-seen order, and the tokens that are not
/// addresses (each once, in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub addresses: Vec<String>,
    pub rejected: Vec<String>,
}

/// The longest address taken (RFC 5321's path limit); a longer token is rejected.
pub const MAX_ADDRESS_CHARS: usize = 254;

/// Read every address and rejected token from `text`.
pub fn parse(text: &str) -> Parsed {
    let mut p = Parser::default();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                p.end_word();
                let mut quoted = String::new();
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => quoted.extend(chars.next()),
                        _ => quoted.push(q),
                    }
                }
                p.pending.push(Word {
                    text: quoted,
                    quoted: true,
                });
            }
            '<' => {
                p.end_word();
                let inner: String = chars.by_ref().take_while(|&q| q != '>').collect();
                // What came before it since the last separator names it, unless it is an
                // address itself (a list separated by spaces only) or a botched one.
                let before = std::mem::take(&mut p.pending);
                p.held = false;
                for w in before.iter().filter(|w| !w.quoted && w.text.contains('@')) {
                    p.token(&w.text);
                }
                p.angle(inner.trim());
            }
            // A `mailto:` URL lists its addresses with commas.
            ',' if strip_mailto(&p.word).is_some() => p.word.push(c),
            c if is_separator(c) => {
                p.end_word();
                p.separator(c);
            }
            c if c.is_whitespace() => p.end_word(),
            c => p.word.push(c),
        }
    }
    p.end_word();
    p.flush();
    Parsed {
        addresses: p.addresses,
        rejected: p.rejected,
    }
}

/// `local@domain`: one `@`, neither side empty, no whitespace, control, invisible or
/// header-syntax characters, the domain without empty labels, at most `MAX_ADDRESS_CHARS`.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let bad = |c: char| {
        c.is_whitespace()
            || crate::text::is_unsafe(c)
            || is_separator(c)
            || matches!(
                c,
                '<' | '>' | '(' | ')' | '[' | ']' | '\\' | '"' | ':' | '@'
            )
    };
    !local.is_empty()
        && !domain.is_empty()
        && s.chars().count() <= MAX_ADDRESS_CHARS
        && !local.chars().any(bad)
        && !domain.chars().any(bad)
        && !domain.split('.').any(str::is_empty)
}

/// Separators between addresses outside quotes and brackets (whitespace separates too).
fn is_separator(c: char) -> bool {
    matches!(c, ',' | ';' | '，' | '；' | '、')
}

struct Word {
    text: String,
    quoted: bool,
}

#[derive(Default)]
struct Parser {
    /// The word being read.
    word: String,
    /// Words since the last separator: a display name if an `<addr>` follows.
    pending: Vec<Word>,
    addresses: Vec<String>,
    /// Lowercased `addresses`, for the duplicate test.
    seen: std::collections::HashSet<String>,
    rejected: Vec<String>,
    rejected_seen: std::collections::HashSet<String>,
    /// `pending` ran past a comma: perhaps an unquoted `Last, First <addr>`.
    held: bool,
}

impl Parser {
    fn end_word(&mut self) {
        if self.word.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.word);
        if strip_mailto(&text).is_some() {
            // A URL: never a display name.
            self.token(&text);
        } else {
            self.pending.push(Word {
                text,
                quoted: false,
            });
        }
    }

    /// A comma after words that may be the first half of an unquoted `Last, First <addr>`
    /// (as Outlook copies) keeps them pending, once; any other separator ends them.
    fn separator(&mut self, c: char) {
        let name_part = |w: &Word| !w.quoted && !w.text.contains('@');
        if c == ',' && !self.held && !self.pending.is_empty() && self.pending.iter().all(name_part)
        {
            self.held = true;
        } else {
            self.flush();
        }
    }

    /// Words with no `<addr>` after them: each is an address or rejected.
    fn flush(&mut self) {
        self.held = false;
        for w in std::mem::take(&mut self.pending) {
            let t = w.text.trim();
            if !t.is_empty() {
                self.token(t);
            }
        }
    }

    /// One token: a `mailto:` URL (each of its addresses), or an address, perhaps wrapped in
    /// quotes or brackets; else rejected.
    fn token(&mut self, raw: &str) {
        if let Some(path) = strip_mailto(raw) {
            // RFC 6068: `mailto:a@x,b@y?subject=...`, percent-encoded.
            let path = path.split('?').next().unwrap_or_default();
            let mut any = false;
            for part in path.split(',').filter(|s| !s.is_empty()) {
                any = true;
                let decoded = percent_decode(part);
                self.one(&decoded, raw);
            }
            if !any {
                self.reject(raw);
            }
            return;
        }
        self.one(raw, raw);
    }

    /// What was inside `<...>`: an address or a `mailto:` URL, named as written if neither.
    fn angle(&mut self, inner: &str) {
        if strip_mailto(inner).is_some() {
            self.token(inner);
        } else if !inner.is_empty() {
            self.one(inner, &format!("<{inner}>"));
        }
    }

    fn one(&mut self, candidate: &str, raw: &str) {
        let t = candidate.trim_matches(|c| matches!(c, '<' | '>' | '"' | '\'' | '(' | ')'));
        if looks_like_email(t) {
            if self.seen.insert(t.to_lowercase()) {
                self.addresses.push(t.to_string());
            }
        } else {
            self.reject(raw);
        }
    }

    fn reject(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        if self.rejected_seen.insert(raw.to_string()) {
            self.rejected.push(raw.to_string());
        }
    }
}

/// The part after `mailto:` (any case).
fn strip_mailto(s: &str) -> Option<&str> {
    let head = s.get(..7)?;
    head.eq_ignore_ascii_case("mailto:").then(|| s.get(7..))?
}

/// `%40` and the like decoded; malformed escapes and non-UTF-8 results are left as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut it = bytes.iter().copied();
    while let Some(b) = it.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let rest = it.clone();
        let hex: Vec<u8> = rest.take(2).collect();
        let value = std::str::from_utf8(&hex)
            .ok()
            .filter(|h| h.len() == 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match value {
            Some(v) => {
                out.push(v);
                it.nth(1);
            }
            None => out.push(b),
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests;
