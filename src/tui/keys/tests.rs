//! The key syntax, the defaults and the overrides.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

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
        (ch('p'), Action::PauseCrawl),
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
