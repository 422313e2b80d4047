//! Apps with a limited contact range (issue 8 part 4): the real binary against a real
//! `orgtui fake-server --scope` process, over both protocols. The range is two departments
//! (one nested deep, one a sibling subtree) and one person granted directly; what `tree` and
//! `export` show is compared with what the org file says those subtrees hold.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use common::*;
use serde_json::{Value, json};

/// Granted: `be-db` (three levels down, with a sub-department), `sales` (a sibling subtree
/// of 61 people, so listings page), and `solo`, who sits in `hr`, outside the range.
const SCOPE: &str = "be-db,sales,solo";
const TOPS: [&str; 2] = ["be-db", "sales"];

fn org() -> Value {
    let depts = [
        ("r", "Acme", None),
        ("eng", "Engineering", Some("r")),
        ("be", "Backend", Some("eng")),
        ("be-db", "Database", Some("be")),
        ("be-db-x", "Storage", Some("be-db")),
        ("fe", "Frontend", Some("eng")),
        ("sales", "Sales", Some("r")),
        ("sales-n", "North", Some("sales")),
        ("hr", "HR", Some("r")),
    ];
    let depts: Vec<Value> = depts
        .iter()
        .enumerate()
        .map(|(i, (id, name, parent))| {
            let leaders = if *id == "be-db" { vec!["db1"] } else { vec![] };
            json!({"id": id, "name": name, "parent_id": parent, "order": i, "leader_ids": leaders})
        })
        .collect();
    let user = |id: &str, depts: &[&str]| {
        json!({"id": id, "name": format!("Person {id}"), "email": format!("{id}@acme.example"),
               "status": "active", "leader_id": null, "dept_ids": depts})
    };
    let mut users = vec![
        user("ceo", &["r"]),
        user("db1", &["be-db"]),
        // In the range and outside it at once.
        user("db2", &["be-db", "hr"]),
        user("st1", &["be-db-x"]),
        user("be1", &["be"]),
        user("fe1", &["fe"]),
        user("s1", &["sales"]),
        user("hr1", &["hr"]),
        user("solo", &["hr"]),
    ];
    for k in 0..60 {
        users.push(user(&format!("n{k:02}"), &["sales-n"]));
    }
    json!({"depts": depts, "users": users})
}

fn write_org(dir: &Path) -> PathBuf {
    let path = dir.join("org.json");
    std::fs::write(&path, org().to_string()).unwrap();
    path
}

/// What the org file says the granted subtrees hold: departments, and people by department.
fn expected() -> (BTreeSet<String>, Vec<(String, BTreeSet<String>)>) {
    let org = org();
    let depts = org["depts"].as_array().unwrap();
    let mut inside: BTreeSet<String> = BTreeSet::new();
    let mut frontier: Vec<String> = TOPS.iter().map(|s| s.to_string()).collect();
    while let Some(id) = frontier.pop() {
        if inside.insert(id.clone()) {
            for d in depts.iter().filter(|d| d["parent_id"] == id.as_str()) {
                frontier.push(d["id"].as_str().unwrap().to_string());
            }
        }
    }
    let members = inside
        .iter()
        .map(|d| {
            let ids = org["users"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|u| u["dept_ids"].as_array().unwrap().iter().any(|x| x == d))
                .map(|u| u["id"].as_str().unwrap().to_string())
                .collect();
            (d.clone(), ids)
        })
        .collect();
    (inside, members)
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "failed: {}", stderr(o));
}

