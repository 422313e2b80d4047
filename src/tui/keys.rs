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

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

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
}

impl Action {
    /// All actions, in the order the help overlay lists them.
    pub const ALL: [Action; 18] = [
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
        Action::Reload,
        Action::CrawlAll,
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
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key with its modifiers in a canonical form, so that a config string and
/// the various ways terminals report the same key compare equal.
///
/// Canonical form: for characters, Shift is folded into the character itself
/// (`G`, never `Shift-g`), and with Ctrl a letter is lowercase (terminals send
/// the same byte for Ctrl-c and Ctrl-C). Shift-Tab is `Tab` + Shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    mods: KeyModifiers,
}

impl Key {
    fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        // Super/Hyper/Meta are kept (not dropped) so that e.g. Super-j does
        // not act as j; they just never match a binding.
        let mut mods = mods;
        let code = match code {
            KeyCode::BackTab => {
                mods |= KeyModifiers::SHIFT;
                KeyCode::Tab
            }
            KeyCode::Char(c) => {
                let mut c = c;
                if mods.contains(KeyModifiers::SHIFT) {
                    c = to_upper(c);
                }
                // Shift is part of the character now.
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    c = c.to_ascii_lowercase();
                }
                KeyCode::Char(c)
            }
            other => other,
        };
        Key { code, mods }
    }

    /// The canonical key of a terminal event.
    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::new(ev.code, ev.modifiers)
    }

    /// Parses config syntax; see the module docs.
    pub fn parse(s: &str) -> Option<Key> {
        let mut rest = s;
        let mut mods = KeyModifiers::NONE;
        // A modifier prefix must leave something behind, so "-" and "Ctrl--"
        // are the minus key, not a dangling modifier.
        while let Some((m, after)) = strip_modifier(rest) {
            if after.is_empty() {
                break;
            }
            mods |= m;
            rest = after;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return None,
            (Some(c), None) => {
                if c.is_control() {
                    return None;
                }
                // Shift-/ means different characters on different layouts;
                // only letters have an unambiguous shifted form.
                if mods.contains(KeyModifiers::SHIFT) && !c.is_alphabetic() {
                    return None;
                }
                KeyCode::Char(c)
            }
            _ => named_key(rest)?,
        };
        Some(Key::new(code, mods))
    }
}

fn to_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        // "ß" and friends have no single-char uppercase: leave as is.
        _ => c,
    }
}

fn strip_modifier(s: &str) -> Option<(KeyModifiers, &str)> {
    const PREFIXES: [(&str, KeyModifiers); 4] = [
        ("ctrl", KeyModifiers::CONTROL),
        ("control", KeyModifiers::CONTROL),
        ("alt", KeyModifiers::ALT),
        ("shift", KeyModifiers::SHIFT),
    ];
    for (name, m) in PREFIXES {
        let Some((head, after)) = s.split_at_checked(name.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(name) {
            continue;
        }
        if let Some(after) = after.strip_prefix('-').or_else(|| after.strip_prefix('+')) {
            return Some((m, after));
        }
    }
    None
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    let code = match lower.as_str() {
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdown" | "pgdn" => KeyCode::PageDown,
        "space" => KeyCode::Char(' '),
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        _ => {
            let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
            if !(1..=12).contains(&n) {
                return None;
            }
            KeyCode::F(n)
        }
    };
    Some(code)
}

impl fmt::Display for Key {
    /// The same syntax the config accepts, so what the help overlay shows can
    /// be pasted into `[keys]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Up => f.write_str("Up"),
            KeyCode::Down => f.write_str("Down"),
            KeyCode::Left => f.write_str("Left"),
            KeyCode::Right => f.write_str("Right"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PageUp"),
            KeyCode::PageDown => f.write_str("PageDown"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            other => write!(f, "{other:?}"),
        }
    }
}

const CTRL_C: Key = Key {
    code: KeyCode::Char('c'),
    mods: KeyModifiers::CONTROL,
};

/// Key → action map. Bindings keep their order so `keys_for` is stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bindings: Vec<(Key, Action)>,
}

