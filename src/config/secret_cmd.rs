//! `app_secret_cmd`: the command that prints a profile's secret, run with a deadline and
//! bounded output.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// `app_secret_cmd`, ready to run.
pub(super) struct SecretCmd<'a> {
    pub(super) cmd: &'a str,
    pub(super) file_name: &'a str,
    pub(super) key: &'a str,
    pub(super) timeout: Duration,
}

/// The most of a secret command's stdout and stderr kept: the secret is one line, and a
/// command that prints without end must not fill memory.
const MAX_CMD_OUTPUT: usize = 64 * 1024;

impl SecretCmd<'_> {
    /// Run the command through the shell; its first line of stdout is the secret. It is
    /// killed once `timeout` passes (a password manager waiting on a prompt nobody sees, a
    /// command that hangs); on failure the first line of its stderr is reported, with
    /// anything it printed on stdout cut out of it.
    pub(super) fn run(&self) -> Result<Secret> {
        use std::process::{Command, Stdio};
        let fail = |msg: String| Error::config(self.file_name, format!("{}: {msg}", self.key));
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(self.cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group, so that stopping it stops what it started too.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .map_err(|e| fail(format!("cannot run: {e}")))?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let started = std::time::Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() >= self.timeout => {
                    // The shell and everything it started (its process group): a
                    // password manager's helper left waiting must not outlive us.
                    kill_group(&mut child);
                    let _ = child.wait();
                    let why = first_line(&stderr.recv_timeout(Duration::from_millis(100)), &[]);
                    return Err(fail(format!(
                        "the command did not finish within {} s (app_secret_cmd_timeout_secs) \
                         and was stopped{}",
                        self.timeout.as_secs(),
                        why.map(|l| format!("; it said: {l}")).unwrap_or_default()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(fail(format!("cannot wait for the command: {e}"))),
            }
        };
        // The command is done; a background process it left holding the pipes gets no
        // longer than what is left of the timeout.
        let left = self
            .timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(100));
        let out = stdout.recv_timeout(left).unwrap_or_default();
        let text = String::from_utf8_lossy(&out);
        let secret = text.lines().next().unwrap_or("").trim().to_string();
        if !status.success() {
            let err = stderr.recv_timeout(Duration::from_millis(100));
            let why = first_line(&err, &[secret.as_str()])
                .map(|l| format!(": {l}"))
                .unwrap_or_default();
            let how = match status.code() {
                Some(code) => format!("exit status {code}"),
                None => "killed by a signal".to_string(),
            };
            return Err(fail(format!("the command failed ({how}){why}")));
        }
        if std::str::from_utf8(&out).is_err() {
            return Err(fail("output is not UTF-8".into()));
        }
        if secret.is_empty() {
            return Err(fail("the command printed nothing".into()));
        }
        Ok(Secret::new(secret))
    }
}

/// Stop `child` and, on Unix, every process in its group (it leads one, see `run`).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id())
        && pid > 0
    {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative
        // pid names the process group the child leads (created with `process_group(0)`).
        unsafe {
            libc::kill(pid.saturating_neg(), libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

/// Read `pipe` to its end on a thread, keeping the first `MAX_CMD_OUTPUT` bytes; the bytes
/// come on the channel once the pipe closes.
fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(mut pipe) = pipe {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let room = MAX_CMD_OUTPUT.saturating_sub(kept.len());
                        kept.extend(buf.iter().take(n.min(room)));
                    }
                }
            }
            let _ = tx.send(kept);
        });
    }
    rx
}

/// The first non-blank line of a command's stderr, sanitized, with each of `secrets` cut out.
fn first_line(
    got: &std::result::Result<Vec<u8>, std::sync::mpsc::RecvTimeoutError>,
    secrets: &[&str],
) -> Option<String> {
    let bytes = got.as_ref().ok()?;
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let scrubbed = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(line.to_string(), |l, s| Secret::new(*s).scrub(&l));
    Some(crate::text::sanitize_line(&scrubbed, 200))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Whether process `pid` still runs (a zombie waiting to be reaped does not).
    fn running(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, rest)| rest.trim_start().to_string())
            })
            .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
    }

    /// A command that leaves a child in the background and hangs: at the timeout the child
    /// is stopped with it, not left running.
    #[test]
    fn a_timed_out_command_takes_its_background_children_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let cmd = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let err = SecretCmd {
            cmd: &cmd,
            file_name: "config.toml",
            key: "app_secret_cmd",
            timeout: Duration::from_millis(500),
        }
        .run()
        .err()
        .unwrap();
        assert!(err.to_string().contains("did not finish"), "{err}");
        let pid = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .to_string();
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            !running(&pid)
        });
        assert!(gone, "the background sleep {pid} outlived the timeout");
    }
}
