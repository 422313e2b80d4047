//! The key → action map: the defaults and the config file's `[keys]` overrides.

use ratatui::crossterm::event::{KeyEvent, KeyEventKind};

use super::Action;
use super::key::{CTRL_C, Key};

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
            // Ctrl-r too: in the search box a plain R is typed.
            (Action::Reports, &["R", "Ctrl-r"]),
            (Action::Reload, &["r"]),
            (Action::Help, &["?"]),
            (Action::Quit, &["q", "Ctrl-c"]),
            (Action::CrawlAll, &["a"]),
            (Action::PauseCrawl, &["p"]),
            (Action::Changes, &["C"]),
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

    pub(super) fn lookup(&self, key: Key) -> Option<Action> {
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

    pub(super) fn apply_overrides(&mut self, table: &toml::Table) -> Result<(), String> {
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