impl Default for KeyMap {
    fn default() -> Self {
        const DEFAULTS: &[(Action, &[&str])] = &[
            (Action::Up, &["k", "Up"]),
            (Action::Down, &["j", "Down"]),
            (Action::Expand, &["l", "Right"]),
            (Action::Collapse, &["h", "Left"]),
            (Action::Activate, &["Enter"]),
            (Action::Top, &["g", "Home"]),
            (Action::Bottom, &["G", "End"]),
            (Action::PageUp, &["PageUp", "Ctrl-u"]),
            (Action::PageDown, &["PageDown", "Ctrl-d"]),
            (Action::Search, &["/"]),
            (Action::Escape, &["Esc"]),
            (Action::CopyId, &["y"]),
            (Action::CopyEmail, &["Y"]),
            (Action::JumpLeader, &["o"]),
            (Action::Reload, &["r"]),
            (Action::Help, &["?"]),
            (Action::Quit, &["q", "Ctrl-c"]),
            // Reserved for loading the whole directory (next issue).
            (Action::CrawlAll, &["a"]),
        ];
        let bindings = DEFAULTS
            .iter()
            .flat_map(|(action, keys)| {
                keys.iter()
                    .filter_map(|k| Key::parse(k))
                    .map(move |k| (k, *action))
            })
            .collect();
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// The action bound to this event, if any. Release events (only sent
    /// with the kitty keyboard protocol) are ignored so a key acts once.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let key = Key::from_event(ev);
        // Hard-wired, not just a default: see the module docs.
        if key == CTRL_C {
            return Some(Action::Quit);
        }
        self.lookup(key)
    }

