//! `orgtui chain` and `orgtui reports` through the real binary, on an org file built here
//! with known leader links: a chain of eight people (seven levels above the lowest), a loop
//! of three with one person hanging below it, a person without a leader, a manager with 120
//! direct reports, and a person whose leader is not in the org. The expected JSON and text
//! are built in this file from the same table, not by the code under test. And online:
//! `chain` crawls the fake server first and saves the snapshot, which the next run reads
//! without asking the server anything.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::{Value, json};

/// One person of the test org: id, name, title, leader, department.
struct Person {
    id: String,
    name: String,
    title: Option<String>,
    leader: Option<String>,
    dept: &'static str,
}

fn person(id: &str, name: &str, title: Option<&str>, leader: Option<&str>) -> Person {
    Person {
        id: id.into(),
        name: name.into(),
        title: title.map(str::to_string),
        leader: leader.map(str::to_string),
        dept: "d0",
    }
}

/// The reports of the manager `m`: ids in one order, names in another.
const MANY: usize = 120;

fn people() -> Vec<Person> {
    let mut all = vec![person("c0", "王芳", Some("CEO"), None)];
    // c1 .. c7, each led by the one before: c7's chain is c6 .. c0, seven levels.
    for i in 1..8 {
        let leader = format!("c{}", i - 1);
        all.push(person(
            &format!("c{i}"),
            &format!("Level {i}"),
            Some("Lead"),
            Some(&leader),
        ));
    }
    // y1 -> y2 -> y3 -> y1 (each one's leader is the next), y4 below y1.
    all.push(person("y1", "Yara", None, Some("y2")));
    all.push(person("y2", "Yusuf", Some("Ops"), Some("y3")));
    all.push(person("y3", "Yves", None, Some("y1")));
    all.push(person("y4", "Yoko", None, Some("y1")));
    all.push(person("solo", "Solo Person", Some("Advisor"), None));
    all.push(person("g1", "Ghosted", None, Some("ghost")));
    // m sits under c3, so c3 and everyone above count m's 120 reports too.
    all.push(person("m", "Manager", Some("Head of Support"), Some("c3")));
    for i in 0..MANY {
        let mut p = person(
            &format!("r{i:03}"),
            &format!("Rep {:03}", (i * 37) % MANY),
            Some("Agent"),
            Some("m"),
        );
        p.dept = "d1";
        all.push(p);
    }
    all
}

/// The org file of `people()`: two departments, Org and Org/Support.
fn org_file(dir: &Path) -> PathBuf {
    let users: Vec<Value> = people()
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name, "email": format!("{}@example.com", p.id),
                "title": p.title, "status": "active", "leader_id": p.leader,
                "dept_ids": [p.dept],
            })
        })
        .collect();
    let org = json!({
        "depts": [
            {"id": "d0", "name": "Org", "parent_id": null},
            {"id": "d1", "name": "Support", "parent_id": "d0"},
        ],
        "users": users,
    });
    let path = dir.join("org.json");
    std::fs::write(&path, serde_json::to_string_pretty(&org).unwrap()).unwrap();
    path
}

/// The `User` JSON form every command prints, for a person of the table.
fn user_json(p: &Person) -> Value {
    let (name, path) = match p.dept {
        "d0" => ("Org", "Org"),
        _ => ("Support", "Org/Support"),
    };
    json!({
        "id": p.id, "name": p.name, "email": format!("{}@example.com", p.id),
        "mobile": null, "title": p.title, "employee_id": null, "status": "active",
        "leader_id": p.leader, "dept_ids": [p.dept],
        "depts": [{"id": p.dept, "name": name, "path": path}],
    })
}

/// A leader id nobody in the org has, as `chain --json` shows it.
fn unknown_json(id: &str) -> Value {
    json!({
        "id": id, "name": null, "email": null, "mobile": null, "title": null,
        "employee_id": null, "status": null, "leader_id": null, "dept_ids": [], "depts": [],
    })
}

/// The table by id, and each leader's reports in name order (then id).
struct Expected {
    by_id: BTreeMap<String, Person>,
    reports: BTreeMap<String, Vec<String>>,
}

impl Expected {
    fn new() -> Expected {
        let mut reports: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let by_id: BTreeMap<String, Person> =
            people().into_iter().map(|p| (p.id.clone(), p)).collect();
        for p in by_id.values() {
            if let Some(l) = &p.leader {
                reports.entry(l.clone()).or_default().push(p.id.clone());
            }
        }
        for list in reports.values_mut() {
            list.sort_by_key(|id| (by_id[id].name.clone(), id.clone()));
        }
        Expected { by_id, reports }
    }

