//! The filters a query may carry besides its words: `in:WORD` (the person's department path
//! contains WORD, fuzzy with pinyin) and `is:STATUS` (the account status). Split off here, in
//! one place for the `Searcher`, the prefilter, the browser and `orgtui search`.

use crate::model::UserStatus;

/// The most `in:` words kept; later ones are ignored.
const MAX_IN: usize = 8;

/// The filters of a query. Empty when it has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// `in:` words, each of which some department of the person's must match.
    pub depts: Vec<String>,
    /// `is:`: the status the person must have (the last one given counts).
    pub status: Option<UserStatus>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.depts.is_empty() && self.status.is_none()
    }
}

/// A query split into its words (joined by single spaces) and its filters, or the one-line
/// reason a filter is wrong (an unknown `is:` value). A filter still being typed (`in:` with
/// nothing after it) is left out.
pub fn split_filters(query: &str) -> (String, Result<Filters, String>) {
    let mut words: Vec<&str> = Vec::new();
    let mut filters = Filters::default();
    let mut error = None;
    for token in query.split_whitespace() {
        let (name, value) = match token.split_at_checked(3) {
            Some((n, v)) if n.eq_ignore_ascii_case("in:") || n.eq_ignore_ascii_case("is:") => {
                (n.to_ascii_lowercase(), v)
            }
            _ => {
                words.push(token);
                continue;
            }
        };
        if value.is_empty() {
            continue;
        }
        if name == "in:" {
            // Each costs a pass over the departments; more than a few is no real query.
            if filters.depts.len() < MAX_IN && !filters.depts.iter().any(|d| d == value) {
                filters.depts.push(value.to_string());
            }
        } else {
            match UserStatus::parse(&value.to_lowercase()) {
                Some(s) => filters.status = Some(s),
                None => {
                    error.get_or_insert_with(|| {
                        let known: Vec<&str> = UserStatus::ALL.iter().map(|s| s.as_str()).collect();
                        format!(
                            "unknown status is:{}; use one of {}",
                            crate::text::sanitize_line(value, 40),
                            known.join(", ")
                        )
                    });
                }
            }
        }
    }
    let words = words.join(" ");
    match error {
        Some(e) => (words, Err(e)),
        None => (words, Ok(filters)),
    }
}
