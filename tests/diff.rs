//! `orgtui diff` through the real binary: two org files with planted changes give exactly
//! those changes (JSON and text), the exit statuses of `diff(1)`, bad input named in one
//! line; and the profile's previous and current snapshots after two online exports.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, SystemTime};

use common::*;
use serde_json::{Value, json};

/// 2026-12-01T10:00:00Z and a day later.
const OLD_TIME: u64 = 1_796_119_200;
const NEW_TIME: u64 = 1_796_205_600;

fn run_plain(home: &Path, args: &[&str]) -> Output {
    base_cmd(home).args(args).output().expect("run orgtui")
}

fn dept(id: &str, name: &str, parent: Option<&str>) -> Value {
    json!({"id": id, "name": name, "parent_id": parent, "order": null, "leader_ids": []})
}

fn user(id: &str, name: &str, email: &str, title: &str, leader: Option<&str>, dept: &str) -> Value {
    json!({"id": id, "name": name, "email": email, "mobile": null, "title": title,
           "employee_id": null, "status": "active", "leader_id": leader, "dept_ids": [dept],
           "city": null, "work_place": null})
}

/// The old org: Acme with Eng, Sales, Ops and an Old Team under Sales.
fn old_org() -> Value {
    json!({
        "depts": [
            dept("r", "Acme", None),
            dept("a", "Eng", Some("r")),
            dept("b", "Sales", Some("r")),
            dept("c", "Ops", Some("r")),
            dept("x", "Old Team", Some("b")),
        ],
        "users": [
            user("u1", "Alice", "alice@acme.test", "Engineer", Some("u2"), "a"),
            user("u2", "Bob", "bob@acme.test", "Lead", None, "a"),
            user("u3", "Carol", "carol@acme.test", "Rep", Some("u2"), "b"),
            user("u4", "Dave", "dave@acme.test", "Rep", Some("u3"), "b"),
            user("u5", "Erin", "erin@acme.test", "Ops", None, "c"),
        ]
    })
}

/// The new org, with the planted changes: Eng renamed Engineering, Ops moved under it, Old
/// Team removed, New Team added; Alice promoted with a new leader, Bob gone on leave
/// (dimission), Carol moved from Sales to Ops, Dave left, Frank joined, Erin's email changed.
fn new_org() -> Value {
    let mut bob = user("u2", "Bob", "bob@acme.test", "Lead", None, "a");
    bob["status"] = json!("dimission");
    json!({
        "depts": [
            dept("r", "Acme", None),
            dept("a", "Engineering", Some("r")),
            dept("b", "Sales", Some("r")),
            dept("c", "Ops", Some("a")),
            dept("y", "New Team", Some("r")),
        ],
        "users": [
            user("u1", "Alice", "alice@acme.test", "Senior Engineer", Some("u5"), "a"),
            bob,
            user("u3", "Carol", "carol@acme.test", "Rep", Some("u2"), "c"),
            user("u5", "Erin", "erin@ops.acme.test", "Ops", None, "c"),
            user("u6", "Frank", "frank@acme.test", "Rep", Some("u3"), "y"),
        ]
    })
}

/// `org` written to `dir/name`, its modification time set to `secs`.
fn write_org(dir: &Path, name: &str, org: &Value, secs: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(org).unwrap()).unwrap();
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
    path
}

fn diff(home: &Path, old: &Path, new: &Path, json: bool) -> Output {
    let mut args = vec!["diff", old.to_str().unwrap(), new.to_str().unwrap()];
    if json {
        args.push("--json");
    }
    run_plain(home, &args)
}

fn planted(home: &Path) -> (PathBuf, PathBuf) {
    (
        write_org(home, "old.json", &old_org(), OLD_TIME),
        write_org(home, "new.json", &new_org(), NEW_TIME),
    )
}

