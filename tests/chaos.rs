//! The token lifecycle under chaos: the real binary against a real fake-server process that
//! issues one-second tokens, answers 429 to every 17th request and a 503 HTML page to every
//! 23rd, with the client rate-limited and 8 requests in flight. Every command must still
//! answer completely and exactly what the org file holds, for WPS public cloud, a WPS private
//! deployment and Feishu; the server's counters show the chaos really happened.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Server knobs every test runs under.
const CHAOS: [&str; 6] = [
    "--token-ttl",
    "1",
    "--throttle-every",
    "17",
    "--unavailable-every",
    "23",
];
/// Client side: a rate limit and a full set of requests in flight.
const CLIENT: [(&str, &str); 2] = [("ORGTUI_RATE_LIMIT", "150"), ("ORGTUI_CONCURRENCY", "8")];
/// Feishu presents the org's root department as "0".
const FEISHU_ROOT: &str = "0";

/// A generated org without resigned people, written where the fake server can read it, and
/// the same org as the client will see it over `provider`'s protocol.
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    /// The org as the provider presents it (Feishu renames the root).
    org: Value,
}

impl Fixture {
    fn new(provider: &str) -> Fixture {
        let dir = scratch();
        let out = base_cmd(dir.path())
            .args([
                "fake-org", "--users", "900", "--depts", "300", "--seed", "8",
            ])
            .output()
            .expect("run fake-org");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let mut org = json(&out);
        // Resigned people are not listed once listings ask only for the statuses the
        // documents allow (active, notactive, disabled), so they are left out of the org.
        let users = org["users"].as_array_mut().expect("users");
        users.retain(|u| u["status"] != "dimission");
        assert!(users.len() > 500, "the generated org shrank too much");
        let path = dir.path().join("org.json");
        std::fs::write(&path, org.to_string()).expect("write org");
        if provider == "feishu" {
            rename_root(&mut org);
        }
        Fixture {
            _dir: dir,
            path,
            org,
        }
    }

    fn depts(&self) -> &Vec<Value> {
        self.org["depts"].as_array().expect("depts")
    }

    fn users(&self) -> &Vec<Value> {
        self.org["users"].as_array().expect("users")
    }

    /// Department id → ids of its direct members.
    fn members_by_dept(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = self
            .depts()
            .iter()
            .map(|d| (id(d), BTreeSet::new()))
            .collect();
        for u in self.users() {
            for d in u["dept_ids"].as_array().expect("dept_ids") {
                let d = d.as_str().expect("dept id").to_string();
                out.entry(d).or_default().insert(id(u));
            }
        }
        out
    }
}

