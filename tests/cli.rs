//! The CLI contract, end to end: the real binary against a real `orgtui fake-server` process,
//! for WPS public cloud, a WPS private deployment and Feishu.

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use serde_json::Value;

/// Facts about the demo org the tests check against.
struct Demo {
    org: Value,
}

impl Demo {
    fn load() -> Demo {
        Demo { org: demo_org() }
    }
    /// The demo org as `server` lists it: WPS listings, batch reads and email lookups take
    /// only the statuses active, notactive and disabled, so resigned people are not in them.
    fn listed_by(server: &FakeProc) -> Demo {
        let mut org = demo_org();
        if server.provider == "wps" {
            let listed: Vec<Value> = listed_on_wps(&org).cloned().collect();
            org["users"] = Value::Array(listed);
        }
        Demo { org }
    }
    /// Resigned people in the demo org.
    fn resigned(&self) -> Vec<&Value> {
        self.users()
            .iter()
            .filter(|u| u["status"] == "dimission")
            .collect()
    }
    fn users(&self) -> &Vec<Value> {
        self.org["users"].as_array().unwrap()
    }
    fn depts(&self) -> &Vec<Value> {
        self.org["depts"].as_array().unwrap()
    }
    fn user(&self, i: usize) -> &Value {
        &self.users()[i]
    }
    /// The department with the most direct members, and how many.
    fn biggest_dept(&self) -> (String, usize) {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for u in self.users() {
            for d in u["dept_ids"].as_array().unwrap() {
                *count.entry(d.as_str().unwrap()).or_default() += 1;
            }
        }
        let (id, n) = count.into_iter().max_by_key(|(id, n)| (*n, *id)).unwrap();
        (id.to_string(), n)
    }
    /// A user in two departments.
    fn two_dept_user(&self) -> &Value {
        self.users()
            .iter()
            .find(|u| u["dept_ids"].as_array().unwrap().len() == 2)
            .unwrap()
    }
}

fn wps() -> FakeProc {
    fake_server("wps", &demo_org_path(), &[])
}
fn wps_private() -> FakeProc {
    fake_server(
        "wps",
        &demo_org_path(),
        &["--openapi-prefix", "/openapi", "--graph-prefix", "/graph"],
    )
}
fn feishu() -> FakeProc {
    fake_server("feishu", &demo_org_path(), &[])
}

