//! The HTTP layer against a hostile server: redirects, huge and slow bodies, odd token
//! lifetimes, secrets echoed back; and config values out of range. Every test runs the real
//! binary and bounds how long it may take.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::hostile::{self, Hostile, Reply, Seen};
use common::{APP_ID, APP_SECRET, base_cmd, scratch, stderr, stdout};
use serde_json::{Value, json};

/// The access token the hostile servers hand out.
const TOKEN: &str = "tok-hostile-0123456789";

/// `orgtui ARGS` as `provider` against `server`, with `env` on top; and how long it took.
fn orgtui(
    server: &Hostile,
    provider: &str,
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Output, Duration) {
    let mut cmd = orgtui_cmd(server, provider, home, env);
    timed(cmd.args(args))
}

/// The command `orgtui` runs, before its arguments.
fn orgtui_cmd(server: &Hostile, provider: &str, home: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = base_cmd(home);
    cmd.env("ORGTUI_PROVIDER", provider)
        .env("ORGTUI_BASE_URL", &server.url)
        .env("ORGTUI_APP_ID", APP_ID)
        .env("ORGTUI_APP_SECRET", APP_SECRET)
        .env("ORGTUI_RATE_LIMIT", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn timed(cmd: &mut Command) -> (Output, Duration) {
    let started = Instant::now();
    let out = cmd.output().expect("run orgtui");
    (out, started.elapsed())
}

/// Exit status 4 with one line on stderr, nothing on stdout; that line.
fn one_line_failure(o: &Output, code: i32) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(stdout(o).is_empty(), "stdout: {}", stdout(o));
    err
}

const PROVIDERS: [&str; 2] = ["wps", "feishu"];

fn org_for(provider: &str) -> fn(&Seen) -> Reply {
    match provider {
        "wps" => wps_org,
        _ => feishu_org,
    }
}

fn is_token_call(s: &Seen) -> bool {
    s.path().ends_with("/oauth2/token") || s.path().contains("tenant_access_token")
}

fn wps_token(expires_in: Value) -> Reply {
    Reply::json(json!({"access_token": TOKEN, "expires_in": expires_in, "token_type": "bearer"}))
}

fn feishu_token(expire: Value) -> Reply {
    Reply::json(json!({"code": 0, "msg": "ok", "tenant_access_token": TOKEN, "expire": expire}))
}

/// A one-person WPS org: the root and user `u1`.
fn wps_org(s: &Seen) -> Reply {
    match s.path() {
        "/oauth2/token" => wps_token(json!(7200)),
        "/v7/depts/root" => Reply::json(
            json!({"code": 0, "data": {"id": "root", "name": "Root", "parent_id": "0"}}),
        ),
        "/v7/users/u1" => Reply::json(
            json!({"code": 0, "data": {"id": "u1", "user_name": "Alice", "status": "active"}}),
        ),
        _ => Reply::status_json(404, json!({"code": 400000004, "msg": "not found"})),
    }
}

/// A one-person Feishu org: the root and user `u1`.
fn feishu_org(s: &Seen) -> Reply {
    match s.path() {
        "/open-apis/auth/v3/tenant_access_token/internal" => feishu_token(json!(7200)),
        "/open-apis/contact/v3/departments/0" => Reply::json(json!({"code": 0, "data": {
            "department": {"name": "Root", "department_id": "0", "open_department_id": "0"}}})),
        "/open-apis/contact/v3/users/u1" => Reply::json(json!({"code": 0, "data": {
            "user": {"user_id": "u1", "open_id": "u1", "name": "Alice"}}})),
        _ => Reply::json(json!({"code": 40015, "msg": "not found"})),
    }
}

// ---- redirects ----

#[test]
fn a_redirected_token_call_is_not_followed() {
    let home = scratch();
    for provider in PROVIDERS {
        // Whatever the second host would answer, it must never be asked.
        let thief = hostile::serve(move |s| org_for(provider)(s));
        let to = format!("{}/steal?x=1", thief.url);
        let server = hostile::serve(move |_| Reply::redirect(307, &to));
        let (o, _) = orgtui(
            &server,
            provider,
            home.path(),
            &["user", "u1", "--json"],
            &[],
        );
        let err = one_line_failure(&o, 4);
        assert!(thief.seen().is_empty(), "{provider}: {:?}", thief.seen());
        assert!(err.contains(&format!("{}/steal", thief.url)), "{err}");
        assert!(err.contains("307") && err.contains("redirect"), "{err}");
        assert_eq!(server.seen().len(), 1, "{provider}: the token call, once");
    }
}

#[test]
fn a_cross_host_redirect_on_a_signed_call_is_not_followed() {
    let home = scratch();
    for provider in PROVIDERS {
        let thief = hostile::serve(move |s| org_for(provider)(s));
        let thief_url = thief.url.clone();
        let server = hostile::serve(move |s| {
            if is_token_call(s) {
                org_for(provider)(s)
            } else {
                Reply::redirect(302, &format!("{thief_url}{}", s.target))
            }
        });
        let (o, _) = orgtui(
            &server,
            provider,
            home.path(),
            &["user", "u1", "--json"],
            &[],
        );
        let err = one_line_failure(&o, 4);
        assert!(thief.seen().is_empty(), "{provider}: {:?}", thief.seen());
        assert!(err.contains(&thief.url) && err.contains("302"), "{err}");
    }
}

// ---- response size ----

#[test]
fn a_huge_body_is_cut_off_at_the_configured_cap() {
    let home = scratch();
    for provider in PROVIDERS {
        let server = hostile::serve(move |s| {
            if is_token_call(s) {
                org_for(provider)(s)
            } else {
                Reply::Huge {
                    len: 50_000_000,
                    fill: b'x',
                }
            }
        });
        let env = [("ORGTUI_MAX_RESPONSE_BYTES", "1048576")];
        let (o, took) = orgtui(&server, provider, home.path(), &["user", "u1"], &env);
        let err = one_line_failure(&o, 4);
        assert!(
            err.contains("1048576") && err.contains("max_response_bytes"),
            "{err}"
        );
        assert!(!err.contains("xxxx"), "{err}");
        assert!(took < Duration::from_secs(10), "{took:?}");
    }
}

#[test]
fn a_token_reply_over_the_default_cap_is_refused() {
    let home = scratch();
    for provider in PROVIDERS {
        let server = hostile::serve(|_| Reply::Huge {
            len: 50_000_000,
            fill: b' ',
        });
        let (o, _) = orgtui(&server, provider, home.path(), &["user", "u1"], &[]);
        let err = one_line_failure(&o, 4);
        assert!(err.contains("16777216"), "the 16 MiB default: {err}");
    }
}

// ---- deadlines ----

#[test]
fn a_dripping_server_fails_at_the_call_deadline() {
    let home = scratch();
    for provider in PROVIDERS {
        let drip_token = provider == "feishu";
        let server = hostile::serve(move |s| {
            // WPS drips a listing, Feishu its token reply: both calls have the deadline.
            if is_token_call(s) != drip_token {
                return org_for(provider)(s);
            }
            Reply::Drip {
                len: 100_000,
                chunk: b" ".to_vec(),
                every: Duration::from_millis(100),
            }
        });
        let env = [("ORGTUI_TIMEOUT_SECS", "1"), ("ORGTUI_DEADLINE_SECS", "2")];
        let (o, took) = orgtui(&server, provider, home.path(), &["user", "u1"], &env);
        let err = one_line_failure(&o, 4);
        assert!(err.contains("deadline") && err.contains("2 s"), "{err}");
        // Two seconds of attempts, not five attempts of a second each and their waits.
        assert!(took < Duration::from_secs(5), "{provider}: took {took:?}");
    }
}

#[test]
fn a_server_that_never_answers_fails_at_the_call_deadline() {
    let home = scratch();
    for provider in PROVIDERS {
        let server = hostile::serve(|_| Reply::Hang);
        let env = [("ORGTUI_TIMEOUT_SECS", "1"), ("ORGTUI_DEADLINE_SECS", "1")];
        let (o, took) = orgtui(&server, provider, home.path(), &["user", "u1"], &env);
        let err = one_line_failure(&o, 4);
        assert!(err.contains("deadline of 1 s"), "{err}");
        assert!(took < Duration::from_secs(5), "{provider}: took {took:?}");
    }
}

// ---- token lifetimes ----

#[test]
fn a_token_said_to_live_one_second_is_kept_thirty() {
    let home = scratch();
    let server = hostile::serve(|s| match s.path() {
        "/oauth2/token" => wps_token(json!(1)),
        _ => wps_org(s),
    });
    // One request a second: each call would find a one-second token due for refresh.
    let env = [("ORGTUI_RATE_LIMIT", "1")];
    let (o, _) = orgtui(&server, "wps", home.path(), &["user", "u1"], &env);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let paths: Vec<String> = server.seen().iter().map(|s| s.target.clone()).collect();
    let tokens = server.seen().iter().filter(|s| is_token_call(s)).count();
    assert_eq!(tokens, 1, "{paths:?}");
}

/// `expires_in` (WPS) and `expire` (Feishu) values a broken or hostile server might send.
fn odd_lifetimes() -> Vec<Value> {
    vec![
        json!(9223372036854775807i64),
        json!(18446744073709551615u64),
        json!(-9223372036854775808i64),
        json!(1e300),
        json!(-1e300),
        json!(1.5),
        json!(-1),
        json!(0),
        json!(1),
        json!("7200"),
        json!("forever"),
        json!("1e999"),
        json!(true),
        json!({"secs": 1}),
        json!([1]),
        Value::Null,
    ]
}

#[test]
fn odd_token_lifetimes_neither_panic_nor_fail_the_command() {
    let home = scratch();
    for provider in PROVIDERS {
        for lifetime in odd_lifetimes() {
            let l = lifetime.clone();
            let server = hostile::serve(move |s| match (provider, is_token_call(s)) {
                ("wps", true) => wps_token(l.clone()),
                (_, true) => feishu_token(l.clone()),
                _ => org_for(provider)(s),
            });
            let (o, _) = orgtui(
                &server,
                provider,
                home.path(),
                &["user", "u1", "--json"],
                &[],
            );
            assert_eq!(
                o.status.code(),
                Some(0),
                "{provider}, lifetime {lifetime}: {}",
                stderr(&o)
            );
            assert!(stdout(&o).contains("Alice"), "{provider}, {lifetime}");
        }
    }
}

// ---- secrets in server messages ----

#[test]
fn secrets_and_tokens_echoed_by_the_server_are_cut_out() {
    let home = scratch();
    let echo = format!("bad client_secret={APP_SECRET}, Authorization: Bearer {TOKEN}");
    for provider in PROVIDERS {
        let msg = echo.clone();
        let server = hostile::serve(move |s| {
            if is_token_call(s) {
                return org_for(provider)(s);
            }
            Reply::status_json(400, json!({"code": 400000001, "msg": msg}))
        });
        let (o, _) = orgtui(&server, provider, home.path(), &["user", "u1"], &[]);
        let err = one_line_failure(&o, 4);
        assert!(!err.contains(APP_SECRET) && !err.contains(TOKEN), "{err}");
        assert!(err.contains("bad client_secret=***"), "{err}");
    }
}

#[test]
fn a_refused_token_call_echoing_the_secret_is_cut_out() {
    let home = scratch();
    let echo = format!("client_secret {APP_SECRET} is wrong");
    for provider in PROVIDERS {
        let msg = echo.clone();
        let server =
            hostile::serve(move |_| Reply::status_json(401, json!({"code": 10014, "msg": msg})));
        let (o, _) = orgtui(&server, provider, home.path(), &["user", "u1"], &[]);
        let err = one_line_failure(&o, 3);
        assert!(!err.contains(APP_SECRET) && err.contains("***"), "{err}");
    }
}

#[test]
fn a_short_secret_is_cut_out_too() {
    let home = scratch();
    for provider in PROVIDERS {
        let server = hostile::serve(|_| {
            Reply::status_json(401, json!({"code": 10014, "msg": "secret qz refused"}))
        });
        let env = [("ORGTUI_APP_SECRET", "qz")];
        let (o, _) = orgtui(&server, provider, home.path(), &["user", "u1"], &env);
        let err = one_line_failure(&o, 3);
        assert!(
            !err.contains("qz") && err.contains("secret *** refused"),
            "{err}"
        );
    }
}

#[test]
fn a_token_quoted_in_a_decoding_error_is_cut_out() {
    let home = scratch();
    let server = hostile::serve(|s| match s.path() {
        "/open-apis/contact/v3/users/u1" => Reply::json(json!({"code": 0, "data": {
            "user": {"user_id": "u1", "name": "Alice", "department_ids": TOKEN}}})),
        _ => feishu_org(s),
    });
    let (o, _) = orgtui(&server, "feishu", home.path(), &["user", "u1"], &[]);
    let err = one_line_failure(&o, 4);
    assert!(!err.contains(TOKEN) && err.contains("***"), "{err}");
}

// ---- config values ----

/// A server that must never be asked: a config error comes before any request.
fn untouched() -> Hostile {
    hostile::serve(|_| Reply::status_json(500, json!({"code": 1, "msg": "asked"})))
}

/// Exit 2, one line naming `key`, with the allowed range; and no request made.
fn assert_refused(o: &Output, server: &Hostile, key: &str, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{what}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
    assert!(
        err.contains(key) && err.contains("allowed: "),
        "{what}: {err}"
    );
    assert!(server.seen().is_empty(), "{what}: a request went out");
}

#[test]
fn out_of_range_env_values_are_config_errors() {
    let home = scratch();
    let server = untouched();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "ORGTUI_RATE_LIMIT",
            "rate_limit",
            &["1e-300", "-1", "NaN", "inf", "20000", "fast", "0.001"],
        ),
        (
            "ORGTUI_CONCURRENCY",
            "concurrency",
            &["0", "18446744073709551615", "257", "1.5", "-1"],
        ),
        (
            "ORGTUI_TIMEOUT_SECS",
            "timeout_secs",
            &["0", "601", "1e9", "0.5"],
        ),
        (
            "ORGTUI_DEADLINE_SECS",
            "deadline_secs",
            &["0", "3601", "-1"],
        ),
        (
            "ORGTUI_MAX_RESPONSE_BYTES",
            "max_response_bytes",
            &["0", "1023", "1e12", "18446744073709551616"],
        ),
        (
            "ORGTUI_APP_SECRET_CMD_TIMEOUT_SECS",
            "app_secret_cmd_timeout_secs",
            &["0", "601"],
        ),
    ];
    for (var, key, values) in cases {
        for v in *values {
            let (o, _) = orgtui(&server, "wps", home.path(), &["user", "u1"], &[(var, v)]);
            assert_refused(&o, &server, var, &format!("{var}={v}"));
            assert!(stderr(&o).contains(key), "{}", stderr(&o));
        }
    }
}