    fn of(&self, id: &str) -> &[String] {
        self.reports.get(id).map_or(&[], Vec::as_slice)
    }

    /// Everyone below `id`, on a graph with no loop (the loop's cases are written out).
    fn below(&self, id: &str) -> usize {
        self.of(id).iter().map(|r| 1 + self.below(r)).sum()
    }

    fn line(&self, id: &str) -> String {
        let p = &self.by_id[id];
        match &p.title {
            Some(t) => format!("{}  ({})  {t}", p.name, p.id),
            None => format!("{}  ({})", p.name, p.id),
        }
    }

    /// `reports ID --depth N --json`.
    fn tree_json(&self, id: &str, depth: usize) -> Value {
        let reports: Vec<Value> = match depth {
            0 => Vec::new(),
            _ => self
                .of(id)
                .iter()
                .map(|r| self.tree_json(r, depth - 1))
                .collect(),
        };
        json!({"user": user_json(&self.by_id[id]), "reports": reports})
    }

    /// `reports ID --depth N`, at `level`.
    fn tree_text(&self, id: &str, depth: usize, level: usize, out: &mut String) {
        let indent = "  ".repeat(level);
        out.push_str(&format!(
            "{indent}{}  ({} below)\n",
            self.line(id),
            self.below(id)
        ));
        if depth > 0 {
            for r in self.of(id) {
                self.tree_text(r, depth - 1, level + 1, out);
            }
        }
    }
}

/// A scratch home with the org file in it, and what to expect of it.
struct Setup {
    home: tempfile::TempDir,
    org: PathBuf,
    want: Expected,
}

impl Setup {
    fn new() -> Setup {
        let home = scratch();
        let org = org_file(home.path());
        Setup {
            home,
            org,
            want: Expected::new(),
        }
    }

    /// `orgtui --org-file ORG ARGS`, with no server and no config.
    fn cmd(&self, args: &[&str]) -> Output {
        base_cmd(self.home.path())
            .arg("--org-file")
            .arg(&self.org)
            .args(args)
            .output()
            .expect("run orgtui")
    }
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    stdout(out)
}

#[test]
fn chain_of_seven_levels_in_json_and_text() {
    let s = Setup::new();
    let want = &s.want;
    let out = s.cmd(&["chain", "c7", "--json"]);
    ok(&out);
    let chain: Vec<Value> = (0..7)
        .rev()
        .map(|i| user_json(&want.by_id[&format!("c{i}")]))
        .collect();
    assert_eq!(
        json(&out),
        json!({"user": user_json(&want.by_id["c7"]), "chain": chain})
    );
    assert_eq!(stderr(&out), "");

    let text = ok(&s.cmd(&["chain", "c7"]));
    let lines: String = (0..7)
        .rev()
        .enumerate()
        .map(|(n, i)| format!("{}  {}\n", n + 1, want.line(&format!("c{i}"))))
        .collect();
    assert_eq!(text, lines);
    assert!(text.starts_with("1  Level 6  (c6)  Lead\n") && text.ends_with("7  王芳  (c0)  CEO\n"));

    // A report of m goes up through m and c3.
    let text = ok(&s.cmd(&["chain", "r005"]));
    assert_eq!(
        text,
        "1  Manager  (m)  Head of Support\n2  Level 3  (c3)  Lead\n3  Level 2  (c2)  Lead\n\
         4  Level 1  (c1)  Lead\n5  王芳  (c0)  CEO\n"
    );
}

#[test]
fn a_person_without_a_leader_and_one_with_an_unknown_leader() {
    let s = Setup::new();
    let want = &s.want;
    let out = s.cmd(&["chain", "solo", "--json"]);
    assert_eq!(
        json(&out),
        json!({"user": user_json(&want.by_id["solo"]), "chain": []})
    );
    assert_eq!(ok(&s.cmd(&["chain", "solo"])), "");
    let out = s.cmd(&["reports", "solo"]);
    assert_eq!(ok(&out), "Solo Person  (solo)  Advisor  (0 below)\n");

    let out = s.cmd(&["chain", "g1", "--json"]);
    assert_eq!(
        json(&out),
        json!({"user": user_json(&want.by_id["g1"]), "chain": [unknown_json("ghost")]})
    );
    let text = ok(&s.cmd(&["chain", "g1"]));
    assert_eq!(text, "1  -  (ghost)  not in the org\n");
}

