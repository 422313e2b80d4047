//! Property tests: whatever bytes a file or a server hands over, decoding them never panics.
//!
//! - Snapshots: arbitrary bytes, and valid snapshots damaged at random, through every public
//!   way in (`decode`, `load`, `open` and its people, `SnapshotBytes`). (Damage behind
//!   re-sealed checksums is covered by the unit tests in `src/snapshot/format.rs`.)
//! - WPS and Feishu replies: the real clients against a loopback server that answers the
//!   token call, or the first call after it, with arbitrary bytes or arbitrary JSON shaped
//!   like the documented replies (the field names of API-NOTES, values of every type and
//!   extreme size). Every call must come back, with data or an error, within a bound.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::hostile::{self, Reply};
use orgtui::config::Profile;
use orgtui::directory::{Directory, ProviderKind};
use orgtui::http::RetryPolicy;
use orgtui::snapshot::{self, SnapshotBytes};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

/// Cases per property: enough to find shallow panics in a few seconds.
const CASES: u32 = 256;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        // Failures are reported with the shrunk input; nothing is written to the tree.
        failure_persistence: None,
        ..Config::default()
    })
}

// ---- snapshots ----

fn sample_snapshot() -> Vec<u8> {
    let spec = orgtui::model::generate::GenSpec::new(40, 6, 5);
    let snap = snapshot::Snapshot::from_org_file(&orgtui::model::generate::generate(&spec), "t");
    let dir = common::scratch();
    let path = dir.path().join("s.snap");
    snapshot::save(&path, &snap).unwrap();
    std::fs::read(&path).unwrap()
}

/// Every public way of reading a snapshot, on `bytes`.
fn read_snapshot_every_way(bytes: &[u8], dir: &std::path::Path) {
    let _ = snapshot::decode(bytes);
    let path = dir.join("fuzz.snap");
    std::fs::write(&path, bytes).unwrap();
    let _ = snapshot::load(&path);
    if let Ok((head, people)) = snapshot::open(&path) {
        let _ = head.age(std::time::SystemTime::now());
        people.take(50).for_each(drop);
    }
    if let Ok(sb) = SnapshotBytes::read(&path) {
        let _ = sb.profile();
        if let Ok(r) = sb.search_records() {
            for i in 0..r.users.len().min(5) {
                let _ = r.user(i);
            }
            for i in 0..r.depts.len().min(5) {
                let _ = r.dept(i);
            }
        }
        if let Ok(s) = sb.decode() {
            let _ = s.age(std::time::SystemTime::now());
        }
    }
}

/// A change to a valid file: flip a bit, set a byte, cut it short, or insert a byte.
#[derive(Debug, Clone)]
enum Damage {
    Flip(usize, u8),
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Damage::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Set(i, b)),
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Insert(i, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, d: &Damage) {
    let len = bytes.len().max(1);
    match *d {
        Damage::Flip(i, bit) => {
            if let Some(b) = bytes.get_mut(i % len) {
                *b ^= 1 << bit;
            }
        }
        Damage::Set(i, v) => {
            if let Some(b) = bytes.get_mut(i % len) {
                *b = v;
            }
        }
        Damage::Truncate(i) => bytes.truncate(i % len),
        Damage::Insert(i, v) => bytes.insert(i % len, v),
    }
}

