//! The detail pane's reporting part: who a person reports to, up to the top, and who
//! reports to them. Bounded whatever the data: at most `MAX_CHAIN_SHOWN` levels and
//! `MAX_REPORTS_SHOWN` names, a loop shown once and never followed.

use ratatui::text::Line;

use super::{Theme, clean};
use crate::reporting::Link;
use crate::text::thousands;
use crate::tui::app::App;

/// Levels of the chain shown before "… N more".
pub const MAX_CHAIN_SHOWN: usize = 8;
/// Direct reports named before "… and N more".
pub const MAX_REPORTS_SHOWN: usize = 5;

pub fn lines<'a>(app: &App, theme: &Theme, id: &str) -> Vec<Line<'a>> {
    let reporting = app.people.reporting();
    let name = |id: &str| super::reports::person_name(app, id);
    let title = |id: &str| {
        app.user(id)
            .and_then(|u| u.title)
            .filter(|t| !t.is_empty())
            .map(|t| format!("  {}", clean(&t)))
            .unwrap_or_default()
    };
    let mut out = vec![Line::raw(""), Line::styled("Reports to", theme.dim())];
    let chain = reporting.chain(id);
    if chain.links.is_empty() && chain.cycle.is_none() {
        out.push(Line::styled("  — (top of the chain)", theme.dim()));
    }
    for link in chain.links.iter().take(MAX_CHAIN_SHOWN) {
        out.push(match link {
            Link::Known(l) => Line::raw(format!("  {}{}", name(l), title(l))),
            Link::Unknown(l) => Line::styled(format!("  {} (not loaded)", clean(l)), theme.dim()),
        });
    }
    let more = chain.links.len().saturating_sub(MAX_CHAIN_SHOWN);
    if more > 0 || chain.cut {
        let plus = if chain.cut { "+" } else { "" };
        out.push(Line::styled(
            format!("  … {}{plus} more", thousands(more as u64)),
            theme.dim(),
        ));
    }
    if let Some(first) = chain.cycle.as_ref().and_then(|c| c.ids.first()) {
        out.push(Line::styled(
            format!("  ↻ loops back to {}", name(first)),
            theme.warn(),
        ));
    }
    let count = reporting.direct_count(id);
    out.push(Line::raw(""));
    out.push(Line::styled(
        format!("Direct reports: {}", thousands(count as u64)),
        theme.dim(),
    ));
    for r in reporting.first_direct(id, MAX_REPORTS_SHOWN) {
        out.push(Line::raw(format!("  {}{}", name(r), title(r))));
    }
    let rest = count.saturating_sub(MAX_REPORTS_SHOWN);
    if rest > 0 {
        out.push(Line::styled(
            format!(
                "  … and {} more (R: reporting lines)",
                thousands(rest as u64)
            ),
            theme.dim(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::User;
    use crate::tui::keys::KeyMap;

    fn text(app: &App, id: &str) -> Vec<String> {
        lines(app, &Theme::new(true), id)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn add(app: &mut App, id: &str, leader: Option<&str>) {
        app.people.set_full(&User {
            id: id.into(),
            name: Some(id.to_uppercase()),
            leader_id: leader.map(str::to_string),
            ..User::default()
        });
    }

    /// A chain of twelve above: eight shown, then how many more; an unknown top is dimmed.
    #[test]
    fn a_long_chain_is_bounded_and_an_unknown_leader_is_marked() {
        let mut app = App::new("t", KeyMap::default());
        add(&mut app, "p0", Some("ghost\u{1b}[2J"));
        for i in 1..13 {
            add(&mut app, &format!("p{i}"), Some(&format!("p{}", i - 1)));
        }
        let t = text(&app, "p12");
        assert_eq!(t[2], "  P11");
        assert_eq!(t[9], "  P4");
        assert_eq!(t[10], "  … 5 more", "{t:?}");
        let t = text(&app, "p0");
        assert!(t[2].starts_with("  ghost") && t[2].ends_with("(not loaded)"));
        assert!(!t[2].contains('\u{1b}'), "cleaned: {t:?}");
        assert!(t.contains(&"Direct reports: 1".to_string()), "{t:?}");
        assert!(t.contains(&"  P1".to_string()), "{t:?}");
    }

    #[test]
    fn a_self_loop_is_shown_once() {
        let mut app = App::new("t", KeyMap::default());
        add(&mut app, "s", Some("s"));
        let t = text(&app, "s");
        assert_eq!(
            t.iter().filter(|l| l.contains("loops back to S")).count(),
            1
        );
        assert!(t.contains(&"Direct reports: 0".to_string()), "{t:?}");
    }
}