#[test]
fn out_of_range_file_values_are_config_errors() {
    let home = scratch();
    let server = untouched();
    let cases: &[(&str, &[&str])] = &[
        ("rate_limit", &["1e-300", "-1.0", "nan", "inf", "\"fast\""]),
        ("concurrency", &["0", "9223372036854775807", "1.5", "-3"]),
        ("timeout_secs", &["0", "-5", "100000"]),
        ("deadline_secs", &["0", "1e9"]),
        ("max_response_bytes", &["1", "99999999999999"]),
        ("app_secret_cmd_timeout_secs", &["0", "true"]),
    ];
    let path = home.path().join("config.toml");
    for (key, values) in cases {
        for v in *values {
            std::fs::write(
                &path,
                format!("[profiles.p]\nprovider = \"wps\"\napp_id = \"a\"\n{key} = {v}\n"),
            )
            .unwrap();
            let env = [("ORGTUI_CONFIG", path.to_str().unwrap())];
            let mut cmd = orgtui_cmd(&server, "wps", home.path(), &env);
            // The file's value, not the variable's.
            cmd.env_remove("ORGTUI_RATE_LIMIT").args(["user", "u1"]);
            let (o, _) = timed(&mut cmd);
            assert_refused(
                &o,
                &server,
                &format!("profiles.p.{key}"),
                &format!("{key} = {v}"),
            );
        }
    }
}

