//! Copying ids and emails to the user's clipboard.
//!
//! orgtui mostly runs over SSH and inside tmux, where the only clipboard that
//! matters is the one of the machine the user sits at. OSC 52 reaches it
//! through the terminal itself, so it is the primary mechanism; a native tool
//! (`pbcopy`, `wl-copy`, `xclip`, `xsel`) is a complement for local sessions
//! whose terminal ignores OSC 52.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Largest text (UTF-8 bytes, after stripping) we agree to copy. Ids and
/// emails are tiny; anything this big is a bug, and terminals cap the OSC 52
/// payload they accept anyway.
pub const MAX_COPY_BYTES: usize = 100_000;

/// How long a native tool may take to accept the text before we give up, so a
/// hung helper never freezes the UI for more than this.
const NATIVE_TIMEOUT: Duration = Duration::from_secs(2);

/// After stdin is closed, how long we watch the tool for an early failure
/// (e.g. "can't open display") before leaving it to run in the background.
const NATIVE_GRACE: Duration = Duration::from_millis(150);

/// GNU screen keeps a DCS string in a fixed buffer (256 bytes before 4.2,
/// 768 since) and, on overflow, drops out of string mode so the rest of the
/// sequence is printed as text. Each piece we send must therefore stay well
/// under the smallest limit; 76 bytes plus the 4 bytes of `ESC P`/`ESC \`
/// fits every version with a wide margin.
const SCREEN_CHUNK: usize = 76;

const ESC: char = '\x1b';
const BEL: char = '\x07';

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

fn write_osc52(text: &str, env: &TermEnv, out: &mut impl Write) -> io::Result<()> {
    out.write_all(osc52_sequence(text, env).as_bytes())?;
    out.flush()
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

/// A native clipboard program and its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeTool {
    pub program: &'static str,
    pub args: &'static [&'static str],
}

const PBCOPY: NativeTool = NativeTool {
    program: "pbcopy",
    args: &[],
};
const WL_COPY: NativeTool = NativeTool {
    program: "wl-copy",
    args: &[],
};
const XCLIP: NativeTool = NativeTool {
    program: "xclip",
    args: &["-selection", "clipboard"],
};
const XSEL: NativeTool = NativeTool {
    program: "xsel",
    args: &["--clipboard", "--input"],
};

/// The tools worth trying in this environment, in order of preference.
pub fn native_candidates(env: &TermEnv) -> Vec<NativeTool> {
    let mut tools = Vec::new();
    if env.macos {
        tools.push(PBCOPY);
    }
    if env.wayland {
        tools.push(WL_COPY);
    }
    // Under Wayland `display` is also set; xclip/xsel then still work through
    // XWayland when wl-copy is missing.
    if env.display {
        tools.push(XCLIP);
        tools.push(XSEL);
    }
    tools
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum NativeError {
    NoTool,
    Failed(String),
}

impl fmt::Display for NativeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NativeError::NoTool => {
                write!(
                    f,
                    "no clipboard tool (pbcopy, wl-copy, xclip, xsel) usable here"
                )
            }
            NativeError::Failed(msg) => f.write_str(msg),
        }
    }
}

impl From<NativeError> for String {
    fn from(e: NativeError) -> String {
        e.to_string()
    }
}

fn copy_native(text: &str, env: &TermEnv) -> Result<&'static str, NativeError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    let tool = native_candidates(env)
        .into_iter()
        .find(|t| find_program(t.program, &dirs).is_some())
        .ok_or(NativeError::NoTool)?;
    run_tool(tool.program, tool.args, text, NATIVE_TIMEOUT)
        .map(|()| tool.program)
        .map_err(|e| NativeError::Failed(format!("{}: {e}", tool.program)))
}

/// Looks `name` up in `dirs` like a shell would, so we only pick a tool that
/// is actually installed instead of failing on the first missing one.
fn find_program(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(name)).find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// Pipes `text` into the tool. Waits only for the text to be written and
/// stdin closed (bounded by `timeout`), plus a short grace period to catch
/// immediate failures; the process is never left as a zombie.
/// `d` from now; a span too long for an `Instant` is as good as forever.
fn after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(u64::from(u32::MAX))))
        .unwrap_or(now)
}

fn run_tool(program: &str, args: &[&str], text: &str, timeout: Duration) -> Result<(), String> {
    let deadline = after(timeout);
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        // Anything the tool prints would land in the middle of the TUI.
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;

    let Some(mut stdin) = child.stdin.take() else {
        reap_in_background(child, true);
        return Err("no stdin pipe".into());
    };
    // A tool that never reads would block write_all forever once the pipe
    // buffer is full, so the write runs on its own thread and we wait for it
    // with a timeout.
    let data = text.as_bytes().to_vec();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let res = stdin.write_all(&data);
        // Dropping stdin closes the pipe: that is the tool's signal that the
        // text is complete.
        drop(stdin);
        let _ = tx.send(res);
    });
    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            reap_in_background(child, true);
            return Err(format!("write failed: {e}"));
        }
        Err(_) => {
            // Killing the child also unblocks the writer thread (EPIPE).
            reap_in_background(child, true);
            return Err(format!("timed out after {}s", timeout.as_secs()));
        }
    }

    // xclip, xsel and wl-copy fork a process that keeps serving the
    // selection; the one we started normally exits right away. Watch it
    // briefly so a "can't open display" shows up as an error.
    let grace_end = after(NATIVE_GRACE).min(deadline);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("exited with {status}")),
            Ok(None) if Instant::now() < grace_end => thread::sleep(Duration::from_millis(10)),
            // Still running (e.g. xclip kept in the foreground to own the
            // selection): it has the text, let it be and reap it later.
            Ok(None) => {
                reap_in_background(child, false);
                return Ok(());
            }
            Err(e) => {
                reap_in_background(child, true);
                return Err(format!("wait failed: {e}"));
            }
        }
    }
}

