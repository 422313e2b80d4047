//! A minimal file logger. Nothing is ever logged to the terminal (the TUI owns it); without a
//! log file set, messages are dropped. Callers never pass secrets here.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

static SINK: OnceLock<Mutex<File>> = OnceLock::new();

/// Send log lines to `path` (appended). Returns false if the file cannot be opened.
pub fn init(path: &Path) -> bool {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        Ok(f) => SINK.set(Mutex::new(f)).is_ok(),
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
    if let Ok(mut f) = sink.lock() {
        let now = httpdate::fmt_http_date(std::time::SystemTime::now());
        let _ = writeln!(f, "{now} {level} {}", crate::text::sanitize(msg));
    }
}
