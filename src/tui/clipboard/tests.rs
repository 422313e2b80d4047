//! The copy policy, OSC 52 wrapping, cleaning and the native tools.

use std::thread;
use std::time::{Duration, Instant};

use super::native::*;
use super::osc52::*;
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
    let names =
        |env: TermEnv| -> Vec<&str> { native_candidates(&env).iter().map(|t| t.program).collect() };
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

    let err = run_tool("sh", &["-c", "cat >/dev/null; exit 3"], "x", NATIVE_TIMEOUT).unwrap_err();
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
