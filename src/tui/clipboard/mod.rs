//! Copying ids and emails to the user's clipboard.
//!
//! orgtui mostly runs over SSH and inside tmux, where the only clipboard that
//! matters is the one of the machine the user sits at. OSC 52 reaches it
//! through the terminal itself, so it is the primary mechanism; a native tool
//! (`pbcopy`, `wl-copy`, `xclip`, `xsel`) is a complement for local sessions
//! whose terminal ignores OSC 52.

mod native;
mod osc52;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io::{self, Write};

use native::{NativeError, copy_native};
pub use native::{NativeTool, native_candidates};
use osc52::write_osc52;
pub use osc52::{Osc52Wrap, osc52_sequence};

/// Largest text (UTF-8 bytes, after stripping) we agree to copy. Ids and
/// emails are tiny; anything this big is a bug, and terminals cap the OSC 52
/// payload they accept anyway.
pub const MAX_COPY_BYTES: usize = 100_000;

/// The `clipboard` setting of the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClipboardMode {
    /// OSC 52 always, plus a native tool when a display is there.
    #[default]
    Auto,
    /// Only OSC 52 (to the terminal).
    Osc52,
    /// Only a native tool; an error if none is usable.
    Native,
    /// Copying is disabled.
    Off,
}

impl ClipboardMode {
    /// Parses the config value; exact lowercase names only, so a typo is
    /// reported instead of silently meaning something else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "osc52" => Some(Self::Osc52),
            "native" => Some(Self::Native),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Osc52 => "osc52",
            Self::Native => "native",
            Self::Off => "off",
        }
    }
}

/// What we know about the terminal and desktop, captured once so the
/// functions here stay pure and testable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TermEnv {
    /// Inside tmux (`TMUX` set).
    pub tmux: bool,
    /// Inside GNU screen (`STY` set, or `TERM=screen*` outside tmux).
    pub screen: bool,
    /// A graphical display is reachable (`DISPLAY` or `WAYLAND_DISPLAY`).
    pub display: bool,
    /// A Wayland display (`WAYLAND_DISPLAY`).
    pub wayland: bool,
    /// Running on macOS, where `pbcopy` works without any display variable.
    pub macos: bool,
}

impl TermEnv {
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
    }

    /// Builds the environment from a variable lookup; empty values count as
    /// unset because shells often export `DISPLAY=` to disable X.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| get(name).is_some_and(|v| !v.is_empty());
        let tmux = set("TMUX");
        // tmux also advertises TERM=screen*, so TERM alone means screen only
        // outside tmux.
        let term_screen = get("TERM").is_some_and(|t| t.starts_with("screen"));
        let screen = set("STY") || (term_screen && !tmux);
        let wayland = set("WAYLAND_DISPLAY");
        let display = wayland || set("DISPLAY");
        TermEnv {
            tmux,
            screen,
            display,
            wayland,
            macos: cfg!(target_os = "macos"),
        }
    }
}

/// What [`copy`] did, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Set when an OSC 52 sequence was written to the terminal.
    pub osc52: Option<Osc52Wrap>,
    /// The native tool that accepted the text.
    pub native: Option<&'static str>,
    /// In `Auto` mode, why a native tool that was tried failed (OSC 52 was
    /// still sent, so the copy as a whole did not fail).
    pub native_error: Option<String>,
    /// Bytes copied, after stripping.
    pub bytes: usize,
}

impl fmt::Display for CopyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        match self.osc52 {
            Some(Osc52Wrap::Plain) => parts.push("OSC 52".into()),
            Some(Osc52Wrap::Tmux) => parts.push("OSC 52 (tmux)".into()),
            Some(Osc52Wrap::Screen) => parts.push("OSC 52 (screen)".into()),
            None => {}
        }
        if let Some(tool) = self.native {
            parts.push(tool.into());
        }
        write!(f, "{}", parts.join(" + "))?;
        if let Some(err) = &self.native_error {
            write!(f, " ({err})")?;
        }
        Ok(())
    }
}

