//! The help overlay: every key, from the actual bindings.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::Theme;
use crate::tui::app::App;
use crate::tui::keys::Action;

const SEARCH_KEYS: &[(&str, &str)] = &[
    (
        "type",
        "filter by name, pinyin, initials, email, employee id",
    ),
    ("zhang wei, wei zhang", "words match in any order"),
    (
        "in:WORD  is:STATUS",
        "in a department; active notactive disabled …",
    ),
    ("paste emails", "resolve them on the server"),
    ("↑ ↓ Ctrl-n Ctrl-p", "move through results"),
    ("Enter", "jump to the result in the tree"),
    ("Ctrl-r", "reporting lines of the result"),
    ("Ctrl-u", "clear the query"),
    ("Esc", "back to the tree"),
];

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mut lines = vec![Line::styled("Tree", theme.accent())];
    for action in Action::ALL {
        let keys = app.keymap.keys_for(action).join(" ");
        if keys.is_empty() {
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<22}"), theme.warn()),
            Span::raw(action.description().to_string()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Search", theme.accent()));
    for (k, d) in SEARCH_KEYS {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k:<22}"), theme.warn()),
            Span::raw(d.to_string()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "  Mouse: click selects, wheel scrolls.",
        theme.dim(),
    ));
    let height = u16::try_from(lines.len().saturating_add(2)).unwrap_or(u16::MAX);
    let [popup] = Layout::horizontal([Constraint::Length(72)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup);
    frame.render_widget(Clear, popup);
    clear_wide_left_edge(frame, popup);
    frame.render_widget(
        Paragraph::new(lines).block(theme.block(" Keys · Esc to close ".into(), true)),
        popup,
    );
}

/// A wide (CJK) character just left of the popup would spill its second half under the
/// border; blank it so the overlay's edge stays straight.
fn clear_wide_left_edge(frame: &mut Frame, popup: Rect) {
    let Some(x) = popup.x.checked_sub(1) else {
        return;
    };
    let buf = frame.buffer_mut();
    for y in popup.top()..popup.bottom() {
        if let Some(cell) = buf.cell_mut((x, y))
            && unicode_width::UnicodeWidthStr::width(cell.symbol()) > 1
        {
            cell.set_symbol(" ");
        }
    }
}