/// Every department node under `nodes` (tree --json), depth first: (id, parent_id, path,
/// member ids).
fn flatten(nodes: &[Value], out: &mut Vec<(String, Value, String, BTreeSet<String>)>) {
    for n in nodes {
        let members = n["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect();
        out.push((
            n["id"].as_str().unwrap().to_string(),
            n["parent_id"].clone(),
            n["path"].as_str().unwrap_or_default().to_string(),
            members,
        ));
        flatten(n["children"].as_array().unwrap(), out);
    }
}

/// `tree --json` of a limited app: exactly the granted subtrees and the person granted
/// directly; the tops have no parent and paths start at them.
fn check_tree(tree: &Value) {
    let roots = tree["roots"].as_array().expect("a roots array");
    let top_ids: Vec<&str> = roots.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(top_ids, TOPS);
    let direct: Vec<&str> = tree["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(direct, ["solo"]);
    let mut all = Vec::new();
    flatten(roots, &mut all);
    let (inside, members) = expected();
    let got: BTreeSet<String> = all.iter().map(|(id, ..)| id.clone()).collect();
    assert_eq!(got, inside, "departments");
    for (id, want) in &members {
        let (_, _, _, have) = all.iter().find(|(d, ..)| d == id).unwrap();
        assert_eq!(have, want, "members of {id}");
    }
    for (id, parent, path, _) in &all {
        if TOPS.contains(&id.as_str()) {
            assert_eq!(parent, &Value::Null, "{id} is a top");
        }
        assert!(!path.contains("Acme"), "{id}: {path}");
    }
    let storage = all.iter().find(|(d, ..)| d == "be-db-x").unwrap();
    assert_eq!(storage.2, "Database/Storage");
    assert!(
        !tree.to_string().contains("~range"),
        "the stand-in stays out"
    );
}

/// `export` of a limited app: the same subtrees, `roots`, and the people in them plus the
/// one granted directly.
fn check_export(file: &Value) {
    assert_eq!(file["roots"], json!(TOPS));
    let (inside, members) = expected();
    let depts: BTreeSet<String> = file["depts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(depts, inside);
    for d in file["depts"].as_array().unwrap() {
        if TOPS.contains(&d["id"].as_str().unwrap()) {
            assert_eq!(d["parent_id"], Value::Null);
        }
    }
    let users: BTreeSet<String> = file["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let mut want: BTreeSet<String> = members.into_iter().flat_map(|(_, m)| m).collect();
    want.insert("solo".into());
    assert_eq!(users, want);
    assert!(!file.to_string().contains("~range"));
}

fn limited_app(provider: &str) {
    let home = scratch();
    let org = write_org(home.path());
    let server = fake_server(provider, &org, &["--scope", SCOPE]);
    let h = home.path();

    let tree = run(&server, h, &["tree", "--json"]);
    ok(&tree);
    check_tree(&json(&tree));

    let text = run(&server, h, &["tree", "--members"]);
    ok(&text);
    let text = stdout(&text);
    assert!(text.starts_with("Contact range [~range]"), "{text}");
    assert!(text.contains("[solo]  (granted directly)"), "{text}");

    let export = run(&server, h, &["export"]);
    ok(&export);
    let file = json(&export);
    check_export(&file);

    // Inside the range.
    let m = run(&server, h, &["members", "sales-n", "--json"]);
    ok(&m);
    assert_eq!(json(&m).as_array().unwrap().len(), 60);
    let l = run(
        &server,
        h,
        &["lookup", "st1@acme.example", "solo@acme.example"],
    );
    ok(&l);
    let u = run(&server, h, &["user", "st1", "--json"]);
    ok(&u);
    assert_eq!(json(&u)["depts"][0]["path"], "Database/Storage");

    // Outside it: not found (exit 1), saying why.
    let m = run(&server, h, &["members", "hr"]);
    assert_eq!(m.status.code(), Some(1), "{}", stderr(&m));
    assert!(stderr(&m).contains("contact range"), "{}", stderr(&m));
    let u = run(&server, h, &["user", "hr1"]);
    assert_eq!(u.status.code(), Some(1), "{}", stderr(&u));
    assert!(stderr(&u).contains("contact range"), "{}", stderr(&u));
    let l = run(
        &server,
        h,
        &["lookup", "ceo@acme.example", "s1@acme.example"],
    );
    assert_eq!(l.status.code(), Some(1));
    assert!(stderr(&l).contains("ceo@acme.example"));
    assert!(stdout(&l).contains("[s1]"));
    let t = run(&server, h, &["tree", "--dept", "eng"]);
    assert_eq!(t.status.code(), Some(1), "{}", stderr(&t));
    // Every request, the range call included, was within the documents.
    let stats = server.stats();
    assert_eq!(stats["refused"], 0, "{stats}");

    // The whole-org export saved a snapshot: search works over it, offline too.
    let s = run(&server, h, &["search", "Person n03", "--json"]);
    ok(&s);
    assert!(stdout(&s).contains("\"n03\""), "{}", stdout(&s));
    let s = run(&server, h, &["search", "Person ceo"]);
    assert!(!stdout(&s).contains("[ceo]"), "{}", stdout(&s));
    let off = run(&server, h, &["--offline", "tree", "--json"]);
    ok(&off);
    check_tree(&json(&off));

    // The exported file loads again, offline and served, and shows the same view.
    let saved = h.join("limited.json");
    std::fs::write(&saved, &export.stdout).unwrap();
    let saved_s = saved.to_str().unwrap();
    let off = run(&server, h, &["--org-file", saved_s, "tree", "--json"]);
    ok(&off);
    check_tree(&json(&off));
    let again = run(&server, h, &["--org-file", saved_s, "export"]);
    ok(&again);
    assert_eq!(
        json(&again),
        file,
        "an org file with roots exports as it was read"
    );
    let m = run(
        &server,
        h,
        &["--org-file", saved_s, "members", "~range", "--json"],
    );
    ok(&m);
    assert_eq!(json(&m)[0]["id"], "solo");
    assert_eq!(json(&m)[0]["dept_ids"], json!(["hr"]));

    let served = fake_server(provider, &saved, &[]);
    let tree = run(&served, h, &["tree", "--json"]);
    ok(&tree);
    check_tree(&json(&tree));
    assert_eq!(served.stats()["refused"], 0);
}

#[test]
fn wps_limited_app() {
    limited_app("wps");
}

#[test]
fn feishu_limited_app() {
    limited_app("feishu");
}

#[test]
fn nested_grants_appear_once() {
    let home = scratch();
    let org = write_org(home.path());
    // North is granted too, inside Sales: one department, shown once, under Sales.
    let server = fake_server("feishu", &org, &["--scope", "sales-n,be-db,sales,solo"]);
    let tree = run(&server, home.path(), &["tree", "--json"]);
    ok(&tree);
    let tree = json(&tree);
    let tops: Vec<&str> = tree["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(tops, ["be-db", "sales"]);
    let mut all = Vec::new();
    flatten(tree["roots"].as_array().unwrap(), &mut all);
    assert_eq!(all.iter().filter(|(id, ..)| id == "sales-n").count(), 1);
}

/// A person granted directly who is also a member of a granted department shows up there,
/// once, not under the stand-in too: the view is the same read back from the export.
#[test]
fn people_granted_twice_appear_once_and_read_back_the_same() {
    for provider in ["wps", "feishu"] {
        let home = scratch();
        let org = write_org(home.path());
        let server = fake_server(provider, &org, &["--scope", "be-db,sales,st1,solo"]);
        let tree = run(&server, home.path(), &["tree", "--json"]);
        ok(&tree);
        let live = json(&tree);
        let direct: Vec<&str> = live["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap())
            .collect();
        assert_eq!(direct, ["solo"], "{provider}: st1 sits in Database/Storage");
        let export = run(&server, home.path(), &["export"]);
        ok(&export);
        let saved = home.path().join("range.json");
        std::fs::write(&saved, &export.stdout).unwrap();
        let back = run(
            &server,
            home.path(),
            &["--org-file", saved.to_str().unwrap(), "tree", "--json"],
        );
        ok(&back);
        // The file records people's department ids, not the departments outside the range
        // (HR, above): compare without those references.
        fn drop_refs(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    m.remove("depts");
                    m.values_mut().for_each(drop_refs);
                }
                Value::Array(a) => a.iter_mut().for_each(drop_refs),
                _ => {}
            }
        }
        let (mut live, mut back) = (live.clone(), json(&back));
        drop_refs(&mut live);
        drop_refs(&mut back);
        assert!(back == live, "{provider}: the view read back differs");
        assert_eq!(server.stats()["refused"], 0);
    }
}

#[test]
fn one_granted_department_keeps_the_single_root_shape() {
    let home = scratch();
    let org = write_org(home.path());
    let server = fake_server("wps", &org, &["--scope", "be-db"]);
    let tree = run(&server, home.path(), &["tree", "--json"]);
    ok(&tree);
    let tree = json(&tree);
    assert_eq!(tree["id"], "be-db");
    assert_eq!(tree["parent_id"], Value::Null);
    assert_eq!(tree["children"][0]["id"], "be-db-x");
    let export = run(&server, home.path(), &["export"]);
    ok(&export);
    let file = json(&export);
    assert!(file.get("roots").is_none(), "one tree: no roots");
    assert_eq!(file["depts"][0]["id"], "be-db");
}

#[test]
fn people_granted_without_departments() {
    let home = scratch();
    let h = home.path();
    let org = write_org(h);
    let server = fake_server("wps", &org, &["--scope", "solo,hr1"]);
    let tree = run(&server, h, &["tree", "--json"]);
    ok(&tree);
    let want = |tree: &Value| {
        assert_eq!(tree["roots"], json!([]), "{tree}");
        let ids: Vec<&str> = tree["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["solo", "hr1"]);
    };
    want(&json(&tree));
    let export = run(&server, h, &["export"]);
    ok(&export);
    let file = json(&export);
    assert_eq!(file["depts"], json!([]));
    assert_eq!(file["users"].as_array().unwrap().len(), 2);
    // People and no departments: loads again as the same range, offline and served.
    let saved = h.join("people.json");
    std::fs::write(&saved, &export.stdout).unwrap();
    let off = run(
        &server,
        h,
        &["--org-file", saved.to_str().unwrap(), "tree", "--json"],
    );
    ok(&off);
    want(&json(&off));
    let served = fake_server("feishu", &saved, &[]);
    let tree = run(&served, h, &["tree", "--json"]);
    ok(&tree);
    want(&json(&tree));
}

#[test]
fn the_whole_company_is_unchanged() {
    let home = scratch();
    let org = write_org(home.path());
    let server = fake_server("feishu", &org, &[]);
    let tree = run(&server, home.path(), &["tree", "--json"]);
    ok(&tree);
    assert_eq!(json(&tree)["id"], "0");
    let export = run(&server, home.path(), &["export"]);
    ok(&export);
    assert!(json(&export).get("roots").is_none());
}

#[test]
fn bad_scope_ids_are_usage_errors() {
    let home = scratch();
    let org = write_org(home.path());
    let o = std::process::Command::new(BIN)
        .args(["fake-server", "--org"])
        .arg(&org)
        .args(["--scope", "be-db,nobody"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nobody"), "{}", stderr(&o));
}

/// A range with nothing in it: the app may read nothing, so the root's refusal stands
/// (exit 1, saying why) instead of an empty stand-in, and doctor fails the root check.
#[test]
fn an_empty_range_is_the_roots_refusal() {
    for provider in ["wps", "feishu"] {
        let home = scratch();
        let org = write_org(home.path());
        let server = fake_server(provider, &org, &["--scope", ","]);
        for args in [&["tree", "--json"][..], &["export"]] {
            let out = run(&server, home.path(), args);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{provider} {args:?}: {}",
                stderr(&out)
            );
            assert!(stderr(&out).contains("contact range"), "{}", stderr(&out));
            assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        }
        let out = run(&server, home.path(), &["doctor"]);
        assert_eq!(out.status.code(), Some(1), "{provider}: {}", stdout(&out));
        let root = stdout(&out)
            .lines()
            .find(|l| l.contains("root"))
            .unwrap_or_default()
            .to_string();
        assert!(root.starts_with("fail"), "{root}");
        assert!(root.contains("contact range is empty"), "{root}");
        assert_eq!(server.stats()["refused"], 0);
    }
}

// ---- the range endpoints and the no-authority answers, raw ----

async fn in_process(
    provider: orgtui::directory::ProviderKind,
    scope: Option<&str>,
) -> orgtui::fake::FakeServer {
    let org = orgtui::fake::Org::from_json(&org().to_string()).unwrap();
    let opts = orgtui::fake::FakeOptions {
        provider,
        app_id: APP_ID.into(),
        app_secret: orgtui::secret::Secret::new(APP_SECRET),
        scope: scope.map(|s| s.split(',').map(str::to_string).collect()),
        ..orgtui::fake::FakeOptions::default()
    };
    orgtui::fake::start(org, opts, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
}

async fn feishu_get(base: &str, token: &str, path: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn feishu_scopes_endpoint_and_refusals() {
    use orgtui::directory::ProviderKind;
    let server = in_process(ProviderKind::Feishu, Some(SCOPE)).await;
    let base = server.base_url();
    let token = feishu_token(&base, APP_ID, APP_SECRET).await;
    let scopes = "/open-apis/contact/v3/scopes";

    let (st, body) = feishu_get(&base, &token, &format!("{scopes}?page_size=100")).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["data"]["department_ids"], json!(TOPS));
    assert_eq!(body["data"]["user_ids"], json!(["solo"]));
    assert_eq!(body["data"]["has_more"], false);
    for bad in ["0", "101", "x"] {
        let (st, body) = feishu_get(&base, &token, &format!("{scopes}?page_size={bad}")).await;
        assert_eq!(st, 400, "page_size={bad}: {body}");
    }
    // Paged: one id a page, followed to the end.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..10 {
        let mut url = reqwest::Url::parse(&format!("{base}{scopes}")).unwrap();
        url.query_pairs_mut().append_pair("page_size", "1");
        if let Some(t) = &next {
            url.query_pairs_mut().append_pair("page_token", t);
        }
        let path = &url.as_str()[base.len()..];
        let (st, body) = feishu_get(&base, &token, path).await;
        assert_eq!(st, 200, "{body}");
        for k in ["department_ids", "user_ids"] {
            for id in body["data"][k].as_array().unwrap() {
                seen.push(id.as_str().unwrap().to_string());
            }
        }
        next = body["data"]["page_token"].as_str().map(str::to_string);
        if body["data"]["has_more"] != true {
            break;
        }
    }
    assert_eq!(seen, ["be-db", "sales", "solo"]);

    // Seed 004's table: departments 403 / 40004, people 400 / 41050.
    let (st, body) = feishu_get(&base, &token, "/open-apis/contact/v3/departments/0").await;
    assert_eq!((st, body["code"].as_i64()), (403, Some(40004)));
    let (st, body) = feishu_get(
        &base,
        &token,
        "/open-apis/contact/v3/departments/hr/children",
    )
    .await;
    assert_eq!((st, body["code"].as_i64()), (403, Some(40004)));
    let (st, body) = feishu_get(
        &base,
        &token,
        "/open-apis/contact/v3/users/find_by_department?department_id=eng",
    )
    .await;
    assert_eq!((st, body["code"].as_i64()), (403, Some(40004)));
    let (st, body) = feishu_get(&base, &token, "/open-apis/contact/v3/users/hr1").await;
    assert_eq!((st, body["code"].as_i64()), (400, Some(41050)));
    let (st, body) = feishu_get(&base, &token, "/open-apis/contact/v3/users/solo").await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = feishu_get(
        &base,
        &token,
        "/open-apis/contact/v3/users/batch?user_ids=hr1&user_ids=db2&user_ids=solo",
    )
    .await;
    assert_eq!(st, 200);
    let ids: HashSet<&str> = body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["open_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, HashSet::from(["db2", "solo"]));
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/open-apis/contact/v3/users/batch_get_id"))
        .bearer_auth(&token)
        .json(&json!({"emails": ["hr1@acme.example", "s1@acme.example"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = body["data"]["user_list"].as_array().unwrap();
    assert!(list[0].get("user_id").is_none(), "{body}");
    assert_eq!(list[1]["user_id"], "s1");

    // Without --scope: the whole company, the root department.
    let whole = in_process(ProviderKind::Feishu, None).await;
    let wbase = whole.base_url();
    let token = &feishu_token(&wbase, APP_ID, APP_SECRET).await;
    let (st, body) = feishu_get(&wbase, token, scopes).await;
    assert_eq!(st, 200);
    assert_eq!(body["data"]["department_ids"], json!(["0"]));
}

async fn wps_get(base: &str, token: &str, uri: &str) -> (u16, Value) {
    use orgtui::providers::wps::sign::{self, SignInput};
    let date = httpdate::fmt_http_date(SystemTime::now());
    let input = SignInput {
        method: "GET",
        request_uri: uri,
        content_type: "",
        date: &date,
        body: b"",
    };
    let resp = reqwest::Client::new()
        .get(format!("{base}{uri}"))
        .bearer_auth(token)
        .header("X-Kso-Date", &date)
        .header(
            "X-Kso-Authorization",
            sign::kso1(&input, APP_ID, APP_SECRET),
        )
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn wps_permissions_scope_and_refusals() {
    use orgtui::directory::ProviderKind;
    let server = in_process(ProviderKind::Wps, Some(SCOPE)).await;
    let base = server.base_url();
    let token = wps_token(&base, "", APP_ID, APP_SECRET).await;

    let (st, body) = wps_get(&base, &token, "/v7/contacts/permissions_scope?scopes=org").await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["data"]["items"][0]["dept_ids"], json!(TOPS));
    assert_eq!(body["data"]["items"][0]["user_ids"], json!(["solo"]));
    for bad in [
        "/v7/contacts/permissions_scope",
        "/v7/contacts/permissions_scope?scopes=dept",
    ] {
        let (st, body) = wps_get(&base, &token, bad).await;
        assert_eq!(st, 400, "{bad}: {body}");
    }
    for uri in [
        "/v7/depts/root",
        "/v7/depts/hr",
        "/v7/depts/eng/children?page_size=50",
        "/v7/depts/hr/members?status=active&page_size=50",
        "/v7/users/hr1",
    ] {
        let (st, body) = wps_get(&base, &token, uri).await;
        assert_eq!((st, body["code"].as_i64()), (403, Some(403000001)), "{uri}");
    }
    let (st, _) = wps_get(&base, &token, "/v7/users/solo").await;
    assert_eq!(st, 200);

    // The client reads the range as the endpoint gives it.
    let profile = profile_with(
        ProviderKind::Wps,
        &base,
        APP_ID,
        APP_SECRET,
        orgtui::http::HttpOptions::default(),
    );
    let dir = orgtui::providers::connect(&profile).unwrap();
    let range = dir.contact_range().await.unwrap().unwrap();
    assert_eq!(range.dept_ids, TOPS);
    assert_eq!(range.user_ids, ["solo"]);
    let users = dir
        .users(&["hr1".into(), "db2".into(), "solo".into()])
        .await
        .unwrap();
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["db2", "solo"]);
    let found = dir
        .users_by_emails(&["hr1@acme.example".into(), "n05@acme.example".into()])
        .await
        .unwrap();
    assert!(found[0].user.is_none());
    assert_eq!(found[1].user.as_ref().unwrap().id, "n05");

    let whole = in_process(ProviderKind::Wps, None).await;
    let dir = orgtui::providers::connect(&orgtui::config::Profile {
        base_url: whole.base_url(),
        ..profile
    })
    .unwrap();
    let range = dir.contact_range().await.unwrap().unwrap();
    assert_eq!(range.dept_ids, ["r"]);
}
