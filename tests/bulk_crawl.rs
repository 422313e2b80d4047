//! The crawl's bulk listings (WPS `GET /v7/users?with_dept=true`, Feishu
//! `departments/0/children?fetch_child=true`) against the per-department walk
//! (`ORGTUI_CRAWL=per-dept`), through the real binary and the fake server: the same org
//! (export and tree JSON byte for byte), fewer requests, nothing refused; and the walk
//! again, with the same org, where the bulk listing is refused or the app's range is
//! limited.

mod common;

use std::path::{Path, PathBuf};

use common::{FakeProc, fake_server, run_env, scratch, stderr, stdout};
use serde_json::Value;

/// A generated org of `users` people in `depts` departments, written under `dir`.
fn generated(dir: &Path, users: u32, depts: u32) -> PathBuf {
    let out = std::process::Command::new(common::BIN)
        .args(["fake-org", "--users", &users.to_string()])
        .args(["--depts", &depts.to_string(), "--seed", "7"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let path = dir.join("org.json");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

fn counter(server: &FakeProc, name: &str) -> u64 {
    let stats = server.stats();
    stats[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name} in {stats}"))
}

/// `orgtui ARGS` in a fresh home, by the bulk listings or (`per_dept`) without them: its
/// output and the requests it made.
fn crawl(server: &FakeProc, args: &[&str], per_dept: bool) -> (String, u64) {
    let home = scratch();
    let env: &[(&str, &str)] = match per_dept {
        true => &[("ORGTUI_CRAWL", "per-dept")],
        false => &[],
    };
    let before = counter(server, "requests");
    let out = run_env(server, home.path(), args, env);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    (stdout(&out), counter(server, "requests") - before)
}

/// Export and tree the same by both ways; returns the requests of each export (bulk,
/// per department).
fn same_org_both_ways(server: &FakeProc) -> (u64, u64) {
    let (bulk, bulk_requests) = crawl(server, &["export"], false);
    let (walked, walked_requests) = crawl(server, &["export"], true);
    assert_eq!(bulk, walked, "the export differs between the two ways");
    let file: Value = serde_json::from_str(&bulk).unwrap();
    assert!(file["users"].as_array().unwrap().len() > 100, "{bulk:.300}");
    let (bulk_tree, _) = crawl(server, &["tree", "--json", "--members"], false);
    let (walked_tree, _) = crawl(server, &["tree", "--json", "--members"], true);
    assert_eq!(
        bulk_tree, walked_tree,
        "the tree differs between the two ways"
    );
    let (bulk_csv, _) = crawl(server, &["export", "--format", "csv"], false);
    let (walked_csv, _) = crawl(server, &["export", "--format", "csv"], true);
    assert_eq!(bulk_csv, walked_csv);
    assert_eq!(counter(server, "refused"), 0, "{}", server.stats());
    assert_eq!(counter(server, "throttled"), 0);
    (bulk_requests, walked_requests)
}

fn bulk_is_cheaper(provider: &str, extra: &[&str]) {
    let dir = scratch();
    let org = generated(dir.path(), 3000, 150);
    let server = fake_server(provider, &org, extra);
    let (bulk, walked) = same_org_both_ways(&server);
    // At most 65% of the walk's requests.
    assert!(
        bulk * 100 <= walked * 65,
        "{provider}: {bulk} requests by the bulk listings, {walked} department by department"
    );
}

#[test]
fn wps_public_same_org_fewer_requests() {
    bulk_is_cheaper("wps", &[]);
}

#[test]
fn wps_private_deployment_same_org_fewer_requests() {
    bulk_is_cheaper(
        "wps",
        &["--openapi-prefix", "/openapi", "--graph-prefix", "/graph"],
    );
}

#[test]
fn feishu_same_org_fewer_requests() {
    bulk_is_cheaper("feishu", &[]);
}

/// The demo org too (people in several departments, resigned people, leaders).
#[test]
fn the_demo_org_is_the_same_both_ways() {
    for provider in ["wps", "feishu"] {
        let server = fake_server(provider, &common::demo_org_path(), &[]);
        let (bulk, walked) = same_org_both_ways(&server);
        assert!(bulk < walked, "{provider}: {bulk} vs {walked}");
    }
}

/// An app refused the company-wide listing (`fake-server --no-company-listings`: WPS HTTP
/// 403, Feishu 99991672) walks department by department: the same org, at the cost of the
/// walk and the one refused request.
#[test]
fn a_refused_bulk_listing_falls_back_to_the_walk() {
    for provider in ["wps", "feishu"] {
        let open = fake_server(provider, &common::demo_org_path(), &[]);
        let (expected, walked) = crawl(&open, &["export"], true);
        let denied = fake_server(
            provider,
            &common::demo_org_path(),
            &["--no-company-listings"],
        );
        let (got, requests) = crawl(&denied, &["export"], false);
        assert_eq!(
            got, expected,
            "{provider}: the fallback exports another org"
        );
        match provider {
            // The walk and the one refused request.
            "wps" => assert_eq!(requests, walked + 1),
            // Feishu's path lookups race a little (two departments may ask for the same
            // unknown parent at once), so its walk's count varies by a few requests.
            _ => assert!(requests + 10 >= walked, "{requests} vs {walked}"),
        }
        assert_eq!(counter(&denied, "refused"), 0, "{}", denied.stats());
    }
}

/// A limited contact range starts at the stand-in root: no bulk listing is asked for, and
/// the org is the walk's.
#[test]
fn a_limited_range_crawls_the_same_org() {
    let org: Value = common::demo_org();
    let depts = org["depts"].as_array().unwrap();
    let users = org["users"].as_array().unwrap();
    let scope = format!(
        "{},{},{}",
        depts[3]["id"].as_str().unwrap(),
        depts[9]["id"].as_str().unwrap(),
        users[0]["id"].as_str().unwrap()
    );
    for provider in ["wps", "feishu"] {
        let server = fake_server(provider, &common::demo_org_path(), &["--scope", &scope]);
        let (bulk, _) = crawl(&server, &["export"], false);
        let (walked, _) = crawl(&server, &["export"], true);
        assert_eq!(bulk, walked, "{provider}");
        assert!(bulk.contains("\"roots\""), "{provider}: {bulk:.300}");
        assert_eq!(counter(&server, "refused"), 0, "{}", server.stats());
    }
}
