//! Untrusted graphs, endless paging and ids as path segments, against the hostile server:
//! a department listed under its own descendant, listings that never end, and ids that
//! would change a request's path.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::hostile::{self, Hostile, Reply, Seen, wps_dept, wps_org};
use common::{APP_ID, APP_SECRET, BIN, scratch, stderr, stdout};
use serde_json::{Value, json};

type Listing = hostile::WpsListing;

fn ok(data: Value) -> Reply {
    hostile::wps_ok(data)
}

/// d0 → d1 → d2 → {d3, d1}: d2 lists its own ancestor among its children.
fn cycle(id: &str, _page: Option<&str>) -> Listing {
    let items = match id {
        "d0" => vec![wps_dept("d1", "d0")],
        "d1" => vec![wps_dept("d2", "d1")],
        "d2" => vec![wps_dept("d3", "d2"), wps_dept("d1", "d2")],
        _ => vec![],
    };
    (items, None, None)
}

/// `orgtui ARGS` against `server` as WPS.
fn orgtui(server: &Hostile, home: &Path, args: &[&str]) -> Output {
    orgtui_as("wps", server, home, args)
}

/// `orgtui ARGS` against `server` as `provider`, bounded: at most 20 s and 4 GB of address
/// space, so a client that loops fails the test rather than taking the machine down.
fn orgtui_as(provider: &str, server: &Hostile, home: &Path, args: &[&str]) -> Output {
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4000000; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("ORGTUI_PROVIDER", provider)
        .env("ORGTUI_BASE_URL", &server.url)
        .env("ORGTUI_APP_ID", APP_ID)
        .env("ORGTUI_APP_SECRET", APP_SECRET)
        .env("ORGTUI_RATE_LIMIT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run orgtui");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(out) => out.expect("orgtui output"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("orgtui {args:?} did not finish within 20 s");
        }
    }
}