#[test]
fn planted_changes_in_json_exactly() {
    let home = scratch();
    let (old, new) = planted(home.path());
    let out = diff(home.path(), &old, &new, true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let dave = json!({"id": "u4", "name": "Dave", "email": "dave@acme.test", "mobile": null,
        "title": "Rep", "employee_id": null, "status": "active", "leader_id": "u3",
        "dept_ids": ["b"], "depts": [{"id": "b", "name": "Sales", "path": "Acme/Sales"}]});
    let frank = json!({"id": "u6", "name": "Frank", "email": "frank@acme.test", "mobile": null,
        "title": "Rep", "employee_id": null, "status": "active", "leader_id": "u3",
        "dept_ids": ["y"], "depts": [{"id": "y", "name": "New Team", "path": "Acme/New Team"}]});
    let changed = |id: &str, name: &str, field: &str, from: &str, to: &str| json!({"id": id, "name": name, "field": field, "from": from, "to": to});
    let expected = json!({
        "from": "2026-12-01T10:00:00Z",
        "to": "2026-12-02T10:00:00Z",
        "joined": [frank],
        "left": [dave],
        "moved": [{"id": "u3", "name": "Carol", "from": ["Acme/Sales"],
                   "to": ["Acme/Engineering/Ops"]}],
        "changed": [
            changed("u1", "Alice", "title", "Engineer", "Senior Engineer"),
            changed("u1", "Alice", "leader", "u2", "u5"),
            changed("u2", "Bob", "status", "active", "dimission"),
            changed("u5", "Erin", "email", "erin@acme.test", "erin@ops.acme.test"),
        ],
        "depts": {
            "added": [{"id": "y", "name": "New Team", "parent_id": "r",
                       "path": "Acme/New Team", "leader_ids": []}],
            "removed": [{"id": "x", "name": "Old Team", "parent_id": "b",
                         "path": "Acme/Sales/Old Team", "leader_ids": []}],
            "renamed": [{"id": "a", "from": "Eng", "to": "Engineering"}],
            "moved": [{"id": "c", "from": "Acme/Ops", "to": "Acme/Engineering/Ops"}],
        }
    });
    assert_eq!(json(&out), expected);

    // The other way round, the same changes reversed.
    let back = json(&diff(home.path(), &new, &old, true));
    assert_eq!(back["joined"][0]["id"], "u4");
    assert_eq!(back["left"][0]["id"], "u6");
    assert_eq!(back["depts"]["renamed"][0]["from"], "Engineering");
    assert_eq!(back["from"], "2026-12-02T10:00:00Z");
}

#[test]
fn planted_changes_in_text() {
    let home = scratch();
    let (old, new) = planted(home.path());
    let out = diff(home.path(), &old, &new, false);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let expected = "\
from 2026-12-01T10:00:00Z to 2026-12-02T10:00:00Z
joined (1)
  Frank <frank@acme.test> [u6]
left (1)
  Dave <dave@acme.test> [u4]
moved (1)
  Carol [u3]: Acme/Sales -> Acme/Engineering/Ops
changed (4)
  Alice [u1] title: Engineer -> Senior Engineer
  Alice [u1] leader: u2 -> u5
  Bob [u2] status: active -> dimission
  Erin [u5] email: erin@acme.test -> erin@ops.acme.test
departments (4)
  added Acme/New Team [y]
  removed Acme/Sales/Old Team [x]
  renamed [a]: Eng -> Engineering
  moved [c]: Acme/Ops -> Acme/Engineering/Ops
";
    assert_eq!(stdout(&out), expected);
}

#[test]
fn identical_files_exit_0() {
    let home = scratch();
    let a = write_org(home.path(), "a.json", &old_org(), OLD_TIME);
    let b = write_org(home.path(), "b.json", &old_org(), NEW_TIME);
    let out = diff(home.path(), &a, &b, false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).ends_with("no differences\n"),
        "{}",
        stdout(&out)
    );
    let out = diff(home.path(), &a, &b, true);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    for list in ["joined", "left", "moved", "changed"] {
        assert_eq!(v[list], json!([]), "{list}");
    }
    assert_eq!(
        v["depts"],
        json!({"added": [], "removed": [], "renamed": [], "moved": []})
    );
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let home = scratch();
    let h = home.path();
    let good = write_org(h, "good.json", &old_org(), OLD_TIME);
    let bad = h.join("bad.json");
    std::fs::write(&bad, "{\"depts\": [{\"id\": 1}]}").unwrap();
    for (old, new, named) in [
        (&good, &bad, "bad.json"),
        (&bad, &good, "bad.json"),
        (&good, &h.join("missing.json"), "missing.json"),
    ] {
        let out = diff(h, old, new, true);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(named) && err.starts_with("orgtui: diff: "),
            "{err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = run_plain(h, &["diff", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "one file only");
    let out = run_plain(h, &["diff", "--snapshot", good.to_str().unwrap(), "x"]);
    assert_eq!(out.status.code(), Some(2), "--snapshot and files");
}

#[test]
fn names_are_sanitized_in_text() {
    let home = scratch();
    let mut org = old_org();
    org["users"][0]["name"] = json!("Ali\u{1b}[31mce\u{202e}");
    org["depts"][1]["name"] = json!("E\u{7}ng");
    let old = write_org(home.path(), "old.json", &old_org(), OLD_TIME);
    let new = write_org(home.path(), "new.json", &org, NEW_TIME);
    let out = diff(home.path(), &old, &new, false);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("renamed [a]"), "{text}");
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && (c.is_control() || c == '\u{202e}')),
        "{text:?}"
    );
    let out = diff(home.path(), &old, &new, true);
    let raw = stdout(&out);
    assert!(
        !raw.contains('\u{1b}') && !raw.contains('\u{202e}'),
        "{raw}"
    );
    assert_eq!(json(&out)["depts"]["renamed"][0]["to"], "E\u{7}ng");
}

