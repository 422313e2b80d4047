//! The browser end to end: the real binary in a pseudo-terminal, on the bundled demo org.
//!
//! A tiny terminal emulator below keeps the screen as the program draws it (cursor moves,
//! erases, wide characters, reverse video), so the tests wait for what a user would see,
//! never for a fixed time. The raw output is kept too, for the escape sequences that do not
//! draw anything (OSC 52, alternate screen, mouse capture).
#![cfg(unix)]

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use unicode_width::UnicodeWidthChar;

const COLS: u16 = 120;
const ROWS: u16 = 35;
/// Generous: CI is a slow two-core machine. Every wait ends as soon as its condition holds.
const TIMEOUT: Duration = Duration::from_secs(20);

// ---- a screen ----

#[derive(Clone, Debug, PartialEq)]
struct Cell {
    /// Empty for the second half of a wide character.
    ch: String,
    reverse: bool,
    /// Search results underline the matched letters.
    underline: bool,
}

impl Cell {
    fn blank() -> Cell {
        Cell {
            ch: " ".into(),
            reverse: false,
            underline: false,
        }
    }
}

/// Just enough of a VT100 for what crossterm and ratatui write.
struct Screen {
    cols: usize,
    rows: usize,
    grid: Vec<Vec<Cell>>,
    row: usize,
    col: usize,
    reverse: bool,
    underline: bool,
    /// Answers the terminal owes the program (cursor position reports).
    replies: Vec<u8>,
}

/// What the parser found at the start of the input.
enum Step {
    /// Consumed this many bytes.
    Done(usize),
    /// The input ends inside a sequence or a character: wait for more bytes.
    Incomplete,
}

impl Screen {
    fn new(cols: u16, rows: u16) -> Screen {
        let (cols, rows) = (usize::from(cols), usize::from(rows));
        Screen {
            cols,
            rows,
            grid: vec![vec![Cell::blank(); cols]; rows],
            row: 0,
            col: 0,
            reverse: false,
            underline: false,
            replies: Vec::new(),
        }
    }

    /// Feeds output; returns how many bytes were used (the rest is an unfinished sequence).
    fn feed(&mut self, bytes: &[u8]) -> usize {
        let mut i = 0;
        while i < bytes.len() {
            match self.step(&bytes[i..]) {
                Step::Done(n) => i += n,
                Step::Incomplete => break,
            }
        }
        i
    }

    fn step(&mut self, b: &[u8]) -> Step {
        match b[0] {
            0x1b => self.escape(b),
            b'\r' => {
                self.col = 0;
                Step::Done(1)
            }
            b'\n' => {
                self.row = (self.row + 1).min(self.rows - 1);
                Step::Done(1)
            }
            0x08 => {
                self.col = self.col.saturating_sub(1);
                Step::Done(1)
            }
            c if c < 0x20 || c == 0x7f => Step::Done(1),
            _ => {
                let len = utf8_len(b[0]);
                if b.len() < len {
                    return Step::Incomplete;
                }
                let s = String::from_utf8_lossy(&b[..len]).into_owned();
                let ch = s.chars().next().unwrap_or('\u{fffd}');
                self.put(ch);
                Step::Done(len)
            }
        }
    }

    fn escape(&mut self, b: &[u8]) -> Step {
        let Some(&kind) = b.get(1) else {
            return Step::Incomplete;
        };
        match kind {
            b'[' => {
                // Parameters and intermediates, then a final byte in 0x40..=0x7e.
                let Some(end) = b[2..].iter().position(|c| (0x40..=0x7e).contains(c)) else {
                    return Step::Incomplete;
                };
                let params = String::from_utf8_lossy(&b[2..2 + end]).into_owned();
                self.csi(&params, b[2 + end]);
                Step::Done(2 + end + 1)
            }
            // OSC, DCS, APC...: up to BEL or ESC \ (ST).
            b']' | b'P' | b'_' | b'^' | b'X' => {
                let mut j = 2;
                while j < b.len() {
                    if b[j] == 0x07 {
                        return Step::Done(j + 1);
                    }
                    if b[j] == 0x1b {
                        return match b.get(j + 1) {
                            Some(b'\\') => Step::Done(j + 2),
                            Some(_) => Step::Done(j),
                            None => Step::Incomplete,
                        };
                    }
                    j += 1;
                }
                Step::Incomplete
            }
            // ESC ( B and friends: one more byte.
            b'(' | b')' | b'*' | b'+' | b'#' => {
                if b.len() < 3 {
                    Step::Incomplete
                } else {
                    Step::Done(3)
                }
            }
            _ => Step::Done(2),
        }
    }

