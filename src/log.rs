//! A minimal file logger. Nothing is ever logged to the terminal (the TUI owns it); without a
//! log file set, messages are dropped. Callers never pass secrets here.
//!
//! The log is private (0600 in a 0700 directory, see `private_file`) and rotates at a size
//! cap: past `MAX_LOG_BYTES` the file becomes `orgtui.log.1` (the older `.1` becomes `.2`,
//! and so on up to `KEEP_OLD`), so the log never takes more than about
//! `(KEEP_OLD + 1) × MAX_LOG_BYTES` of disk. This is a size-capped writer of its own rather
//! than `tracing-appender`, which rotates by time only.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::private_file::open_append_private;

/// The size at which the log is rotated.
pub const MAX_LOG_BYTES: u64 = 8 * 1024 * 1024;
/// How many rotated logs are kept (`orgtui.log.1` is the newest of them).
pub const KEEP_OLD: u32 = 2;
/// A message longer than this is cut: one message can never fill the log by itself.
const MAX_LINE_CHARS: usize = 16 * 1024;

static SINK: OnceLock<Mutex<RotatingLog>> = OnceLock::new();

/// Send log lines to `path` (appended). Returns false if the file cannot be opened.
pub fn init(path: &Path) -> bool {
    match RotatingLog::open(path, MAX_LOG_BYTES, KEEP_OLD) {
        Ok(log) => SINK.set(Mutex::new(log)).is_ok(),
        Err(_) => false,
    }
}

pub fn debug(msg: &str) {
    write("debug", msg);
}

pub fn warn(msg: &str) {
    write("warn", msg);
}

fn write(level: &str, msg: &str) {
    let Some(sink) = SINK.get() else { return };
    if let Ok(mut log) = sink.lock() {
        let now = httpdate::fmt_http_date(std::time::SystemTime::now());
        let line = format!(
            "{now} {level} {}\n",
            crate::text::sanitize_line(msg, MAX_LINE_CHARS)
        );
        // Logging never fails a command.
        let _ = log.write_line(&line);
    }
}

/// An append-only file that is rotated once it would grow past `cap` bytes.
pub struct RotatingLog {
    path: PathBuf,
    file: File,
    cap: u64,
    keep: u32,
}

impl RotatingLog {
    /// Open (or create) `path` to append to; rotate past `cap` bytes, keeping `keep` old files.
    pub fn open(path: &Path, cap: u64, keep: u32) -> io::Result<RotatingLog> {
        Ok(RotatingLog {
            path: path.to_path_buf(),
            file: open_append_private(path)?,
            cap,
            keep,
        })
    }

    /// Append `line` (one write, so concurrent processes do not interleave within a line),
    /// rotating first when it would take the file past the cap. A file that is still empty
    /// takes the line whatever its size.
    pub fn write_line(&mut self, line: &str) -> io::Result<()> {
        let line_len = u64::try_from(line.len()).unwrap_or(u64::MAX);
        if self.too_full(line_len)? {
            // Another process (the browser and a CLI command share the log) may have
            // rotated already: then the path names a newer file than ours, to go on with.
            if !self.path_is_ours() {
                self.file = open_append_private(&self.path)?;
            }
            if self.too_full(line_len)? {
                self.rotate()?;
            }
        }
        self.file.write_all(line.as_bytes())
    }

    fn too_full(&self, adding: u64) -> io::Result<bool> {
        let size = self.file.metadata()?.len();
        Ok(size > 0 && size.saturating_add(adding) > self.cap)
    }

    /// `path.(keep-1)` → `path.keep`, …, `path` → `path.1`, then a new `path`.
    fn rotate(&mut self) -> io::Result<()> {
        if self.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            for n in (1..self.keep).rev() {
                let from = self.old(n);
                if from.exists() {
                    std::fs::rename(&from, self.old(n.saturating_add(1)))?;
                }
            }
            std::fs::rename(&self.path, self.old(1))?;
        }
        self.file = open_append_private(&self.path)?;
        Ok(())
    }

    fn old(&self, n: u32) -> PathBuf {
        let mut name = self.path.as_os_str().to_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    #[cfg(unix)]
    fn path_is_ours(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (self.file.metadata(), std::fs::symlink_metadata(&self.path)) {
            (Ok(ours), Ok(there)) => ours.dev() == there.dev() && ours.ino() == there.ino(),
            _ => false,
        }
    }

    #[cfg(not(unix))]
    fn path_is_ours(&self) -> bool {
        self.path.exists()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn rotates_at_the_cap_and_keeps_old_files_private() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("logs/orgtui.log");
        let mut log = RotatingLog::open(&path, 100, 2).unwrap();
        for i in 0..20 {
            log.write_line(&format!("line {i:02} {}\n", "x".repeat(30)))
                .unwrap();
        }
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        let old1 = tmp.path().join("logs/orgtui.log.1");
        let old2 = tmp.path().join("logs/orgtui.log.2");
        assert!(read(&path).ends_with(&format!("line 19 {}\n", "x".repeat(30))));
        assert!(read(&old1).contains("line 17"), "{}", read(&old1));
        assert!(read(&old2).contains("line 14"), "{}", read(&old2));
        assert!(!tmp.path().join("logs/orgtui.log.3").exists());
        for p in [&path, &old1, &old2] {
            assert!(std::fs::metadata(p).unwrap().len() <= 100);
            let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
    }

    #[test]
    fn a_rotation_by_another_writer_is_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("orgtui.log");
        let mut a = RotatingLog::open(&path, 60, 1).unwrap();
        let mut b = RotatingLog::open(&path, 60, 1).unwrap();
        a.write_line(&format!("a1 {}\n", "x".repeat(40))).unwrap();
        a.write_line("a2\n").unwrap();
        b.write_line(&format!("b1 {}\n", "y".repeat(40))).unwrap();
        b.write_line("b2\n").unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        let old = tmp.path().join("orgtui.log.1");
        // b rotated a's file away and went on in a new one.
        assert_eq!(read(&old), format!("a1 {}\na2\n", "x".repeat(40)));
        assert_eq!(read(&path), format!("b1 {}\nb2\n", "y".repeat(40)));
        // a, still holding the rotated file, follows to the new one (and rotates it in turn
        // when full) instead of growing the old one.
        a.write_line(&format!("a3 {}\n", "z".repeat(40))).unwrap();
        assert_eq!(read(&old), format!("b1 {}\nb2\n", "y".repeat(40)));
        assert_eq!(read(&path), format!("a3 {}\n", "z".repeat(40)));
        assert!(!tmp.path().join("orgtui.log.2").exists());
    }
}
