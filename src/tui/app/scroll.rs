//! The one scrolling rule, shared by the tree and the results list.

/// The first row to show so that row `selected` is on a screen of `height` rows, moving the
/// current first row `scroll` as little as possible.
pub(super) fn scroll_to_show(selected: usize, scroll: usize, height: usize) -> usize {
    let h = height.max(1);
    if selected < scroll {
        selected
    } else if selected >= scroll.saturating_add(h) {
        selected.saturating_add(1).saturating_sub(h)
    } else {
        scroll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_only_as_far_as_needed() {
        // On screen: unchanged.
        assert_eq!(scroll_to_show(5, 3, 10), 3);
        assert_eq!(scroll_to_show(12, 3, 10), 3);
        // Above: the selected row becomes the first.
        assert_eq!(scroll_to_show(1, 3, 10), 1);
        // Below: the selected row becomes the last.
        assert_eq!(scroll_to_show(13, 3, 10), 4);
        assert_eq!(scroll_to_show(40, 0, 10), 31);
        // No room at all still shows one row.
        assert_eq!(scroll_to_show(7, 0, 0), 7);
        // Never overflows.
        assert_eq!(scroll_to_show(usize::MAX, 0, 1), usize::MAX - 1);
    }
}
