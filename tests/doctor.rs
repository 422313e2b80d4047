//! `orgtui doctor` against a real `orgtui fake-server` process with each fault planted: the
//! real binary must name the fault, give the fix, and exit with the right status.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;
use serde_json::Value;

/// Every check, in the order doctor runs them.
const CHECKS: [&str; 8] = [
    "config", "secret", "base_url", "token", "clock", "root", "fields", "limits",
];

/// `doctor --json` against `server` with extra environment, parsed: one object per line.
fn doctor_json(server: &FakeProc, home: &Path, env: &[(&str, &str)]) -> (Output, Vec<Value>) {
    let out = run_env(server, home, &["doctor", "--json"], env);
    let lines = parse_lines(&out);
    // Whatever it finds, doctor asks only what the documents allow.
    let stats = server.stats();
    assert_eq!(stats["refused"], 0, "{stats}");
    (out, lines)
}

fn parse_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The line for `check`.
fn line<'a>(lines: &'a [Value], check: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["check"] == check)
        .unwrap_or_else(|| panic!("no {check} line in {lines:?}"))
}

fn status<'a>(lines: &'a [Value], check: &str) -> &'a str {
    line(lines, check)["status"].as_str().unwrap_or("")
}

fn text<'a>(lines: &'a [Value], check: &str, key: &str) -> &'a str {
    line(lines, check)[key].as_str().unwrap_or("")
}

/// Neither the secret doctor was given nor the server's appears anywhere in the output.
fn assert_no_secret(out: &Output, secrets: &[&str]) {
    let all = stdout(out) + &stderr(out);
    for s in secrets {
        assert!(!all.contains(s), "secret {s:?} in the output:\n{all}");
    }
}

fn fake(provider: &str, extra: &[&str]) -> FakeProc {
    fake_server(provider, &demo_org_path(), extra)
}

/// The skew in seconds named by the clock line ("… 300 s …").
fn skew_secs(detail: &str) -> i64 {
    let before_s = detail
        .split(" s")
        .next()
        .unwrap_or_else(|| panic!("no skew in {detail:?}"));
    let digits: String = before_s
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no skew in {detail:?}"))
}

#[test]
fn demo_is_all_ok_for_both_protocols() {
    for provider in ["wps", "feishu"] {
        let home = scratch();
        let out = base_cmd(home.path())
            .args(["--demo", "--demo-provider", provider, "doctor"])
            .output()
            .expect("run orgtui");
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{provider}:\n{text}{}",
            stderr(&out)
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), CHECKS.len(), "{text}");
        for (l, check) in lines.iter().zip(CHECKS) {
            let mut cols = l.split_whitespace();
            assert_eq!(cols.next(), Some("ok"), "{provider}: {l}");
            assert_eq!(cols.next(), Some(check), "{provider}: {l}");
        }
        // Each check really ran: a fresh token with its lifetime, the server's clock, the
        // root and people with their fields.
        for (check, says) in [
            ("token", "lives"),
            ("clock", "of the server's"),
            ("root", "readable"),
            ("fields", "come back"),
        ] {
            let l = lines
                .iter()
                .find(|l| l.split_whitespace().nth(1) == Some(check));
            assert!(
                l.is_some_and(|l| l.contains(says)),
                "{provider}: {check}: {l:?}"
            );
        }
    }
}

#[test]
fn json_is_one_object_per_check_with_the_four_keys() {
    let home = scratch();
    let out = base_cmd(home.path())
        .args(["--demo", "--demo-provider", "feishu", "doctor", "--json"])
        .output()
        .expect("run orgtui");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = parse_lines(&out);
    let names: Vec<&str> = lines.iter().filter_map(|l| l["check"].as_str()).collect();
    assert_eq!(names, CHECKS);
    for l in &lines {
        let obj = l.as_object().expect("an object");
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["check", "detail", "fix", "status"], "{l}");
        assert_eq!(l["status"], "ok", "{l}");
        assert!(l["detail"].as_str().is_some_and(|d| !d.is_empty()), "{l}");
        assert!(l["fix"].is_null(), "{l}");
    }
}

#[test]
fn bad_secret_fails_the_token_check_with_exit_3() {
    for provider in ["wps", "feishu"] {
        let server = fake(provider, &[]);
        let home = scratch();
        let wrong = "wrong-secret-0123456789";
        let (out, lines) = doctor_json(&server, home.path(), &[("ORGTUI_APP_SECRET", wrong)]);
        assert_eq!(out.status.code(), Some(3), "{provider}: {lines:?}");
        assert_eq!(status(&lines, "base_url"), "ok", "{lines:?}");
        assert_eq!(status(&lines, "token"), "fail", "{lines:?}");
        assert!(
            text(&lines, "token", "fix").contains("app_secret"),
            "{lines:?}"
        );
        for later in ["clock", "root", "fields"] {
            assert_eq!(
                status(&lines, later),
                "skip",
                "{provider} {later}: {lines:?}"
            );
        }
        // The limits come from the profile alone: still reported.
        assert_eq!(status(&lines, "limits"), "ok", "{lines:?}");
        assert_eq!(
            text(&lines, "secret", "detail"),
            "from the environment (ORGTUI_APP_SECRET)"
        );
        assert_no_secret(&out, &[wrong, APP_SECRET]);
    }
}