/// The profile's snapshots: none yet, then one (no previous generation), then two exports
/// of different orgs, served on the same address so they are the same profile's.
#[test]
fn snapshot_diff_after_two_exports() {
    let home = scratch();
    let h = home.path();
    let old = write_org(h, "old.json", &old_org(), OLD_TIME);
    let new = write_org(h, "new.json", &new_org(), NEW_TIME);

    let first = fake_server("wps", &old, &[]);
    let out = run(&first, h, &["diff"]);
    assert_eq!(out.status.code(), Some(2), "no snapshot yet");
    assert!(stderr(&out).contains("orgtui export"), "{}", stderr(&out));

    let out = run(&first, h, &["export"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&first, h, &["diff", "--snapshot"]);
    assert_eq!(out.status.code(), Some(2), "no previous generation yet");
    let err = stderr(&out);
    assert!(err.contains("no previous snapshot"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    // The same org again: still no previous generation.
    let out = run(&first, h, &["export"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(run(&first, h, &["diff"]).status.code(), Some(2));

    let addr = first.url.trim_start_matches("http://").to_string();
    drop(first);
    let second = Restarted::at(&addr, &new);
    let out = base_cmd(h)
        .env("ORGTUI_PROVIDER", "wps")
        .env("ORGTUI_BASE_URL", format!("http://{addr}"))
        .env("ORGTUI_APP_ID", APP_ID)
        .env("ORGTUI_APP_SECRET", APP_SECRET)
        .env("ORGTUI_RATE_LIMIT", "0")
        .arg("export")
        .output()
        .expect("run orgtui");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Offline: no credentials in the environment, nothing asked of a server.
    drop(second);
    let offline = |args: &[&str]| {
        base_cmd(h)
            .env("ORGTUI_PROVIDER", "wps")
            .env("ORGTUI_BASE_URL", format!("http://{addr}"))
            .args(args)
            .output()
            .expect("run orgtui")
    };
    let out = offline(&["diff", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&v["joined"]), ["u6"]);
    // The server lists no one who has left the company (dimission), so online Bob is gone
    // too, where the org files show his status change.
    assert_eq!(ids(&v["left"]), ["u2", "u4"]);
    assert_eq!(ids(&v["moved"]), ["u3"]);
    assert_eq!(ids(&v["depts"]["renamed"]), ["a"]);
    assert_eq!(ids(&v["depts"]["moved"]), ["c"]);
    assert_eq!(ids(&v["changed"]), ["u1", "u1", "u5"], "{v}");
    assert!(v["from"].as_str().unwrap().ends_with('Z'), "{v}");
    let out = offline(&["diff"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("left (2)\n  Bob <bob@acme.test> [u2]\n  Dave <dave@acme.test> [u4]\n"),
        "{text}"
    );
}

/// A fake server started on the address an earlier one had (`common::fake_server` always
/// takes a free port), so the profile, and its snapshot, stay the same. Killed on drop.
struct Restarted(std::process::Child);

impl Restarted {
    fn at(addr: &str, org: &Path) -> Restarted {
        use std::io::BufRead;
        let mut child = std::process::Command::new(BIN)
            .args(["fake-server", "--provider", "wps", "--addr", addr])
            .arg("--org")
            .arg(org)
            .args(["--app-id", APP_ID, "--app-secret", APP_SECRET])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn fake-server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), format!("listening on http://{addr}"));
        Restarted(child)
    }
}

impl Drop for Restarted {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
