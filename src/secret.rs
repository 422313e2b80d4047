//! A string that never shows itself: app secrets and access tokens live in this type so that
//! `Debug`, logs and error messages cannot leak them by accident.

use std::fmt;

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

    /// `text` with this secret cut out, should a server or gateway ever echo it back in a
    /// message that goes into an error or a log. Secrets shorter than four characters are
    /// left alone: cutting them would mangle ordinary words.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() >= 4 && text.contains(self.0.as_str()) {
            text.replace(self.0.as_str(), "***")
        } else {
            text.to_string()
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