    fn csi(&mut self, params: &str, fin: u8) {
        if let Some(private) = params.strip_prefix('?') {
            // Modes: a fresh alternate screen starts blank.
            if fin == b'h' && private.split(';').any(|p| p == "1049") {
                self.erase(0, 0, self.rows, 0);
            }
            return;
        }
        let nums: Vec<usize> = params
            .split(';')
            .map(|p| p.parse::<usize>().unwrap_or(0))
            .collect();
        let arg = |i: usize, default: usize| match nums.get(i) {
            Some(0) | None => default,
            Some(&n) => n,
        };
        match fin {
            b'H' | b'f' => {
                self.row = (arg(0, 1) - 1).min(self.rows - 1);
                self.col = (arg(1, 1) - 1).min(self.cols - 1);
            }
            b'A' => self.row = self.row.saturating_sub(arg(0, 1)),
            b'B' => self.row = (self.row + arg(0, 1)).min(self.rows - 1),
            b'C' => self.col = (self.col + arg(0, 1)).min(self.cols - 1),
            b'D' => self.col = self.col.saturating_sub(arg(0, 1)),
            b'G' => self.col = (arg(0, 1) - 1).min(self.cols - 1),
            b'J' => match nums.first().copied().unwrap_or(0) {
                0 => self.erase(self.row, self.col, self.rows, 0),
                1 => self.erase(0, 0, self.row, self.col + 1),
                _ => self.erase(0, 0, self.rows, 0),
            },
            b'K' => {
                let (r, c) = (self.row, self.col);
                match nums.first().copied().unwrap_or(0) {
                    0 => self.erase(r, c, r + 1, 0),
                    1 => self.erase(r, 0, r, c + 1),
                    _ => self.erase(r, 0, r + 1, 0),
                }
            }
            b'm' => self.sgr(&nums),
            // Device status report: where is the cursor? (ratatui's `clear` asks.)
            b'n' if nums.first() == Some(&6) => {
                let answer = format!("\x1b[{};{}R", self.row + 1, self.col + 1);
                self.replies.extend_from_slice(answer.as_bytes());
            }
            _ => {}
        }
    }

    /// Blanks from (r0, c0) up to the start of row `r1`, then row `r1` up to column `c1`.
    fn erase(&mut self, r0: usize, c0: usize, r1: usize, c1: usize) {
        let mut r = r0;
        let mut c = c0;
        while r < self.rows && (r < r1 || (r == r1 && c < c1)) {
            if c >= self.cols {
                r += 1;
                c = 0;
                continue;
            }
            self.grid[r][c] = Cell::blank();
            c += 1;
        }
    }

