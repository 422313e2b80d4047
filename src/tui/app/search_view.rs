//! The search box and its results: what is typed, the local hits and the server's
//! answers (emails, user ids), the highlighted result, and acting on it (a jump).

use std::collections::HashSet;

use super::scroll::scroll_to_show;
use super::*;

/// One line of the search results list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultRow {
    Hit(Hit),
    /// An email resolved on the server: the user, or not found.
    Email {
        email: String,
        user: Option<String>,
    },
    /// The query is a user id the server knows.
    UserId(String),
}

#[derive(Debug, Default)]
pub struct SearchState {
    pub input: String,
    /// Bumped on every edit; results for older generations are dropped.
    pub generation: u64,
    pub hits: Vec<Hit>,
    pub remote: Vec<ResultRow>,
    /// The server query waiting for the typing to pause, and when it was last edited.
    pub(super) pending_remote: Option<(QueryKind, u64)>,
    pub remote_busy: bool,
    pub remote_error: Option<String>,
    pub selected: usize,
    pub scroll: usize,
    /// The generation `hits` answer; older than `generation` while a search is running.
    pub(super) hits_generation: u64,
    /// Enter was pressed before the results for what is typed arrived: act when they do.
    pub(super) activate_when_ready: bool,
}

impl SearchState {
    /// True while what is shown does not answer what is typed yet.
    fn is_stale(&self) -> bool {
        self.hits_generation != self.generation || self.pending_remote.is_some() || self.remote_busy
    }

    /// Server answers first (they are exact), then the local fuzzy hits.
    pub fn rows(&self) -> Vec<ResultRow> {
        let mut rows = self.remote.clone();
        let shown: HashSet<&str> = self
            .remote
            .iter()
            .filter_map(|r| match r {
                ResultRow::Email { user: Some(u), .. } | ResultRow::UserId(u) => Some(u.as_str()),
                _ => None,
            })
            .collect();
        rows.extend(
            self.hits
                .iter()
                .filter(|h| !(h.kind == Kind::User && shown.contains(h.id.as_str())))
                .cloned()
                .map(ResultRow::Hit),
        );
        rows
    }
}

/// Ids are short tokens without spaces or `@`; names can look like that too, so an id lookup
/// is only a guess that runs alongside the fuzzy search.
fn looks_like_id(t: &str) -> bool {
    (2..=64).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && t.chars().any(|c| c.is_ascii_digit())
}