#[test]
fn arbitrary_bytes_as_a_snapshot_never_panic() {
    let dir = common::scratch();
    let good = sample_snapshot();
    // The real header in front of random bytes gets past the magic and version checks.
    let header = good[..28].to_vec();
    runner()
        .run(
            &(prop::collection::vec(any::<u8>(), 0..2048), any::<bool>()),
            |(bytes, with_header)| {
                let bytes = if with_header {
                    [header.as_slice(), &bytes].concat()
                } else {
                    bytes
                };
                read_snapshot_every_way(&bytes, dir.path());
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn damaged_snapshots_never_panic() {
    let dir = common::scratch();
    let good = sample_snapshot();
    assert!(snapshot::decode(&good).is_ok());
    runner()
        .run(&prop::collection::vec(damage(), 1..8), |damages| {
            let mut bytes = good.clone();
            for d in &damages {
                apply(&mut bytes, d);
            }
            read_snapshot_every_way(&bytes, dir.path());
            Ok(())
        })
        .unwrap();
}

// ---- server replies ----

/// Field names the WPS and Feishu replies use (API-NOTES), so that generated JSON often
/// reaches the decoders behind the envelope instead of failing on the first field.
const KEYS: &[&str] = &[
    "code",
    "msg",
    "data",
    "error",
    "error_description",
    "access_token",
    "expires_in",
    "tenant_access_token",
    "expire",
    "items",
    "next_page_token",
    "page_token",
    "has_more",
    "total",
    "id",
    "name",
    "parent_id",
    "abs_path",
    "order",
    "leaders",
    "user_id",
    "user_name",
    "email",
    "phone",
    "status",
    "depts",
    "dept_id",
    "def_dept_id",
    "is_leader",
    "user_info",
    "dept_ids",
    "user_ids",
    "department",
    "department_id",
    "open_department_id",
    "parent_department_id",
    "leader_user_id",
    "leader_id",
    "leader_type",
    "member_count",
    "department_ids",
    "user",
    "open_id",
    "union_id",
    "mobile",
    "enterprise_email",
    "job_title",
    "employee_no",
    "is_activated",
    "is_frozen",
    "is_resigned",
    "user_list",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(99991663),
            Just(40012),
            any::<i64>(),
        ]
        .prop_map(|n| json!(n)),
        Just(json!(u64::MAX)),
        prop_oneof![Just(1e300), Just(-1e300), Just(0.5), any::<f64>()]
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just(String::new()),
            Just(".".to_string()),
            Just("..".to_string()),
            Just("0".to_string()),
            Just("a/b".to_string()),
            Just("\u{1b}[2J\u{202e}\u{200b}".to_string()),
            Just("=HYPERLINK(\"x\")".to_string()),
            any::<String>(),
        ]
        .prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// An object with many of the documented field names at once, so that a department or a
/// person often gets past its required fields into the rest of its mapping.
fn record() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(prop::sample::select(KEYS), leaf(), 0..24)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

/// `data` shaped like the replies: a record, with lists and nested records of records where
/// the replies have them.
fn shaped_data() -> impl Strategy<Value = Value> {
    (
        record(),
        prop::collection::vec(record(), 0..4),
        record(),
        record(),
    )
        .prop_map(|(base, list, a, b)| {
            let mut data = base;
            if let Value::Object(m) = &mut data {
                for key in ["items", "leaders", "depts", "user_list"] {
                    m.entry(key).or_insert_with(|| Value::Array(list.clone()));
                }
                for key in ["department", "user", "user_info"] {
                    m.entry(key).or_insert_with(|| a.clone());
                }
                m.entry("status").or_insert(b);
            }
            data
        })
}

/// A body: raw bytes, any JSON, or JSON inside a success envelope (where most decoding is).
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        shaped_data().prop_map(|v| json!({"code": 0, "msg": "ok", "data": v})
            .to_string()
            .into_bytes()),
        (record(), shaped_data()).prop_map(|(env, data)| {
            let mut env = env;
            if let Value::Object(m) = &mut env {
                m.insert("data".into(), data);
            }
            env.to_string().into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..256),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        json_value().prop_map(|v| json!({"code": 0, "msg": "ok", "data": v})
            .to_string()
            .into_bytes()),
        (json_value(), json_value()).prop_map(|(items, token)| json!({
            "code": 0,
            "data": {"items": [items], "next_page_token": token, "page_token": token,
                     "has_more": false, "total": 1}
        })
        .to_string()
        .into_bytes()),
    ]
}

/// A reply's status: mostly success, where the decoders run; sometimes the statuses that
/// the clients treat specially.
fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        8 => Just(200u16),
        1 => prop::sample::select(&[201u16, 204, 400, 401, 403, 404, 429][..]),
    ]
}

/// What the loopback server answers with in the current case.
#[derive(Default)]
struct Script {
    /// Answer the token call with the fuzzed reply (else a valid token).
    token: bool,
    /// The fuzzed reply for the first call after the token (taken once).
    armed: Option<(u16, Vec<u8>)>,
    /// For the token call.
    fuzz: (u16, Vec<u8>),
}

