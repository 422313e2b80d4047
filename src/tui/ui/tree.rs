//! The department tree: only the rows on screen are turned into lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{Theme, clean, fit, spinner};
use crate::model::UserStatus;
use crate::tui::app::{App, Focus};
use crate::tui::tree_model::{DeptNode, Row, RowKind};

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let rows = app.tree.rows();
    let title = match app.tree.root.as_deref().and_then(|r| app.tree.node(r)) {
        Some(_) => format!(" Org · {} rows ", rows.len()),
        None => " Org ".to_string(),
    };
    let block = theme.block(title, app.focus == Focus::Tree && !app.help);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if rows.is_empty() {
        let line = match &app.root_error {
            Some(e) => Line::styled(
                fit(
                    &format!("✗ {}  (r: retry)", clean(e)),
                    usize::from(inner.width),
                ),
                theme.error(),
            ),
            None => Line::styled(format!("{} loading…", spinner(app.ticks)), theme.dim()),
        };
        frame.render_widget(Paragraph::new(line), inner);
        return;
    }
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(app.scroll)
        .take(height)
        .map(|(i, row)| {
            let line = row_line(app, theme, row, width);
            if i == app.selected {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn row_line<'a>(app: &App, theme: &Theme, row: &Row, width: usize) -> Line<'a> {
    let indent = "  ".repeat(usize::from(row.depth));
    let mut spans = vec![Span::raw(indent.clone())];
    let mut room = width.saturating_sub(indent.width());
    match &row.kind {
        RowKind::Dept(id) => {
            let Some(n) = app.tree.node(id) else {
                return Line::raw("");
            };
            let marker = dept_marker(app, n);
            room = room.saturating_sub(2);
            spans.push(Span::styled(format!("{marker} "), theme.dim()));
            let name = clean(n.dept.name.as_deref().unwrap_or(id));
            let counts = counts(n);
            let name = fit(&name, room.saturating_sub(counts.width()));
            room = room.saturating_sub(name.width());
            let style = if n.error().is_some() {
                theme.error()
            } else {
                theme.dept()
            };
            spans.push(Span::styled(name, style));
            spans.push(Span::styled(fit(&counts, room), theme.dim()));
        }
        RowKind::User { id, dept } => {
            let user = app.user(id);
            let user = user.as_ref();
            let leader = app
                .tree
                .node(dept)
                .is_some_and(|n| n.dept.leader_ids.contains(id));
            // Leaders are starred; people new since the previous snapshot get a `+`.
            let new = app.is_new(id);
            let mark = match (leader, new) {
                (true, true) => "★+",
                (true, false) => "★ ",
                (false, true) => "+ ",
                (false, false) => "  ",
            };
            let style = if new { theme.ok() } else { theme.warn() };
            spans.push(Span::styled(mark, style));
            room = room.saturating_sub(2);
            let name = clean(user.and_then(|u| u.name.as_deref()).unwrap_or(id));
            let name = fit(&name, room);
            room = room.saturating_sub(name.width());
            spans.push(Span::raw(name));
            if let Some(st) = user
                .and_then(|u| u.status)
                .filter(|s| *s != UserStatus::Active)
            {
                let tag = fit(&format!(" [{}]", st.as_str()), room);
                room = room.saturating_sub(tag.width());
                spans.push(Span::styled(tag, theme.warn()));
            }
            // The stand-in root's members are the people the app was granted one by one.
            if dept == crate::model::RANGE_ROOT_ID {
                let tag = fit(" · granted directly", room);
                room = room.saturating_sub(tag.width());
                spans.push(Span::styled(tag, theme.dim()));
            }
            if let Some(t) = user.and_then(|u| u.title.as_deref()) {
                spans.push(Span::styled(
                    fit(&format!("  {}", clean(t)), room),
                    theme.dim(),
                ));
            }
        }
        RowKind::Loading(_) => {
            spans.push(Span::styled(
                fit(&format!("{} loading…", spinner(app.ticks)), room),
                theme.dim(),
            ));
        }
        RowKind::Error(id) => {
            let err = app
                .tree
                .node(id)
                .and_then(|n| n.error())
                .unwrap_or("failed");
            spans.push(Span::styled(
                fit(&format!("✗ r: retry · {}", clean(err)), room),
                theme.error(),
            ));
        }
        RowKind::Cycle { child, .. } => {
            spans.push(Span::styled(
                fit(
                    &format!("✗ {}", clean(&crate::crawl::cycle_note(child))),
                    room,
                ),
                theme.error(),
            ));
        }
    }
    Line::from(spans)
}

fn dept_marker(app: &App, n: &DeptNode) -> char {
    if n.is_loading() {
        spinner(app.ticks)
    } else if n.error().is_some() {
        '✗'
    } else if n.is_leaf() {
        '·'
    } else if n.expanded {
        '▾'
    } else {
        '▸'
    }
}

/// `  3 depts · 12 people`, as far as known.
fn counts(n: &DeptNode) -> String {
    let mut parts = Vec::new();
    if let Some(c) = n.child_count().filter(|c| *c > 0) {
        parts.push(format!("{c} dept{}", if c == 1 { "" } else { "s" }));
    }
    if let Some(m) = n.member_count() {
        parts.push(format!("{m} {}", if m == 1 { "person" } else { "people" }));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  {}", parts.join(" · "))
    }
}
