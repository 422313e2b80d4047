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
    let name = |id: &str| {
        clean(
            reporting
                .name(id)
                .map(str::to_string)
                .or_else(|| app.display_name(id))
                .as_deref()
                .unwrap_or(id),
        )
    };
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
