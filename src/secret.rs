//! A string that never shows itself: app secrets and access tokens live in this type so that
//! `Debug`, logs and error messages cannot leak them by accident. A `Scrubber` cuts the
//! secrets a client knows out of what a server says back.

use std::fmt;
use std::sync::RwLock;

use serde::{Deserialize, Deserializer};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself: call only where it goes on the wire or into a signature.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` with every occurrence of this secret cut out, should a server or gateway ever
    /// echo it back in a message that goes into an error or a log. Any length counts: a
    /// secret of one or two characters mangles the message, which is the price of never
    /// printing it (real app secrets and tokens are long). The forms it may come back in are
    /// cut too: percent- or form-encoded (as it went out in a form body or a URL), and
    /// escaped as in JSON or in a Rust debug string (as serde errors quote values).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for form in self.forms() {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), "***");
            }
        }
        out
    }

    /// The secret as it may appear in text, longest first so no form leaves part of another.
    fn forms(&self) -> Vec<String> {
        if self.0.is_empty() {
            return Vec::new();
        }
        let json = serde_json::to_string(&self.0).unwrap_or_default();
        let debug = format!("{:?}", self.0);
        let mut forms = vec![
            self.0.clone(),
            url::form_urlencoded::byte_serialize(self.0.as_bytes()).collect::<String>(),
            unquote(&json).to_string(),
            unquote(&debug).to_string(),
        ];
        forms.retain(|f| !f.is_empty());
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        forms
    }
}

/// `"abc"` → `abc`.
fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Read from a config file as a plain string, and from then on never shown.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// How many access tokens a scrubber remembers besides its pinned secrets: the current one
/// and a few before it, which a server may still echo while a refresh settles.
const RECENT_TOKENS: usize = 4;

/// The secrets one client knows (its app secret, pinned, and the access tokens it recently
/// used), to cut out of every message a server sends back.
#[derive(Default)]
pub struct Scrubber {
    known: RwLock<Known>,
}

#[derive(Default)]
struct Known {
    pinned: Vec<Secret>,
    recent: std::collections::VecDeque<Secret>,
}

impl Scrubber {
    pub fn new() -> Scrubber {
        Scrubber::default()
    }

    /// A secret cut out for as long as the scrubber lives (the app secret).
    pub fn pin(&self, secret: &Secret) {
        if secret.is_empty() {
            return;
        }
        if let Ok(mut k) = self.known.write()
            && !k.pinned.contains(secret)
        {
            k.pinned.push(secret.clone());
        }
    }

    /// An access token in use: remembered with the last few others.
    pub fn note_token(&self, token: &Secret) {
        if token.is_empty() {
            return;
        }
        if let Ok(mut k) = self.known.write()
            && !k.recent.contains(token)
        {
            if k.recent.len() >= RECENT_TOKENS {
                k.recent.pop_front();
            }
            k.recent.push_back(token.clone());
        }
    }

    /// `text` with every known secret cut out, longest first (one secret may contain another).
    pub fn scrub(&self, text: &str) -> String {
        let Ok(k) = self.known.read() else {
            // A writer panicked mid-update: say nothing rather than risk a secret.
            return "(message withheld)".to_string();
        };
        let mut all: Vec<&Secret> = k.pinned.iter().chain(k.recent.iter()).collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        all.iter().fold(text.to_string(), |t, s| s.scrub(&t))
    }
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scrubber(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_length_and_form() {
        assert_eq!(Secret::new("ab").scrub("xabyab"), "x***y***");
        assert_eq!(Secret::new("k").scrub("key"), "***ey");
        assert_eq!(Secret::new("").scrub("text"), "text");
        let s = Secret::new("a b+c/\"d");
        assert_eq!(s.scrub("raw a b+c/\"d"), "raw ***");
        assert_eq!(s.scrub("form a+b%2Bc%2F%22d"), "form ***");
        assert_eq!(s.scrub(r#"json "a b+c/\"d""#), r#"json "***""#);
    }

    #[test]
    fn scrubber_cuts_pinned_and_recent_longest_first() {
        let sc = Scrubber::new();
        sc.pin(&Secret::new("sec"));
        sc.note_token(&Secret::new("tok-sec-1"));
        assert_eq!(sc.scrub("tok-sec-1 and sec"), "*** and ***");
        for i in 0..10 {
            sc.note_token(&Secret::new(format!("t{i}xx")));
        }
        // The oldest tokens are forgotten; the app secret never is.
        assert_eq!(sc.scrub("t9xx t0xx sec"), "*** t0xx ***");
        assert!(!format!("{sc:?}").contains("sec"));
    }
}