#[test]
fn a_cycle_is_named_once_and_not_followed() {
    let s = Setup::new();
    let want = &s.want;
    let out = s.cmd(&["chain", "y4", "--json"]);
    ok(&out);
    let chain: Vec<Value> = ["y1", "y2", "y3"]
        .iter()
        .map(|id| user_json(&want.by_id[*id]))
        .collect();
    assert_eq!(
        json(&out),
        json!({"user": user_json(&want.by_id["y4"]), "chain": chain})
    );
    assert_eq!(
        stderr(&out),
        "warning: leader links loop: y1 → y2 → y3 → y1 (each led by the next); not followed\n"
    );
    let out = s.cmd(&["chain", "y2"]);
    assert_eq!(ok(&out), "1  Yves  (y3)\n2  Yara  (y1)\n");
    assert_eq!(
        stderr(&out),
        "warning: leader links loop: y2 → y3 → y1 → y2 (each led by the next); not followed\n"
    );

    // Down from y1: Yoko and Yves report to y1 (name order), Yusuf to Yves, and y1 to
    // Yusuf again, which is not followed. Everyone on the loop has all three others below.
    let out = s.cmd(&["reports", "y1", "--all"]);
    assert_eq!(
        ok(&out),
        "Yara  (y1)  (3 below)\n  Yoko  (y4)  (0 below)\n  Yves  (y3)  (3 below)\n    \
         Yusuf  (y2)  Ops  (3 below)\n"
    );
    assert_eq!(
        stderr(&out),
        "warning: leader links loop: y1 → y2 → y3 → y1 (each led by the next); not followed\n"
    );
    let out = s.cmd(&["reports", "y1", "--all", "--json"]);
    let node = |id: &str, reports: Vec<Value>| json!({"user": user_json(&want.by_id[id]), "reports": reports});
    assert_eq!(
        json(&out),
        node(
            "y1",
            vec![node("y4", vec![]), node("y3", vec![node("y2", vec![])])]
        )
    );
    assert_eq!(stderr(&out).matches("leader links loop").count(), 1);
}

#[test]
fn a_hundred_and_twenty_direct_reports_in_name_order() {
    let s = Setup::new();
    let want = &s.want;
    let out = s.cmd(&["reports", "m", "--json"]);
    let got = json(&out);
    assert_eq!(got, want.tree_json("m", 1));
    let names: Vec<&str> = got["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), MANY);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    assert_eq!(names[0], "Rep 000");

    let mut text = String::new();
    want.tree_text("m", 1, 0, &mut text);
    assert_eq!(ok(&s.cmd(&["reports", "m"])), text);
    assert!(text.starts_with("Manager  (m)  Head of Support  (120 below)\n  Rep 000  (r000)"));
}

#[test]
fn reporting_trees_to_a_depth_and_whole() {
    let s = Setup::new();
    let want = &s.want;
    for (args, depth) in [
        (&["--depth", "2"][..], 2),
        (&["--depth", "5"][..], 5),
        (&["--all"][..], 100),
    ] {
        let mut cmd = vec!["reports", "c0"];
        cmd.extend_from_slice(args);
        let mut text = String::new();
        want.tree_text("c0", depth, 0, &mut text);
        assert_eq!(ok(&s.cmd(&cmd)), text, "{args:?}");
        cmd.push("--json");
        let out = s.cmd(&cmd);
        assert_eq!(json(&out), want.tree_json("c0", depth), "{args:?}");
    }
    // c0 has the rest of the ladder, m and m's reports below: 7 + 1 + 120.
    let text = ok(&s.cmd(&["reports", "c0"]));
    assert_eq!(
        text,
        "王芳  (c0)  CEO  (128 below)\n  Level 1  (c1)  Lead  (127 below)\n"
    );
}

#[test]
fn unknown_users_and_bad_arguments() {
    let s = Setup::new();
    for cmd in [
        &["chain", "nobody"][..],
        &["reports", "nobody", "--json"],
        &["chain", "ghost"],
    ] {
        let out = s.cmd(cmd);
        assert_eq!(out.status.code(), Some(1), "{cmd:?}");
        assert_eq!(stdout(&out), "");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("not found") && err.contains(cmd[1]), "{err}");
    }
    for cmd in [
        &["reports", "m", "--depth", "0"][..],
        &["reports", "m", "--depth", "257"],
        &["reports", "m", "--depth", "2", "--all"],
        &["chain", "a/b"],
        &["reports", ""],
    ] {
        let out = s.cmd(cmd);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "");
    }
    assert_eq!(
        ok(&s.cmd(&["reports", "m", "--depth", "256"]))
            .lines()
            .count(),
        1 + MANY
    );
}