#[test]
fn values_at_the_ends_of_their_ranges_are_taken() {
    let home = scratch();
    let server = hostile::serve(wps_org);
    for env in [
        [
            ("ORGTUI_RATE_LIMIT", "10000"),
            ("ORGTUI_CONCURRENCY", "256"),
            ("ORGTUI_TIMEOUT_SECS", "600"),
            ("ORGTUI_DEADLINE_SECS", "3600"),
            ("ORGTUI_MAX_RESPONSE_BYTES", "1073741824"),
        ],
        [
            // 0.01 would space the three requests 100 s apart.
            ("ORGTUI_RATE_LIMIT", "0"),
            ("ORGTUI_CONCURRENCY", "1"),
            ("ORGTUI_TIMEOUT_SECS", "1"),
            ("ORGTUI_DEADLINE_SECS", "1"),
            ("ORGTUI_MAX_RESPONSE_BYTES", "1024"),
        ],
    ] {
        let (o, _) = orgtui(&server, "wps", home.path(), &["user", "u1"], &env);
        assert_eq!(o.status.code(), Some(0), "{env:?}: {}", stderr(&o));
    }
}

// ---- app_secret_cmd ----

/// `orgtui user u1` with the secret from `app_secret_cmd = cmd` (none in the environment).
fn with_secret_cmd(
    server: &Hostile,
    home: &Path,
    cmd: &str,
    env: &[(&str, &str)],
) -> (Output, Duration) {
    let path = home.join("config.toml");
    let toml = format!(
        "[profiles.p]\nprovider = \"wps\"\napp_id = \"a\"\napp_secret_cmd = {}\n",
        Value::String(cmd.to_string())
    );
    std::fs::write(&path, toml).unwrap();
    let mut c = orgtui_cmd(server, "wps", home, env);
    c.env_remove("ORGTUI_APP_SECRET")
        .env("ORGTUI_CONFIG", &path)
        .args(["user", "u1"]);
    timed(&mut c)
}