/// The root's id replaced by Feishu's "0" wherever it appears.
fn rename_root(org: &mut Value) {
    let root = org["depts"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["parent_id"].is_null()))
        .map(id)
        .expect("a root department");
    let swap = |v: &mut Value| {
        if v.as_str() == Some(root.as_str()) {
            *v = Value::from(FEISHU_ROOT);
        }
    };
    for d in org["depts"].as_array_mut().into_iter().flatten() {
        swap(&mut d["id"]);
        swap(&mut d["parent_id"]);
    }
    for u in org["users"].as_array_mut().into_iter().flatten() {
        for d in u["dept_ids"].as_array_mut().into_iter().flatten() {
            swap(d);
        }
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// A list of records keyed by id, so two lists compare whatever their order.
fn by_id(list: &[Value]) -> BTreeMap<String, Value> {
    list.iter().map(|x| (id(x), x.clone())).collect()
}

fn start(provider: &str, fixture: &Fixture, private: bool) -> FakeProc {
    let mut args: Vec<&str> = CHAOS.to_vec();
    if private {
        args.extend(["--openapi-prefix", "/openapi", "--graph-prefix", "/graph"]);
    }
    fake_server(provider, &fixture.path, &args)
}

fn counter(stats: &Value, name: &str) -> u64 {
    stats[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name} in {stats}"))
}

/// What the server counted while one command ran.
struct Served {
    tokens: u64,
    throttled: u64,
    unavailable: u64,
}

impl Served {
    /// The crawl outlived several tokens and met 429s and 503s.
    fn was_chaotic(&self) {
        assert!(
            self.tokens > 2,
            "only {} tokens issued: the crawl was too short",
            self.tokens
        );
        assert!(self.throttled > 0, "no 429 was served");
        assert!(self.unavailable > 0, "no 503 was served");
    }
}

/// Run one command under the chaos, with what the server counted meanwhile.
fn chaotic(server: &FakeProc, args: &[&str]) -> (std::process::Output, Served) {
    let home = scratch();
    let before = server.stats();
    let started = Instant::now();
    let out = run_env(server, home.path(), args, &CLIENT);
    let took = started.elapsed();
    let after = server.stats();
    let delta = |name: &str| counter(&after, name) - counter(&before, name);
    eprintln!(
        "{:?}: {took:?}, {} requests, {} tokens, {} 429s, {} 503s, {} refused tokens",
        // A lookup's emails would fill the screen.
        &args[..args.len().min(3)],
        delta("requests"),
        delta("tokens_issued"),
        delta("throttled"),
        delta("unavailable"),
        delta("auth_rejected"),
    );
    assert!(took < Duration::from_secs(60), "{args:?} took {took:?}");
    // The strict fake refused nothing: every request was within the documents.
    assert_eq!(delta("refused"), 0, "{args:?}: {after}");
    let served = Served {
        tokens: delta("tokens_issued"),
        throttled: delta("throttled"),
        unavailable: delta("unavailable"),
    };
    (out, served)
}

/// `export` writes exactly the org file that was served, and tokens expired during it.
fn check_export(server: &FakeProc, fixture: &Fixture) {
    let (out, served) = chaotic(server, &["export"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    served.was_chaotic();
    let got = json(&out);
    let list = |v: &Value, key: &str| v[key].as_array().expect(key).clone();
    // Compared by id: the export lists departments in tree order and people in the order
    // the crawl met them, the org file in its own order.
    assert_eq!(by_id(&list(&got, "depts")), by_id(fixture.depts()));
    assert_eq!(by_id(&list(&got, "users")), by_id(fixture.users()));
    assert_eq!(
        list(&got, "depts").len(),
        fixture.depts().len(),
        "no repeats"
    );
    assert_eq!(
        list(&got, "users").len(),
        fixture.users().len(),
        "no repeats"
    );
}

/// `tree --json` holds every department, under its parent, with all its direct members.
fn check_tree(server: &FakeProc, fixture: &Fixture) {
    let (out, served) = chaotic(server, &["tree", "--json", "--depth", "20"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    served.was_chaotic();
    let mut parents: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut users: HashMap<String, Value> = HashMap::new();
    walk(&json(&out), None, &mut parents, &mut members, &mut users);
    let want_parents: BTreeMap<String, Option<String>> = fixture
        .depts()
        .iter()
        .map(|d| (id(d), d["parent_id"].as_str().map(str::to_string)))
        .collect();
    assert_eq!(parents, want_parents);
    assert_eq!(members, fixture.members_by_dept());
    for u in fixture.users() {
        let shown = &users[&id(u)];
        for key in ["name", "email", "status", "leader_id", "dept_ids"] {
            assert_eq!(shown[key], u[key], "{key} of {}", id(u));
        }
    }
}

fn walk(
    node: &Value,
    parent: Option<String>,
    parents: &mut BTreeMap<String, Option<String>>,
    members: &mut BTreeMap<String, BTreeSet<String>>,
    users: &mut HashMap<String, Value>,
) {
    let me = id(node);
    assert!(
        parents.insert(me.clone(), parent).is_none(),
        "{me} twice in the tree"
    );
    let mine = members.entry(me.clone()).or_default();
    for u in node["members"].as_array().expect("members") {
        assert!(mine.insert(id(u)), "{} twice in {me}", id(u));
        users.insert(id(u), u.clone());
    }
    for child in node["children"].as_array().expect("children") {
        walk(child, Some(me.clone()), parents, members, users);
    }
}

/// `members DEPT` lists every direct member of the biggest department.
fn check_members(server: &FakeProc, fixture: &Fixture) {
    let by_dept = fixture.members_by_dept();
    let (dept, want) = by_dept
        .iter()
        .max_by_key(|(d, m)| (m.len(), d.as_str()))
        .expect("departments");
    // Too few requests to be sure of meeting a 429 or a 503 of its own: it runs on in the
    // chaos the crawls before it left (the same every-Nth counters, two-second tokens).
    let (out, _) = chaotic(server, &["members", dept, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got: Vec<String> = json(&out)
        .as_array()
        .expect("an array")
        .iter()
        .map(id)
        .collect();
    assert_eq!(got.len(), want.len(), "repeats or gaps: {got:?}");
    assert_eq!(&got.into_iter().collect::<BTreeSet<_>>(), want);
}

/// `lookup` of many emails answers the known ones in input order and names the unknown
/// ones on stderr, with exit status 1.
fn check_lookup(server: &FakeProc, fixture: &Fixture) {
    // Every third person, last first: more than one by_emails / batch_get_id chunk, and an
    // order that is not the server's.
    let picked: Vec<&Value> = fixture.users().iter().step_by(3).rev().collect();
    let unknown = ["nobody@nowhere.example", "ghost@acme.example"];
    let mut emails: Vec<String> = picked
        .iter()
        .map(|u| u["email"].as_str().expect("email").to_string())
        .collect();
    emails.insert(emails.len() / 3, unknown[0].into());
    emails.push(unknown[1].into());
    let mut args = vec!["lookup", "--json"];
    args.extend(emails.iter().map(String::as_str));
    let (out, _) = chaotic(server, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let got: Vec<String> = json(&out)
        .as_array()
        .expect("an array")
        .iter()
        .map(id)
        .collect();
    let want: Vec<String> = picked.iter().map(|u| id(u)).collect();
    assert_eq!(got, want);
    let err = stderr(&out);
    for e in unknown {
        assert!(err.contains(e), "{e} not named: {err}");
    }
    assert_eq!(err.lines().count(), unknown.len(), "{err}");
}

macro_rules! chaos_tests {
    ($name:ident, $provider:expr, $private:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn export_tree_members_and_lookup_survive_expiry_429_and_503() {
                let fixture = Fixture::new($provider);
                let server = start($provider, &fixture, $private);
                check_export(&server, &fixture);
                check_tree(&server, &fixture);
                check_members(&server, &fixture);
                check_lookup(&server, &fixture);
            }
        }
    };
}

chaos_tests!(wps_public, "wps", false);
chaos_tests!(wps_private_deployment, "wps", true);
chaos_tests!(feishu, "feishu", false);
