//! The detail pane: everything about the selected person or department.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Theme, clean, spinner};
use crate::model::User;
use crate::tui::app::App;
use crate::tui::tree_model::{Load, RowKind};

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let (title, lines) = match selected(app) {
        Some(RowKind::User { id, .. }) => (" Person ", person(app, theme, &id)),
        Some(RowKind::Dept(id)) => (" Department ", department(app, theme, &id)),
        _ => (
            " Details ",
            vec![Line::styled("nothing selected", theme.dim())],
        ),
    };
    let block = theme.block(title.to_string(), false);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The tree's selection, the highlighted change in the changes view, or the highlighted
/// search result while searching.
fn selected(app: &App) -> Option<RowKind> {
    if let Some(view) = app.changes_view.as_ref() {
        let rows = app
            .changes
            .as_ref()
            .map(|c| &c.rows[..])
            .unwrap_or_default();
        return rows.get(view.selected)?.target.clone();
    }
    if let Some(view) = &app.reports {
        return view.selected_row().map(|r| RowKind::User {
            id: r.id.clone(),
            dept: String::new(),
        });
    }
    if app.showing_results() {
        use crate::search::Kind;
        use crate::tui::app::ResultRow;
        return match app.search.rows().get(app.search.selected)? {
            ResultRow::Hit(h) if h.kind == Kind::Dept => Some(RowKind::Dept(h.id.clone())),
            ResultRow::Hit(h) => Some(RowKind::User {
                id: h.id.clone(),
                dept: String::new(),
            }),
            ResultRow::Email { user: Some(id), .. } | ResultRow::UserId(id) => {
                Some(RowKind::User {
                    id: id.clone(),
                    dept: String::new(),
                })
            }
            ResultRow::Email { user: None, .. } => None,
        };
    }
    app.selected_kind()
}

fn field<'a>(theme: &Theme, label: &str, value: Option<String>) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<11}"), theme.dim()),
        match value {
            Some(v) => Span::raw(v),
            None => Span::styled("—", theme.dim()),
        },
    ])
}

fn opt(v: Option<&str>) -> Option<String> {
    v.filter(|s| !s.is_empty()).map(clean)
}

fn person<'a>(app: &App, theme: &Theme, id: &str) -> Vec<Line<'a>> {
    let Some(u) = app.user(id) else {
        return vec![Line::styled(
            format!("{} loading…", spinner(app.ticks)),
            theme.dim(),
        )];
    };
    let full = app.people.is_full(id);
    let mut lines = vec![
        Line::styled(clean(u.name.as_deref().unwrap_or(id)), theme.accent()),
        Line::styled(clean(u.title.as_deref().unwrap_or("")), theme.dim()),
        // A blank line, or the mark of someone new.
        new_since(app, theme, id),
        field(theme, "Email", opt(u.email.as_deref())),
        field(theme, "Mobile", opt(u.mobile.as_deref())),
        field(theme, "Employee", opt(u.employee_id.as_deref())),
        field(theme, "Status", u.status.map(|s| s.as_str().to_string())),
        field(theme, "City", opt(u.city.as_deref())),
        field(theme, "Work place", opt(u.work_place.as_deref())),
        field(theme, "Leader", leader(app, &u)),
        field(theme, "ID", Some(clean(id))),
        Line::raw(""),
        Line::styled("Departments", theme.dim()),
    ];
    lines.extend(
        departments(app, &u)
            .into_iter()
            .map(|p| Line::raw(format!("  {p}"))),
    );
    lines.extend(super::detail_reporting::lines(app, theme, id));
    if !full {
        lines.push(Line::raw(""));
        match app.detail_errors.get(id) {
            Some(e) => lines.push(Line::styled(
                format!("✗ {}  (r: retry)", clean(e)),
                theme.error(),
            )),
            None => lines.push(Line::styled(
                format!("{} loading details…", spinner(app.ticks)),
                theme.dim(),
            )),
        }
    }
    lines
}

/// `+ new since 2026-11-25 10:00` for someone who joined since the previous snapshot.
fn new_since<'a>(app: &App, theme: &Theme, id: &str) -> Line<'a> {
    match app.changes.as_ref().filter(|_| app.is_new(id)) {
        Some(c) => Line::styled(
            format!(
                "+ new since {}",
                clean(c.since.as_deref().unwrap_or("the previous snapshot"))
            ),
            theme.ok(),
        ),
        None => Line::raw(""),
    }
}

fn leader(app: &App, u: &User) -> Option<String> {
    let id = u.leader_id.as_deref()?;
    Some(match app.display_name(id) {
        Some(name) => format!("{} ({})", clean(&name), clean(id)),
        None => clean(id),
    })
}

/// Full paths of a person's departments: from the server when it gave them, else from the
/// tree as far as it is loaded.
fn departments(app: &App, u: &User) -> Vec<String> {
    if !u.depts.is_empty() {
        return u
            .depts
            .iter()
            .map(|d| clean(d.path.as_deref().or(d.name.as_deref()).unwrap_or(&d.id)))
            .collect();
    }
    u.dept_ids.iter().map(|d| tree_path(app, d)).collect()
}

fn tree_path(app: &App, id: &str) -> String {
    if let Some(p) = app.tree.node(id).and_then(|n| n.dept.path.as_deref()) {
        return clean(p);
    }
    match app.tree.chain_to(id) {
        Some(chain) => chain
            .iter()
            .map(|c| {
                clean(
                    app.tree
                        .node(c)
                        .and_then(|n| n.dept.name.as_deref())
                        .unwrap_or(c),
                )
            })
            .collect::<Vec<_>>()
            .join("/"),
        None => clean(id),
    }
}

fn department<'a>(app: &App, theme: &Theme, id: &str) -> Vec<Line<'a>> {
    let Some(n) = app.tree.node(id) else {
        return vec![Line::styled(
            format!("{} loading…", spinner(app.ticks)),
            theme.dim(),
        )];
    };
    let leaders: Vec<String> = n
        .dept
        .leader_ids
        .iter()
        .map(|l| match app.display_name(l) {
            Some(name) => clean(&name),
            None => clean(l),
        })
        .collect();
    let count = |known: Option<usize>, load: &Load| match (known, load) {
        (Some(c), _) => Some(c.to_string()),
        (None, Load::Loading) => Some(format!("{} loading…", spinner(app.ticks))),
        (None, Load::Failed(_)) => Some("failed (r: retry)".to_string()),
        (None, _) => Some("not loaded (Enter to expand)".to_string()),
    };
    let mut lines = vec![
        Line::styled(clean(n.dept.name.as_deref().unwrap_or(id)), theme.accent()),
        Line::raw(""),
        field(theme, "Path", Some(tree_path(app, id))),
        field(
            theme,
            "Leaders",
            (!leaders.is_empty()).then(|| leaders.join(", ")),
        ),
        field(theme, "Sub-depts", count(n.child_count(), &n.children_load)),
        field(theme, "People", count(n.member_count(), &n.members_load)),
        field(theme, "ID", Some(clean(id))),
    ];
    if id == crate::model::RANGE_ROOT_ID {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "The app may read only its contact range:",
            theme.warn(),
        ));
        lines.push(Line::styled(
            "the departments granted, and people granted directly.",
            theme.dim(),
        ));
    }
    if let Some(e) = n.error() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("✗ {}  (r: retry)", clean(e)),
            theme.error(),
        ));
    }
    lines
}