#[test]
fn unreachable_host_fails_with_exit_4_and_skips_what_needs_it() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let home = scratch();
    let out = base_cmd(home.path())
        .env("ORGTUI_PROVIDER", "wps")
        .env("ORGTUI_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ORGTUI_APP_ID", APP_ID)
        .env("ORGTUI_APP_SECRET", APP_SECRET)
        .args(["doctor", "--json"])
        .output()
        .expect("run orgtui");
    let lines = parse_lines(&out);
    assert_eq!(out.status.code(), Some(4), "{lines:?}");
    assert_eq!(status(&lines, "base_url"), "fail", "{lines:?}");
    assert!(
        text(&lines, "base_url", "fix").contains("base_url"),
        "{lines:?}"
    );
    for later in ["token", "clock", "root", "fields"] {
        assert_eq!(status(&lines, later), "skip", "{later}: {lines:?}");
    }
    assert_no_secret(&out, &[APP_SECRET]);
}

#[test]
fn clock_skew_within_the_window_warns_with_the_skew() {
    for provider in ["wps", "feishu"] {
        let server = fake(provider, &["--clock-skew", "300"]);
        let home = scratch();
        let (out, lines) = doctor_json(&server, home.path(), &[]);
        assert_eq!(out.status.code(), Some(0), "{provider}: {lines:?}");
        assert_eq!(status(&lines, "clock"), "warn", "{lines:?}");
        let detail = text(&lines, "clock", "detail");
        assert!(detail.contains("behind the server's"), "{detail}");
        assert!((295..=305).contains(&skew_secs(detail)), "{detail}");
        assert!(text(&lines, "clock", "fix").contains("sync"), "{lines:?}");
        // Within 15 minutes WPS still takes the signatures: the rest runs and passes.
        assert_eq!(status(&lines, "root"), "ok", "{lines:?}");
        assert_eq!(status(&lines, "fields"), "ok", "{lines:?}");
        assert_no_secret(&out, &[APP_SECRET]);
    }
}

