//! The search box and the results list.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{Theme, clean, fit, spinner};
use crate::dept_path;
use crate::model::User;
use crate::search::{Hit, Kind, split_filters};
use crate::tui::app::{App, Focus, ResultRow};

pub fn draw_box(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let focused = app.focus == Focus::Search && !app.help;
    let block = theme.block(" Search ".to_string(), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let line = if app.search.input.is_empty() && !focused {
        Line::styled(
            fit(
                "/ to search: name, pinyin (zhangwei, zw), email(s), employee id, id",
                width,
            ),
            theme.dim(),
        )
    } else {
        // Show the end of a long query: that is where the typing happens.
        let shown = clean(&app.search.input);
        let text = shown
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(shown.len()))
            .filter_map(|i| shown.get(i..))
            .find(|t| t.width().saturating_add(2) <= width)
            .unwrap_or_default();
        if focused {
            let x = inner
                .x
                .saturating_add(2)
                .saturating_add(u16::try_from(text.width()).unwrap_or(u16::MAX));
            if x < inner.right() {
                frame.set_cursor_position(Position::new(x, inner.y));
            }
        }
        Line::from(vec![
            Span::styled("› ", theme.accent()),
            Span::raw(text.to_string()),
        ])
    };
    frame.render_widget(Paragraph::new(line), inner);
}

pub fn draw_results(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let rows = app.search.rows();
    let mut title = format!(" Results · {} ", rows.len());
    if app.search.remote_busy {
        title = format!(
            " Results · {} · {} asking the server ",
            rows.len(),
            spinner(app.ticks)
        );
    }
    let block = theme.block(title, app.focus == Focus::Search && !app.help);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let inner = draw_coverage(frame, app, theme, inner);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(app.search.scroll)
        .take(usize::from(inner.height))
        .map(|(i, r)| {
            let line = result_line(app, theme, r, width);
            if i == app.search.selected {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    if let Some(e) = &app.search.remote_error
        && lines.len() < usize::from(inner.height)
    {
        lines.push(Line::styled(
            fit(&format!("✗ {}", clean(e)), width),
            theme.error(),
        ));
    }
    if let (_, Err(e)) = split_filters(&app.search.input)
        && lines.len() < usize::from(inner.height)
    {
        lines.push(Line::styled(
            fit(&format!("✗ {}", clean(&e)), width),
            theme.error(),
        ));
    }
    if rows.is_empty() && !app.search.remote_busy {
        lines.push(Line::styled("no match among what is loaded", theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// While a crawl runs, its last line says the results cover only part of the org; the
/// rest of `area` is left for the results.
fn draw_coverage(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) -> Rect {
    let Some(note) = app.coverage_note().filter(|_| area.height > 1) else {
        return area;
    };
    let rest = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    let line = Rect {
        y: rest.bottom(),
        height: 1,
        ..area
    };
    let text = fit(&note, usize::from(area.width));
    frame.render_widget(Paragraph::new(Line::styled(text, theme.warn())), line);
    rest
}

fn result_line<'a>(app: &App, theme: &Theme, row: &ResultRow, width: usize) -> Line<'a> {
    match row {
        ResultRow::Hit(h) => hit_line(app, theme, h, width),
        ResultRow::Email {
            email,
            user: Some(id),
        } => {
            let name = app
                .display_name(id)
                .map(|n| clean(&n))
                .unwrap_or_else(|| clean(id));
            Line::from(vec![
                Span::styled("✓ ", theme.ok()),
                Span::raw(fit(&name, width.saturating_sub(2))),
                Span::styled(
                    fit(
                        &format!("  {}", clean(email)),
                        width.saturating_sub(name.width().saturating_add(2)),
                    ),
                    theme.dim(),
                ),
            ])
        }
        ResultRow::Email { email, user: None } => Line::from(vec![
            Span::styled("✗ ", theme.error()),
            Span::raw(fit(&clean(email), width.saturating_sub(16))),
            Span::styled("  not found", theme.error()),
        ]),
        ResultRow::UserId(id) => {
            let name = app.display_name(id).map(|n| clean(&n)).unwrap_or_default();
            Line::from(vec![
                Span::styled("# ", theme.ok()),
                Span::raw(fit(&name, width.saturating_sub(2))),
                Span::styled(
                    fit(
                        &format!("  id {}", clean(id)),
                        width.saturating_sub(name.width().saturating_add(2)),
                    ),
                    theme.dim(),
                ),
            ])
        }
    }
}

/// The path (or name) of a person's first department, from their record or the tree.
fn first_dept_path(app: &App, u: &User) -> Option<String> {
    if let Some(d) = u.depts.first()
        && let Some(p) = d.path.as_deref().or(d.name.as_deref())
    {
        return Some(p.to_string());
    }
    let node = app.tree.node(u.dept_ids.first()?)?;
    node.dept.path.clone().or_else(|| node.dept.name.clone())
}

/// A fuzzy hit with its matched characters highlighted.
fn hit_line<'a>(app: &App, theme: &Theme, h: &Hit, width: usize) -> Line<'a> {
    let (icon, name, extra) = match h.kind {
        Kind::User => {
            let u = app.user(&h.id);
            let u = u.as_ref();
            let name = u
                .and_then(|u| u.name.as_deref())
                .unwrap_or(&h.id)
                .to_string();
            // Title (or email), then where the person sits: rows with the same name differ.
            let what = u.and_then(|u| u.title.as_deref().or(u.email.as_deref()));
            let path = u.and_then(|u| first_dept_path(app, u));
            let extra = match (what, path) {
                (Some(w), Some(p)) => format!("{w} · {}", dept_path::tail(&p, 2)),
                (Some(w), None) => w.to_string(),
                (None, Some(p)) => dept_path::tail(&p, 2),
                (None, None) => String::new(),
            };
            // New since the previous snapshot: `+` in the icon's place.
            let icon = if app.is_new(&h.id) { "+ " } else { "• " };
            (icon, name, extra)
        }
        Kind::Dept => {
            let n = app.tree.node(&h.id);
            let name = n
                .and_then(|n| n.dept.name.as_deref())
                .unwrap_or(&h.id)
                .to_string();
            let extra = n
                .and_then(|n| n.dept.path.as_deref())
                .unwrap_or("department")
                .to_string();
            ("▸ ", name, extra)
        }
    };
    let name = clean(&name);
    let icon_style = if icon == "+ " {
        theme.ok()
    } else {
        theme.dim()
    };
    let mut spans = vec![Span::styled(icon, icon_style)];
    let mut used: usize = 2;
    for (i, c) in name.chars().enumerate() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used.saturating_add(w) > width {
            break;
        }
        used = used.saturating_add(w);
        let style = if h.name_positions.contains(&i) {
            theme.matched()
        } else {
            ratatui::style::Style::new()
        };
        spans.push(Span::styled(c.to_string(), style));
    }
    spans.push(Span::styled(
        fit(&format!("  {}", clean(&extra)), width.saturating_sub(used)),
        theme.dim(),
    ));
    Line::from(spans)
}