fn full(status: u16, body: Vec<u8>) -> Reply {
    Reply::Full {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body,
    }
}

fn serve(provider: ProviderKind, script: Arc<Mutex<Script>>) -> hostile::Hostile {
    hostile::serve(move |seen| {
        let mut s = script.lock().unwrap();
        let is_token = seen.path().contains("token") && seen.method == "POST";
        if is_token {
            if s.token {
                let (st, b) = s.fuzz.clone();
                return full(st, b);
            }
            return Reply::json(match provider {
                ProviderKind::Wps => json!({"access_token": "tok", "expires_in": 7200}),
                _ => json!({"code": 0, "msg": "ok", "tenant_access_token": "tok", "expire": 7200}),
            });
        }
        if let Some((st, b)) = s.armed.take() {
            return full(st, b);
        }
        // Everything after the fuzzed reply: a valid, final, empty answer, so no call
        // pages on (endless paging is another test's subject).
        Reply::json(match provider {
            ProviderKind::Wps => json!({"code": 0, "data": {"items": [], "next_page_token": ""}}),
            _ => json!({"code": 0, "msg": "ok", "data": {"has_more": false, "items": []}}),
        })
    })
}

fn profile(provider: ProviderKind, base_url: &str) -> Profile {
    let mut p = common::profile(provider, base_url, common::APP_ID, common::APP_SECRET);
    p.http.request_timeout = Duration::from_secs(5);
    p.http.retry = RetryPolicy {
        max_retries: 1,
        max_throttled_retries: 1,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    };
    p
}

fn client(provider: ProviderKind, base_url: &str) -> Arc<dyn Directory> {
    let p = profile(provider, base_url);
    match provider {
        ProviderKind::Wps => Arc::new(orgtui::providers::wps::WpsClient::new(&p).unwrap()),
        _ => Arc::new(orgtui::providers::feishu::FeishuClient::new(&p).unwrap()),
    }
}

/// Every call of the directory, each answered first by the fuzzed reply when armed.
async fn every_call(dir: &dyn Directory, script: &Mutex<Script>, reply: &(u16, Vec<u8>)) {
    let arm = || script.lock().unwrap().armed = Some(reply.clone());
    arm();
    let _ = dir.root().await;
    arm();
    let _ = dir.dept("d1").await;
    arm();
    let _ = dir.children("d1", None).await;
    arm();
    let _ = dir.children("d1", Some("next")).await;
    arm();
    let _ = dir.members("d1", None).await;
    arm();
    let _ = dir.user("u1").await;
    arm();
    let _ = dir.users(&["u1".into(), "u2".into()]).await;
    arm();
    let _ = dir.users_by_emails(&["a@b.example".into()]).await;
    arm();
    let _ = dir.contact_range().await;
    arm();
    let _ = dir.probe().await;
}

fn replies_never_panic(provider: ProviderKind) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let script = Arc::new(Mutex::new(Script::default()));
    let server = serve(provider, script.clone());
    // One client with a valid token for the data calls; a new one per case for the token.
    let data_client = client(provider, &server.url);
    let mut runner = runner();
    runner
        .run(&(status(), body(), status(), body()), |(ts, tb, ds, db)| {
            rt.block_on(async {
                let bound = Duration::from_secs(20);
                let run = async {
                    {
                        let mut s = script.lock().unwrap();
                        s.token = true;
                        s.fuzz = (ts, tb);
                    }
                    let fresh = client(provider, &server.url);
                    let _ = fresh.dept("d1").await;
                    let _ = fresh.probe().await;
                    script.lock().unwrap().token = false;
                    every_call(&*data_client, &script, &(ds, db)).await;
                };
                if tokio::time::timeout(bound, run).await.is_err() {
                    panic!("a call did not come back within {bound:?}");
                }
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_wps_replies_never_panic() {
    replies_never_panic(ProviderKind::Wps);
}

#[test]
fn arbitrary_feishu_replies_never_panic() {
    replies_never_panic(ProviderKind::Feishu);
}
