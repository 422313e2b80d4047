//! "Changes since DATE": the diff of the snapshot the browser started from against its
//! previous generation (`diff::since_previous`, computed on a thread at start), as a list
//! to move through, Enter jumping to the person or department. People who joined are also
//! marked wherever they are drawn (`App::is_new`).

use std::collections::HashSet;

use super::*;
use crate::diff::{OrgDiff, rfc3339};

/// What the view says when no previous generation was kept (or none is known yet).
pub const NO_PREVIOUS: &str = "no previous snapshot to compare with yet";

/// One line of the changes list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    /// A section heading ("joined (3)") rather than an entry.
    pub heading: bool,
    /// Raw text from the snapshots: drawn through `clean`.
    pub text: String,
    /// Where Enter goes; None for headings and for what is gone (people who left, removed
    /// departments).
    pub target: Option<RowKind>,
}

/// The diff as the browser shows it.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// "2026-11-25 10:00" (UTC), the previous generation's save time; None when unknown.
    pub since: Option<String>,
    pub rows: Vec<ChangeRow>,
    /// Ids of people who joined since the previous generation.
    pub joined: HashSet<String>,
    /// Why there is no diff ("no previous snapshot to compare with yet"), shown instead.
    pub none: Option<String>,
}

/// The view's state while it is open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangesView {
    pub selected: usize,
    pub scroll: usize,
}

/// `2026-11-25T10:00:00Z` as `2026-11-25 10:00`.
fn short_date(secs: u64) -> Option<String> {
    let full = rfc3339(secs)?;
    Some(full.get(..16).unwrap_or(&full).replacen('T', " ", 1))
}

impl Changes {
    pub fn of(diff: &OrgDiff) -> Changes {
        let mut rows = Vec::new();
        let user = |id: &str| {
            Some(RowKind::User {
                id: id.to_string(),
                dept: String::new(),
            })
        };
        let dept = |id: &str| Some(RowKind::Dept(id.to_string()));
        let name =
            |n: Option<&str>, id: &str| n.filter(|n| !n.is_empty()).unwrap_or(id).to_string();
        let or_dash = |v: Option<&str>| v.filter(|v| !v.is_empty()).unwrap_or("—").to_string();
        let paths = |p: &[String]| match p.is_empty() {
            true => "—".to_string(),
            false => p.join(", "),
        };
        let mut section = |title: &str, entries: Vec<(String, Option<RowKind>)>| {
            if entries.is_empty() {
                return;
            }
            rows.push(ChangeRow {
                heading: true,
                text: format!("{title} ({})", thousands(entries.len() as u64)),
                target: None,
            });
            rows.extend(entries.into_iter().map(|(text, target)| ChangeRow {
                heading: false,
                text,
                target,
            }));
        };
        let person = |u: &User| {
            let mut s = name(u.name.as_deref(), &u.id);
            if let Some(t) = u.title.as_deref().filter(|t| !t.is_empty()) {
                s.push_str(" · ");
                s.push_str(t);
            }
            s
        };
        section(
            "joined",
            diff.joined
                .iter()
                .map(|u| (person(u), user(&u.id)))
                .collect(),
        );
        section(
            "left",
            diff.left.iter().map(|u| (person(u), None)).collect(),
        );
        section(
            "moved",
            diff.moved
                .iter()
                .map(|m| {
                    let who = name(m.name.as_deref(), &m.id);
                    let text = format!("{who}: {} → {}", paths(&m.from), paths(&m.to));
                    (text, user(&m.id))
                })
                .collect(),
        );
        section(
            "changed",
            diff.changed
                .iter()
                .map(|c| {
                    let who = name(c.name.as_deref(), &c.id);
                    let (from, to) = (or_dash(c.from.as_deref()), or_dash(c.to.as_deref()));
                    let text = format!("{who} {}: {from} → {to}", c.field.as_str());
                    (text, user(&c.id))
                })
                .collect(),
        );
        let d = &diff.depts;
        let mut depts: Vec<(String, Option<RowKind>)> = Vec::new();
        depts.extend(d.added.iter().map(|x| {
            let path = or_dash(x.path.as_deref().or(x.name.as_deref()));
            (format!("added {path}"), dept(&x.id))
        }));
        depts.extend(d.removed.iter().map(|x| {
            let path = or_dash(x.path.as_deref().or(x.name.as_deref()));
            (format!("removed {path}"), None)
        }));
        depts.extend(d.renamed.iter().map(|r| {
            let (from, to) = (or_dash(r.from.as_deref()), or_dash(r.to.as_deref()));
            (format!("renamed {from} → {to}"), dept(&r.id))
        }));
        depts.extend(
            d.moved
                .iter()
                .map(|m| (format!("moved {} → {}", m.from, m.to), dept(&m.id))),
        );
        section("departments", depts);
        Changes {
            since: diff.from.and_then(short_date),
            rows,
            joined: diff.joined.iter().map(|u| u.id.clone()).collect(),
            none: diff
                .is_empty()
                .then(|| "no changes since the previous snapshot".into()),
        }
    }

