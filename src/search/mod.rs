//! STUB (the search helper replaces this): the people/department matcher shared by the TUI and
//! `orgtui search`.

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

/// How to treat what was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryKind {
    /// Empty or blank.
    Empty,
    /// One or more email addresses (separated by spaces, commas, semicolons or newlines).
    Emails(Vec<String>),
    /// Anything else: fuzzy text. The TUI also tries it as a user id when it looks like one.
    Text(String),
}

pub fn classify(query: &str) -> QueryKind {
    let t = query.trim();
    if t.is_empty() {
        QueryKind::Empty
    } else {
        QueryKind::Text(t.to_string())
    }
}

/// An index of candidates; insert is an upsert keyed by (kind, id).
#[derive(Debug, Default)]
pub struct SearchIndex {
    items: Vec<Candidate>,
}

impl SearchIndex {
    pub fn new() -> SearchIndex {
        SearchIndex::default()
    }
    pub fn insert(&mut self, c: Candidate) {
        self.items.push(c);
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn get(&self, kind: Kind, id: &str) -> Option<&Candidate> {
        self.items.iter().find(|c| c.kind == kind && c.id == id)
    }
    /// Best matches first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = query.to_lowercase();
        self.items
            .iter()
            .filter(|c| c.name.to_lowercase().contains(&q))
            .take(limit)
            .map(|c| Hit {
                kind: c.kind,
                id: c.id.clone(),
                score: 1,
                field: Field::Name,
                name_positions: Vec::new(),
            })
            .collect()
    }
}