/// The one line the CLI prints on failure (stderr may also carry warnings).
fn error_lines(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn tree_draws_each_department_once_and_notes_the_cycle() {
    let server = wps_org(cycle);
    let home = scratch();
    let out = orgtui(&server, home.path(), &["tree"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for id in ["d0", "d1", "d2", "d3"] {
        assert_eq!(
            text.matches(&format!("[{id}]")).count(),
            1,
            "{id} once:\n{text}"
        );
    }
    assert!(
        text.contains("      ✗ cycle: d1 is its own ancestor\n"),
        "the cycle shows where d2 lists d1:\n{text}"
    );
    assert!(stderr(&out).contains("cycle: d1 is its own ancestor (listed under d2)"));
    // d1's listing was asked for once: the cycle was not followed.
    assert_eq!(server.count("/v7/depts/d1/children"), 1);

    let out = orgtui(&server, home.path(), &["tree", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tree: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let d2 = &tree["children"][0]["children"][0];
    assert_eq!(d2["id"], "d2");
    assert_eq!(d2["children"].as_array().unwrap().len(), 1, "{d2}");
    assert_eq!(d2["errors"], json!(["cycle: d1 is its own ancestor"]));
}

#[test]
fn export_writes_each_department_once_and_reports_the_cycle() {
    let server = wps_org(cycle);
    let home = scratch();
    let out = orgtui(&server, home.path(), &["export"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<&str> = file["depts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["d0", "d1", "d2", "d3"]);
    assert!(
        stderr(&out).contains("warning: cycle: d1 is its own ancestor (listed under d2)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_department_that_is_its_own_child_is_a_cycle() {
    let server = wps_org(|id, _| match id {
        "d0" => (vec![wps_dept("d1", "d0")], None, None),
        "d1" => (vec![wps_dept("d1", "d1")], None, None),
        _ => (vec![], None, None),
    });
    let home = scratch();
    let out = orgtui(&server, home.path(), &["tree"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.matches("[d1]").count(), 1, "{text}");
    assert!(
        text.contains("    ✗ cycle: d1 is its own ancestor\n"),
        "{text}"
    );
}

/// A listing that hands out a new token on every page, with `has_more`, under a reported
/// total of 3: it ends after total + 2 pages with one line naming the listing.
#[test]
fn endless_new_tokens_end_at_the_reported_total() {
    let server = wps_org(|id, page| match id {
        "d0" => {
            let n: u64 = page
                .and_then(|p| p.trim_start_matches('t').parse().ok())
                .unwrap_or(0);
            (vec![], Some(format!("t{}", n + 1)), Some(3))
        }
        _ => (vec![], None, None),
    });
    let home = scratch();
    let out = orgtui(&server, home.path(), &["tree"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("GET /v7/depts/{id}/children of \"d0\"")
            && lines[0].contains("did not end after 5 pages")
            && lines[0].contains("reported 3 items"),
        "{lines:?}"
    );
    assert_eq!(server.count("/v7/depts/d0/children"), 5);
    // WPS reports a total only when asked, so every listing asks for it.
    for seen in server.seen() {
        if seen.path().ends_with("/children") || seen.path().ends_with("/members") {
            assert_eq!(seen.param("with_total"), Some("true"), "{}", seen.target);
        }
    }
}

#[test]
fn a_repeated_page_token_ends_the_listing() {
    let server = wps_org(|id, _| match id {
        "d0" => (vec![wps_dept("d1", "d0")], Some("same".into()), None),
        _ => (vec![], None, None),
    });
    let home = scratch();
    for args in [&["tree"][..], &["export"], &["members", "d0"]] {
        let out = orgtui(&server, home.path(), args);
        if args[0] == "members" {
            // Members of d0 end at once here; its sub-departments are what repeats.
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            continue;
        }
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        let lines = error_lines(&out);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].contains("repeated a page token")
                && lines[0].contains("GET /v7/depts/{id}/children of \"d0\""),
            "{lines:?}"
        );
    }
}

#[test]
fn endless_member_pages_end_too() {
    let server = hostile::serve(|s: &Seen| {
        let path = s.path().to_string();
        match path.as_str() {
            "/oauth2/token" => Reply::json(json!({"access_token": "tok", "expires_in": 7200})),
            "/v7/depts/root" => ok(wps_dept("d0", "0")),
            "/v7/depts/d0" => ok(wps_dept("d0", "0")),
            "/v7/depts/d0/members" => {
                let n: u64 = s
                    .param("page_token")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                ok(json!({"items": [], "next_page_token": (n + 1).to_string(), "total": 1}))
            }
            _ => Reply::status_json(404, json!({"code": 400000004, "msg": "not found"})),
        }
    });
    let home = scratch();
    let out = orgtui(&server, home.path(), &["members", "d0"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("GET /v7/depts/{id}/members of \"d0\"")
            && lines[0].contains("did not end after 3 pages"),
        "{lines:?}"
    );
}

/// Ids typed on the command line that would change the request path are refused before
/// anything is asked for.
#[test]
fn command_line_ids_that_are_no_path_segment_are_refused() {
    let server = wps_org(cycle);
    let home = scratch();
    for args in [
        &["user", ".."][..],
        &["user", "."],
        &["user", "a/b"],
        &["members", "../x"],
        &["members", ".."],
        &["tree", "--dept", "../d1"],
        &["export", "--dept", "x?y=1"],
    ] {
        let out = orgtui(&server, home.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let lines = error_lines(&out);
        assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
        assert!(lines[0].contains("is not a usable id"), "{lines:?}");
    }
    let asked: Vec<String> = server
        .seen()
        .iter()
        .map(|s| s.path().to_string())
        .filter(|p| p.starts_with("/v7/users") || p.contains("/children") || p.contains("/members"))
        .collect();
    assert!(asked.is_empty(), "{asked:?}");
}

/// Every request `seen` went to an endpoint meant, each id one segment.
fn assert_endpoints_meant(seen: &[Seen]) {
    for s in seen {
        let path = s.path();
        let segs: Vec<&str> = path.split('/').collect();
        let fine = match segs.as_slice() {
            // `/v7/users`: the crawl's bulk listing, refused here, then the walk.
            ["", "oauth2", "token"] | ["", "v7", "depts", "root"] | ["", "v7", "users"] => true,
            ["", "v7", "depts", id, "children" | "members"] => !matches!(*id, "" | "." | ".."),
            _ => false,
        };
        assert!(fine, "unexpected request {path}");
    }
}

/// A server-given id with slashes stays one segment (`/` encoded) of the endpoint meant.
#[test]
fn server_ids_with_slashes_stay_one_path_segment() {
    let server = wps_org(|id, _| match id {
        "d0" => (vec![wps_dept("../../evil", "d0")], None, None),
        _ => (vec![], None, None),
    });
    let home = scratch();
    let out = orgtui(&server, home.path(), &["tree"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("[../../evil]"), "{}", stdout(&out));
    let seen = server.seen();
    assert!(
        seen.iter()
            .any(|s| s.path() == "/v7/depts/..%2F..%2Fevil/children"),
        "the id with slashes is one encoded segment"
    );
    assert_endpoints_meant(&seen);
}

/// A server-given dot-segment id is refused without a request: `/v7/depts/../children`
/// would be `/v7/children`.
#[test]
fn server_dot_segment_ids_are_refused() {
    for bad in ["..", "."] {
        let server = wps_org(move |id, _| match id {
            "d0" => (vec![wps_dept(bad, "d0")], None, None),
            _ => (vec![], None, None),
        });
        let home = scratch();
        let out = orgtui(&server, home.path(), &["tree"]);
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        let lines = error_lines(&out);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].contains(&format!("{bad:?}")) && lines[0].contains("path segment"),
            "{lines:?}"
        );
        assert_endpoints_meant(&server.seen());
    }
}

fn feishu_dept(id: &str, parent: &str) -> Value {
    json!({"name": id.to_uppercase(), "open_department_id": id, "parent_department_id": parent})
}

fn feishu_ok(data: Value) -> Reply {
    Reply::json(json!({"code": 0, "msg": "success", "data": data}))
}

/// The same cycle on Feishu: d2 lists d1 (its parent's parent) among its children, so the
/// parents loop too, and paths must not follow them.
#[test]
fn feishu_cycle_is_drawn_once_and_noted() {
    let server = hostile::serve(|s: &Seen| {
        let path = s.path().to_string();
        let api = path.strip_prefix("/open-apis").unwrap_or("");
        let segs: Vec<&str> = api.split('/').collect();
        match segs.as_slice() {
            ["", "auth", "v3", "tenant_access_token", "internal"] => Reply::json(json!({
                "code": 0, "msg": "ok", "tenant_access_token": "tok", "expire": 7200
            })),
            ["", "contact", "v3", "departments", id, "children"] => {
                let items = match *id {
                    "0" => vec![feishu_dept("d1", "0")],
                    "d1" => vec![feishu_dept("d2", "d1")],
                    "d2" => vec![feishu_dept("d3", "d2"), feishu_dept("d1", "d2")],
                    _ => vec![],
                };
                feishu_ok(json!({"items": items, "has_more": false}))
            }
            ["", "contact", "v3", "departments", id] => {
                let d = match *id {
                    "0" => json!({"name": "Root", "open_department_id": "0"}),
                    other => feishu_dept(other, "0"),
                };
                feishu_ok(json!({"department": d}))
            }
            ["", "contact", "v3", "users", "find_by_department"] => {
                feishu_ok(json!({"items": [], "has_more": false}))
            }
            _ => Reply::json(json!({"code": 40015, "msg": "not found"})),
        }
    });
    let home = scratch();
    let out = orgtui_as("feishu", &server, home.path(), &["tree"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for id in ["d1", "d2", "d3"] {
        assert_eq!(
            text.matches(&format!("[{id}]")).count(),
            1,
            "{id} once:\n{text}"
        );
    }
    assert!(text.contains("✗ cycle: d1 is its own ancestor"), "{text}");
    let out = orgtui_as("feishu", &server, home.path(), &["export"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("cycle: d1 is its own ancestor (listed under d2)"));
}

/// A chain of departments without end (each the only child of the one before) stops at the
/// depth bound with one line, instead of recursing in the JSON output.
#[test]
fn a_tree_too_deep_ends_with_an_error() {
    let server = wps_org(|id, _| {
        let n: u64 = id.trim_start_matches('d').parse().unwrap_or(0);
        (vec![wps_dept(&format!("d{}", n + 1), id)], None, None)
    });
    let home = scratch();
    let out = orgtui(&server, home.path(), &["tree", "--json"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("deeper than 256 levels"), "{lines:?}");
}

/// Department paths for `user` come from parent links, and a file's links may loop: a
/// short loop (a → b → a) ends where it closes, and a long one (2,000 departments, each the
/// parent of the one before) gives a path cut to a bounded length instead of one name per
/// department in the loop, in text and in JSON.
#[test]
fn user_paths_through_looping_parents_are_bounded() {
    let home = scratch();
    let h = home.path();
    let n = 2000;
    let mut depts = vec![
        json!({"id": "root", "name": "Root", "parent_id": null}),
        json!({"id": "a", "name": "A", "parent_id": "b"}),
        json!({"id": "b", "name": "B", "parent_id": "a"}),
    ];
    depts.extend((0..n).map(|i| {
        json!({"id": format!("r{i}"), "name": format!("Ring{i}"), "parent_id": format!("r{}", (i + 1) % n)})
    }));
    let org = json!({
        "depts": depts,
        "users": [
            {"id": "u1", "name": "One", "dept_ids": ["a"]},
            {"id": "u2", "name": "Two", "dept_ids": ["r0"]}
        ]
    });
    let file = h.join("loops.json");
    std::fs::write(&file, org.to_string()).unwrap();
    let f = file.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--org-file", f];
        all.extend_from_slice(args);
        let out = common::base_cmd(h).args(&all).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        out
    };

    let text = stdout(&run(&["user", "u1"]));
    assert!(text.contains("B/A [a]"), "{text}");
    let v: Value = serde_json::from_slice(&run(&["user", "u1", "--json"]).stdout).unwrap();
    assert_eq!(v["depts"][0]["path"], "B/A", "{v}");

    let text = stdout(&run(&["user", "u2"]));
    let line = text.lines().find(|l| l.starts_with("dept")).unwrap();
    assert!(line.len() < 1100, "a bounded path: {} bytes", line.len());
    assert!(
        line.contains("…/") && line.ends_with("/Ring0 [r0]"),
        "{line}"
    );
    let v: Value = serde_json::from_slice(&run(&["user", "u2", "--json"]).stdout).unwrap();
    let path = v["depts"][0]["path"].as_str().unwrap();
    assert!(path.len() <= 1024, "a bounded path: {} bytes", path.len());
    assert!(path.starts_with("…/") && path.ends_with("/Ring0"), "{path}");
}

/// A reply listing a person in 200,000 departments, and a department with 200,000 leaders
/// (repeats among them): each kept once, in order, and cut to a bounded number, in well
/// under the time bound (a search of the list so far for each one would take hours).
#[test]
fn huge_id_lists_in_a_reply_are_deduplicated_and_bounded() {
    const N: usize = 200_000;
    let depts: Vec<Value> = (0..N)
        .map(|i| json!({"id": format!("d{}", i % (N - 1)), "name": "D", "abs_path": "/R/D"}))
        .collect();
    let user = json!({"code": 0, "data": {"id": "u1", "user_name": "Alice", "depts": depts}});
    let leaders: Vec<Value> = (0..N)
        .map(|i| json!({"user_id": format!("u{}", i % (N - 1)), "order": 1}))
        .collect();
    let root =
        json!({"code": 0, "data": {"id": "d0", "name": "R", "parent_id": "0", "leaders": leaders}});
    let (user, root) = (user.to_string(), root.to_string());
    let server = hostile::serve(move |s: &Seen| match s.path() {
        "/oauth2/token" => Reply::json(json!({
            "access_token": "tok", "expires_in": 7200, "token_type": "bearer"
        })),
        "/v7/users/u1" => Reply::Full {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: user.clone().into_bytes(),
        },
        "/v7/depts/root" => Reply::Full {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: root.clone().into_bytes(),
        },
        p if p.ends_with("/children") || p.ends_with("/members") => {
            ok(json!({"items": [], "next_page_token": ""}))
        }
        _ => Reply::status_json(404, json!({"code": 400000004, "msg": "not found"})),
    });
    let home = scratch();
    let out = orgtui(&server, home.path(), &["user", "u1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = v["dept_ids"].as_array().unwrap();
    assert_eq!(ids.len(), 256, "bounded");
    assert_eq!((ids[0].as_str(), ids[1].as_str()), (Some("d0"), Some("d1")));
    assert_eq!(v["depts"].as_array().unwrap().len(), 256);

    let out = orgtui(&server, home.path(), &["tree", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let leaders = v["leader_ids"].as_array().unwrap_or_else(|| panic!("{v}"));
    assert_eq!(leaders.len(), 256, "bounded");
    assert_eq!(leaders[0], "u0");
}

/// The same on Feishu: a person in 200,000 departments is kept in a bounded number of them,
/// and only those are looked up (for one the server does not know, its name and its path
/// each ask once).
#[test]
fn feishu_huge_department_lists_are_bounded() {
    const N: usize = 200_000;
    let ids: Vec<String> = (0..N).map(|i| format!("d{}", i % (N - 1))).collect();
    let user = json!({"code": 0, "data": {"user": {"open_id": "u1", "name": "Alice", "department_ids": ids}}});
    let user = user.to_string();
    let server = hostile::serve(move |s: &Seen| match s.path() {
        "/open-apis/auth/v3/tenant_access_token/internal" => Reply::json(json!({
            "code": 0, "msg": "ok", "tenant_access_token": "tok", "expire": 7200
        })),
        "/open-apis/contact/v3/users/u1" => Reply::Full {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: user.clone().into_bytes(),
        },
        _ => Reply::json(json!({"code": 40015, "msg": "not found"})),
    });
    let home = scratch();
    let out = orgtui_as("feishu", &server, home.path(), &["user", "u1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dept_ids"].as_array().unwrap().len(), 256, "bounded");
    assert!(
        server.count("/departments/d") <= 2 * 256,
        "{} department requests",
        server.count("/departments/d")
    );
}

/// Feishu paths are built from the parents' names, and every child of a page shares its
/// parent's path: a department with a 100,000-character name must not be copied whole into
/// the path of each of its 200 children. Paths are cut from the top, whole names kept.
#[test]
fn feishu_paths_under_a_huge_name_are_bounded() {
    let long = "x".repeat(100_000);
    let server = hostile::serve(move |s: &Seen| {
        let path = s.path().to_string();
        let api = path.strip_prefix("/open-apis").unwrap_or("");
        let segs: Vec<&str> = api.split('/').collect();
        match segs.as_slice() {
            ["", "auth", "v3", "tenant_access_token", "internal"] => Reply::json(json!({
                "code": 0, "msg": "ok", "tenant_access_token": "tok", "expire": 7200
            })),
            ["", "contact", "v3", "departments", id, "children"] => {
                let items: Vec<Value> = match *id {
                    "0" => vec![
                        json!({"name": long, "open_department_id": "d1", "parent_department_id": "0"}),
                    ],
                    "d1" => (0..200)
                        .map(|i| feishu_dept(&format!("c{i}"), "d1"))
                        .collect(),
                    _ => vec![],
                };
                feishu_ok(json!({"items": items, "has_more": false}))
            }
            ["", "contact", "v3", "departments", "0"] => {
                feishu_ok(json!({"department": {"name": "Root", "open_department_id": "0"}}))
            }
            ["", "contact", "v3", "users", "find_by_department"] => {
                feishu_ok(json!({"items": [], "has_more": false}))
            }
            _ => Reply::json(json!({"code": 40015, "msg": "not found"})),
        }
    });
    let home = scratch();
    let out = orgtui_as("feishu", &server, home.path(), &["tree", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d1 = &v["children"][0];
    let kids = d1["children"].as_array().unwrap();
    assert_eq!(kids.len(), 200);
    for k in kids {
        let path = k["path"].as_str().unwrap_or_else(|| panic!("no path: {k}"));
        assert!(path.len() <= 1024, "a bounded path: {} bytes", path.len());
        let name = k["name"].as_str().unwrap();
        // Whole names only: the long one does not fit, so `…` stands for it and the root.
        assert_eq!(path, format!("…/{name}"));
    }
}