/// Waits for the child on a detached thread so it never becomes a zombie,
/// without making the caller wait for it.
fn reap_in_background(mut child: Child, kill: bool) {
    if kill {
        let _ = child.kill();
    }
    thread::spawn(move || {
        let _ = child.wait();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> TermEnv {
        TermEnv::default()
    }

    fn tmux() -> TermEnv {
        TermEnv {
            tmux: true,
            ..TermEnv::default()
        }
    }

    fn screen() -> TermEnv {
        TermEnv {
            screen: true,
            ..TermEnv::default()
        }
    }

    fn env_from(vars: &[(&str, &str)]) -> TermEnv {
        TermEnv::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn plain_sequence_exact_bytes() {
        // base64("ou_123") = "b3VfMTIz"
        assert_eq!(osc52_sequence("ou_123", &plain()), "\x1b]52;c;b3VfMTIz\x07");
    }

    #[test]
    fn tmux_sequence_is_plain_then_passthrough_with_doubled_escapes() {
        assert_eq!(
            osc52_sequence("ou_123", &tmux()),
            "\x1b]52;c;b3VfMTIz\x07\x1bPtmux;\x1b\x1b]52;c;b3VfMTIz\x07\x1b\\"
        );
    }

    #[test]
    fn tmux_wins_over_screen() {
        let env = TermEnv {
            tmux: true,
            screen: true,
            ..TermEnv::default()
        };
        assert_eq!(osc52_sequence("x", &env), osc52_sequence("x", &tmux()));
    }

    #[test]
    fn screen_sequence_short() {
        assert_eq!(
            osc52_sequence("ou_123", &screen()),
            "\x1bP\x1b]52;c;b3VfMTIz\x07\x1b\\"
        );
    }

    #[test]
    fn screen_sequence_is_chunked() {
        let text = "a".repeat(200);
        let seq = osc52_sequence(&text, &screen());
        let pieces: Vec<&str> = seq.split("\x1b\\").filter(|p| !p.is_empty()).collect();
        assert!(pieces.len() > 1);
        let mut joined = String::new();
        for p in &pieces {
            let body = p.strip_prefix("\x1bP").expect("each piece is a DCS");
            assert!(body.len() <= SCREEN_CHUNK, "piece too long: {}", body.len());
            joined.push_str(body);
        }
        // The outer terminal sees the bodies back to back: the plain OSC.
        assert_eq!(joined, osc52_sequence(&text, &plain()));
        // ESC ]52;c; (7) + base64 (268) + BEL (1) = 276 = 76 * 3 + 48.
        let lens: Vec<usize> = pieces.iter().map(|p| p.len() - 2).collect();
        assert_eq!(lens, vec![76, 76, 76, 48]);
    }

    #[test]
    fn cjk_text_is_base64_of_utf8() {
        // "张三" = e5 bc a0 e4 b8 89
        assert_eq!(osc52_sequence("张三", &plain()), "\x1b]52;c;5byg5LiJ\x07");
    }

    #[test]
    fn mode_parsing() {
        assert_eq!(ClipboardMode::parse("auto"), Some(ClipboardMode::Auto));
        assert_eq!(ClipboardMode::parse("osc52"), Some(ClipboardMode::Osc52));
        assert_eq!(ClipboardMode::parse("native"), Some(ClipboardMode::Native));
        assert_eq!(ClipboardMode::parse("off"), Some(ClipboardMode::Off));
        assert_eq!(ClipboardMode::parse("Auto"), None);
        assert_eq!(ClipboardMode::parse("osc-52"), None);
        assert_eq!(ClipboardMode::parse(""), None);
        for m in [
            ClipboardMode::Auto,
            ClipboardMode::Osc52,
            ClipboardMode::Native,
            ClipboardMode::Off,
        ] {
            assert_eq!(ClipboardMode::parse(m.name()), Some(m));
        }
    }

    #[test]
    fn off_is_an_error_and_writes_nothing() {
        let mut out = Vec::new();
        let err = copy("x", ClipboardMode::Off, &plain(), &mut out).unwrap_err();
        assert_eq!(err, "clipboard is off");
        assert!(out.is_empty());
    }

    #[test]
    fn control_chars_are_stripped() {
        let mut out = Vec::new();
        let report = copy(
            "ou\x1b[31m_1\n2\u{202E}3\x07",
            ClipboardMode::Osc52,
            &plain(),
            &mut out,
        )
        .unwrap();
        let expected = osc52_sequence("ou[31m_123", &plain());
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        assert_eq!(report.osc52, Some(Osc52Wrap::Plain));
        assert_eq!(report.native, None);
        assert_eq!(report.bytes, "ou[31m_123".len());
    }

    #[test]
    fn only_control_chars_is_an_error() {
        let mut out = Vec::new();
        assert!(copy("\n\t\x1b", ClipboardMode::Osc52, &plain(), &mut out).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn too_long_is_refused() {
        let mut out = Vec::new();
        let big = "a".repeat(MAX_COPY_BYTES + 1);
        let err = copy(&big, ClipboardMode::Osc52, &plain(), &mut out).unwrap_err();
        assert!(err.contains("refusing"), "{err}");
        assert!(out.is_empty());
        let ok = "a".repeat(MAX_COPY_BYTES);
        assert!(copy(&ok, ClipboardMode::Osc52, &plain(), &mut out).is_ok());
    }

    #[test]
    fn auto_without_display_is_osc52_only() {
        let mut out = Vec::new();
        let report = copy("ou_123", ClipboardMode::Auto, &tmux(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            osc52_sequence("ou_123", &tmux())
        );
        assert_eq!(report.native, None);
        assert_eq!(report.native_error, None);
        assert_eq!(report.to_string(), "OSC 52 (tmux)");
    }

    #[test]
    fn native_without_display_errors() {
        let mut out = Vec::new();
        let err = copy("x", ClipboardMode::Native, &plain(), &mut out).unwrap_err();
        assert!(err.contains("no clipboard tool"), "{err}");
        assert!(out.is_empty());
    }

    #[test]
    fn report_text() {
        let r = CopyReport {
            osc52: Some(Osc52Wrap::Plain),
            native: Some("wl-copy"),
            native_error: None,
            bytes: 3,
        };
        assert_eq!(r.to_string(), "OSC 52 + wl-copy");
        let r = CopyReport {
            osc52: Some(Osc52Wrap::Screen),
            native: None,
            native_error: Some("xclip: exited with exit status: 1".into()),
            bytes: 3,
        };
        assert_eq!(
            r.to_string(),
            "OSC 52 (screen) (xclip: exited with exit status: 1)"
        );
    }

    #[test]
    fn env_detection() {
        let e = env_from(&[
            ("TMUX", "/tmp/tmux-1/default,1,0"),
            ("TERM", "screen-256color"),
        ]);
        assert!(e.tmux && !e.screen);
        let e = env_from(&[("TERM", "screen.xterm-256color")]);
        assert!(e.screen && !e.tmux);
        let e = env_from(&[("STY", "123.pts-0.host"), ("TERM", "xterm")]);
        assert!(e.screen);
        let e = env_from(&[("DISPLAY", ":0")]);
        assert!(e.display && !e.wayland);
        let e = env_from(&[("WAYLAND_DISPLAY", "wayland-0")]);
        assert!(e.display && e.wayland);
        // Empty means unset.
        let e = env_from(&[("DISPLAY", ""), ("TMUX", "")]);
        assert!(!e.display && !e.tmux);
    }

    #[test]
    fn candidates_follow_environment() {
        let names = |env: TermEnv| -> Vec<&str> {
            native_candidates(&env).iter().map(|t| t.program).collect()
        };
        assert!(names(plain()).is_empty());
        assert_eq!(
            names(TermEnv {
                display: true,
                ..plain()
            }),
            ["xclip", "xsel"]
        );
        assert_eq!(
            names(TermEnv {
                display: true,
                wayland: true,
                ..plain()
            }),
            ["wl-copy", "xclip", "xsel"]
        );
        assert_eq!(
            names(TermEnv {
                macos: true,
                ..plain()
            }),
            ["pbcopy"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn run_tool_pipes_text_and_reports_failure() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("copied");
        // `sh -c 'cat > file'` stands in for a clipboard tool.
        let script = format!("cat > '{}'", target.display());
        run_tool("sh", &["-c", &script], "ou_123", NATIVE_TIMEOUT).unwrap();
        // The grace period normally sees `sh` exit; if not, wait a moment.
        let mut content = String::new();
        for _ in 0..100 {
            content = std::fs::read_to_string(&target).unwrap_or_default();
            if content == "ou_123" {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(content, "ou_123");

        let err =
            run_tool("sh", &["-c", "cat >/dev/null; exit 3"], "x", NATIVE_TIMEOUT).unwrap_err();
        assert!(err.contains("exited"), "{err}");

        assert!(run_tool("orgtui-no-such-clipboard-tool", &[], "x", NATIVE_TIMEOUT).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn run_tool_times_out_on_a_tool_that_never_reads() {
        // Larger than a pipe buffer so write_all blocks.
        let text = "a".repeat(MAX_COPY_BYTES);
        let start = Instant::now();
        let err = run_tool("sleep", &["30"], &text, Duration::from_millis(300)).unwrap_err();
        assert!(err.contains("timed out"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn find_program_in_dirs() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_program("nope", &[dir.path().to_path_buf()]), None);
    }
}
