//! Native clipboard tools (`pbcopy`, `wl-copy`, `xclip`, `xsel`): which are worth trying
//! here, and feeding one the text without ever hanging the UI or leaving a zombie.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::TermEnv;

/// How long a native tool may take to accept the text before we give up, so a
/// hung helper never freezes the UI for more than this.
pub(super) const NATIVE_TIMEOUT: Duration = Duration::from_secs(2);

/// After stdin is closed, how long we watch the tool for an early failure
/// (e.g. "can't open display") before leaving it to run in the background.
pub(super) const NATIVE_GRACE: Duration = Duration::from_millis(150);

/// A native clipboard program and its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeTool {
    pub program: &'static str,
    pub args: &'static [&'static str],
}

pub(super) const PBCOPY: NativeTool = NativeTool {
    program: "pbcopy",
    args: &[],
};
pub(super) const WL_COPY: NativeTool = NativeTool {
    program: "wl-copy",
    args: &[],
};
pub(super) const XCLIP: NativeTool = NativeTool {
    program: "xclip",
    args: &["-selection", "clipboard"],
};
pub(super) const XSEL: NativeTool = NativeTool {
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
pub(super) enum NativeError {
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

pub(super) fn copy_native(text: &str, env: &TermEnv) -> Result<&'static str, NativeError> {
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
pub(super) fn find_program(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(name)).find(|p| is_executable(p))
}

#[cfg(unix)]
pub(super) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
pub(super) fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// `d` from now; a span too long for an `Instant` is as good as forever.
pub(super) fn after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(u64::from(u32::MAX))))
        .unwrap_or(now)
}

/// Pipes `text` into the tool. Waits only for the text to be written and
/// stdin closed (bounded by `timeout`), plus a short grace period to catch
/// immediate failures; the process is never left as a zombie.
pub(super) fn run_tool(
    program: &str,
    args: &[&str],
    text: &str,
    timeout: Duration,
) -> Result<(), String> {
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
pub(super) fn reap_in_background(mut child: Child, kill: bool) {
    if kill {
        let _ = child.kill();
    }
    thread::spawn(move || {
        let _ = child.wait();
    });
}
