//! Drawing: one function per screen area. Everything drawn from server data goes through
//! `clean`, so no control or escape character reaches the terminal; widths are display widths
//! (CJK characters take two cells).

mod changes;
mod detail;
mod detail_reporting;
mod help;
mod reports;
mod search;
mod status;
mod tree;

use ratatui::Frame;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType};
use unicode_width::UnicodeWidthChar;

use super::app::App;

use super::layout::layout;

pub fn draw(frame: &mut Frame, app: &App) {
    let areas = layout(frame.area());
    let theme = Theme::new(app.no_color);
    search::draw_box(frame, app, &theme, areas.search);
    if app.changes_view.is_some() {
        changes::draw(frame, app, &theme, areas.tree);
    } else if let Some(view) = &app.reports {
        reports::draw(frame, app, view, &theme, areas.tree);
    } else if app.showing_results() {
        search::draw_results(frame, app, &theme, areas.tree);
    } else {
        tree::draw(frame, app, &theme, areas.tree);
    }
    if !areas.detail.is_empty() {
        detail::draw(frame, app, &theme, areas.detail);
    }
    status::draw(frame, app, &theme, areas.status);
    if app.help {
        help::draw(frame, app, &theme, frame.area());
    }
}

/// Colours, or none at all under NO_COLOR (then only bold/dim/reverse/underline).
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Theme {
        Theme { color: !no_color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn matched(&self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn dept(&self) -> Style {
        self.fg(Color::Blue).add_modifier(Modifier::BOLD)
    }

    pub fn block(&self, title: String, focused: bool) -> Block<'static> {
        let style = if focused { self.accent() } else { self.dim() };
        Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(style)
            .title(title)
    }
}

/// Server text made safe to draw: control characters shown as U+FFFD.
pub fn clean(s: &str) -> String {
    crate::text::sanitize(s)
}

/// Cut `s` to at most `width` display cells, with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used: usize = 0;
    let total = s
        .chars()
        .fold(0usize, |sum, c| sum.saturating_add(c.width().unwrap_or(0)));
    if total <= width {
        return s.to_string();
    }
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        // One column is kept for the ellipsis.
        if used.saturating_add(w) >= width {
            break;
        }
        out.push(c);
        used = used.saturating_add(w);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// The spinner frame for a tick count.
pub fn spinner(ticks: u64) -> char {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    FRAMES
        .get(ticks.checked_rem(FRAMES.len() as u64).unwrap_or(0) as usize)
        .copied()
        .unwrap_or(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_display_width() {
        assert_eq!(fit("张伟伟伟", 5), "张伟…");
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("abcd", 3), "ab…");
    }
}
