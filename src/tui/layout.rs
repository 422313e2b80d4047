//! Where each area of the screen is, for a terminal size: the one geometry both drawing
//! (`ui`) and the app's mouse handling and scrolling (`app`) use, so neither imports the other.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Block;

/// Where each area of the screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub search: Rect,
    pub tree: Rect,
    /// Empty when the terminal is too small to show details.
    pub detail: Rect,
    pub status: Rect,
}

/// The layout for a terminal of `size`: side by side when wide, stacked when narrow, the
/// detail pane dropped when there is no room at all.
pub fn layout(size: Rect) -> Areas {
    let [search, body, status] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(size);
    let (tree, detail) = if body.width >= 80 {
        let [t, d] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(body);
        (t, d)
    } else if body.height >= 16 {
        let [t, d] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        (t, d)
    } else {
        (body, Rect::default())
    };
    Areas {
        search,
        tree,
        detail,
        status,
    }
}

/// The rows inside the tree/results block.
pub fn list_inner(area: Rect) -> Rect {
    Block::bordered().inner(area)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_never_overflows() {
        for (w, h) in [
            (200, 60),
            (100, 30),
            (60, 30),
            (40, 10),
            (10, 4),
            (1, 1),
            (0, 0),
        ] {
            let size = Rect::new(0, 0, w, h);
            let a = layout(size);
            for r in [a.search, a.tree, a.detail, a.status] {
                assert!(size.union(r) == size || r.is_empty(), "{w}x{h}: {r:?}");
            }
        }
    }
}
