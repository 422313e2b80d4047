//! `orgtui lookup` on what people paste, end to end: the real binary against a real fake
//! server (both protocols), addresses from arguments and standard input, in mail-header forms;
//! and `orgtui completions`.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::*;
use serde_json::Value;

fn servers() -> Vec<FakeProc> {
    vec![
        fake_server("wps", &demo_org_path(), &[]),
        fake_server("feishu", &demo_org_path(), &[]),
    ]
}

/// People both protocols find by email (WPS leaves the resigned out), with a name.
fn people() -> Vec<Value> {
    listed_on_wps(&demo_org())
        .filter(|u| u["email"].is_string() && u["name"].is_string())
        .take(40)
        .cloned()
        .collect()
}

fn email(u: &Value) -> &str {
    u["email"].as_str().unwrap()
}

fn id(u: &Value) -> &str {
    u["id"].as_str().unwrap()
}

/// `orgtui lookup ARGS...` against `server` with `input` on standard input.
fn lookup(server: &FakeProc, args: &[&str], input: &[u8]) -> Output {
    let home = scratch();
    let mut cmd = base_cmd(home.path());
    cmd.env("ORGTUI_PROVIDER", &server.provider)
        .env("ORGTUI_BASE_URL", &server.url)
        .env("ORGTUI_APP_ID", APP_ID)
        .env("ORGTUI_APP_SECRET", APP_SECRET)
        .env("ORGTUI_RATE_LIMIT", "0")
        .arg("lookup")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run orgtui");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // The child may stop reading early (too much input): a broken pipe is no failure here.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for orgtui");
    writer.join().unwrap();
    out
}

/// The ids in the text output's rows, in order.
fn row_ids(out: &Output) -> Vec<String> {
    stdout(out)
        .lines()
        .map(|l| {
            // `email<TAB>name <email> [id]`, then ` (status)` unless active.
            let start = l.rfind(" [").expect("a row names its [id]") + 2;
            let len = l[start..].find(']').expect("a closing ]");
            l[start..start + len].to_string()
        })
        .collect()
}

/// The ids a lookup that must succeed prints: text rows, or the JSON array's with `--json`.
fn found(server: &FakeProc, args: &[&str], input: &str) -> Vec<String> {
    let out = lookup(server, args, input.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} {args:?}: {}",
        server.provider,
        stderr(&out)
    );
    if !args.contains(&"--json") {
        return row_ids(&out);
    }
    json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn reads_standard_input_with_dash_and_when_piped() {
    let p = people();
    let (a, b, c) = (&p[3], &p[11], &p[25]);
    let input = format!("{}\n{}\n", email(a), email(b));
    for server in servers() {
        assert_eq!(found(&server, &["-"], &input), [id(a), id(b)]);
        assert_eq!(found(&server, &[], &input), [id(a), id(b)]);
        // `-` stands where standard input goes among the arguments.
        assert_eq!(
            found(&server, &[email(c), "-", "--json"], &input),
            [id(c), id(a), id(b)]
        );
    }
}

#[test]
fn mail_header_forms() {
    let p = people();
    let (a, b, c, d) = (&p[1], &p[2], &p[5], &p[8]);
    let name = |u: &Value| u["name"].as_str().unwrap().to_string();
    let header = format!(
        "\"{}\" <{}>; {} <{}>,\n\"{}, Team\" <{}>, mailto:{}?subject=Hello%20there",
        name(a),
        email(a),
        name(b),
        email(b),
        name(c),
        email(c),
        email(d)
    );
    for server in servers() {
        let want = [id(a), id(b), id(c), id(d)];
        assert_eq!(found(&server, &[&header], ""), want);
        // The same from standard input, and nothing on stderr.
        let out = lookup(&server, &[], header.as_bytes());
        assert_eq!(row_ids(&out), want, "{}", server.provider);
        assert_eq!(stderr(&out), "", "{}", server.provider);
    }
}

#[test]
fn duplicates_in_any_case_or_form_come_out_once() {
    let p = people();
    let (a, b) = (&p[4], &p[9]);
    let input = format!(
        "{a}, {up}; <{a}>\nmailto:{up} {b} \"x\" <{bup}>",
        a = email(a),
        up = email(a).to_uppercase(),
        b = email(b),
        bup = email(b).to_uppercase()
    );
    for server in servers() {
        assert_eq!(found(&server, &["-"], &input), [id(a), id(b)]);
        assert_eq!(found(&server, &["--json", "-"], &input), [id(a), id(b)]);
    }
}

#[test]
fn bad_tokens_are_named_and_the_found_still_print() {
    let p = people();
    let (a, b) = (&p[6], &p[7]);
    let input = format!(
        "foo, {}; <bar> \u{1b}[31mred@ nobody@nowhere.example\n{}",
        email(a),
        email(b)
    );
    for server in servers() {
        let out = lookup(&server, &["-"], input.as_bytes());
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(row_ids(&out), [id(a), id(b)], "{}", server.provider);
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines,
            [
                "orgtui: not an email address: \"foo\"",
                "orgtui: not an email address: \"<bar>\"",
                "orgtui: not an email address: \"\u{FFFD}[31mred@\"",
                "orgtui: not found: nobody@nowhere.example",
            ],
            "{}",
            server.provider
        );
        assert!(!out.stderr.contains(&0x1b));
    }
    // Only bad tokens: each named, nothing printed, exit 1 (`[]` in JSON).
    let server = fake_server("wps", &demo_org_path(), &[]);
    let out = lookup(&server, &["--json", "not-an-email"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json(&out), serde_json::json!([]));
    assert_eq!(
        stderr(&out),
        "orgtui: not an email address: \"not-an-email\"\n"
    );
}

#[test]
fn nothing_to_look_up_is_a_usage_error() {
    let server = fake_server("wps", &demo_org_path(), &[]);
    for (args, input) in [(&[][..], &b""[..]), (&["-"][..], &b" ,;\n"[..])] {
        let out = lookup(&server, args, input);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    // Past 4 MiB of standard input: one line, exit 2, nothing asked of the server.
    let before = server.stats()["requests"].clone();
    let big = "a@x.example ".repeat(4 * 1024 * 1024 / 12 + 10);
    let out = lookup(&server, &["-"], big.as_bytes());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("4 MiB"), "{}", stderr(&out));
    assert_eq!(server.stats()["requests"], before);
}

#[test]
fn completions_for_each_shell() {
    let home = scratch();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = base_cmd(home.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("lookup"), "{shell}: {text}");
        assert!(text.contains("fake-server"), "{shell}: {text}");
        assert!(text.contains("--demo"), "{shell}: {text}");
    }
    let out = base_cmd(home.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
