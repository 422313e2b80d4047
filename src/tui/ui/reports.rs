//! The reporting-lines view, drawn in place of the tree: only the rows on screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{Theme, clean, fit};
use crate::text::thousands;
use crate::tui::app::{App, ReportRow, ReportsView};

pub fn draw(frame: &mut Frame, app: &App, view: &ReportsView, theme: &Theme, area: Rect) {
    let name = person_name(app, &view.root);
    let more = if view.cut { "+" } else { "" };
    let title = format!(
        " Reporting lines · {} · {}{more} rows ",
        fit(&name, 30),
        view.rows().len()
    );
    let block = theme.block(title, !app.help);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let lines: Vec<Line> = view
        .rows()
        .iter()
        .enumerate()
        .skip(view.scroll)
        .take(usize::from(inner.height))
        .map(|(i, row)| {
            let line = row_line(app, theme, row, width);
            if i == view.selected {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A person's name as the reporting lines show it (the detail pane's "Reports to" too):
/// from the leader graph, else whatever the browser knows, else the id; cleaned.
pub(super) fn person_name(app: &App, id: &str) -> String {
    let reporting = app.people.reporting();
    clean(
        reporting
            .name(id)
            .map(str::to_string)
            .or_else(|| app.display_name(id))
            .as_deref()
            .unwrap_or(id),
    )
}

/// `  ▾ Name  Title  (3 direct · 12 total)  ↻ loops back to X`, cut to `width`.
fn row_line<'a>(app: &App, theme: &Theme, row: &ReportRow, width: usize) -> Line<'a> {
    // Deep trees stay readable: the indent stops growing past 20 levels.
    let indent = "  ".repeat(row.level.min(20));
    let marker = match (row.opens(), row.expanded) {
        (false, _) => "  ",
        (true, true) => "▾ ",
        (true, false) => "▸ ",
    };
    let mut room = width.saturating_sub(indent.width()).saturating_sub(2);
    let mut spans = vec![Span::raw(indent), Span::styled(marker, theme.dim())];
    let name = fit(&person_name(app, &row.id), room);
    room = room.saturating_sub(name.width());
    spans.push(Span::raw(name));
    if let Some(t) = app.user(&row.id).and_then(|u| u.title) {
        let t = fit(&format!("  {}", clean(&t)), room);
        room = room.saturating_sub(t.width());
        spans.push(Span::styled(t, theme.dim()));
    }
    if row.direct > 0 {
        let counts = format!(
            "  ({} direct · {} total)",
            thousands(row.direct as u64),
            thousands(row.below as u64)
        );
        let counts = fit(&counts, room);
        room = room.saturating_sub(counts.width());
        spans.push(Span::styled(counts, theme.dim()));
    }
    if let Some(to) = &row.loops_to {
        let note = format!("  ↻ loops back to {}", person_name(app, to));
        spans.push(Span::styled(fit(&note, room), theme.warn()));
    }
    Line::from(spans)
}
