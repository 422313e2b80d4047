//! Working without a server, through the real binary: `--org-file` (every subcommand, and
//! `search` with its warm snapshot), `--offline` on the snapshot an online `export` saved, and
//! the errors when there is nothing to read.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// `orgtui ARGS` with no server, no config, and a scratch HOME / XDG dirs.
fn run_plain(home: &Path, args: &[&str]) -> Output {
    base_cmd(home).args(args).output().expect("run orgtui")
}

fn org_file(home: &Path, args: &[&str]) -> Output {
    let demo = demo_org_path();
    let mut all = vec!["--org-file", demo.to_str().unwrap()];
    all.extend_from_slice(args);
    run_plain(home, &all)
}

fn snapshots_dir(home: &Path) -> PathBuf {
    home.join("cache").join("orgtui").join("snapshots")
}

fn snap_files(home: &Path, prefix: &str) -> Vec<PathBuf> {
    std::fs::read_dir(snapshots_dir(home))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    name.starts_with(prefix) && name.ends_with(".snap")
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn org_file_subcommands() {
    let home = scratch();
    let h = home.path();

    let out = org_file(h, &["tree", "--depth", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("Acme 集团 [d00000]"), "{text}");
    assert!(text.contains("  客户成功部 [d00005]"), "{text}");

    let out = org_file(h, &["user", "u000192"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("张伟") && text.contains("Acme 集团/客户成功部 [d00005]"));
    assert!(text.contains("leader       吴佳怡"), "{text}");

    let out = org_file(h, &["user", "nobody", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // Members: everyone whose dept_ids name d00005, in file order.
    let demo = demo_org();
    let expected: Vec<&str> = demo["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["dept_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d == "d00005")
        })
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    let out = org_file(h, &["members", "d00005", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got: Vec<String> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, expected);

    let out = org_file(
        h,
        &["lookup", "WEI.ZHANG192@acme.example", "nobody@acme.example"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("[u000192]"));
    assert!(stderr(&out).contains("nobody@acme.example"));

    // Export round-trips the file's people and departments.
    let out = org_file(h, &["export"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let exported = json(&out);
    assert_eq!(
        exported["users"].as_array().unwrap().len(),
        demo["users"].as_array().unwrap().len()
    );
    assert_eq!(
        exported["depts"].as_array().unwrap().len(),
        demo["depts"].as_array().unwrap().len()
    );
}

#[test]
fn org_file_search_with_pinyin_and_a_warm_snapshot() {
    let home = scratch();
    let h = home.path();
    assert!(snap_files(h, "orgfile-").is_empty());

    let cold = org_file(h, &["search", "zhangwei"]);
    assert_eq!(cold.status.code(), Some(0), "{}", stderr(&cold));
    let text = stdout(&cold);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("张伟 <wei.zhang192@acme.example> [u000192]"),
        "{text}"
    );
    assert!(first.ends_with("(Acme 集团/客户成功部)"), "{first}");
    // The parsed file was cached; the next run reads the cache and answers the same.
    assert_eq!(snap_files(h, "orgfile-").len(), 1);
    let warm = org_file(h, &["search", "zhangwei"]);
    assert_eq!(stdout(&warm), text);
    let warm = org_file(h, &["search", "zhang", "wei"]);
    assert_eq!(stdout(&warm), text, "words are joined into one query");

    let out = org_file(h, &["search", "zw", "--limit", "3", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() <= 3, "{rows:?}");
    for r in rows {
        for key in ["kind", "id", "name", "email", "score"] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    assert_eq!(rows[0]["kind"], "user");
    assert!(rows[0]["depts"].is_array(), "{}", rows[0]);

    // Departments are found too, shown by path.
    let out = org_file(h, &["search", "客户成功"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("▸ Acme 集团/客户成功部 [d00005]"),
        "{}",
        stdout(&out)
    );

    let out = org_file(h, &["search", "qqqxxzz"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());

    let out = org_file(h, &["search", "  "]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn org_file_cache_follows_the_file() {
    let home = scratch();
    let h = home.path();
    let file = h.join("org.json");
    let org = |name: &str| {
        serde_json::json!({
            "depts": [{"id": "r", "name": "Root", "parent_id": null}],
            "users": [{"id": "u1", "name": name, "email": "a@x.example", "dept_ids": ["r"]}]
        })
        .to_string()
    };
    std::fs::write(&file, org("Alice")).unwrap();
    let f = file.to_str().unwrap();
    let out = run_plain(h, &["--org-file", f, "search", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A changed file (another size) is parsed again, not answered from the old cache, and
    // the old cache is dropped.
    std::fs::write(&file, org("Bobby Tables")).unwrap();
    let out = run_plain(h, &["--org-file", f, "search", "alice"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let out = run_plain(h, &["--org-file", f, "search", "bobby"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(snap_files(h, "orgfile-").len(), 1);
}

#[test]
fn bad_org_files_exit_2_naming_the_file() {
    let home = scratch();
    let h = home.path();
    let bad = h.join("bad.json");
    std::fs::write(&bad, "{\n  \"depts\": [\n    {\"id\": 1}\n  ]\n}\n").unwrap();
    let out = run_plain(h, &["--org-file", bad.to_str().unwrap(), "tree"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.json") && err.contains("line 3"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let out = run_plain(h, &["--org-file", bad.to_str().unwrap(), "search", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.json"));

    let missing = h.join("missing.json");
    let out = run_plain(h, &["--org-file", missing.to_str().unwrap(), "user", "u1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.json"));

    let out = org_file(h, &["--demo", "tree"]);
    assert_eq!(out.status.code(), Some(2), "--org-file and --demo conflict");
}

/// An org file whose references dangle (a subtree export, say) still works.
#[test]
fn partial_org_file() {
    let home = scratch();
    let h = home.path();
    let file = h.join("part.json");
    let org = serde_json::json!({
        "depts": [
            {"id": "sub", "name": "Sub", "parent_id": null},
            {"id": "kid", "name": "Kid", "parent_id": "sub"},
            {"id": "stray", "name": "Stray", "parent_id": "gone"}
        ],
        "users": [
            {"id": "u1", "name": "One", "email": "one@x.example", "dept_ids": ["kid", "outside"]},
            {"id": "u1", "name": "Duplicate", "dept_ids": ["kid"]}
        ]
    });
    std::fs::write(&file, org.to_string()).unwrap();
    let f = file.to_str().unwrap();
    let out = run_plain(h, &["--org-file", f, "tree", "--members"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Kid [kid]  1 member") && text.contains("One"),
        "{text}"
    );
    assert!(!text.contains("Duplicate"), "{text}");
    let out = run_plain(h, &["--org-file", f, "user", "u1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out)["dept_ids"],
        serde_json::json!(["kid", "outside"])
    );
}

#[test]
fn offline_without_a_snapshot_exits_2_naming_the_file() {
    let home = scratch();
    let h = home.path();
    let mut cmd = base_cmd(h);
    // A profile from the environment only, with no credentials: offline needs none.
    cmd.env("ORGTUI_PROVIDER", "wps")
        .env("ORGTUI_BASE_URL", "http://127.0.0.1:9")
        .args(["--offline", "user", "u000192"]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let dir = snapshots_dir(h);
    assert!(err.contains(dir.to_str().unwrap()), "{err}");
    assert!(
        err.contains(".snap") && err.contains("orgtui export"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    // `search` reads the snapshot too.
    let mut cmd = base_cmd(h);
    cmd.env("ORGTUI_PROVIDER", "wps")
        .env("ORGTUI_BASE_URL", "http://127.0.0.1:9")
        .args(["search", "zhangwei"]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(dir.to_str().unwrap()));
}

#[test]
fn offline_after_an_online_export_wps() {
    offline_after_an_online_export("wps");
}

#[test]
fn offline_after_an_online_export_feishu() {
    offline_after_an_online_export("feishu");
}

fn offline_after_an_online_export(provider: &str) {
    let home = scratch();
    let h = home.path();
    let server = fake_server(provider, &demo_org_path(), &[]);
    let online = |args: &[&str]| run(&server, h, args);
    let exported = online(&["export"]);
    assert_eq!(exported.status.code(), Some(0), "{}", stderr(&exported));
    let tree_online = online(&["tree", "--members"]);
    assert_eq!(tree_online.status.code(), Some(0));
    let user_online = online(&["user", "u000192", "--json"]);
    let members_online = online(&["members", "d00005", "--json"]);
    let snaps = snap_files(h, "env-");
    assert_eq!(snaps.len(), 1, "the export saved the profile's snapshot");
    let url = server.url.clone();
    drop(server); // from here on nothing answers

    let offline = |args: &[&str]| {
        let mut cmd = base_cmd(h);
        cmd.env("ORGTUI_PROVIDER", provider)
            .env("ORGTUI_BASE_URL", &url)
            .arg("--offline")
            .args(args);
        cmd.output().unwrap()
    };
    // The same answers as online.
    let out = offline(&["export"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out), json(&exported));
    let out = offline(&["tree", "--members"]);
    assert_eq!(stdout(&out), stdout(&tree_online));
    let out = offline(&["user", "u000192", "--json"]);
    assert_eq!(json(&out), json(&user_online));
    let out = offline(&["members", "d00005", "--json"]);
    assert_eq!(json(&out), json(&members_online));
    let out = offline(&["lookup", "wei.zhang192@acme.example"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("[u000192]"));

    // `search` reads the same snapshot (no --offline needed: it never asks the server).
    let mut cmd = base_cmd(h);
    cmd.env("ORGTUI_PROVIDER", provider)
        .env("ORGTUI_BASE_URL", &url)
        .args(["search", "zhang", "wei", "--limit", "1"]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("张伟 <wei.zhang192@acme.example> [u000192]"));

    // A damaged snapshot: exit 2, the file named.
    std::fs::write(&snaps[0], b"ORGTSNAP garbage").unwrap();
    let out = offline(&["user", "u000192"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("corrupt") && err.contains(snaps[0].to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn demo_snapshot_offline() {
    let home = scratch();
    let h = home.path();
    let out = run_plain(h, &["--demo", "--offline", "tree"]);
    assert_eq!(out.status.code(), Some(2), "no demo snapshot yet");
    let online = run_plain(h, &["--demo", "tree", "--depth", "2"]);
    assert_eq!(online.status.code(), Some(0), "{}", stderr(&online));
    assert!(
        snap_files(h, "demo-").is_empty(),
        "a partial crawl saves nothing"
    );
    let full = run_plain(h, &["--demo", "export"]);
    assert_eq!(full.status.code(), Some(0), "{}", stderr(&full));
    assert_eq!(snap_files(h, "demo-").len(), 1);
    let out = run_plain(h, &["--demo", "--offline", "tree", "--depth", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&online));
}

#[test]
fn org_file_search_words_in_any_order_and_filters() {
    let home = scratch();
    let h = home.path();
    let out = org_file(h, &["search", "wei", "zhang"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or_default();
    // Name, title and where the person sits.
    assert_eq!(
        first,
        "张伟 <wei.zhang192@acme.example> [u000192] · 销售经理  (Acme 集团/客户成功部)"
    );

    let out = org_file(
        h,
        &[
            "search",
            "in:yanfa",
            "is:active",
            "--limit",
            "500",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    assert!(rows.len() > 1, "{rows:?}");
    for r in rows {
        assert_eq!(r["kind"], "user");
        assert_eq!(r["status"], "active", "{r}");
        let depts = r["depts"].as_array().unwrap();
        assert!(
            depts
                .iter()
                .any(|d| d["path"].as_str().unwrap().contains("研发中心")),
            "{r}"
        );
    }

    let out = org_file(h, &["search", "is:dimission", "--limit", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.lines().all(|l| l.contains("(dimission)")), "{text}");

    let out = org_file(h, &["search", "zhang", "is:gone"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is:gone") && err.contains("active"), "{err}");
    assert!(stdout(&out).is_empty());
}
