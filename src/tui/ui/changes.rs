//! The "changes since DATE" view, in the tree's place while it is open.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, clean, fit};
use crate::tui::app::{App, NO_PREVIOUS};

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let changes = app.changes.as_ref();
    let title = match changes.and_then(|c| c.since.as_deref()) {
        Some(since) => format!(" Changes since {} UTC ", clean(since)),
        None => " Changes ".to_string(),
    };
    let block = theme
        .block(title, true)
        .title_bottom(" Enter: go to · Esc: close ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let none = match changes {
        None => Some(NO_PREVIOUS),
        Some(c) if c.rows.is_empty() => Some(c.none.as_deref().unwrap_or(NO_PREVIOUS)),
        Some(_) => None,
    };
    if let Some(why) = none {
        let line = Line::styled(fit(&clean(why), width), theme.dim());
        frame.render_widget(Paragraph::new(line), inner);
        return;
    }
    let (Some(changes), Some(view)) = (changes, app.changes_view.as_ref()) else {
        return;
    };
    let lines: Vec<Line> = changes
        .rows
        .iter()
        .enumerate()
        .skip(view.scroll)
        .take(usize::from(inner.height))
        .map(|(i, row)| {
            if row.heading {
                return Line::styled(fit(&clean(&row.text), width), theme.accent());
            }
            let text = fit(&clean(&row.text), width.saturating_sub(2));
            let style = match (i == view.selected, row.target.is_some()) {
                (true, _) => theme.selected(),
                (false, true) => ratatui::style::Style::new(),
                (false, false) => theme.dim(),
            };
            Line::from(vec![Span::raw("  "), Span::styled(text, style)])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