#[test]
fn clock_skew_past_the_signature_window_fails_on_wps_only() {
    let server = fake("wps", &["--clock-skew", "-1200"]);
    let home = scratch();
    let (out, lines) = doctor_json(&server, home.path(), &[]);
    assert_eq!(out.status.code(), Some(3), "{lines:?}");
    assert_eq!(status(&lines, "clock"), "fail", "{lines:?}");
    let detail = text(&lines, "clock", "detail");
    assert!(detail.contains("ahead of the server's"), "{detail}");
    assert!(detail.contains("15 minutes"), "{detail}");
    assert!((1195..=1205).contains(&skew_secs(detail)), "{detail}");
    assert!(text(&lines, "clock", "fix").contains("sync this machine's clock"));
    assert_eq!(status(&lines, "root"), "skip", "{lines:?}");
    assert_eq!(status(&lines, "fields"), "skip", "{lines:?}");

    // The fake really refuses signatures that far off: the date check uses its clock.
    let members = run(&server, home.path(), &["members", "d00000"]);
    assert_eq!(members.status.code(), Some(3), "{}", stderr(&members));

    // Feishu signs nothing: the same skew is a warning and everything else works.
    let server = fake("feishu", &["--clock-skew", "-1200"]);
    let (out, lines) = doctor_json(&server, home.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{lines:?}");
    assert_eq!(status(&lines, "clock"), "warn", "{lines:?}");
    assert_eq!(status(&lines, "root"), "ok", "{lines:?}");
}

#[test]
fn missing_email_scope_names_the_field_permissions() {
    let server = fake("wps", &["--no-email-scope"]);
    let home = scratch();
    let (out, lines) = doctor_json(&server, home.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{lines:?}");
    assert_eq!(status(&lines, "fields"), "warn", "{lines:?}");
    assert!(
        text(&lines, "fields", "detail").contains("0 of"),
        "{lines:?}"
    );
    let fix = text(&lines, "fields", "fix");
    assert!(
        fix.contains("kso.user_email.read") && fix.contains("kso.user_phone.read"),
        "{fix}"
    );

    let server = fake("feishu", &["--no-email-scope"]);
    let (out, lines) = doctor_json(&server, home.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{lines:?}");
    assert_eq!(status(&lines, "fields"), "warn", "{lines:?}");
    let fix = text(&lines, "fields", "fix");
    assert!(
        fix.contains("获取用户邮箱信息") && fix.contains("获取用户手机号"),
        "{fix}"
    );
    assert!(!fix.contains("kso."), "{fix}");

    // And the records really lack them, for every command.
    let user = run(&server, home.path(), &["user", "u000001", "--json"]);
    let user = json(&user);
    assert!(
        user["email"].is_null() && user["mobile"].is_null(),
        "{user}"
    );
}

#[test]
fn limited_range_names_the_granted_roots() {
    // Served with a contact range of two departments (研发中心 d00001 and 产品部 d00002): the
    // root is the stand-in, so doctor warns, names both, and finds people with emails under
    // them.
    for provider in ["wps", "feishu"] {
        let server = fake(provider, &["--scope", "d00001,d00002"]);
        let home = scratch();
        let (out, lines) = doctor_json(&server, home.path(), &[]);
        assert_eq!(out.status.code(), Some(0), "{provider}: {lines:?}");
        assert_eq!(status(&lines, "root"), "warn", "{lines:?}");
        let detail = text(&lines, "root", "detail");
        // Feishu shows its own ids; the names are the same on both.
        assert!(detail.contains("2 departments"), "{detail}");
        assert!(
            detail.contains("研发中心") && detail.contains("产品部"),
            "{detail}"
        );
        assert!(
            text(&lines, "root", "fix").contains("通讯录权限范围"),
            "{lines:?}"
        );
        assert_eq!(status(&lines, "fields"), "ok", "{lines:?}");
    }
}

#[test]
fn secret_source_is_named_never_shown() {
    let server = fake("wps", &[]);
    let home = scratch();
    let config = home.path().join("orgtui.toml");
    let write = |body: &str| std::fs::write(&config, body).expect("write config");
    let with_config = |extra_env: &[(&str, &str)]| {
        let mut cmd = base_cmd(home.path());
        cmd.env("ORGTUI_CONFIG", &config);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let out = cmd.args(["doctor", "--json"]).output().expect("run orgtui");
        let lines = parse_lines(&out);
        (out, lines)
    };
    let profile = format!(
        "[profiles.work]\nprovider = \"wps\"\nbase_url = \"{}\"\napp_id = \"{APP_ID}\"\nrate_limit = 0\n",
        server.url
    );

    // A command: named by its key, neither the command (it holds the secret here) nor its
    // output shown.
    write(&format!(
        "{profile}app_secret_cmd = \"echo {APP_SECRET}\"\n"
    ));
    let (out, lines) = with_config(&[]);
    assert_eq!(out.status.code(), Some(0), "{lines:?}");
    assert_eq!(
        text(&lines, "secret", "detail"),
        "from a command (profiles.work.app_secret_cmd)"
    );
    assert!(text(&lines, "config", "detail").contains("profile \"work\""));
    assert!(text(&lines, "config", "detail").contains("orgtui.toml"));
    assert_no_secret(&out, &[APP_SECRET]);

    // Plain in the file: fine when only the owner can read it, a warning otherwise.
    write(&format!("{profile}app_secret = \"{APP_SECRET}\"\n"));
    set_mode(&config, 0o600);
    let (out, lines) = with_config(&[]);
    assert_eq!(status(&lines, "secret"), "ok", "{lines:?}");
    assert_eq!(
        text(&lines, "secret", "detail"),
        "from the config file (profiles.work.app_secret)"
    );
    assert_no_secret(&out, &[APP_SECRET]);
    if cfg!(unix) {
        set_mode(&config, 0o644);
        let (out, lines) = with_config(&[]);
        assert_eq!(status(&lines, "secret"), "warn", "{lines:?}");
        assert!(
            text(&lines, "secret", "fix").contains("chmod 600"),
            "{lines:?}"
        );
        assert_eq!(out.status.code(), Some(0), "{lines:?}");
        assert_no_secret(&out, &[APP_SECRET]);
    }

    // The text output too, with the secret from the environment.
    let out = run(&server, home.path(), &["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_no_secret(&out, &[APP_SECRET]);
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

#[test]
fn a_broken_config_fails_the_config_check_with_exit_2() {
    let home = scratch();
    let out = base_cmd(home.path())
        .env("ORGTUI_PROVIDER", "wps")
        .env("ORGTUI_APP_ID", APP_ID)
        .args(["doctor", "--json"])
        .output()
        .expect("run orgtui");
    let lines = parse_lines(&out);
    assert_eq!(out.status.code(), Some(2), "{lines:?}");
    assert_eq!(status(&lines, "config"), "fail", "{lines:?}");
    assert!(text(&lines, "config", "detail").contains("ORGTUI_APP_SECRET"));
    for later in &CHECKS[1..] {
        assert_eq!(status(&lines, later), "skip", "{later}: {lines:?}");
    }
}

#[test]
fn offline_is_refused_as_usage() {
    let home = scratch();
    let out = base_cmd(home.path())
        .args(["--demo", "--offline", "doctor"])
        .output()
        .expect("run orgtui");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("live connection"), "{}", stderr(&out));
}