    /// No diff to show, and why.
    pub fn unavailable(why: &str) -> Changes {
        Changes {
            none: Some(why.to_string()),
            ..Changes::default()
        }
    }
}

impl App {
    /// The diff (or why there is none) arrived from the thread that computed it.
    pub(super) fn on_changes(&mut self, result: Result<OrgDiff, String>) -> Vec<Effect> {
        self.changes = Some(match result {
            Ok(diff) => Changes::of(&diff),
            Err(why) => Changes::unavailable(&why),
        });
        Vec::new()
    }

    /// Someone who joined since the snapshot's previous generation.
    pub fn is_new(&self, id: &str) -> bool {
        self.changes.as_ref().is_some_and(|c| c.joined.contains(id))
    }

    pub(super) fn open_changes(&mut self) -> Vec<Effect> {
        self.changes_view = Some(ChangesView::default());
        self.move_change(0);
        Vec::new()
    }

    /// Keys while the changes view is open: move, Enter to jump, Esc (or `C` again) closes.
    pub(super) fn on_changes_action(&mut self, action: Action) -> Vec<Effect> {
        let page = isize::try_from(self.tree_height().max(1)).unwrap_or(isize::MAX);
        match action {
            Action::Down => self.move_change(1),
            Action::Up => self.move_change(-1),
            Action::PageDown => self.move_change(page),
            Action::PageUp => self.move_change(page.saturating_neg()),
            Action::Top => self.move_change(isize::MIN),
            Action::Bottom => self.move_change(isize::MAX),
            Action::Activate | Action::Expand => return self.activate_change(),
            Action::Escape | Action::Changes | Action::Quit | Action::Collapse => {
                self.changes_view = None
            }
            Action::Help => self.help = true,
            _ => {}
        }
        Vec::new()
    }

    /// Move the selection by `by` rows, skipping headings, kept in view.
    fn move_change(&mut self, by: isize) {
        let rows = self.changes.as_ref().map_or(&[][..], |c| &c.rows[..]);
        let height = self.tree_height().max(1);
        let Some(view) = self.changes_view.as_mut() else {
            return;
        };
        if rows.is_empty() {
            *view = ChangesView::default();
            return;
        }
        let last = rows.len().saturating_sub(1);
        let mut at = view.selected.saturating_add_signed(by).min(last);
        // Headings are not selectable: step on in the direction of travel.
        let down = by >= 0;
        while rows.get(at).is_some_and(|r| r.heading) {
            match (down, at) {
                (true, a) if a < last => at = a.saturating_add(1),
                (false, a) if a > 0 => at = a.saturating_sub(1),
                _ => break,
            }
        }
        if rows.get(at).is_some_and(|r| r.heading) {
            // Nothing selectable that way: the other way.
            while rows.get(at).is_some_and(|r| r.heading) && at < last {
                at = at.saturating_add(1);
            }
        }
        view.selected = at;
        if at < view.scroll {
            view.scroll = at.saturating_sub(1);
        } else if at >= view.scroll.saturating_add(height) {
            view.scroll = at.saturating_add(1).saturating_sub(height);
        }
    }

