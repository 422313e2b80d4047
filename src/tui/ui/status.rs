//! The status bar: profile and provider, what is loading, the last message, key hints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{Theme, clean, fit, spinner};
use crate::tui::app::{App, CrawlRun, Focus, Level};
use crate::tui::keys::Action;

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let width = usize::from(area.width);
    let mut spans = vec![Span::styled(
        format!(" {} ", clean(&app.title)),
        theme.selected(),
    )];
    if let Some(mark) = snapshot_mark(app) {
        spans.push(Span::styled(mark, theme.warn()));
    }
    if app.limited_by_range() {
        spans.push(Span::styled(
            " limited by the app's contact range ",
            theme.warn(),
        ));
    }
    if let Some(run) = &app.crawl {
        spans.push(Span::styled(crawl_status(app, run), theme.warn()));
    } else if app.in_flight > 0 {
        spans.push(Span::styled(
            format!(" {} loading {} ", spinner(app.ticks), app.in_flight),
            theme.warn(),
        ));
    } else if app.restoring {
        // The snapshot's people still arriving (well under a second): search is partial.
        spans.push(Span::styled(
            format!(
                " {} reading the snapshot: {} people ",
                spinner(app.ticks),
                app.people.len()
            ),
            theme.warn(),
        ));
    }
    let hints = hints(app);
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let mut room = width.saturating_sub(used.saturating_add(hints.width()).saturating_add(1));
    // A message that does not fit beside the hints goes before them: it is news, they are not.
    if let Some((text, _)) = &app.message
        && clean(text).width().saturating_add(1) > room
    {
        room = width.saturating_sub(used);
    }
    if let Some((text, level)) = &app.message {
        let style = match level {
            Level::Info => theme.ok(),
            Level::Error => theme.error(),
        };
        spans.push(Span::styled(fit(&format!(" {}", clean(text)), room), style));
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let pad = width.saturating_sub(used.saturating_add(hints.width()));
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(
        fit(&hints, width.saturating_sub(used)),
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// ` ⠋ indexing: 3/40 depts · 120 people · 2 s left · p pauses `: short, so a message
/// still fits beside it; `a`'s own crawl as before. Paused, the counts and how to resume.
fn crawl_status(app: &App, run: &CrawlRun) -> String {
    let v = &run.view;
    let pause = first_key(app, Action::PauseCrawl);
    let counts = v.counts();
    let what = if run.background {
        "indexing"
    } else {
        "loading all"
    };
    if run.paused {
        return format!(" ‖ {what} paused: {counts} · {pause} resumes ");
    }
    if !run.background {
        let esc = first_key(app, Action::Escape);
        return format!(
            " {} loading all: {} · {esc} cancels ",
            spinner(app.ticks),
            v.describe()
        );
    }
    let left = v.left().map(|l| format!(" · {l}")).unwrap_or_default();
    format!(
        " {} indexing: {counts}{left} · {pause} pauses ",
        spinner(app.ticks)
    )
}

/// The first key bound to `a`, as the help shows it.
fn first_key(app: &App, a: Action) -> String {
    app.keymap
        .keys_for(a)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Key hints for the current mode, from the actual bindings.
fn hints(app: &App) -> String {
    let key = |a: Action| first_key(app, a);
    if app.help {
        return format!("{} close ", key(Action::Escape));
    }
    if app.reports.is_some() {
        return format!(
            "{} open  {} close  Enter jump  {} back to the tree ",
            key(Action::Expand),
            key(Action::Collapse),
            key(Action::Escape)
        );
    }
    match app.focus {
        Focus::Search => "↑↓ move  Enter jump  Esc back ".to_string(),
        Focus::Tree => format!(
            "{} search  {} copy id  {} email  {} leader  {} help  {} quit ",
            key(Action::Search),
            key(Action::CopyId),
            key(Action::CopyEmail),
            key(Action::JumpLeader),
            key(Action::Help),
            key(Action::Quit)
        ),
    }
}

/// `offline · snapshot 5 min old`, or `snapshot 5 min old · refreshing` until the server has
/// answered for the top of the tree.
fn snapshot_mark(app: &App) -> Option<String> {
    let age = app.snapshot_age?;
    let age = describe_age(age);
    if app.offline {
        return Some(format!(" offline · snapshot {age} old "));
    }
    let root = app.tree.root.as_deref().and_then(|r| app.tree.node(r))?;
    (root.stale || root.is_revalidating()).then(|| format!(" snapshot {age} old · refreshing "))
}

fn describe_age(age: std::time::Duration) -> String {
    let mins = age.as_secs() / 60;
    match mins {
        0 => "<1 min".to_string(),
        1..=59 => format!("{mins} min"),
        60..=2879 => format!("{} h", mins / 60),
        _ => format!("{} d", mins / 1440),
    }
}