impl App {
    pub(super) fn on_search_key(&mut self, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.focus = Focus::Tree;
                self.search = SearchState {
                    generation: self.search.generation.wrapping_add(1),
                    ..SearchState::default()
                };
                return Vec::new();
            }
            KeyCode::Enter => {
                // Act on the answer to what was typed, not on a shorter prefix's results.
                if self.search.is_stale() {
                    self.search.activate_when_ready = true;
                    return Vec::new();
                }
                return self.activate_result();
            }
            KeyCode::Down => self.move_result(1),
            KeyCode::Up => self.move_result(-1),
            KeyCode::PageDown => self.move_result(10),
            KeyCode::PageUp => self.move_result(-10),
            KeyCode::Char('n') if ctrl => self.move_result(1),
            KeyCode::Char('p') if ctrl => self.move_result(-1),
            KeyCode::Char('u') if ctrl => {
                self.search.input.clear();
                return self.run_search();
            }
            KeyCode::Backspace => {
                self.search.input.pop();
                return self.run_search();
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                // Pasted text arrives as key presses too; newlines become spaces below.
                if self.search.input.chars().count() < 4096 {
                    self.search.input.push(c);
                }
                return self.run_search();
            }
            // Ctrl-r by default: a plain R is typed into the box.
            _ if action == Some(Action::Reports) => return self.open_reports(),
            _ => {
                if matches!(action, Some(Action::Quit)) && ctrl {
                    return vec![Effect::Quit];
                }
            }
        }
        Vec::new()
    }

    /// Pasted text (bracketed paste): newlines separate emails.
    pub fn paste(&mut self, text: &str) -> Vec<Effect> {
        if self.focus != Focus::Search {
            self.focus = Focus::Search;
        }
        let cleaned: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(4096)
            .collect();
        self.search.input.push_str(&cleaned);
        let fx = self.run_search();
        self.counted(fx)
    }

    pub fn showing_results(&self) -> bool {
        !self.search.input.trim().is_empty()
    }

    pub(super) fn run_search(&mut self) -> Vec<Effect> {
        self.search.generation = self.search.generation.wrapping_add(1);
        self.search.selected = 0;
        self.search.scroll = 0;
        self.search.remote.clear();
        self.search.remote_error = None;
        self.search.remote_busy = false;
        let generation = self.search.generation;
        let kind = search::classify(&self.search.input);
        self.search.pending_remote = match &kind {
            QueryKind::Emails(_) => Some((kind.clone(), self.ticks)),
            QueryKind::Text(t) if looks_like_id(t) => Some((kind.clone(), self.ticks)),
            _ => None,
        };
        match kind {
            // No local search runs for these: what is shown already answers the query.
            QueryKind::Empty | QueryKind::Emails(_) => {
                self.search.hits.clear();
                self.search.hits_generation = generation;
                Vec::new()
            }
            QueryKind::Text(query) => vec![Effect::Search { generation, query }],
        }
    }

    pub(super) fn activate_if_ready(&mut self) -> Vec<Effect> {
        if self.search.activate_when_ready && !self.search.is_stale() {
            self.search.activate_when_ready = false;
            return self.activate_result();
        }
        Vec::new()
    }

    pub(super) fn move_result(&mut self, delta: isize) {
        let n = self.search.rows().len();
        if n == 0 {
            return;
        }
        let cur = self.search.selected as isize;
        let last = isize::try_from(n).unwrap_or(isize::MAX).saturating_sub(1);
        self.search.selected = cur.saturating_add(delta).clamp(0, last) as usize;
        let h = self.tree_height();
        self.search.scroll = scroll_to_show(self.search.selected, self.search.scroll, h);
        self.want_result_detail();
    }

    /// The highlighted result's details, once the highlight rests (as in the tree).
    pub(super) fn want_result_detail(&mut self) {
        let id = match self.search.rows().get(self.search.selected) {
            Some(ResultRow::Hit(h)) if h.kind == Kind::User => Some(h.id.clone()),
            Some(ResultRow::Email { user: Some(id), .. }) => Some(id.clone()),
            _ => None,
        };
        if let Some(id) = id.filter(|id| !self.people.is_full(id)) {
            self.detail_wanted = Some((id, self.ticks));
        }
    }

    pub(super) fn clamp_search_selection(&mut self) {
        let n = self.search.rows().len();
        if self.search.selected >= n {
            self.search.selected = n.saturating_sub(1);
        }
    }

    pub(super) fn activate_result(&mut self) -> Vec<Effect> {
        let rows = self.search.rows();
        let Some(row) = rows.get(self.search.selected) else {
            return Vec::new();
        };
        let target = match row {
            ResultRow::Hit(h) if h.kind == Kind::Dept => RowKind::Dept(h.id.clone()),
            ResultRow::Hit(h) => RowKind::User {
                id: h.id.clone(),
                dept: String::new(),
            },
            ResultRow::Email { user: Some(id), .. } | ResultRow::UserId(id) => RowKind::User {
                id: id.clone(),
                dept: String::new(),
            },
            ResultRow::Email { email, user: None } => {
                let msg = format!("no one with the email {email}");
                self.error(&msg);
                return Vec::new();
            }
        };
        self.focus = Focus::Tree;
        self.search = SearchState {
            generation: self.search.generation.wrapping_add(1),
            ..SearchState::default()
        };
        self.start_jump(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(kind: Kind, id: &str) -> Hit {
        Hit {
            kind,
            id: id.into(),
            score: 1,
            field: crate::search::Field::Name,
            name_positions: Vec::new(),
        }
    }

    /// Server answers come first; a person they already name is not listed again.
    #[test]
    fn rows_put_server_answers_first_without_repeats() {
        let state = SearchState {
            remote: vec![ResultRow::UserId("u1".into())],
            hits: vec![
                hit(Kind::User, "u1"),
                hit(Kind::User, "u2"),
                hit(Kind::Dept, "u1"),
            ],
            ..SearchState::default()
        };
        assert_eq!(
            state.rows(),
            vec![
                ResultRow::UserId("u1".into()),
                ResultRow::Hit(hit(Kind::User, "u2")),
                ResultRow::Hit(hit(Kind::Dept, "u1")),
            ]
        );
    }

    #[test]
    fn only_short_tokens_with_a_digit_look_like_ids() {
        assert!(looks_like_id("u000015"));
        assert!(looks_like_id("ou_12.x-y"));
        assert!(!looks_like_id("alice"));
        assert!(!looks_like_id("a1 b"));
        assert!(!looks_like_id("1"));
        assert!(!looks_like_id(&"1".repeat(65)));
    }
}
