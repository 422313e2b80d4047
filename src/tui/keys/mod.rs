//! Key bindings: the default map, `[keys]` overrides from the config file,
//! and the display strings used by the help overlay and status hints.
//!
//! Key syntax in the config: a single character (case-sensitive, so `G` is
//! shift-g), or a name (`Up Down Left Right Enter Esc Tab Backspace Home End
//! PageUp PageDown Space Delete Insert F1`..`F12`, case-insensitive), with
//! optional `Ctrl-`, `Alt-` and `Shift-` prefixes (`+` works as well as `-`).
//!
//! Ctrl-c always quits, whatever the config says: a broken or hostile config
//! must not leave the user stuck in raw mode. Binding Ctrl-c to another action
//! is rejected, and `quit` keeps Ctrl-c even when its keys are replaced.

use std::fmt;

mod key;
mod map;
#[cfg(test)]
mod tests;

pub use key::Key;
pub use map::KeyMap;

/// Everything a key can do in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Up,
    Down,
    Expand,
    Collapse,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Search,
    Escape,
    /// Enter.
    Activate,
    CopyId,
    CopyEmail,
    JumpLeader,
    Reload,
    Help,
    Quit,
    CrawlAll,
    /// Pause or resume the crawl (`a` or the background index).
    PauseCrawl,
    /// The changes since the snapshot's previous generation.
    Changes,
    /// Open the reporting-lines view on the selected person.
    Reports,
}

impl Action {
    /// All actions, in the order the help overlay lists them.
    pub const ALL: [Action; 21] = [
        Action::Up,
        Action::Down,
        Action::Expand,
        Action::Collapse,
        Action::Activate,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::Search,
        Action::Escape,
        Action::CopyId,
        Action::CopyEmail,
        Action::JumpLeader,
        Action::Reports,
        Action::Reload,
        Action::CrawlAll,
        Action::PauseCrawl,
        Action::Changes,
        Action::Help,
        Action::Quit,
    ];

    /// The name used in the config file's `[keys]` section.
    pub fn name(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::Expand => "expand",
            Action::Collapse => "collapse",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Search => "search",
            Action::Escape => "escape",
            Action::Activate => "activate",
            Action::CopyId => "copy_id",
            Action::CopyEmail => "copy_email",
            Action::JumpLeader => "jump_leader",
            Action::Reload => "reload",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::CrawlAll => "crawl_all",
            Action::PauseCrawl => "pause_crawl",
            Action::Changes => "changes",
            Action::Reports => "reports",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Short text for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Action::Up => "move up",
            Action::Down => "move down",
            Action::Expand => "expand department",
            Action::Collapse => "collapse / go to parent",
            Action::Top => "go to top",
            Action::Bottom => "go to bottom",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Search => "search",
            Action::Escape => "cancel / close",
            Action::Activate => "open / toggle",
            Action::CopyId => "copy id",
            Action::CopyEmail => "copy email",
            Action::JumpLeader => "jump to leader",
            Action::Reload => "reload",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::CrawlAll => "load whole directory",
            Action::PauseCrawl => "pause / resume loading",
            Action::Changes => "changes since the previous snapshot",
            Action::Reports => "reporting lines",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