#[test]
fn a_secret_command_that_never_ends_is_stopped() {
    let home = scratch();
    let server = untouched();
    let env = [("ORGTUI_APP_SECRET_CMD_TIMEOUT_SECS", "1")];
    let (o, took) = with_secret_cmd(&server, home.path(), "sleep 30", &env);
    let err = one_line_failure(&o, 2);
    assert!(
        err.contains("profiles.p.app_secret_cmd") && err.contains("within 1 s"),
        "{err}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(server.seen().is_empty());
}

#[test]
fn a_failing_secret_command_reports_its_stderr() {
    let home = scratch();
    let server = untouched();
    let cmd = "echo 'vault: access denied for orgtui' >&2; echo second line >&2; exit 3";
    let (o, _) = with_secret_cmd(&server, home.path(), cmd, &[]);
    let err = one_line_failure(&o, 2);
    assert!(
        err.contains("app_secret_cmd") && err.contains("vault: access denied for orgtui"),
        "{err}"
    );
    assert!(!err.contains("second line"), "{err}");
}

#[test]
fn a_failing_secret_command_does_not_echo_the_secret() {
    let home = scratch();
    let server = untouched();
    let cmd = "echo hunter2-from-cmd; echo 'refusing hunter2-from-cmd' >&2; exit 1";
    let (o, _) = with_secret_cmd(&server, home.path(), cmd, &[]);
    let err = one_line_failure(&o, 2);
    assert!(
        !err.contains("hunter2-from-cmd") && err.contains("refusing ***"),
        "{err}"
    );
}

#[test]
fn a_secret_command_that_works_is_used() {
    let home = scratch();
    let server = hostile::serve(wps_org);
    let (o, _) = with_secret_cmd(&server, home.path(), "echo from-cmd; echo noise >&2", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let token = server
        .seen()
        .into_iter()
        .find(is_token_call)
        .expect("a token call");
    assert!(
        token.body.contains("client_secret=from-cmd"),
        "{}",
        token.body
    );
}

/// `doctor`'s own look at the base URL follows no redirect either: the other host is never
/// asked, and the base_url line names where the redirect pointed.
#[test]
fn doctor_follows_no_redirect_of_the_base_url() {
    let home = scratch();
    let thief = hostile::serve(|_| Reply::json(json!({"code": 0})));
    let to = format!("{}/elsewhere", thief.url);
    let server = hostile::serve(move |s| {
        if s.path() == "/" {
            Reply::redirect(302, &to)
        } else {
            wps_org(s)
        }
    });
    let (o, _) = orgtui(&server, "wps", home.path(), &["doctor", "--json"], &[]);
    assert!(thief.seen().is_empty(), "{:?}", thief.seen());
    let line: Value = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["check"] == "base_url")
        .unwrap_or_else(|| panic!("no base_url line: {}", stdout(&o)));
    let detail = line["detail"].as_str().unwrap();
    assert!(
        detail.contains("HTTP 302") && detail.contains(&format!("{}/elsewhere", thief.url)),
        "{detail}"
    );
    assert!(detail.contains("not followed"), "{detail}");
}