    fn sgr(&mut self, nums: &[usize]) {
        let mut i = 0;
        while i < nums.len() {
            match nums[i] {
                0 => {
                    self.reverse = false;
                    self.underline = false;
                }
                4 => self.underline = true,
                24 => self.underline = false,
                7 => self.reverse = true,
                27 => self.reverse = false,
                // Extended colours: 38;5;N or 38;2;R;G;B (and 48, 58), not attributes.
                38 | 48 | 58 => {
                    i += match nums.get(i + 1) {
                        Some(5) => 2,
                        Some(2) => 4,
                        _ => 0,
                    };
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn put(&mut self, ch: char) {
        let w = ch.width().unwrap_or(0);
        if w == 0 || self.col >= self.cols {
            return;
        }
        let (r, c) = (self.row, self.col);
        // Overwriting half of a wide character erases the other half.
        if self.grid[r][c].ch.is_empty() && c > 0 {
            self.grid[r][c - 1] = Cell::blank();
        }
        if w == 1 && c + 1 < self.cols && self.grid[r][c + 1].ch.is_empty() {
            self.grid[r][c + 1] = Cell::blank();
        }
        self.grid[r][c] = Cell {
            ch: ch.to_string(),
            reverse: self.reverse,
            underline: self.underline,
        };
        if w == 2 && c + 1 < self.cols {
            if c + 2 < self.cols && self.grid[r][c + 2].ch.is_empty() {
                self.grid[r][c + 2] = Cell::blank();
            }
            self.grid[r][c + 1] = Cell {
                ch: String::new(),
                reverse: self.reverse,
                underline: self.underline,
            };
        }
        self.col = (c + w).min(self.cols);
    }

    /// The text of row `r` between columns `c0` and `c1`.
    fn text(&self, r: usize, c0: usize, c1: usize) -> String {
        self.grid[r][c0..c1.min(self.cols)]
            .iter()
            .map(|c| c.ch.as_str())
            .collect()
    }

    /// Rows of the area between columns `c0` and `c1` (the whole height).
    fn area(&self, c0: usize, c1: usize) -> Vec<String> {
        (0..self.rows).map(|r| self.text(r, c0, c1)).collect()
    }

    /// Rows of the tree / results pane: the left half, between the search box and the
    /// status bar.
    fn left(&self) -> Vec<String> {
        self.area(0, self.cols / 2)[3..self.rows - 1].to_vec()
    }

    /// Rows of the detail pane: the right half.
    fn right(&self) -> Vec<String> {
        self.area(self.cols / 2, self.cols)[3..self.rows - 1].to_vec()
    }

    fn status(&self) -> String {
        self.text(self.rows - 1, 0, self.cols)
    }

    /// The rows of the left pane drawn in reverse video (the selection), as text.
    fn selected_rows(&self) -> Vec<String> {
        (3..self.rows - 1)
            .filter(|&r| {
                // Inside the border: a selected row is reversed across the pane.
                (1..self.cols / 2 - 1).any(|c| self.grid[r][c].reverse)
            })
            .map(|r| self.text(r, 0, self.cols / 2))
            .collect()
    }

    /// The underlined text of row `r` between columns `c0` and `c1`.
    fn underlined(&self, r: usize, c0: usize, c1: usize) -> String {
        self.grid[r][c0..c1.min(self.cols)]
            .iter()
            .filter(|c| c.underline)
            .map(|c| c.ch.as_str())
            .collect()
    }

    fn dump(&self) -> String {
        let mut out = String::new();
        for r in 0..self.rows {
            let marks: String = (0..self.cols)
                .map(
                    |c| match (self.grid[r][c].reverse, self.grid[r][c].underline) {
                        (true, true) => '%',
                        (true, false) => '#',
                        (false, true) => '_',
                        (false, false) => ' ',
                    },
                )
                .collect();
            out.push_str(&format!("{r:2} |{}|\n", self.text(r, 0, self.cols)));
            if marks.trim().is_empty() {
                continue;
            }
            out.push_str(&format!(
                "   |{}| # reverse _ underline\n",
                marks.trim_end()
            ));
        }
        out
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xf7 => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

// ---- a pseudo-terminal session ----

struct Output {
    raw: Vec<u8>,
    screen: Screen,
    /// Bytes of `raw` the screen has taken.
    fed: usize,
    /// The master read hit EOF or EIO: the program and everything it started are gone.
    closed: bool,
}

struct Shared {
    out: Mutex<Output>,
    changed: Condvar,
}

/// `orgtui` running in a pseudo-terminal of COLS x ROWS.
struct Session {
    child: Child,
    master: File,
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
    /// The session's home; taken to start another session from what this one left.
    home: Option<tempfile::TempDir>,
}

/// Held while a pty's descriptors are not yet close-on-exec and while spawning, so a child
/// started by a test running alongside never inherits another test's terminal (which would
/// keep it open, and that test waiting for its end).
static SPAWN: Mutex<()> = Mutex::new(());

/// A pty pair, both ends close-on-exec. Call with `SPAWN` held.
fn open_pty() -> (OwnedFd, OwnedFd) {
    let mut master = -1;
    let mut slave = -1;
    let mut size = libc::winsize {
        ws_row: ROWS,
        ws_col: COLS,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: plain out-parameters; the fds returned are ours to own.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            // `*mut` where some platforms declare `*const`; it coerces either way.
            &raw mut size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    for fd in [master, slave] {
        // SAFETY: fcntl on descriptors we just opened.
        let rc = unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        assert_eq!(rc, 0, "fcntl: {}", std::io::Error::last_os_error());
    }
    // SAFETY: openpty succeeded, so both are open descriptors nobody else owns.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// The binary in the clean environment the browser runs in: no config, no multiplexer, no
/// display (`common::base_cmd`), and a terminal type.
fn browser_cmd(home: &Path) -> Command {
    let mut cmd = common::base_cmd(home);
    cmd.env("TERM", "xterm-256color");
    cmd
}

impl Session {
    /// Starts `orgtui ARGS` with the pty as its controlling terminal on all three streams,
    /// or only on stdout/stderr when `stdin_tty` is false (stdin is then /dev/null).
    fn start(args: &[&str], stdin_tty: bool) -> Session {
        Session::start_in(tempfile::tempdir().expect("temp dir"), args, stdin_tty)
    }

    /// The same in a given home (its config, snapshots and logs), to start again from what
    /// an earlier session left there.
    fn start_in(home: tempfile::TempDir, args: &[&str], stdin_tty: bool) -> Session {
        Session::start_env(home, args, stdin_tty, &[])
    }

    /// The same with more environment (a profile made of `ORGTUI_*` variables).
    fn start_env(
        home: tempfile::TempDir,
        args: &[&str],
        stdin_tty: bool,
        env: &[(&str, &str)],
    ) -> Session {
        let spawning = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
        let (master, slave) = open_pty();
        let mut cmd = browser_cmd(home.path());
        cmd.args(args);
        cmd.envs(env.iter().copied());
        let stream = || Stdio::from(slave.try_clone().expect("dup pty"));
        cmd.stdin(if stdin_tty { stream() } else { Stdio::null() })
            .stdout(stream())
            .stderr(stream());
        let tty = slave.as_raw_fd();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                #[allow(clippy::useless_conversion)]
                if libc::ioctl(tty, libc::TIOCSCTTY.into(), 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn orgtui");
        // The child has its copies; ours must go, or the master never sees the end.
        drop(cmd);
        drop(slave);
        drop(spawning);

        let master = File::from(master);
        let shared = Arc::new(Shared {
            out: Mutex::new(Output {
                raw: Vec::new(),
                screen: Screen::new(COLS, ROWS),
                fed: 0,
                closed: false,
            }),
            changed: Condvar::new(),
        });
        let mut from = master.try_clone().expect("dup master");
        let mut answer = master.try_clone().expect("dup master");
        let sh = shared.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                // EIO (Linux) or EOF once every copy of the terminal's other end is closed.
                let n = match from.read(&mut buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    r => r.unwrap_or(0),
                };
                let mut out = sh.out.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    out.closed = true;
                    sh.changed.notify_all();
                    return;
                }
                out.raw.extend_from_slice(&buf[..n]);
                let Output {
                    raw, screen, fed, ..
                } = &mut *out;
                *fed += screen.feed(&raw[*fed..]);
                let replies = std::mem::take(&mut screen.replies);
                sh.changed.notify_all();
                drop(out);
                if !replies.is_empty() {
                    let _ = answer.write_all(&replies);
                }
            }
        });
        Session {
            child,
            master,
            shared,
            reader: Some(reader),
            home: Some(home),
        }
    }

    fn send(&mut self, keys: &str) {
        self.master
            .write_all(keys.as_bytes())
            .expect("write to pty");
        self.master.flush().expect("flush pty");
    }

    /// Bytes of output so far, to look at what came after.
    fn mark(&self) -> usize {
        self.shared.out.lock().unwrap().raw.len()
    }

    /// Waits until `ok` holds for the screen and the raw output; panics with both if it
    /// does not within TIMEOUT.
    fn wait_for(&self, what: &str, ok: impl Fn(&Screen, &[u8]) -> bool) {
        self.wait_until(Instant::now() + TIMEOUT, what, ok);
    }

    /// `wait_for` with a deadline of its own.
    fn wait_until(&self, deadline: Instant, what: &str, ok: impl Fn(&Screen, &[u8]) -> bool) {
        let mut out = self.shared.out.lock().unwrap();
        loop {
            if ok(&out.screen, &out.raw) {
                return;
            }
            let now = Instant::now();
            if now >= deadline || out.closed {
                let tail = &out.raw[out.raw.len().saturating_sub(600)..];
                panic!(
                    "waited {:?} for {what}{}\nscreen:\n{}\nlast output bytes: {:?}",
                    TIMEOUT,
                    if out.closed {
                        " (the program's output ended)"
                    } else {
                        ""
                    },
                    out.screen.dump(),
                    String::from_utf8_lossy(tail)
                );
            }
            out = self
                .shared
                .changed
                .wait_timeout(out, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Waits for the process to exit, then for the last of its output.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() >= deadline {
                let out = self.shared.out.lock().unwrap();
                panic!(
                    "orgtui did not exit within {TIMEOUT:?}\nscreen:\n{}",
                    out.screen.dump()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // Then the rest of the output: the master reads EOF/EIO once every copy of the
        // terminal is closed.
        let mut out = self.shared.out.lock().unwrap();
        while !out.closed {
            let now = Instant::now();
            assert!(
                now < deadline,
                "the terminal stayed open after orgtui exited"
            );
            out = self
                .shared
                .changed
                .wait_timeout(out, deadline - now)
                .unwrap()
                .0;
        }
        status
    }

    fn raw(&self) -> Vec<u8> {
        self.shared.out.lock().unwrap().raw.clone()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

// ---- the demo org ----

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

fn dept<'a>(org: &'a Value, id: &str) -> &'a Value {
    org["depts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| s(d, "id") == id)
        .unwrap_or_else(|| panic!("no department {id} in the demo org"))
}

fn user<'a>(org: &'a Value, id: &str) -> &'a Value {
    org["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| s(u, "id") == id)
        .unwrap_or_else(|| panic!("no user {id} in the demo org"))
}

fn members<'a>(org: &'a Value, dept: &str) -> Vec<&'a Value> {
    org["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["dept_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d.as_str() == Some(dept))
        })
        .collect()
}

// ---- the tests ----

#[test]
fn browse_search_jump_copy_quit() {
    let org = common::demo_org();
    let root = org["depts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["parent_id"].is_null())
        .expect("a root");
    let root_id = s(root, "id");
    let root_name = s(root, "name");
    assert_eq!(root_name, "Acme 集团");
    let rd = dept(&org, "d00001");
    assert_eq!(s(rd, "name"), "研发中心");
    let rd_leader = s(user(&org, rd["leader_ids"][0].as_str().unwrap()), "name").to_string();
    // Whom to search for: someone with a plain Latin name directly in the root, whose
    // members load on start, and whose full name no one else loaded by then shares.
    let loaded: Vec<&Value> = members(&org, root_id)
        .into_iter()
        .chain(members(&org, "d00001"))
        .collect();
    let target = members(&org, root_id)
        .into_iter()
        .find(|u| {
            let n = s(u, "name");
            n.is_ascii()
                && n.contains(' ')
                && loaded.iter().filter(|o| s(o, "name") == n).count() == 1
        })
        .expect("a root member with a Latin name");
    let (t_id, t_name, t_email) = (s(target, "id"), s(target, "name"), s(target, "email"));
    assert!(!t_email.is_empty(), "{t_id} has no email in the demo org");

    let started = Instant::now();
    let mut tui = Session::start(&["--demo"], true);
    tui.wait_for(
        &format!("{root_name} and 研发中心 in the tree"),
        |sc, _| {
            let left = sc.left();
            has(&left, root_name) && has(&left, "研发中心")
        },
    );

    // The second row is 研发中心 (sub-departments come before members).
    tui.send("j");
    tui.wait_for("研发中心 selected", |sc, _| {
        sc.selected_rows().iter().any(|r| r.contains("研发中心"))
            && has(&sc.right(), "Department")
            && has(&sc.right(), "d00001")
    });
    tui.send("l");
    tui.wait_for(
        &format!("{rd_leader} (leader of 研发中心) in the tree"),
        |sc, _| has(&sc.left(), &rd_leader),
    );

    tui.send("/");
    tui.wait_for("the search box focused", |sc, _| {
        sc.status().contains("Enter jump")
    });
    tui.send(t_name);
    tui.wait_for(
        &format!("the query {t_name:?} in the search box"),
        |sc, _| sc.text(1, 0, sc.cols).contains(&format!("› {t_name} ")),
    );
    // The results of a shorter prefix stay on screen until the full query's arrive, and
    // Enter takes whatever is shown: wait for the first result with every letter of the
    // name highlighted as matched, which only the full query gives.
    let letters: String = t_name.chars().filter(|c| *c != ' ').collect();
    tui.wait_for(
        &format!("{t_name} first among the results, fully matched"),
        |sc, _| {
            let left = sc.left();
            // Row 3 is the top border with the title, row 4 the first result.
            let matched: String = sc.underlined(4, 0, sc.cols / 2).replace(' ', "");
            left[0].contains("Results") && left[1].contains(t_name) && matched == letters
        },
    );

    tui.send("\r");
    let email_line = format!("Email      {t_email}");
    tui.wait_for(
        &format!("{t_name} selected in the tree, details shown"),
        |sc, _| {
            let right = sc.right();
            !has(&sc.left(), "Results")
                && sc.status().contains("copy id")
                && sc.selected_rows().iter().any(|r| r.contains(t_name))
                && has(&right, &email_line)
                && has(&right, &format!("ID         {t_id}"))
                && !has(&right, "loading")
        },
    );

    let before_copy = tui.mark();
    tui.send("y");
    tui.wait_for("the copy reported in the status bar", |sc, _| {
        sc.status().contains(&format!("copied user id {t_id}"))
    });
    let raw = tui.raw();
    let expected = format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(t_id)
    );
    let after = String::from_utf8_lossy(&raw[before_copy..]).into_owned();
    assert!(
        after.contains(&expected),
        "no {expected:?} after `y`; output after `y`: {after:?}"
    );
    let all = String::from_utf8_lossy(&raw).into_owned();
    let osc52: Vec<&str> = all
        .match_indices("\x1b]52;")
        .map(|(i, _)| &all[i..])
        .collect();
    assert_eq!(osc52.len(), 1, "exactly one OSC 52 in {all:?}");
    assert!(osc52[0].starts_with(&expected));

    let before_quit = tui.mark();
    tui.send("q");
    let status = tui.wait_exit();
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
    let raw = tui.raw();
    let all = String::from_utf8_lossy(&raw).into_owned();
    let tail = String::from_utf8_lossy(&raw[before_quit..]).into_owned();
    assert!(!all.contains("panicked"), "{all:?}");
    // crossterm's DisableMouseCapture, then LeaveAlternateScreen; bracketed paste off too.
    let mouse_off = "\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l";
    for seq in [mouse_off, "\x1b[?2004l", "\x1b[?1049l", "\x1b[?25h"] {
        assert!(tail.contains(seq), "{seq:?} not written on quit: {tail:?}");
    }
    let at = |seq: &str| tail.rfind(seq).unwrap();
    assert!(
        at(mouse_off) < at("\x1b[?1049l"),
        "mouse off after leaving: {tail:?}"
    );
    // And they undo what the start did.
    assert!(all.contains("\x1b[?1049h") && all.contains("\x1b[?1000h"));
    assert!(all.rfind("\x1b[?1049h") < all.rfind("\x1b[?1049l"));
    assert!(all.rfind("\x1b[?1000h") < all.rfind("\x1b[?1000l"));
    eprintln!("browse_search_jump_copy_quit: {:?}", started.elapsed());
}

/// `orgtui ARGS` in `home`, no terminal: stdin empty, output captured. What
/// `Command::output` does, with the spawn under the lock.
fn run_piped(args: &[&str], home: &Path) -> std::process::Output {
    let mut cmd = browser_cmd(home);
    cmd.args(args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = {
        let _spawning = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
        cmd.spawn().expect("run orgtui")
    };
    child.wait_with_output().expect("run orgtui")
}

/// The inode of the one snapshot under `home`: a save writes a new file and renames it over
/// the old one, so a new inode means a new save.
fn snapshot_inode(home: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let dir = home.join("cache/orgtui/snapshots");
    let snaps: Vec<_> = std::fs::read_dir(&dir)
        .expect("the snapshot directory")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".snap"))
        .collect();
    assert_eq!(snaps.len(), 1, "one snapshot in {}", dir.display());
    snaps[0].metadata().expect("metadata").ino()
}

/// `orgtui --demo --offline search NAME --json` in `home`: the ids found in its snapshot.
fn search_snapshot(home: &Path, name: &str) -> Vec<String> {
    let out = run_piped(&["--demo", "--offline", "search", name, "--json"], home);
    assert!(out.status.success(), "{out:?}");
    let hits: Value = serde_json::from_slice(&out.stdout).expect("json");
    hits.as_array()
        .expect("a list")
        .iter()
        .map(|h| s(h, "id").to_string())
        .collect()
}

/// Quitting saves what was loaded. The next start draws from that snapshot before the server
/// answers (marked with its age), reads its people after the first frame, and quitting at
/// once still saves everyone.
#[test]
fn restarts_from_its_snapshot_and_keeps_everyone() {
    let org = common::demo_org();
    let parent = |id: &str| dept(&org, id)["parent_id"].as_str().map(str::to_string);
    let depth = |id: &str| {
        let (mut d, mut cur) = (0, id.to_string());
        while let Some(p) = parent(&cur) {
            d += 1;
            cur = p;
        }
        d
    };
    let users = org["users"].as_array().unwrap();
    // Someone three levels down (not loaded by opening the browser) with a name of their own.
    let deep = users
        .iter()
        .find(|u| {
            let in_deep = u["dept_ids"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| depth(d.as_str().unwrap()) >= 3);
            let n = s(u, "name");
            in_deep && users.iter().filter(|o| s(o, "name") == n).count() == 1
        })
        .expect("someone deep in the demo org");
    let (deep_id, deep_name) = (s(deep, "id"), s(deep, "name"));
    let root_name = "Acme 集团";

    // First session: load everyone with `a`, then quit.
    let mut tui = Session::start(&["--demo"], true);
    tui.wait_for("the root in the tree", |sc, _| has(&sc.left(), root_name));
    tui.send("a");
    tui.wait_for("the crawl to finish", |sc, _| {
        sc.status().contains("loaded") && sc.status().contains("people in")
    });
    tui.send("q");
    assert!(tui.wait_exit().success());
    let home = tui.home.take().expect("the home");
    drop(tui);
    assert_eq!(search_snapshot(home.path(), deep_name)[..1], [deep_id]);
    let first_save = snapshot_inode(home.path());

    // Second session: the snapshot is drawn at once, then quit right away.
    let mut tui = Session::start_in(home, &["--demo"], true);
    tui.wait_for("the snapshot's tree and the status bar", |sc, _| {
        has(&sc.left(), root_name) && sc.status().contains("demo")
    });
    // The age mark goes once the server has answered for the root, maybe within the same
    // read from the terminal: replay the output to see the screens in between.
    let raw = tui.raw();
    let mut replay = Screen::new(COLS, ROWS);
    let mut fed = 0;
    let marked = (0..raw.len()).step_by(32).chain([raw.len()]).any(|end| {
        fed += replay.feed(&raw[fed..end.max(fed)]);
        replay.status().contains("snapshot <1 min old")
    });
    assert!(marked, "the first screens say the snapshot's age");
    tui.send("q");
    assert!(tui.wait_exit().success());
    let home = tui.home.take().expect("the home");
    drop(tui);
    // Saved again on quit (a new file renamed over the old one), with everyone still in it.
    assert_ne!(
        snapshot_inode(home.path()),
        first_save,
        "saved again on quit"
    );
    assert_eq!(search_snapshot(home.path(), deep_name)[..1], [deep_id]);

    // Offline: drawn from the snapshot while its directory is still being built; a jump to
    // the deep person goes through that directory (departments opened, details read).
    let mut tui = Session::start_in(home, &["--demo", "--offline"], true);
    tui.wait_for("the snapshot's tree offline", |sc, _| {
        has(&sc.left(), root_name) && sc.status().contains("offline")
    });
    tui.send("/");
    tui.wait_for("the search box focused", |sc, _| {
        sc.status().contains("Enter jump")
    });
    tui.send(deep_name);
    tui.wait_for(&format!("{deep_name} found"), |sc, _| {
        let left = sc.left();
        left[0].contains("Results") && left[1].contains(deep_name)
    });
    tui.send("\r");
    tui.wait_for(&format!("{deep_name} selected, details shown"), |sc, _| {
        sc.selected_rows().iter().any(|r| r.contains(deep_name))
            && has(&sc.right(), &format!("ID         {deep_id}"))
            && !has(&sc.right(), "loading")
    });
    tui.send("q");
    assert!(tui.wait_exit().success());
}

/// About 300 people under a department chain 9 deep, with hostile text around them (escape
/// sequences, bidi overrides, control characters, names shared by many); one person with a
/// name of their own sits in the deepest department. Returns the file and that name.
fn deep_nasty_org(dir: &Path) -> (std::path::PathBuf, &'static str) {
    const DEEPEST: &str = "Quillon Vexhart";
    let mut depts = vec![serde_json::json!({
        "id": "root", "name": "Nasty \u{1b}[2JCorp", "parent_id": null, "order": 0, "leader_ids": []
    })];
    let mut parent = "root".to_string();
    for level in 1..=9 {
        let id = format!("chain{level}");
        depts.push(serde_json::json!({
            "id": id, "name": format!("Level {level} \u{202e}gnp.exe\u{7}"),
            "parent_id": parent, "order": level, "leader_ids": []
        }));
        // A few side departments at each level, so the crawl fans out too.
        for side in 0..2 {
            depts.push(serde_json::json!({
                "id": format!("side{level}-{side}"), "name": format!("Side\u{1b}]52;c;QQ==\u{7} {level}.{side}"),
                "parent_id": parent, "order": 100 + side, "leader_ids": []
            }));
        }
        parent = id;
    }
    let ids: Vec<String> = depts
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    let mut users: Vec<Value> = (0..299)
        .map(|i| {
            serde_json::json!({
                "id": format!("u{i:04}"),
                // Shared names, and text that must never reach the terminal raw.
                "name": if i % 3 == 0 { "王伟".to_string() } else { format!("Person\u{1b}[31m{i}\u{9b}") },
                "email": format!("p{i}@nasty.example"),
                "status": "active",
                "leader_id": null,
                "dept_ids": [ids[i % ids.len()].clone()],
            })
        })
        .collect();
    users.push(serde_json::json!({
        "id": "u-deepest", "name": DEEPEST, "email": "quill@nasty.example", "status": "active",
        "leader_id": null, "dept_ids": ["chain9"],
    }));
    let path = dir.join("deep-nasty.json");
    let org = serde_json::json!({"depts": depts, "users": users});
    std::fs::write(&path, org.to_string()).expect("write org");
    (path, DEEPEST)
}

#[test]
fn a_start_with_no_snapshot_indexes_in_the_background_so_search_finds_the_deepest() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let (org, name) = deep_nasty_org(scratch.path());
    let fake = common::fake_server("wps", &org, &[]);
    let env = [
        ("ORGTUI_PROVIDER", "wps"),
        ("ORGTUI_BASE_URL", fake.url.as_str()),
        ("ORGTUI_APP_ID", common::APP_ID),
        ("ORGTUI_APP_SECRET", common::APP_SECRET),
        // Paced, as a real profile is: the index takes long enough to be seen.
        ("ORGTUI_RATE_LIMIT", "40"),
    ];
    let home = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let mut tui = Session::start_env(home, &[], true, &env);
    tui.wait_for("the root in the tree", |sc, _| has(&sc.left(), "Nasty"));
    // Only `/` and the query: the index started by itself.
    tui.send("/");
    tui.send(name);
    tui.wait_until(
        started + Duration::from_secs(10),
        &format!("{name} found within 10 s of the start"),
        |sc, _| {
            let left = sc.left();
            left[0].contains("Results") && left[1].contains(name)
        },
    );
    tui.wait_for("the index to finish", |sc, _| {
        sc.status().contains("loaded") && sc.status().contains("people in")
    });
    // The status bar showed the index's progress on some screen in between.
    let raw = tui.raw();
    let mut replay = Screen::new(COLS, ROWS);
    let mut fed = 0;
    let shown = (0..raw.len()).step_by(64).chain([raw.len()]).any(|end| {
        fed += replay.feed(&raw[fed..end.max(fed)]);
        let status = replay.status();
        status.contains("indexing:") && status.contains("people") && status.contains("p pauses")
    });
    assert!(shown, "the status bar showed the indexing progress");
    // Nothing hostile reached the terminal raw, and the fake refused nothing.
    for bad in [
        "\u{1b}]52;c;QQ==",
        "\u{202e}",
        "\u{9b}",
        "\u{1b}[31m4",
        "\u{1b}[2JCorp",
    ] {
        assert!(
            !String::from_utf8_lossy(&raw).contains(bad),
            "{bad:?} reached the terminal"
        );
    }
    assert_eq!(fake.stats()["refused"], 0, "{}", fake.stats());
    tui.send("\x1b");
    tui.wait_for("back in the tree", |sc, _| sc.status().contains("q quit"));
    tui.send("q");
    assert!(tui.wait_exit().success());
}

#[test]
fn without_an_account_or_a_terminal_it_says_what_to_do() {
    // No config, no --demo: one line pointing at --demo, status 2, no TUI started.
    let mut tui = Session::start(&[], true);
    let status = tui.wait_exit();
    let out = String::from_utf8_lossy(&tui.raw()).into_owned();
    assert_eq!(
        status.code(),
        Some(2),
        "exit status {status:?}; output {out:?}"
    );
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {out:?}");
    assert!(lines[0].starts_with("orgtui: "), "{out:?}");
    assert!(lines[0].contains("--demo"), "{out:?}");
    assert!(!out.contains('\x1b'), "no escape sequences: {out:?}");

    // --demo with stdout not a terminal.
    let home = tempfile::tempdir().unwrap();
    let out = run_piped(&["--demo"], home.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(stderr.contains("needs a terminal"), "{stderr:?}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");

    // --demo with stdout a terminal but stdin not one.
    let mut tui = Session::start(&["--demo"], false);
    let status = tui.wait_exit();
    let out = String::from_utf8_lossy(&tui.raw()).into_owned();
    assert_eq!(
        status.code(),
        Some(2),
        "exit status {status:?}; output {out:?}"
    );
    assert!(out.contains("needs a terminal"), "{out:?}");
    assert!(!out.contains("\x1b[?1049h"), "no TUI: {out:?}");
}

#[test]
fn screen_model_handles_wide_chars_and_reverse() {
    let mut sc = Screen::new(10, 3);
    let used = sc.feed("\x1b[2;3H研发\x1b[7mab\x1b[0m\x1b[38;5;7mc\x1b[1;1Hx\x1b[".as_bytes());
    assert_eq!(sc.text(1, 0, 10), "  研发abc ");
    assert_eq!(sc.text(0, 0, 3), "x  ");
    let rev: Vec<bool> = sc.grid[1].iter().map(|c| c.reverse).collect();
    assert_eq!(&rev[6..9], &[true, true, false]);
    // The unfinished CSI waits for more bytes.
    assert_eq!(
        used,
        "\x1b[2;3H研发\x1b[7mab\x1b[0m\x1b[38;5;7mc\x1b[1;1Hx".len()
    );
    // Half of a wide character overwritten blanks the other half.
    sc.feed(b"\x1b[2;4Hz");
    assert_eq!(sc.text(1, 0, 10), "   z发abc ");
}