fn requests(server: &FakeProc) -> u64 {
    server.stats()["requests"].as_u64().unwrap()
}

#[test]
fn online_chain_crawls_first_then_reads_the_saved_snapshot() {
    let home = scratch();
    let org = org_file(home.path());
    let want = Expected::new();
    let server = fake_server("wps", &org, &[]);
    let chain: Vec<Value> = ["m", "c3", "c2", "c1", "c0"]
        .iter()
        .map(|id| user_json(&want.by_id[*id]))
        .collect();
    let expected = json!({"user": user_json(&want.by_id["r007"]), "chain": chain});

    // No snapshot yet: nothing to answer from offline.
    let out = run(&server, home.path(), &["--offline", "chain", "r007"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let before = requests(&server);
    let out = run(&server, home.path(), &["chain", "r007", "--json"]);
    ok(&out);
    assert_eq!(json(&out), expected);
    let crawled = requests(&server) - before;
    assert!(crawled > 2, "the first run crawled ({crawled} requests)");

    // The second run, online and offline, answers from the saved snapshot: no request.
    let before = requests(&server);
    let out = run(&server, home.path(), &["chain", "r007", "--json"]);
    assert_eq!(json(&out), expected, "{}", stderr(&out));
    let out = run(&server, home.path(), &["reports", "m", "--json"]);
    assert_eq!(json(&out), want.tree_json("m", 1), "{}", stderr(&out));
    let out = run(
        &server,
        home.path(),
        &["--offline", "reports", "c3", "--all", "--json"],
    );
    assert_eq!(json(&out), want.tree_json("c3", 100), "{}", stderr(&out));
    assert_eq!(requests(&server) - before, 0, "{}", server.stats());
}

/// The one current snapshot in `home` (a previous generation, `*.prev.snap`, may sit beside it).
fn snapshot_file(home: &Path) -> PathBuf {
    let dir = home.join("cache").join("orgtui").join("snapshots");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".prev.snap"))
        .collect();
    let [file] = files.as_slice() else {
        panic!("one snapshot expected: {files:?}")
    };
    file.clone()
}

/// Rewrite the snapshot in `home` with `change`.
fn change_snapshot(home: &Path, change: impl FnOnce(&mut orgtui::snapshot::Snapshot)) {
    let file = snapshot_file(home);
    let mut snap = orgtui::snapshot::load(&file).unwrap();
    assert!(snap.is_complete());
    change(&mut snap);
    orgtui::snapshot::save(&file, &snap).unwrap();
}

#[test]
fn snapshots_without_everyone_or_without_full_records() {
    let home = scratch();
    let h = home.path();
    let org = org_file(h);
    let server = fake_server("wps", &org, &[]);
    ok(&run(&server, h, &["chain", "c1"]));

    // A person known only from a member listing (which on WPS has no leader): offline it
    // is said once and the answer still given; online the org is crawled again.
    change_snapshot(h, |snap| {
        let r = snap.users.iter_mut().find(|u| u.user.id == "r042").unwrap();
        r.detailed = false;
        r.user.leader_id = None;
    });
    let out = run(&server, h, &["--offline", "chain", "c2"]);
    assert_eq!(ok(&out), "1  Level 1  (c1)  Lead\n2  王芳  (c0)  CEO\n");
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("1 people in the snapshot have only a listing's record"));
    let before = requests(&server);
    let out = run(&server, h, &["chain", "r042"]);
    assert!(ok(&out).starts_with("1  Manager  (m)"), "{}", stdout(&out));
    assert!(requests(&server) > before);
    let out = run(&server, h, &["--offline", "chain", "r042"]);
    assert!(ok(&out).starts_with("1  Manager  (m)"));
    assert_eq!(stderr(&out), "");

    // As the browser saves it after opening only the top: Support's members not listed.
    change_snapshot(h, |snap| {
        for d in snap.depts.iter_mut().filter(|d| d.dept.id == "d1") {
            d.members = None;
        }
    });
    let out = run(&server, h, &["--offline", "reports", "m"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("does not hold everyone"), "{err}");
}