    fn lookup(&self, key: Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)
    }

    /// The keys bound to `action`, as display strings, in binding order.
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k.to_string())
            .collect()
    }

    /// The defaults with the config's `[keys]` table applied.
    ///
    /// Each entry maps an action name to a key or a list of keys and replaces
    /// that action's keys; those keys are taken away from whatever other
    /// action had them. An empty list unbinds the action. Two entries
    /// claiming the same key is an error, as is binding Ctrl-c to anything
    /// but `quit`.
    pub fn with_overrides(table: &toml::Table) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        map.apply_overrides(table)?;
        Ok(map)
    }

    fn apply_overrides(&mut self, table: &toml::Table) -> Result<(), String> {
        // Parse and validate everything first so an error leaves the map as
        // it was.
        let mut overrides: Vec<(Action, Vec<Key>)> = Vec::new();
        for (name, value) in table {
            let ctx = format!("keys.{name}");
            let action = Action::from_name(name).ok_or_else(|| format!("{ctx}: unknown action"))?;
            let specs: Vec<&str> = match value {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .ok_or_else(|| format!("{ctx}: expected key strings, found {v}"))
                    })
                    .collect::<Result<_, _>>()?,
                other => {
                    return Err(format!(
                        "{ctx}: expected a key or a list of keys, found {other}"
                    ));
                }
            };
            let mut keys: Vec<Key> = Vec::new();
            for spec in specs {
                let key = Key::parse(spec).ok_or_else(|| format!("{ctx}: unknown key {spec:?}"))?;
                if key == CTRL_C && action != Action::Quit {
                    return Err(format!("{ctx}: Ctrl-c is reserved for quit"));
                }
                if let Some((other, _)) = overrides.iter().find(|(_, ks)| ks.contains(&key)) {
                    return Err(format!(
                        "{ctx}: key {key} is also bound to {} in [keys]",
                        other.name()
                    ));
                }
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            overrides.push((action, keys));
        }

        for (action, keys) in overrides {
            self.bindings
                .retain(|(k, a)| *a != action && !keys.contains(k));
            self.bindings.extend(keys.into_iter().map(|k| (k, action)));
        }
        // Keep the help overlay truthful about the hard-wired Ctrl-c.
        if !self.bindings.contains(&(CTRL_C, Action::Quit)) {
            self.bindings.push((CTRL_C, Action::Quit));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    fn ch(c: char) -> KeyEvent {
        ev(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        ev(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn table(src: &str) -> toml::Table {
        src.parse::<toml::Table>().expect("test TOML parses")
    }

    #[test]
    fn defaults() {
        let m = KeyMap::default();
        let cases = [
            (ch('j'), Action::Down),
            (ev(KeyCode::Down, KeyModifiers::NONE), Action::Down),
            (ch('k'), Action::Up),
            (ev(KeyCode::Up, KeyModifiers::NONE), Action::Up),
            (ch('l'), Action::Expand),
            (ev(KeyCode::Right, KeyModifiers::NONE), Action::Expand),
            (ev(KeyCode::Enter, KeyModifiers::NONE), Action::Activate),
            (ch('h'), Action::Collapse),
            (ev(KeyCode::Left, KeyModifiers::NONE), Action::Collapse),
            (ch('g'), Action::Top),
            (ev(KeyCode::Home, KeyModifiers::NONE), Action::Top),
            (ch('G'), Action::Bottom),
            (ev(KeyCode::End, KeyModifiers::NONE), Action::Bottom),
            (ev(KeyCode::PageUp, KeyModifiers::NONE), Action::PageUp),
            (ev(KeyCode::PageDown, KeyModifiers::NONE), Action::PageDown),
            (ctrl('u'), Action::PageUp),
            (ctrl('d'), Action::PageDown),
            (ch('/'), Action::Search),
            (ev(KeyCode::Esc, KeyModifiers::NONE), Action::Escape),
            (ch('y'), Action::CopyId),
            (ch('Y'), Action::CopyEmail),
            (ch('o'), Action::JumpLeader),
            (ch('r'), Action::Reload),
            (ch('?'), Action::Help),
            (ch('q'), Action::Quit),
            (ctrl('c'), Action::Quit),
            (ch('a'), Action::CrawlAll),
        ];
        for (e, a) in cases {
            assert_eq!(m.action(&e), Some(a), "{e:?}");
        }
        assert_eq!(m.action(&ch('x')), None);
        assert_eq!(m.action(&ch('u')), None);
        assert_eq!(m.action(&ctrl('j')), None);
        assert_eq!(m.action(&ev(KeyCode::Down, KeyModifiers::SHIFT)), None);
    }

    #[test]
    fn every_action_has_a_default_key() {
        let m = KeyMap::default();
        for a in Action::ALL {
            assert!(!m.keys_for(a).is_empty(), "{a}");
        }
    }

    #[test]
    fn keys_for_display_order() {
        let m = KeyMap::default();
        assert_eq!(m.keys_for(Action::Down), ["j", "Down"]);
        assert_eq!(m.keys_for(Action::PageUp), ["PageUp", "Ctrl-u"]);
        assert_eq!(m.keys_for(Action::Quit), ["q", "Ctrl-c"]);
        assert_eq!(m.keys_for(Action::Bottom), ["G", "End"]);
        assert_eq!(m.keys_for(Action::Activate), ["Enter"]);
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            assert!(!a.description().is_empty());
        }
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
        assert_eq!(Action::CopyId.name(), "copy_id");
        assert_eq!(Action::PageDown.name(), "page_down");
    }

    #[test]
    fn uppercase_with_or_without_shift() {
        let m = KeyMap::default();
        // Most terminals: 'G' + SHIFT; some: 'G' alone; rarely 'g' + SHIFT.
        assert_eq!(
            m.action(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(m.action(&ch('G')), Some(Action::Bottom));
        assert_eq!(
            m.action(&ev(KeyCode::Char('g'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            m.action(&ev(KeyCode::Char('Y'), KeyModifiers::SHIFT)),
            Some(Action::CopyEmail)
        );
        // Shifted punctuation arrives with SHIFT too.
        assert_eq!(
            m.action(&ev(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
    }

    #[test]
    fn release_events_are_ignored() {
        let m = KeyMap::default();
        let mut e = ch('j');
        e.kind = KeyEventKind::Release;
        assert_eq!(m.action(&e), None);
        e.kind = KeyEventKind::Repeat;
        assert_eq!(m.action(&e), Some(Action::Down));
    }

    #[test]
    fn parse_syntax() {
        let k = |s: &str| Key::parse(s).map(|k| k.to_string());
        assert_eq!(k("j").as_deref(), Some("j"));
        assert_eq!(k("G").as_deref(), Some("G"));
        assert_eq!(k("Shift-g").as_deref(), Some("G"));
        assert_eq!(k("Ctrl-n").as_deref(), Some("Ctrl-n"));
        assert_eq!(k("ctrl+N").as_deref(), Some("Ctrl-n"));
        assert_eq!(k("Alt-x").as_deref(), Some("Alt-x"));
        assert_eq!(k("Alt-Shift-x").as_deref(), Some("Alt-X"));
        assert_eq!(k("Ctrl-Alt-Delete").as_deref(), Some("Ctrl-Alt-Delete"));
        assert_eq!(k("down").as_deref(), Some("Down"));
        assert_eq!(k("PgDn").as_deref(), Some("PageDown"));
        assert_eq!(k("Escape").as_deref(), Some("Esc"));
        assert_eq!(k("Space").as_deref(), Some("Space"));
        assert_eq!(k(" ").as_deref(), Some("Space"));
        assert_eq!(k("F1").as_deref(), Some("F1"));
        assert_eq!(k("f12").as_deref(), Some("F12"));
        assert_eq!(k("Shift-Tab").as_deref(), Some("Shift-Tab"));
        assert_eq!(k("BackTab").as_deref(), Some("Shift-Tab"));
        assert_eq!(k("Shift-Up").as_deref(), Some("Shift-Up"));
        assert_eq!(k("-").as_deref(), Some("-"));
        assert_eq!(k("Ctrl--").as_deref(), Some("Ctrl--"));
        assert_eq!(k("+").as_deref(), Some("+"));
        assert_eq!(k("张").as_deref(), Some("张"));
        for bad in [
            "", "F0", "F13", "Fx", "Ctrl-", "Ctrl-Foo", "jj", "Hyper-j", "Shift-/", "\t", "\u{1b}",
        ] {
            assert_eq!(Key::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "j",
            "G",
            "Ctrl-u",
            "Alt-X",
            "Shift-Tab",
            "Space",
            "F5",
            "PageDown",
            "Ctrl--",
            "?",
        ] {
            let key = Key::parse(s).expect("parses");
            assert_eq!(Key::parse(&key.to_string()), Some(key), "{s}");
        }
    }

    #[test]
    fn backtab_event_matches_shift_tab() {
        let m = KeyMap::with_overrides(&table(r#"help = "Shift-Tab""#)).unwrap();
        assert_eq!(
            m.action(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
        assert_eq!(
            m.action(&ev(KeyCode::BackTab, KeyModifiers::NONE)),
            Some(Action::Help)
        );
        assert_eq!(m.action(&ev(KeyCode::Tab, KeyModifiers::NONE)), None);
    }

    #[test]
    fn ctrl_letters_ignore_case() {
        let m = KeyMap::with_overrides(&table(r#"down = "Ctrl-N""#)).unwrap();
        assert_eq!(m.action(&ctrl('n')), Some(Action::Down));
        assert_eq!(
            m.action(&ev(
                KeyCode::Char('N'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            )),
            Some(Action::Down)
        );
    }

    #[test]
    fn overrides_merge_over_defaults() {
        let m = KeyMap::with_overrides(&table(
            r#"
            down = ["j", "Down", "Ctrl-n"]
            quit = "Q"
            "#,
        ))
        .unwrap();
        assert_eq!(m.keys_for(Action::Down), ["j", "Down", "Ctrl-n"]);
        assert_eq!(m.action(&ctrl('n')), Some(Action::Down));
        // Replaced, not added to.
        assert_eq!(m.action(&ch('q')), None);
        assert_eq!(m.action(&ch('Q')), Some(Action::Quit));
        // Ctrl-c survives a quit override and is shown.
        assert_eq!(m.action(&ctrl('c')), Some(Action::Quit));
        assert_eq!(m.keys_for(Action::Quit), ["Q", "Ctrl-c"]);
        // Untouched actions keep their defaults.
        assert_eq!(m.keys_for(Action::Up), ["k", "Up"]);
        assert_eq!(m.action(&ch('y')), Some(Action::CopyId));
    }

    #[test]
    fn override_steals_keys_from_other_actions() {
        let m = KeyMap::with_overrides(&table(r#"copy_id = ["c", "j"]"#)).unwrap();
        assert_eq!(m.action(&ch('j')), Some(Action::CopyId));
        assert_eq!(m.keys_for(Action::Down), ["Down"]);
        assert_eq!(m.keys_for(Action::CopyId), ["c", "j"]);
        assert_eq!(m.action(&ch('y')), None);
        // Every key maps to exactly one action.
        let mut keys: Vec<String> = Action::ALL.iter().flat_map(|a| m.keys_for(*a)).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }

    #[test]
    fn swapping_two_keys_works() {
        let m = KeyMap::with_overrides(&table("up = \"j\"\ndown = \"k\"")).unwrap();
        assert_eq!(m.action(&ch('j')), Some(Action::Up));
        assert_eq!(m.action(&ch('k')), Some(Action::Down));
        assert_eq!(m.keys_for(Action::Up), ["j"]);
        assert_eq!(m.keys_for(Action::Down), ["k"]);
    }

    #[test]
    fn empty_list_unbinds() {
        let m = KeyMap::with_overrides(&table("crawl_all = []")).unwrap();
        assert!(m.keys_for(Action::CrawlAll).is_empty());
        assert_eq!(m.action(&ch('a')), None);
    }

    #[test]
    fn duplicate_keys_in_one_list_are_merged() {
        let m = KeyMap::with_overrides(&table(r#"help = ["?", "?", "F1"]"#)).unwrap();
        assert_eq!(m.keys_for(Action::Help), ["?", "F1"]);
    }

    #[test]
    fn errors_name_the_entry() {
        let err = |src: &str| KeyMap::with_overrides(&table(src)).unwrap_err();
        assert_eq!(err(r#"copy_idd = "c""#), "keys.copy_idd: unknown action");
        assert_eq!(
            err(r#"down = "Ctrl-Foo""#),
            r#"keys.down: unknown key "Ctrl-Foo""#
        );
        assert_eq!(
            err(r#"down = ["j", "jj"]"#),
            r#"keys.down: unknown key "jj""#
        );
        assert!(err("down = 3").starts_with("keys.down: expected a key or a list"));
        assert!(err("down = [3]").starts_with("keys.down: expected key strings"));
        assert_eq!(
            err(r#"copy_id = "Ctrl-c""#),
            "keys.copy_id: Ctrl-c is reserved for quit"
        );
        let e = err("down = \"x\"\nup = \"x\"");
        assert!(e.contains("key x is also bound to"), "{e}");
    }

    #[test]
    fn ctrl_c_always_quits() {
        // Even with quit unbound entirely.
        let m = KeyMap::with_overrides(&table("quit = []")).unwrap();
        assert_eq!(m.action(&ctrl('c')), Some(Action::Quit));
        assert_eq!(m.keys_for(Action::Quit), ["Ctrl-c"]);
        // Caps lock or Ctrl-Shift-c.
        assert_eq!(
            m.action(&ev(
                KeyCode::Char('C'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            )),
            Some(Action::Quit)
        );
        assert_eq!(
            KeyMap::default().action(&ev(KeyCode::Char('C'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn quit_can_keep_ctrl_c_explicitly() {
        let m = KeyMap::with_overrides(&table(r#"quit = ["Ctrl-c", "Q"]"#)).unwrap();
        assert_eq!(m.keys_for(Action::Quit), ["Ctrl-c", "Q"]);
    }
}
