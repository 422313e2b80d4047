//! Shared test harness: the real `orgtui` binary, a real `orgtui fake-server` process, and
//! small org fixtures.
#![allow(dead_code)]

pub mod fixtures;
pub mod hostile;
pub mod profiles;
pub mod screen;

#[allow(unused_imports)]
pub use profiles::{profile, profile_with};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_orgtui");
pub const APP_ID: &str = "test-app";
pub const APP_SECRET: &str = "s3cret-for-tests-only";

/// A fake server process; killed on drop.
pub struct FakeProc {
    child: Child,
    pub url: String,
    pub provider: String,
    pub openapi_prefix: String,
    pub graph_prefix: Option<String>,
}

impl Drop for FakeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `orgtui fake-server` on a free port and wait for its `listening on` line.
pub fn fake_server(provider: &str, org: &Path, extra: &[&str]) -> FakeProc {
    let mut child = Command::new(BIN)
        .args([
            "fake-server",
            "--provider",
            provider,
            "--addr",
            "127.0.0.1:0",
        ])
        .arg("--org")
        .arg(org)
        .args(["--app-id", APP_ID, "--app-secret", APP_SECRET])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn fake-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let find = |flag: &str| {
        extra
            .iter()
            .position(|a| *a == flag)
            .and_then(|i| extra.get(i + 1))
            .map(|s| s.to_string())
    };
    FakeProc {
        child,
        url,
        provider: provider.to_string(),
        openapi_prefix: find("--openapi-prefix").unwrap_or_default(),
        graph_prefix: find("--graph-prefix"),
    }
}

impl FakeProc {
    /// The fake's `GET /_fake/stats` counters (requests, refused, tokens_issued, ...).
    pub fn stats(&self) -> serde_json::Value {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://");
        let mut conn = std::net::TcpStream::connect(addr).expect("connect to the fake");
        write!(
            conn,
            "GET /_fake/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("ask for stats");
        let mut reply = String::new();
        conn.read_to_string(&mut reply).expect("read stats");
        let body = reply.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(body).unwrap_or_else(|e| panic!("stats are not JSON ({e}): {reply}"))
    }
}

/// A WPS app token fetched by hand from the fake at `base` (under `prefix`).
pub async fn wps_token(base: &str, prefix: &str, app_id: &str, secret: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{base}{prefix}/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_id={app_id}&client_secret={secret}"
        ))
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.expect("token JSON");
    assert_eq!(v["token_type"], "bearer", "{v}");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// A Feishu tenant token fetched by hand from the fake at `base`.
pub async fn feishu_token(base: &str, app_id: &str, secret: &str) -> String {
    let v: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{base}/open-apis/auth/v3/tenant_access_token/internal"
        ))
        .json(&serde_json::json!({"app_id": app_id, "app_secret": secret}))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    assert_eq!(v["code"], 0, "{v}");
    v["tenant_access_token"]
        .as_str()
        .expect("tenant_access_token")
        .to_string()
}

/// A scratch HOME so no real config or cache is touched.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// `orgtui ARGS` against `server`, in a clean environment.
pub fn run(server: &FakeProc, home: &Path, args: &[&str]) -> Output {
    run_env(server, home, args, &[])
}

pub fn run_env(server: &FakeProc, home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = base_cmd(home);
    cmd.env("ORGTUI_PROVIDER", &server.provider)
        .env("ORGTUI_BASE_URL", &server.url)
        .env("ORGTUI_APP_ID", APP_ID)
        .env("ORGTUI_APP_SECRET", APP_SECRET)
        .env("ORGTUI_RATE_LIMIT", "0");
    if !server.openapi_prefix.is_empty() {
        cmd.env("ORGTUI_OPENAPI_PREFIX", &server.openapi_prefix);
    }
    if let Some(g) = &server.graph_prefix {
        cmd.env("ORGTUI_GRAPH_PREFIX", g);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("run orgtui")
}

/// The binary with nothing but a scratch HOME in its environment.
pub fn base_cmd(home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .stdin(Stdio::null());
    cmd
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(o)))
}

/// The bundled demo org, as a file path tests can hand to the fake server.
pub fn demo_org_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo-org.json")
}

pub fn demo_org() -> serde_json::Value {
    let text = std::fs::read_to_string(demo_org_path()).expect("read demo org");
    serde_json::from_str(&text).expect("demo org JSON")
}

/// The users of an org file a WPS server lists: its member listings, batch reads and email
/// lookups filter on active, notactive and disabled only, so the resigned are left out.
pub fn listed_on_wps(org: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
    org["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|u| u["status"] != "dimission")
}

/// True when the org-file user `u` is a member of department `dept`.
pub fn in_dept(u: &serde_json::Value, dept: &str) -> bool {
    u["dept_ids"]
        .as_array()
        .is_some_and(|ids| ids.iter().any(|d| d == dept))
}

/// Write a small org with hostile text (escape sequences in names) to `dir`.
pub fn hostile_org(dir: &Path) -> PathBuf {
    let org = serde_json::json!({
        "depts": [
            {"id": "root", "name": "Root", "parent_id": null, "order": 0, "leader_ids": ["evil"]},
            {"id": "d\u{1b}x", "name": "Dept\u{1b}]52;c;AAAA\u{7}", "parent_id": "root", "order": 1, "leader_ids": []}
        ],
        "users": [
            {"id": "evil", "name": "Evil\u{1b}[31mRed\u{1b}[0m", "email": "evil@x.example",
             "title": "\u{1b}[2Jclear", "status": "active", "leader_id": null, "dept_ids": ["root", "d\u{1b}x"]},
            {"id": "plain", "name": "Plain", "email": "plain@x.example", "status": "disabled",
             "leader_id": "evil", "dept_ids": ["root"]}
        ]
    });
    let path = dir.join("hostile.json");
    std::fs::write(&path, org.to_string()).expect("write org");
    path
}