    fn activate_change(&mut self) -> Vec<Effect> {
        let Some(view) = self.changes_view.as_ref() else {
            return Vec::new();
        };
        let row = self
            .changes
            .as_ref()
            .and_then(|c| c.rows.get(view.selected))
            .cloned();
        match row {
            Some(ChangeRow {
                target: Some(target),
                ..
            }) => {
                self.changes_view = None;
                self.start_jump(target)
            }
            Some(row) if !row.heading => {
                self.info("gone from the org since the previous snapshot: nothing to jump to");
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Changed, Field, Moved};

    fn person(id: &str, name: &str) -> User {
        User {
            id: id.into(),
            name: Some(name.into()),
            ..User::default()
        }
    }

    fn app_with(diff: &OrgDiff) -> App {
        let mut app = App::new("t", crate::tui::keys::KeyMap::default());
        app.on_changes(Ok(diff.clone()));
        app.open_changes();
        app
    }

    fn diff() -> OrgDiff {
        OrgDiff {
            from: Some(1_764_064_800), // 2025-11-25 10:00 UTC
            to: Some(1_764_669_600),
            joined: vec![person("u1", "Ann")],
            left: vec![person("u2", "Bo")],
            moved: vec![Moved {
                id: "u3".into(),
                name: Some("Cy".into()),
                from: vec!["Acme/R&D".into()],
                to: vec!["Acme/Sales".into()],
            }],
            changed: vec![Changed {
                id: "u4".into(),
                name: Some("Di".into()),
                field: Field::Title,
                from: None,
                to: Some("CTO".into()),
            }],
            ..OrgDiff::default()
        }
    }

    #[test]
    fn rows_group_the_diff_with_headings_and_targets() {
        let c = Changes::of(&diff());
        let text: Vec<&str> = c.rows.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            text,
            [
                "joined (1)",
                "Ann",
                "left (1)",
                "Bo",
                "moved (1)",
                "Cy: Acme/R&D → Acme/Sales",
                "changed (1)",
                "Di title: — → CTO",
            ]
        );
        assert_eq!(c.since.as_deref(), Some("2025-11-25 10:00"));
        assert!(c.joined.contains("u1") && c.joined.len() == 1);
        // People who left have nowhere to jump to.
        assert_eq!(c.rows[3].target, None);
        assert!(c.none.is_none());
    }

    #[test]
    fn the_selection_skips_headings_both_ways() {
        let mut app = app_with(&diff());
        assert_eq!(app.changes_view.as_ref().unwrap().selected, 1);
        app.on_changes_action(Action::Down);
        assert_eq!(app.changes_view.as_ref().unwrap().selected, 3);
        app.on_changes_action(Action::Up);
        assert_eq!(app.changes_view.as_ref().unwrap().selected, 1);
        app.on_changes_action(Action::Up);
        assert_eq!(app.changes_view.as_ref().unwrap().selected, 1);
        app.on_changes_action(Action::Bottom);
        assert_eq!(app.changes_view.as_ref().unwrap().selected, 7);
    }

    #[test]
    fn enter_on_someone_who_left_stays_and_says_so() {
        let mut app = app_with(&diff());
        app.on_changes_action(Action::Down);
        let fx = app.on_changes_action(Action::Activate);
        assert!(fx.is_empty());
        assert!(app.changes_view.is_some());
        let (msg, _) = app.message.clone().unwrap();
        assert!(msg.contains("gone"), "{msg}");
    }

    #[test]
    fn no_previous_generation_is_said_in_one_line() {
        let mut app = App::new("t", crate::tui::keys::KeyMap::default());
        app.on_changes(Err("no previous snapshot yet".into()));
        app.open_changes();
        assert_eq!(
            app.changes.as_ref().unwrap().none.as_deref(),
            Some("no previous snapshot yet")
        );
        assert!(!app.is_new("u1"));
        app.on_changes_action(Action::Down);
        assert_eq!(app.changes_view, Some(ChangesView::default()));
    }

    #[test]
    fn the_wheel_moves_through_the_view_and_clicks_leave_the_tree_alone() {
        use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
        let mut app = app_with(&diff());
        let mouse = |kind| {
            Msg::Mouse(MouseEvent {
                kind,
                column: 5,
                row: 5,
                modifiers: KeyModifiers::NONE,
            })
        };
        app.update(mouse(MouseEventKind::ScrollDown));
        assert_eq!(app.changes_view.as_ref().unwrap().selected, 3);
        let before = app.selected;
        app.update(mouse(MouseEventKind::Down(MouseButton::Left)));
        assert_eq!(app.selected, before);
        assert!(app.changes_view.is_some());
    }
}
