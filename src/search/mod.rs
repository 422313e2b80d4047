//! The people/department matcher shared by the TUI and `orgtui search`: the only code that
//! knows how matching works. Outside this module there is the index (`SearchIndex`: insert,
//! get), one way to search it (`Searcher::search`), what a query means (`classify`) and the
//! pre-indexing filter (`Prefilter`); everything else is private to `search`.
//!
//! Everything a query needs from a candidate (lowercased fields, pinyin spellings and their maps
//! back to the name, character masks) is computed once in `SearchIndex::insert` (`index.rs`), so
//! a keystroke only runs the matcher (`matcher.rs`: ranking rules). `Searcher` keeps the matches
//! of the previous queries and, while the user keeps typing, re-scores only those
//! (`searcher.rs`).

mod facts;
mod filter;
mod filtered;
mod hay;
mod index;
mod matcher;
mod pinyin;
mod query;
mod searcher;
mod store;
mod table;
#[cfg(test)]
mod tests;
mod tier;
mod top;

pub use filter::{Filters, split_filters};
pub use index::SearchIndex;
pub use query::{Fields, Prefilter, QueryKind, classify};
pub use searcher::Searcher;

/// What a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    User,
    Dept,
}

/// Something search can find. `name` is what is displayed and highlighted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: Kind,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub employee_id: Option<String>,
    pub title: Option<String>,
    /// A person's status, for `is:`.
    pub status: Option<crate::model::UserStatus>,
    /// A person's departments, for `in:`.
    pub dept_ids: Vec<String>,
    /// A department's path (`Acme/R&D/Backend`), for `in:`; its name stands in without one.
    pub path: Option<String>,
}

impl Candidate {
    /// A candidate with only a kind, id and name.
    pub fn new(kind: Kind, id: String, name: String) -> Candidate {
        Candidate {
            kind,
            id,
            name,
            email: None,
            employee_id: None,
            title: None,
            status: None,
            dept_ids: Vec::new(),
            path: None,
        }
    }
}

/// Which field matched best.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Pinyin,
    Initials,
    Email,
    EmployeeId,
    Title,
    Id,
    /// Each word of the query matched on its own (in another order, or in different fields).
    Words,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub kind: Kind,
    pub id: String,
    pub score: u32,
    pub field: Field,
    /// Char indices into the candidate's `name` to highlight (empty when another field matched).
    pub name_positions: Vec<usize>,
}
