//! The OSC 52 escape sequence, wrapped for tmux or GNU screen so it reaches the outer
//! terminal.

use std::io::{self, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::TermEnv;

/// GNU screen keeps a DCS string in a fixed buffer (256 bytes before 4.2,
/// 768 since) and, on overflow, drops out of string mode so the rest of the
/// sequence is printed as text. Each piece we send must therefore stay well
/// under the smallest limit; 76 bytes plus the 4 bytes of `ESC P`/`ESC \`
/// fits every version with a wide margin.
pub(super) const SCREEN_CHUNK: usize = 76;

pub(super) const ESC: char = '\x1b';
pub(super) const BEL: char = '\x07';

/// How the OSC 52 sequence was wrapped for a multiplexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Osc52Wrap {
    Plain,
    Tmux,
    Screen,
}

impl Osc52Wrap {
    pub fn for_env(env: &TermEnv) -> Self {
        // tmux first: when both are set, tmux is the one we are talking to in
        // the common "tmux started from a screen session" case, and its
        // panes inherit STY.
        if env.tmux {
            Self::Tmux
        } else if env.screen {
            Self::Screen
        } else {
            Self::Plain
        }
    }
}

/// Builds the escape sequence that asks the terminal to set its clipboard to
/// `text`, wrapped so tmux or screen pass it to the outer terminal.
///
/// The caller is expected to have cleaned `text` (see [`copy`]); this only
/// encodes, and base64 cannot carry anything that would end the sequence.
pub fn osc52_sequence(text: &str, env: &TermEnv) -> String {
    let osc = format!("{ESC}]52;c;{}{BEL}", BASE64.encode(text.as_bytes()));
    match Osc52Wrap::for_env(env) {
        Osc52Wrap::Plain => osc,
        Osc52Wrap::Tmux => {
            // Both ways through tmux: the plain sequence, which tmux itself acts on when
            // `set-clipboard on` (it sets its buffer and forwards to the outer terminal),
            // and the passthrough form for `allow-passthrough on` (tmux >= 3.3), whose
            // payload ESCs are doubled so tmux does not take them as the end of its DCS.
            // Where both get through, the clipboard is set twice to the same text.
            let inner = osc.replace(ESC, "\x1b\x1b");
            format!("{osc}{ESC}Ptmux;{inner}{ESC}\\")
        }
        Osc52Wrap::Screen => {
            // screen forwards each DCS body verbatim to the outer terminal,
            // which therefore sees the concatenation, i.e. the original OSC.
            // The sequence is pure ASCII, so byte chunks are char-safe.
            let wrapping = (osc.len() / SCREEN_CHUNK)
                .saturating_add(1)
                .saturating_mul(4);
            let mut out = String::with_capacity(osc.len().saturating_add(wrapping));
            for chunk in osc.as_bytes().chunks(SCREEN_CHUNK) {
                out.push(ESC);
                out.push('P');
                out.push_str(&String::from_utf8_lossy(chunk));
                out.push(ESC);
                out.push('\\');
            }
            out
        }
    }
}
pub(super) fn write_osc52(text: &str, env: &TermEnv, out: &mut impl Write) -> io::Result<()> {
    out.write_all(osc52_sequence(text, env).as_bytes())?;
    out.flush()
}
