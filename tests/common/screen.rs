//! The browser's screen and keys for tests that drive the real `App`: key sequences written
//! as text, and a frame rendered on ratatui's TestBackend as text.

use orgtui::tui::app::App;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

/// Keys as text: each char is a key, `<Name>` a named key (`<Enter>`, `<Esc>`, arrows,
/// `<Backspace>`, `<PageDown>`).
pub fn key_codes(keys: &str) -> Vec<KeyCode> {
    let mut out = Vec::new();
    let mut chars = keys.chars().peekable();
    while let Some(c) = chars.next() {
        let code = if c == '<' && chars.peek().is_some() {
            let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
            match name.as_str() {
                "Enter" => KeyCode::Enter,
                "Esc" => KeyCode::Esc,
                "Down" => KeyCode::Down,
                "Up" => KeyCode::Up,
                "Left" => KeyCode::Left,
                "Right" => KeyCode::Right,
                "Backspace" => KeyCode::Backspace,
                "PageDown" => KeyCode::PageDown,
                other => panic!("unknown key <{other}>"),
            }
        } else {
            KeyCode::Char(c)
        };
        out.push(code);
    }
    out
}

/// One frame of `app` at `w`×`h`, as text: a wide character (CJK) once, not followed by the
/// cell it covers.
pub fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| orgtui::tui::ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut skip = 0;
        for x in 0..w {
            let sym = buf[(x, y)].symbol();
            if skip == 0 {
                out.push_str(sym);
            }
            skip =
                std::cmp::max(skip, unicode_width::UnicodeWidthStr::width(sym)).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}