fn check_lookup(server: FakeProc) {
    let home = scratch();
    let demo = Demo::listed_by(&server);
    let (a, b) = (demo.user(20), demo.user(7));
    let (ea, eb) = (a["email"].as_str().unwrap(), b["email"].as_str().unwrap());
    // Found ones in input order (b before a), the unknown one named on stderr, status 1.
    let out = run(
        &server,
        home.path(),
        &["lookup", eb, "nobody@nowhere.example", &ea.to_uppercase()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains(b["id"].as_str().unwrap()), "{text}");
    assert!(lines[1].contains(a["id"].as_str().unwrap()), "{text}");
    let err = stderr(&out);
    assert!(err.contains("nobody@nowhere.example"), "{err}");

    let out = run(&server, home.path(), &["lookup", ea, eb, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![a["id"].as_str().unwrap(), b["id"].as_str().unwrap()]
    );
    for key in [
        "id",
        "name",
        "email",
        "mobile",
        "title",
        "employee_id",
        "status",
        "leader_id",
        "dept_ids",
        "depts",
    ] {
        assert!(v[0].get(key).is_some(), "missing key {key}");
    }
}

fn check_user(server: FakeProc) {
    let home = scratch();
    let demo = Demo::listed_by(&server);
    let u = demo.two_dept_user();
    let id = u["id"].as_str().unwrap();
    let out = run(&server, home.path(), &["user", id, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["name"], u["name"]);
    assert_eq!(v["email"], u["email"]);
    assert_eq!(v["status"], u["status"]);
    assert_eq!(v["leader_id"], u["leader_id"]);
    let depts = v["depts"].as_array().unwrap();
    assert_eq!(depts.len(), 2);
    for d in depts {
        let path = d["path"].as_str().unwrap();
        assert!(path.starts_with("Acme 集团"), "{path}");
        assert!(path.ends_with(d["name"].as_str().unwrap()), "{path}");
    }
    // Text: the leader by name, not a bare id.
    let out = run(&server, home.path(), &["user", id]);
    assert_eq!(out.status.code(), Some(0));
    let leader_id = u["leader_id"].as_str().unwrap();
    let leader = demo.users().iter().find(|x| x["id"] == leader_id).unwrap();
    let text = stdout(&out);
    assert!(text.contains(leader["name"].as_str().unwrap()), "{text}");

    let out = run(&server, home.path(), &["user", "no-such-user"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));

    // Someone who has resigned is still shown by id, with that status, and (on WPS, whose
    // email lookup takes no resigned filter) is not found by email.
    let all = Demo::load();
    let gone = all.resigned()[0];
    let id = gone["id"].as_str().unwrap();
    let out = run(&server, home.path(), &["user", id, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["status"], "dimission");
    let email = gone["email"].as_str().unwrap();
    let out = run(&server, home.path(), &["lookup", email]);
    let want = if server.provider == "wps" { 1 } else { 0 };
    assert_eq!(out.status.code(), Some(want), "{}", stderr(&out));
}

fn check_members(server: FakeProc) {
    let home = scratch();
    let demo = Demo::listed_by(&server);
    let (dept, n) = demo.biggest_dept();
    assert!(n > 50);
    let out = run(&server, home.path(), &["members", &dept, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let got: HashSet<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    let want: HashSet<&str> = demo
        .users()
        .iter()
        .filter(|u| {
            u["dept_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d == dept.as_str())
        })
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, want);
    // Hydrated: leaders and departments are filled in even where listings are reduced.
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|u| !u["depts"].as_array().unwrap().is_empty())
    );

    let out = run(&server, home.path(), &["members", "no-such-dept"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

fn check_tree(server: FakeProc) {
    let home = scratch();
    let demo = Demo::listed_by(&server);
    let out = run(&server, home.path(), &["tree", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    fn count(node: &Value, depts: &mut usize, members: &mut HashSet<String>) {
        *depts += 1;
        for m in node["members"].as_array().unwrap() {
            members.insert(m["id"].as_str().unwrap().to_string());
        }
        for c in node["children"].as_array().unwrap() {
            count(c, depts, members);
        }
    }
    let (mut depts, mut members) = (0, HashSet::new());
    count(&v, &mut depts, &mut members);
    assert_eq!(depts, demo.depts().len());
    assert_eq!(members.len(), demo.users().len());

    let out = run(&server, home.path(), &["tree", "--depth", "1"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let top = demo
        .depts()
        .iter()
        .filter(|d| d["parent_id"] == demo.depts()[0]["id"])
        .count();
    assert_eq!(text.lines().count(), 1 + top, "{text}");
    assert!(text.lines().next().unwrap().starts_with("Acme 集团"));

    let out = run(&server, home.path(), &["tree", "--dept", "no-such-dept"]);
    assert_eq!(out.status.code(), Some(1));
}

fn check_export(server: FakeProc, exact: bool) {
    let home = scratch();
    let demo = Demo::listed_by(&server);
    let out = run(&server, home.path(), &["export"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["depts"].as_array().unwrap().len(), demo.depts().len());
    assert_eq!(v["users"].as_array().unwrap().len(), demo.users().len());
    if exact {
        // The export is the org file that was served, up to order.
        let by_id = |list: &Vec<Value>| -> HashMap<String, Value> {
            list.iter()
                .map(|x| (x["id"].as_str().unwrap().to_string(), x.clone()))
                .collect()
        };
        assert_eq!(by_id(v["users"].as_array().unwrap()), by_id(demo.users()));
        assert_eq!(by_id(v["depts"].as_array().unwrap()), by_id(demo.depts()));
    }
    let out = run(&server, home.path(), &["export", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("id,name,email,"));
    assert_eq!(text.lines().count(), demo.users().len() + 1);
}

fn check_bad_secret(server: FakeProc) {
    let home = scratch();
    let out = run_env(
        &server,
        home.path(),
        &["user", "u000001"],
        &[("ORGTUI_APP_SECRET", "wrong-secret-xyz")],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        !err.contains("wrong-secret-xyz") && !err.contains(APP_SECRET),
        "{err}"
    );
}

/// Every command the CLI has, against one strict fake: the fake refused none of the
/// requests, so the client sent only what the documents allow.
fn check_only_documented_requests(server: FakeProc) {
    let home = scratch();
    let demo = Demo::listed_by(&server);
    let (dept, _) = demo.biggest_dept();
    let emails: Vec<&str> = demo
        .users()
        .iter()
        .take(120)
        .filter_map(|u| u["email"].as_str())
        .collect();
    let gone = Demo::load().resigned()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut lookup = vec!["lookup"];
    lookup.extend(&emails);
    lookup.push("nobody@nowhere.example");
    let commands: Vec<Vec<&str>> = vec![
        lookup,
        vec!["user", demo.user(5)["id"].as_str().unwrap()],
        vec!["user", &gone],
        vec!["members", &dept, "--json"],
        vec!["tree", "--json"],
        vec!["tree", "--dept", &dept, "--depth", "2", "--members"],
        vec!["export", "--format", "csv"],
        vec!["doctor"],
    ];
    for args in &commands {
        let out = run(&server, home.path(), args);
        // The lookup names one unknown address: exit 1; everything else succeeds.
        let want = if args[0] == "lookup" { 1 } else { 0 };
        assert_eq!(out.status.code(), Some(want), "{args:?}: {}", stderr(&out));
    }
    let stats = server.stats();
    assert_eq!(stats["refused"], 0, "{stats}");
    assert!(stats["requests"].as_u64().unwrap() > 20, "{stats}");
}

macro_rules! contract_tests {
    ($name:ident, $server:expr, $exact:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn only_documented_requests() {
                check_only_documented_requests($server);
            }
            #[test]
            fn lookup() {
                check_lookup($server);
            }
            #[test]
            fn user() {
                check_user($server);
            }
            #[test]
            fn members() {
                check_members($server);
            }
            #[test]
            fn tree() {
                check_tree($server);
            }
            #[test]
            fn export() {
                check_export($server, $exact);
            }
            #[test]
            fn bad_secret() {
                check_bad_secret($server);
            }
        }
    };
}

contract_tests!(wps_public, wps(), true);
contract_tests!(wps_private_deployment, wps_private(), true);
// Feishu presents the root department as "0", so the export matches up to that id.
contract_tests!(feishu_contact, feishu(), false);

#[test]
fn recovers_from_server_errors() {
    let home = scratch();
    let server = fake_server("wps", &demo_org_path(), &["--fail-every", "3"]);
    let (dept, n) = Demo::listed_by(&server).biggest_dept();
    let out = run(&server, home.path(), &["members", &dept, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out).as_array().unwrap().len(), n);
}

#[test]
fn recovers_from_rate_limiting() {
    let home = scratch();
    // The server allows 20 requests/s and the client is told not to limit itself: it must
    // back off on 429 (Feishu's x-ogw-ratelimit-reset) and still finish.
    let server = fake_server("feishu", &demo_org_path(), &["--rate-limit", "20"]);
    let (dept, n) = Demo::load().biggest_dept();
    let out = run_env(
        &server,
        home.path(),
        &["members", &dept, "--json"],
        &[("ORGTUI_CONCURRENCY", "16")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out).as_array().unwrap().len(), n);
}

#[test]
fn unreachable_host_is_a_network_error() {
    let home = scratch();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = base_cmd(home.path())
        .env("ORGTUI_PROVIDER", "wps")
        .env("ORGTUI_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ORGTUI_APP_ID", APP_ID)
        .env("ORGTUI_APP_SECRET", APP_SECRET)
        .args(["user", "u000001"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/oauth2/token"), "names the endpoint: {err}");
}

#[test]
fn malformed_json_is_a_clear_error() {
    let home = scratch();
    // Every request, the token call included, gets 200 and a body that is not JSON.
    const GARBAGE: &str = "{\"code\":0,\"data\":{\"items\":[{\"id\": 1,";
    let server = common::fixtures::garbage_server("/oauth2/token", GARBAGE, GARBAGE);
    let url = server.url.clone();
    for provider in ["wps", "feishu"] {
        let out = base_cmd(home.path())
            .env("ORGTUI_PROVIDER", provider)
            .env("ORGTUI_BASE_URL", &url)
            .env("ORGTUI_APP_ID", APP_ID)
            .env("ORGTUI_APP_SECRET", APP_SECRET)
            .args(["members", "d1"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{provider}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn broken_config_names_file_and_key() {
    let home = scratch();
    let cfg = home.path().join("bad.toml");
    std::fs::write(&cfg, "[profiles.work]\nprovider = \"wps\"\napp_id = \n").unwrap();
    let out = base_cmd(home.path())
        .arg("--config")
        .arg(&cfg)
        .args(["user", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("bad.toml:3"), "{err}");

    std::fs::write(
        &cfg,
        "[profiles.work]\nprovider = \"gmail\"\napp_id = \"a\"\napp_secret = \"b\"\n",
    )
    .unwrap();
    let out = base_cmd(home.path())
        .arg("--config")
        .arg(&cfg)
        .args(["user", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml") && err.contains("profiles.work.provider"),
        "{err}"
    );

    let out = base_cmd(home.path())
        .args(["--config", "/no/such/file.toml", "user", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/no/such/file.toml"));

    // No config at all and no environment: a usage error pointing at --demo.
    let out = base_cmd(home.path()).args(["user", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--demo"), "{}", stderr(&out));
}

#[test]
fn secret_from_command_in_profile() {
    let home = scratch();
    let server = wps();
    let cfg = home.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "default_profile = \"w\"\n[profiles.w]\nprovider = \"wps\"\nbase_url = \"{}\"\napp_id = \"{APP_ID}\"\napp_secret_cmd = \"printf %s {APP_SECRET}\"\nrate_limit = 0\n",
            server.url
        ),
    )
    .unwrap();
    let out = base_cmd(home.path())
        .arg("--config")
        .arg(&cfg)
        .args(["user", "u000001", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["id"], "u000001");
}

#[test]
fn usage_errors_exit_2() {
    let home = scratch();
    let server = wps();
    // Nothing to look up (a token that is no address is named, exit 1: tests/lookup.rs).
    let out = run(&server, home.path(), &["lookup"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no email addresses"),
        "{}",
        stderr(&out)
    );
    let out = run(&server, home.path(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn text_output_never_carries_escape_sequences() {
    let home = scratch();
    let org = hostile_org(home.path());
    for provider in ["wps", "feishu"] {
        let server = fake_server(provider, &org, &[]);
        // Feishu presents the root department as "0".
        let root = if provider == "feishu" { "0" } else { "root" };
        for args in [
            vec!["user", "evil"],
            vec!["user", "plain"],
            vec!["members", root],
            vec!["tree", "--members"],
            vec!["lookup", "evil@x.example"],
            vec!["export", "--format", "csv"],
        ] {
            let out = run(&server, home.path(), &args);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{provider} {args:?}: {}",
                stderr(&out)
            );
            let bytes = &out.stdout;
            assert!(
                !bytes.iter().any(|&b| b == 0x1b || b == 0x07),
                "{provider} {args:?} printed a control byte: {:?}",
                stdout(&out)
            );
            assert!(
                stdout(&out).contains("Evil")
                    || args[0] == "members" && stdout(&out).contains("Plain")
            );
        }
    }
}

#[test]
fn demo_runs_with_no_account() {
    let home = scratch();
    let out = base_cmd(home.path())
        .args(["--demo", "tree", "--depth", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Acme 集团"));
    let out = base_cmd(home.path())
        .args(["--demo", "--demo-provider", "feishu", "lookup", "--json"])
        .arg(Demo::load().user(3)["email"].as_str().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