/// Copies `text` according to `mode`. OSC 52 goes to `out`, which must be the
/// terminal (the TUI's backend writer); it is flushed here.
pub fn copy(
    text: &str,
    mode: ClipboardMode,
    env: &TermEnv,
    out: &mut impl Write,
) -> Result<CopyReport, String> {
    if mode == ClipboardMode::Off {
        return Err("clipboard is off".into());
    }
    let clean = clean_text(text)?;
    let mut report = CopyReport {
        osc52: None,
        native: None,
        native_error: None,
        bytes: clean.len(),
    };

    let plan = CopyPlan::new(mode, env);
    if plan.osc52 {
        write_osc52(&clean, env, out).map_err(|e| format!("writing OSC 52 failed: {e}"))?;
        report.osc52 = Some(Osc52Wrap::for_env(env));
    }

    if plan.native {
        match copy_native(&clean, env) {
            Ok(tool) => report.native = Some(tool),
            // Asked for by name: not having one is the error.
            Err(e) if mode == ClipboardMode::Native => return Err(e.into()),
            // "Nothing installed" is normal and not worth reporting; a tool
            // that was found but failed is.
            Err(NativeError::NoTool) => {}
            Err(e) => report.native_error = Some(e.to_string()),
        }
    }
    Ok(report)
}

/// Which mechanisms a copy uses: the one place that decides what `auto` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyPlan {
    /// Write OSC 52 to the terminal.
    pub osc52: bool,
    /// Hand the text to a native tool too.
    pub native: bool,
}

impl CopyPlan {
    pub fn new(mode: ClipboardMode, env: &TermEnv) -> CopyPlan {
        CopyPlan {
            osc52: matches!(mode, ClipboardMode::Auto | ClipboardMode::Osc52),
            // Without a display there is no local clipboard a tool could reach;
            // OSC 52 alone is the right answer over plain SSH.
            native: mode == ClipboardMode::Native
                || (mode == ClipboardMode::Auto && (env.display || env.macos)),
        }
    }
}

/// Where the TUI's copies go. The executor decides the order (OSC 52 in line with the
/// frames, the native tool on a blocking thread) and the message; this says how each step
/// is done, so tests can record the text instead of touching a real clipboard.
pub trait CopyTarget: Send + Sync {
    fn plan(&self) -> CopyPlan;
    /// Write the OSC 52 sequence to `terminal`; what was done, for the status bar.
    fn osc52(&self, text: &str, terminal: &mut dyn Write) -> Result<String, String>;
    /// Hand the text to a native tool (may block for a moment).
    fn native(&self, text: &str) -> Result<String, String>;
}

/// The user's clipboard, as the `clipboard` setting and the environment allow.
#[derive(Debug, Clone, Copy)]
pub struct SystemClipboard {
    pub mode: ClipboardMode,
    pub env: TermEnv,
}

impl CopyTarget for SystemClipboard {
    fn plan(&self) -> CopyPlan {
        CopyPlan::new(self.mode, &self.env)
    }

    fn osc52(&self, text: &str, mut terminal: &mut dyn Write) -> Result<String, String> {
        copy(text, ClipboardMode::Osc52, &self.env, &mut terminal).map(|r| r.to_string())
    }

    fn native(&self, text: &str) -> Result<String, String> {
        copy(text, ClipboardMode::Native, &self.env, &mut io::sink()).map(|r| r.to_string())
    }
}

/// Removes characters that could act on the terminal or reorder text (the
/// same set the UI refuses to display) and enforces the size limit.
fn clean_text(text: &str) -> Result<String, String> {
    let clean: String = text
        .chars()
        .filter(|&c| !crate::text::is_unsafe(c))
        .collect();
    if clean.is_empty() {
        return Err("nothing to copy".into());
    }
    if clean.len() > MAX_COPY_BYTES {
        return Err(format!(
            "refusing to copy {} bytes (limit {MAX_COPY_BYTES})",
            clean.len()
        ));
    }
    Ok(clean)
}
