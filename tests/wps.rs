//! The WPS 365 client against the in-process fake server: every endpoint across pages, the
//! member hydration path, private deployments (prefixes, WPS-4), token expiry, injected 500s
//! and 429s, and the error kinds (auth, not found, protocol, network).

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::middleware::Next;
use orgtui::config::Profile;
use orgtui::directory::{Directory, ProviderKind, all_children, all_members};
use orgtui::error::Error;
use orgtui::fake::{self, FakeOptions, FakeServer, FakeState, Org, OrgFile, OrgUser};
use orgtui::http::{HttpOptions, RetryPolicy};
use orgtui::model::UserStatus;
use orgtui::providers::ProviderConfig;
use orgtui::providers::wps::WpsClient;
use orgtui::providers::wps::config::WpsConfig;
use orgtui::providers::wps::sign::{self, SignInput};
use orgtui::secret::Secret;
use std::sync::atomic::Ordering;

const APP_ID: &str = "wps-test-app";
const APP_SECRET: &str = "wps-s3cret-for-tests";
/// A department id that needs percent-encoding in a path.
const ODD_ID: &str = "ops/1 +x";

// ---- fixtures ----

use common::fixtures::dept;
use common::hostile::Hostile;

fn big_user_id(i: usize) -> String {
    format!("u{i:04}")
}

fn big_email(i: usize) -> String {
    format!("user{i}@acme.example")
}

/// The two resigned people of "big" (positions 6 and 20).
const RESIGNED: [usize; 2] = [6, 20];

/// Positions in "big" of the people WPS listings, batch reads and email lookups return:
/// their status filter takes only active, notactive and disabled, so not the resigned.
fn listed_big() -> impl DoubleEndedIterator<Item = usize> + Clone {
    (0..120).filter(|i| !RESIGNED.contains(i))
}

/// A root; R&D with a Backend below; "many" with 60 sub-departments; "big" with 120 members
/// (CJK names, one disabled, one notactive, two dimission); a user in two departments; a
/// department whose id needs encoding.
fn org_file() -> OrgFile {
    let mut depts = vec![
        dept("r", "Acme", None, 0, &["boss"]),
        dept("rd", "R&D", Some("r"), 1, &["u0001", "u0000"]),
        dept("be", "后端", Some("rd"), 1, &[]),
        dept("many", "Many Teams", Some("r"), 2, &[]),
        dept("big", "大部门", Some("r"), 3, &["u0002"]),
        dept(ODD_ID, "Ops", Some("r"), 4, &[]),
    ];
    for i in 0..60 {
        depts.push(dept(
            &format!("t{i:02}"),
            &format!("团队{i:02}"),
            Some("many"),
            i,
            &[],
        ));
    }
    let mut users = vec![OrgUser {
        id: "boss".into(),
        name: Some("老板".into()),
        email: Some("Boss@Acme.example".into()),
        mobile: Some("+86 138 0000 0000".into()),
        title: Some("CEO".into()),
        status: Some(UserStatus::Active),
        dept_ids: vec!["r".into()],
        city: Some("北京".into()),
        ..OrgUser::default()
    }];
    for i in 0..120 {
        let status = match i {
            3 | 13 => UserStatus::Disabled,
            5 => UserStatus::Notactive,
            6 | 20 => UserStatus::Dimission,
            _ => UserStatus::Active,
        };
        let mut dept_ids = vec!["big".to_string()];
        if i == 0 {
            dept_ids.push("be".into());
        }
        users.push(OrgUser {
            id: big_user_id(i),
            name: Some(format!("张{i}")),
            email: Some(big_email(i)),
            mobile: Some(format!("1390000{i:04}")),
            title: Some("工程师".into()),
            employee_id: Some(format!("E{i}")),
            status: Some(status),
            leader_id: Some("boss".into()),
            dept_ids,
            work_place: Some("A座".into()),
            ..OrgUser::default()
        });
    }
    OrgFile {
        depts,
        users,
        ..OrgFile::default()
    }
}

fn fake_opts() -> FakeOptions {
    FakeOptions {
        provider: ProviderKind::Wps,
        app_id: APP_ID.into(),
        app_secret: Secret::new(APP_SECRET),
        ..FakeOptions::default()
    }
}

async fn serve(opts: FakeOptions) -> FakeServer {
    let org = Org::new(org_file()).expect("fixture org");
    fake::start(org, opts, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start fake")
}

fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 4,
        max_throttled_retries: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(500),
    }
}

fn profile(base_url: &str) -> Profile {
    common::profile_with(
        ProviderKind::Wps,
        base_url,
        APP_ID,
        APP_SECRET,
        HttpOptions {
            rate_limit: None,
            retry: quick_retry(),
            ..HttpOptions::default()
        },
    )
}

fn client(p: &Profile) -> WpsClient {
    WpsClient::new(p).expect("client")
}

fn stat(server: &FakeServer, f: impl Fn(&fake::FakeStats) -> u64) -> u64 {
    f(&server.state.stats)
}

fn ids(users: &[orgtui::model::User]) -> Vec<String> {
    users.iter().map(|u| u.id.clone()).collect()
}

// ---- raw, hand-signed requests ----

async fn raw_token(base: &str, prefix: &str) -> String {
    common::wps_token(base, prefix, APP_ID, APP_SECRET).await
}

struct Raw<'a> {
    method: &'a str,
    /// Path and query as sent, without prefix.
    uri: &'a str,
    body: &'a [u8],
    date: String,
    /// Signature override; `None` signs correctly.
    signature: Option<String>,
    wps4: bool,
    /// Content-Type override for a body; `None` sends (and signs) `application/json`.
    content_type: Option<&'a str>,
}

impl<'a> Raw<'a> {
    fn get(uri: &'a str) -> Raw<'a> {
        Raw {
            method: "GET",
            uri,
            body: b"",
            date: httpdate::fmt_http_date(SystemTime::now()),
            signature: None,
            wps4: false,
            content_type: None,
        }
    }

    fn post(uri: &'a str, body: &'a [u8]) -> Raw<'a> {
        Raw {
            method: "POST",
            body,
            ..Raw::get(uri)
        }
    }

    async fn send(&self, base: &str, prefix: &str, token: &str) -> (u16, serde_json::Value) {
        let ct = if self.body.is_empty() {
            ""
        } else {
            self.content_type.unwrap_or("application/json")
        };
        let input = SignInput {
            method: self.method,
            request_uri: self.uri,
            content_type: ct,
            date: &self.date,
            body: self.body,
        };
        let sig = self.signature.clone().unwrap_or_else(|| {
            if self.wps4 {
                sign::wps4(&input, APP_ID, APP_SECRET)
            } else {
                sign::kso1(&input, APP_ID, APP_SECRET)
            }
        });
        let (date_h, auth_h) = if self.wps4 {
            ("Wps-Docs-Date", "Wps-Docs-Authorization")
        } else {
            ("X-Kso-Date", "X-Kso-Authorization")
        };
        let mut req = reqwest::Client::new()
            .request(
                self.method.parse().unwrap(),
                format!("{base}{prefix}{}", self.uri),
            )
            .header("authorization", format!("Bearer {token}"))
            .header(date_h, &self.date)
            .header(auth_h, sig);
        if !self.body.is_empty() {
            req = req.header("content-type", ct).body(self.body.to_vec());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        )
    }
}

// ---- every endpoint, across pages ----

#[tokio::test]
async fn every_endpoint_across_pages() {
    let server = serve(fake_opts()).await;
    let c = client(&profile(&server.base_url()));

    let root = c.root().await.unwrap();
    assert_eq!(root.id, "r");
    assert_eq!(root.parent_id, None);
    assert_eq!(root.path.as_deref(), Some("Acme"));
    assert_eq!(root.leader_ids, vec!["boss"]);

    let be = c.dept("be").await.unwrap();
    assert_eq!(be.name.as_deref(), Some("后端"));
    assert_eq!(be.parent_id.as_deref(), Some("rd"));
    assert_eq!(be.path.as_deref(), Some("Acme/R&D/后端"));
    let rd = c.dept("rd").await.unwrap();
    assert_eq!(rd.leader_ids, vec!["u0001", "u0000"]);
    let odd = c.dept(ODD_ID).await.unwrap();
    assert_eq!(
        (odd.id.as_str(), odd.path.as_deref()),
        (ODD_ID, Some("Acme/Ops"))
    );

    // Children: 60 under "many" is two pages of 50; tokens need encoding.
    let first = c.children("many", None).await.unwrap();
    assert_eq!(first.items.len(), 50);
    let token = first.next_page.clone().expect("a second page");
    let second = c.children("many", Some(&token)).await.unwrap();
    assert_eq!(second.items.len(), 10);
    assert!(second.next_page.is_none());
    let all = all_children(&c, "many").await.unwrap();
    let want: Vec<String> = (0..60).map(|i| format!("t{i:02}")).collect();
    assert_eq!(all.iter().map(|d| d.id.clone()).collect::<Vec<_>>(), want);
    assert_eq!(all[7].path.as_deref(), Some("Acme/Many Teams/团队07"));
    assert_eq!(all[7].parent_id.as_deref(), Some("many"));
    let top: Vec<String> = all_children(&c, "r")
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(top, vec!["rd", "many", "big", ODD_ID]);
    assert!(c.children("be", None).await.unwrap().items.is_empty());

    // Members: 118 listed is three pages; every status but resigned; hydrated items in place.
    let mut pages = 0;
    let mut token: Option<String> = None;
    let mut members = Vec::new();
    loop {
        let p = c.members("big", token.as_deref()).await.unwrap();
        pages += 1;
        members.extend(p.items);
        token = p.next_page;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    let want: Vec<String> = listed_big().map(big_user_id).collect();
    assert_eq!(ids(&members), want);
    let by_pos: std::collections::HashMap<usize, &orgtui::model::User> =
        listed_big().zip(&members).collect();
    for (i, m) in &by_pos {
        assert_eq!(m.name.as_deref(), Some(format!("张{i}").as_str()), "{m:?}");
        assert_eq!(m.email.as_deref(), Some(big_email(*i).as_str()));
        assert_eq!(m.dept_ids, vec!["big"], "{m:?}");
        assert!(m.depts.is_empty() && m.leader_id.is_none());
    }
    assert_eq!(by_pos[&3].status, Some(UserStatus::Disabled));
    assert_eq!(by_pos[&5].status, Some(UserStatus::Notactive));
    // Position 13 comes without user_info: read back through members/batch_read.
    assert_eq!(by_pos[&13].status, Some(UserStatus::Disabled));
    assert_eq!(by_pos[&34].mobile.as_deref(), Some("13900000034"));
    assert_eq!(members.iter().filter(|m| m.status.is_none()).count(), 0);
    // The resigned are still shown by id.
    let gone = c.user(&big_user_id(6)).await.unwrap();
    assert_eq!(gone.status, Some(UserStatus::Dimission));
    assert_eq!(gone.dept_ids, vec!["big"]);

    // One user: departments with names and paths.
    let u = c.user("u0000").await.unwrap();
    assert_eq!(u.name.as_deref(), Some("张0"));
    assert_eq!(u.leader_id.as_deref(), Some("boss"));
    assert_eq!(u.dept_ids, vec!["big", "be"]);
    assert_eq!(u.depts.len(), 2);
    assert_eq!(u.depts[1].path.as_deref(), Some("Acme/R&D/后端"));
    assert_eq!(u.depts[0].name.as_deref(), Some("大部门"));
    let boss = c.user("boss").await.unwrap();
    assert_eq!(boss.mobile.as_deref(), Some("+86 138 0000 0000"));
    assert_eq!(boss.city.as_deref(), Some("北京"));

    // Batch: 120 ids (three chunks), a duplicate and an unknown id.
    let mut asked: Vec<String> = (0..120).rev().map(big_user_id).collect();
    asked.push("nobody".into());
    asked.push(big_user_id(7));
    let users = c.users(&asked).await.unwrap();
    let want: Vec<String> = listed_big().rev().map(big_user_id).collect();
    assert_eq!(ids(&users), want);
    assert!(users.iter().all(|u| !u.depts.is_empty()));
    assert!(c.users(&[]).await.unwrap().is_empty());

    // By email: server answers in reverse; matched by email, case-insensitively.
    let emails: Vec<String> = vec![
        "USER5@acme.example".into(),
        "nobody@acme.example".into(),
        big_email(1),
        "boss@acme.example".into(),
        big_email(5),
    ];
    let found = c.users_by_emails(&emails).await.unwrap();
    assert_eq!(found.len(), 5);
    for (m, e) in found.iter().zip(&emails) {
        assert_eq!(&m.email, e);
    }
    let got: Vec<Option<&str>> = found
        .iter()
        .map(|m| m.user.as_ref().map(|u| u.id.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            Some("u0005"),
            None,
            Some("u0001"),
            Some("boss"),
            Some("u0005")
        ]
    );
    assert_eq!(found[3].user.as_ref().unwrap().depts[0].id, "r");

    // More than 100 emails: chunked.
    let many: Vec<String> = (0..120).map(big_email).collect();
    let found = c.users_by_emails(&many).await.unwrap();
    for (i, m) in found.iter().enumerate() {
        assert_eq!(m.user.is_some(), !RESIGNED.contains(&i), "{m:?}");
    }
    assert_eq!(found[110].user.as_ref().unwrap().id, big_user_id(110));
    // An address longer than the 128 characters by_emails takes matches nobody, and is
    // not sent (the strict fake would refuse the whole call).
    let long = format!("{}@acme.example", "x".repeat(130));
    let found = c.users_by_emails(&[long, big_email(1)]).await.unwrap();
    assert!(found[0].user.is_none());
    assert_eq!(found[1].user.as_ref().unwrap().id, big_user_id(1));
    assert_eq!(stat(&server, |s| s.refused.load(Ordering::Relaxed)), 0);

    assert_eq!(
        stat(&server, |s| s.tokens_issued.load(Ordering::Relaxed)),
        1
    );
}

#[tokio::test]
async fn member_listing_hydrates_items_without_detail() {
    let server = serve(fake_opts()).await;
    let base = server.base_url();
    let token = raw_token(&base, "").await;
    // The fake leaves user_info out of every 7th member, so the client must batch_read them.
    let uri = "/v7/depts/big/members?status=active&status=notactive&status=disabled&page_size=50&with_user_detail=true";
    let (status, v) = Raw::get(uri).send(&base, "", &token).await;
    assert_eq!(status, 200, "{v}");
    let items = v["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    let bare: Vec<&str> = items
        .iter()
        .filter(|i| i.get("user_info").is_none())
        .map(|i| i["user_id"].as_str().unwrap())
        .collect();
    // Every 7th member by position lacks user_info (6 and 20 are resigned: not listed).
    assert_eq!(bare, vec!["u0013", "u0027", "u0034", "u0041", "u0048"]);
    let body = br#"{"status":["active","notactive","disabled"],"user_ids":["u0013","u0006"],"with_user_detail":true}"#;
    let (status, v) = Raw::post("/v7/depts/big/members/batch_read", body)
        .send(&base, "", &token)
        .await;
    assert_eq!(status, 200, "{v}");
    let items = v["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["user_info"]["status"], "disabled");

    let c = client(&profile(&base));
    let page = c.members("big", None).await.unwrap();
    assert_eq!(page.items.len(), 50);
    assert!(page.items.iter().all(|u| u.name.is_some()));
    assert_eq!(page.items[12].id, "u0013");
    assert_eq!(page.items[12].status, Some(UserStatus::Disabled));
    assert_eq!(stat(&server, |s| s.refused.load(Ordering::Relaxed)), 0);
}

// ---- private deployment ----

/// The fake's router with every request path recorded, on its own socket.
async fn recording_server(opts: FakeOptions) -> (String, Arc<FakeState>, Arc<Mutex<Vec<String>>>) {
    let org = Org::new(org_file()).unwrap();
    let state = Arc::new(FakeState::new(org, opts));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = fake::server::router(state.clone()).layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(req.uri().path().to_string());
                next.run(req).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), state, seen)
}

#[tokio::test]
async fn private_deployment_prefixes_and_wps4() {
    let opts = FakeOptions {
        openapi_prefix: "/openapi".into(),
        graph_prefix: "/graph".into(),
        ..fake_opts()
    };
    let (base, _state, seen) = recording_server(opts).await;
    let mut p = profile(&base);
    p.provider_config = ProviderConfig::Wps(WpsConfig::new(Some("/openapi"), Some("/graph")));
    let c = client(&p);

    assert_eq!(c.root().await.unwrap().id, "r");
    assert_eq!(all_children(&c, "many").await.unwrap().len(), 60);
    assert_eq!(all_members(&c, "big").await.unwrap().len(), 118);
    assert_eq!(c.dept(ODD_ID).await.unwrap().name.as_deref(), Some("Ops"));
    assert_eq!(c.user("u0000").await.unwrap().depts.len(), 2);
    assert_eq!(c.users(&[big_user_id(9)]).await.unwrap().len(), 1);
    let found = c
        .users_by_emails(&[big_email(9), "nobody@x.example".into()])
        .await
        .unwrap();
    assert_eq!(found[0].user.as_ref().unwrap().id, big_user_id(9));
    assert!(found[1].user.is_none());

    {
        let paths = seen.lock().unwrap();
        assert!(
            paths
                .iter()
                .all(|p| p.starts_with("/openapi/") || p.starts_with("/graph/")),
            "{paths:?}"
        );
        assert!(paths.iter().any(|p| p == "/openapi/oauth2/token"));
        assert!(paths.iter().any(|p| p == "/graph/v7/users/by_emails"));
        assert!(!paths.iter().any(|p| p == "/openapi/v7/users/by_emails"));
    }

    // Without graph_prefix the client uses the KSO-1 route under /openapi.
    p.provider_config = ProviderConfig::Wps(WpsConfig::new(Some("/openapi"), None));
    let c = client(&p);
    let found = c.users_by_emails(&[big_email(2)]).await.unwrap();
    assert_eq!(found[0].user.as_ref().unwrap().id, big_user_id(2));
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|p| p == "/openapi/v7/users/by_emails")
    );

    // The /graph route wants WPS-4 headers; KSO-1 ones are refused. The prefix is not signed.
    let token = raw_token(&base, "/openapi").await;
    let body = br#"{"emails":["user1@acme.example"],"status":["active"],"with_dept":true}"#;
    let (status, v) = Raw::post("/v7/users/by_emails", body)
        .send(&base, "/graph", &token)
        .await;
    assert_eq!(status, 401, "{v}");
    let (status, v) = Raw {
        wps4: true,
        ..Raw::post("/v7/users/by_emails", body)
    }
    .send(&base, "/graph", &token)
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"]["items"][0]["id"], "u0001");
}

// ---- tokens ----

#[tokio::test]
async fn token_refreshed_after_expiry() {
    let server = serve(FakeOptions {
        token_ttl: Duration::from_secs(1),
        ..fake_opts()
    })
    .await;
    let c = client(&profile(&server.base_url()));
    c.root().await.unwrap();
    c.children("many", None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(all_members(&c, "big").await.unwrap().len(), 118);
    assert!(stat(&server, |s| s.tokens_issued.load(Ordering::Relaxed)) >= 2);
}

#[tokio::test]
async fn token_rejected_by_the_server_is_replaced_once() {
    // The fake says the token lives 1 s but drops it after 300 ms: the client still trusts
    // it, gets a 401, fetches a new one and retries.
    let server = serve(FakeOptions {
        token_ttl: Duration::from_millis(300),
        ..fake_opts()
    })
    .await;
    let c = client(&profile(&server.base_url()));
    c.root().await.unwrap();
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(c.dept("be").await.unwrap().id, "be");
    assert!(stat(&server, |s| s.tokens_issued.load(Ordering::Relaxed)) >= 2);
    assert!(stat(&server, |s| s.auth_rejected.load(Ordering::Relaxed)) >= 1);
}

#[tokio::test]
async fn bad_secret_is_an_auth_error_without_secrets() {
    let server = serve(fake_opts()).await;
    let mut p = profile(&server.base_url());
    let wrong = "definitely-the-wrong-secret";
    p.app_secret = Secret::new(wrong);
    let err = client(&p).root().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(err.exit_code(), orgtui::error::exit::AUTH);
    let msg = format!("{err} {err:?}");
    assert!(!msg.contains(wrong) && !msg.contains(APP_SECRET), "{msg}");
    assert!(!msg.contains("Bearer") && !msg.contains("t-0-"), "{msg}");
    assert_eq!(
        stat(&server, |s| s.tokens_issued.load(Ordering::Relaxed)),
        0
    );
}

// ---- signatures and request checks ----

#[tokio::test]
async fn the_fake_checks_signatures_dates_and_parameters() {
    let server = serve(fake_opts()).await;
    let base = server.base_url();
    let token = raw_token(&base, "").await;

    let (status, v) = Raw::get("/v7/depts/root").send(&base, "", &token).await;
    assert_eq!((status, v["code"].as_i64()), (200, Some(0)), "{v}");

    let bad = Raw {
        signature: Some(format!("KSO-1 {APP_ID}:{}", "0".repeat(64))),
        ..Raw::get("/v7/depts/root")
    };
    let (status, v) = bad.send(&base, "", &token).await;
    assert_eq!(status, 401);
    assert_ne!(v["code"].as_i64().unwrap_or(0), 0);
    assert_eq!(v["msg"], "signature mismatch");

    // Signed for one query, sent with another.
    let input = SignInput {
        method: "GET",
        request_uri: "/v7/depts/many/children?page_size=10",
        content_type: "",
        date: &httpdate::fmt_http_date(SystemTime::now()),
        body: b"",
    };
    let other = Raw {
        signature: Some(sign::kso1(&input, APP_ID, APP_SECRET)),
        date: input.date.to_string(),
        ..Raw::get("/v7/depts/many/children?page_size=20")
    };
    assert_eq!(other.send(&base, "", &token).await.0, 401);

    // A body changed after signing.
    let tampered = Raw {
        signature: Some(sign::kso1(
            &SignInput {
                method: "POST",
                request_uri: "/v7/users/batch_read",
                content_type: "application/json",
                date: &httpdate::fmt_http_date(SystemTime::now()),
                body: br#"{"status":["active"],"user_ids":["u0001"]}"#,
            },
            APP_ID,
            APP_SECRET,
        )),
        ..Raw::post(
            "/v7/users/batch_read",
            br#"{"status":["active"],"user_ids":["u0002"]}"#,
        )
    };
    assert_eq!(tampered.send(&base, "", &token).await.0, 401);

    // Correctly signed but an hour old.
    let stale = Raw {
        date: httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(3600)),
        ..Raw::get("/v7/depts/root")
    };
    assert_eq!(stale.send(&base, "", &token).await.0, 401);

    // No live token.
    assert_eq!(
        Raw::get("/v7/depts/root")
            .send(&base, "", "not-a-token")
            .await
            .0,
        401
    );

    // Paging and status parameters.
    let (status, v) = Raw::get("/v7/depts/many/children?page_size=51")
        .send(&base, "", &token)
        .await;
    assert_eq!(status, 400);
    assert_ne!(v["code"].as_i64().unwrap_or(0), 0);
    assert_eq!(
        Raw::get("/v7/depts/many/children?page_size=0")
            .send(&base, "", &token)
            .await
            .0,
        400
    );
    assert_eq!(
        Raw::get("/v7/depts/many/children?page_token=garbage")
            .send(&base, "", &token)
            .await
            .0,
        400
    );
    assert_eq!(
        Raw::get("/v7/depts/big/members?page_size=10")
            .send(&base, "", &token)
            .await
            .0,
        400
    );
    let (status, v) = Raw::get("/v7/depts/big/members?status=disabled&page_size=50")
        .send(&base, "", &token)
        .await;
    assert_eq!(status, 200);
    let only: Vec<&str> = v["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(only, vec!["u0003", "u0013"]);

    // Unknown ids: 404 with the provider's code.
    let (status, v) = Raw::get("/v7/users/nobody?with_dept=true")
        .send(&base, "", &token)
        .await;
    assert_eq!((status, v["code"].as_i64()), (404, Some(400_000_004)));
}

/// `recursive=true` lists the whole subtree's members, each person once, pages as usual.
#[tokio::test]
async fn recursive_member_listing_covers_the_subtree() {
    let server = serve(fake_opts()).await;
    let base = server.base_url();
    let token = raw_token(&base, "").await;
    let statuses = "status=active&status=notactive&status=disabled";
    let mut token_param = String::new();
    let mut got = Vec::new();
    loop {
        let uri =
            format!("/v7/depts/r/members?{statuses}&recursive=true&page_size=50{token_param}");
        let (status, v) = Raw::get(&uri).send(&base, "", &token).await;
        assert_eq!(status, 200, "{v}");
        for item in v["data"]["items"].as_array().unwrap() {
            got.push(item["user_id"].as_str().unwrap().to_string());
        }
        match v["data"]["next_page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
        {
            Some(t) => {
                token_param = format!(
                    "&page_token={}",
                    url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
                )
            }
            None => break,
        }
    }
    let mut want: Vec<String> = std::iter::once("boss".to_string())
        .chain(listed_big().map(big_user_id))
        .collect();
    want.sort();
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), got.len(), "each person once");
    assert_eq!(sorted, want);
    // Without it, only the department's own members.
    let (_, v) = Raw::get(&format!("/v7/depts/r/members?{statuses}"))
        .send(&base, "", &token)
        .await;
    assert_eq!(v["data"]["items"].as_array().unwrap().len(), 1);
}

/// Every constraint of docs/wire-constraints.md (WPS rows): a request breaking it is refused
/// with HTTP 400, code 400000001 and the reason, while the same call within the documents
/// is answered. Each refusal is counted in the fake's `refused` statistic.
#[tokio::test]
async fn the_fake_refuses_what_the_documents_do_not_allow() {
    let server = serve(fake_opts()).await;
    let base = server.base_url();
    let token = raw_token(&base, "").await;
    let members = "/v7/depts/big/members?status=active&status=notactive&status=disabled";
    let emails = |n: usize| -> String {
        let list: Vec<String> = (0..n).map(|i| format!("\"{}\"", big_email(i))).collect();
        format!(r#"{{"emails":[{}],"status":["active"]}}"#, list.join(","))
    };
    let ids = |n: usize| -> String {
        let list: Vec<String> = (0..n).map(|i| format!("\"{}\"", big_user_id(i))).collect();
        list.join(",")
    };
    let batch = |status: &str, n: usize| {
        format!(
            r#"{{"status":[{status}],"user_ids":[{}],"with_dept":true}}"#,
            ids(n)
        )
    };
    let member_batch = |status: &str, n: usize| {
        format!(
            r#"{{"status":[{status}],"user_ids":[{}],"with_user_detail":true}}"#,
            ids(n)
        )
    };
    let long_email = format!(
        r#"{{"emails":["{}@acme.example"],"status":["active"]}}"#,
        "x".repeat(120)
    );
    let gets: Vec<(String, &str)> =
        vec![
        (format!("{members}&page_size=50"), ""),
        (
            "/v7/depts/big/members?status=dimission".into(),
            "invalid status 'dimission'",
        ),
        (
            format!("{members}&status=dimission"),
            "invalid status 'dimission'",
        ),
        (format!("{members}&status=active"), "1 to 3 values"),
        (
            "/v7/depts/big/members?page_size=10".into(),
            "status is required",
        ),
        (
            "/v7/depts/big/members?status=Active".into(),
            "invalid status 'Active'",
        ),
        (format!("{members}&page_size=51"), "page_size"),
        (format!("{members}&page_size=0"), "page_size"),
        (format!("{members}&page_size=ten"), "page_size"),
        (format!("{members}&page_size=+5"), "page_size"),
        (format!("{members}&page_token="), "page_token"),
        ("/v7/contacts/permissions_scope?scopes=org".into(), ""),
        (
            "/v7/contacts/permissions_scope?scopes=org,org".into(),
            "invalid scopes",
        ),
        (
            "/v7/contacts/permissions_scope?scopes=org&scopes=dept".into(),
            "invalid scopes",
        ),
        (
            "/v7/contacts/permissions_scope".into(),
            "scopes is required",
        ),
        (
            "/v7/users?status=active&status=disabled&page_size=50&with_dept=true&with_total=true"
                .into(),
            "",
        ),
        ("/v7/users?page_size=50".into(), "status is required"),
        (
            "/v7/users?status=dimission".into(),
            "invalid status 'dimission'",
        ),
        (
            "/v7/users?status=active&recursive=true".into(),
            "unknown parameter",
        ),
        // The company-wide listing the crawl uses: the same enum, limits and booleans.
        (
            "/v7/users?status=active&status=notactive&status=disabled&status=active".into(),
            "1 to 3 values",
        ),
        ("/v7/users?status=Active".into(), "invalid status 'Active'"),
        ("/v7/users?status=active&page_size=51".into(), "page_size"),
        ("/v7/users?status=active&page_size=0".into(), "page_size"),
        ("/v7/users?status=active&page_token=".into(), "page_token"),
        (
            "/v7/users?status=active&page_token=pt/50+0=".into(),
            "page_token",
        ),
        ("/v7/users?status=active&with_dept=1".into(), "true or false"),
        ("/v7/users?status=active&with_total=yes".into(), "true or false"),
        (
            "/v7/users?status=active&with_user_detail=true".into(),
            "unknown parameter",
        ),
        (
            "/v7/users?status=active&with_dept=true&with_dept=false".into(),
            "more than once",
        ),
        (format!("{members}&recursive=true&page_size=50"), ""),
        ("/v7/no/such/call".into(), "no such call"),
        (format!("{members}&with_user_detail=yes"), "true or false"),
        (format!("{members}&recursive=1"), "true or false"),
        (format!("{members}&with_dept=true"), "unknown parameter"),
        (
            format!("{members}&page_size=5&page_size=6"),
            "more than once",
        ),
        (
            "/v7/depts/many/children?page_size=50&with_total=true".into(),
            "",
        ),
        (
            "/v7/depts/many/children?status=active".into(),
            "unknown parameter",
        ),
        (
            "/v7/depts/many/children?with_total=1".into(),
            "true or false",
        ),
        ("/v7/depts/root?with_total=true".into(), "unknown parameter"),
        ("/v7/depts/be?page_size=10".into(), "unknown parameter"),
        ("/v7/users/u0001?with_dept=true".into(), ""),
        ("/v7/users/u0001?with_dept=yes".into(), "true or false"),
        ("/v7/users/u0001?status=active".into(), "unknown parameter"),
    ];
    let posts: Vec<(&str, String, Option<&str>, &str)> = vec![
        (
            "/v7/users/batch_read",
            batch(r#""active","notactive","disabled""#, 50),
            None,
            "",
        ),
        (
            "/v7/users/batch_read",
            batch(r#""dimission""#, 1),
            None,
            "invalid status 'dimission'",
        ),
        (
            "/v7/users/batch_read",
            batch(r#""active","notactive","disabled","dimission""#, 1),
            None,
            "invalid status 'dimission'",
        ),
        (
            "/v7/users/batch_read",
            batch(r#""active","notactive","disabled","active""#, 1),
            None,
            "1 to 3 values",
        ),
        (
            "/v7/users/batch_read",
            batch("", 1),
            None,
            "status is required",
        ),
        (
            "/v7/users/batch_read",
            r#"{"user_ids":["u0001"]}"#.into(),
            None,
            "missing field `status`",
        ),
        (
            "/v7/users/batch_read",
            r#"{"status":["active"]}"#.into(),
            None,
            "missing field `user_ids`",
        ),
        (
            "/v7/users/batch_read",
            batch(r#""active""#, 51),
            None,
            "1 to 50",
        ),
        (
            "/v7/users/batch_read",
            batch(r#""active""#, 0),
            None,
            "1 to 50",
        ),
        (
            "/v7/users/batch_read",
            r#"{"status":["active"],"user_ids":["u0001"],"with_depts":true}"#.into(),
            None,
            "unknown field",
        ),
        (
            "/v7/users/batch_read",
            batch(r#""active""#, 1),
            Some("text/plain"),
            "Content-Type must be application/json",
        ),
        (
            "/v7/depts/big/members/batch_read",
            member_batch(r#""disabled""#, 50),
            None,
            "",
        ),
        (
            "/v7/depts/big/members/batch_read",
            member_batch(r#""active","dimission""#, 1),
            None,
            "invalid status 'dimission'",
        ),
        (
            "/v7/depts/big/members/batch_read",
            r#"{"status":["active"],"with_user_detail":true}"#.into(),
            None,
            "missing field `user_ids`",
        ),
        (
            "/v7/depts/big/members/batch_read",
            member_batch(r#""active""#, 51),
            None,
            "1 to 50",
        ),
        ("/v7/users/by_emails", emails(100), None, ""),
        ("/v7/users/by_emails", emails(101), None, "1 to 100"),
        ("/v7/users/by_emails", emails(0), None, "1 to 100"),
        (
            "/v7/users/by_emails",
            r#"{"emails":["a@b.example"],"status":["active","dimission"]}"#.into(),
            None,
            "invalid status 'dimission'",
        ),
        (
            "/v7/users/by_emails",
            r#"{"emails":["a@b.example"]}"#.into(),
            None,
            "missing field `status`",
        ),
        (
            "/v7/users/by_emails",
            r#"{"emails":[""],"status":["active"]}"#.into(),
            None,
            "1 to 128 characters",
        ),
        (
            "/v7/users/by_emails",
            long_email,
            None,
            "1 to 128 characters",
        ),
    ];
    let mut refusals = 0;
    let expect = |what: &str, reason: &str, status: u16, v: &serde_json::Value| {
        if reason.is_empty() {
            assert_eq!((status, v["code"].as_i64()), (200, Some(0)), "{what}: {v}");
        } else {
            let want_status = if reason == "no such call" { 404 } else { 400 };
            assert_eq!(
                (status, v["code"].as_i64()),
                (want_status, Some(400_000_001)),
                "{what}: {v}"
            );
            let msg = v["msg"].as_str().unwrap_or("");
            assert!(
                msg.contains(reason),
                "{what}: {msg:?} should say {reason:?}"
            );
        }
    };
    for (uri, reason) in &gets {
        let (status, v) = Raw::get(uri).send(&base, "", &token).await;
        expect(uri, reason, status, &v);
        refusals += usize::from(!reason.is_empty());
    }
    for (uri, body, ct, reason) in &posts {
        let raw = Raw {
            content_type: *ct,
            ..Raw::post(uri, body.as_bytes())
        };
        let (status, v) = raw.send(&base, "", &token).await;
        expect(&format!("{uri} {body}"), reason, status, &v);
        refusals += usize::from(!reason.is_empty());
    }
    // The token call: a form body with all three fields.
    let http = reqwest::Client::new();
    for (ct, body, want) in [
        (
            "application/json",
            format!(r#"{{"grant_type":"client_credentials","client_id":"{APP_ID}"}}"#),
            400,
        ),
        (
            "application/x-www-form-urlencoded",
            format!("grant_type=client_credentials&client_id={APP_ID}"),
            400,
        ),
        (
            "application/x-www-form-urlencoded",
            format!("grant_type=password&client_id={APP_ID}&client_secret={APP_SECRET}"),
            400,
        ),
    ] {
        let resp = http
            .post(format!("{base}/oauth2/token"))
            .header("content-type", ct)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), want, "{ct} {body}");
        refusals += 1;
    }
    // The date is RFC 1123 only: the same instant in RFC 850 form is refused (401, bad date).
    let now = SystemTime::now();
    let rfc850 = {
        let imf = httpdate::fmt_http_date(now);
        // "Tue, 01 Dec 2026 19:51:49 GMT" -> "Tuesday, 01-Dec-26 19:51:49 GMT"
        let day = match &imf[..3] {
            "Mon" => "Monday",
            "Tue" => "Tuesday",
            "Wed" => "Wednesday",
            "Thu" => "Thursday",
            "Fri" => "Friday",
            "Sat" => "Saturday",
            _ => "Sunday",
        };
        format!(
            "{day}, {}-{}-{} {}",
            &imf[5..7],
            &imf[8..11],
            &imf[14..16],
            &imf[17..]
        )
    };
    assert_eq!(
        httpdate::parse_http_date(&rfc850)
            .ok()
            .map(httpdate::fmt_http_date),
        Some(httpdate::fmt_http_date(now)),
        "{rfc850}"
    );
    let old_style = Raw {
        date: rfc850,
        ..Raw::get("/v7/depts/root")
    };
    let (status, v) = old_style.send(&base, "", &token).await;
    assert_eq!(
        (status, v["code"].as_i64()),
        (401, Some(401_000_003)),
        "{v}"
    );

    // The identity-type header takes internal or external.
    let mut bad_header = Raw::get("/v7/depts/root");
    bad_header.date = httpdate::fmt_http_date(SystemTime::now());
    let resp = http
        .get(format!("{base}/v7/depts/root"))
        .header("authorization", format!("Bearer {token}"))
        .header("x-kso-date", &bad_header.date)
        .header(
            "x-kso-authorization",
            sign::kso1(
                &SignInput {
                    method: "GET",
                    request_uri: "/v7/depts/root",
                    content_type: "",
                    date: &bad_header.date,
                    body: b"",
                },
                APP_ID,
                APP_SECRET,
            ),
        )
        .header("x-kso-id-type", "everyone")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    refusals += 1;
    assert_eq!(
        stat(&server, |s| s.refused.load(Ordering::Relaxed)),
        refusals as u64
    );
}

#[tokio::test]
async fn unknown_department_and_user_are_not_found() {
    let server = serve(fake_opts()).await;
    let c = client(&profile(&server.base_url()));
    for err in [
        c.dept("nope").await.unwrap_err(),
        c.children("nope", None).await.unwrap_err(),
        c.members("nope", None).await.unwrap_err(),
        c.user("nobody").await.map(|_| ()).unwrap_err(),
    ] {
        match &err {
            Error::NotFound { what } => {
                assert!(what.contains("nope") || what.contains("nobody"), "{what}")
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert_eq!(err.exit_code(), orgtui::error::exit::NOT_FOUND);
    }
    let err = c.user("nobody").await.unwrap_err();
    assert!(err.to_string().contains("user \"nobody\""), "{err}");
}

// ---- resilience ----

#[tokio::test]
async fn recovers_from_injected_500s() {
    let server = serve(FakeOptions {
        fail_every: Some(3),
        ..fake_opts()
    })
    .await;
    let c = client(&profile(&server.base_url()));
    assert_eq!(all_members(&c, "big").await.unwrap().len(), 118);
    assert_eq!(all_children(&c, "many").await.unwrap().len(), 60);
    let asked: Vec<String> = (0..120).map(big_user_id).collect();
    assert_eq!(c.users(&asked).await.unwrap().len(), 118);
    assert_eq!(c.user("u0000").await.unwrap().depts.len(), 2);
    assert!(stat(&server, |s| s.failed.load(Ordering::Relaxed)) >= 3);
}

#[tokio::test]
async fn recovers_from_429() {
    let server = serve(FakeOptions {
        rate_limit: Some(5.0),
        ..fake_opts()
    })
    .await;
    let mut p = profile(&server.base_url());
    p.http.rate_limit = None;
    p.http.retry = RetryPolicy {
        max_retries: 10,
        max_throttled_retries: 10,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
    };
    let c = Arc::new(client(&p));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let c = c.clone();
        tasks.spawn(async move { c.user(&big_user_id(i)).await });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
        ok += 1;
    }
    assert_eq!(ok, 20);
    assert!(stat(&server, |s| s.throttled.load(Ordering::Relaxed)) > 0);
}

// ---- broken servers ----

/// A server answering `token` on the token endpoint and `other` to everything else, with 200.
fn garbage_server(token_body: &'static str, other: &'static str) -> Hostile {
    common::fixtures::garbage_server("/oauth2/token", token_body, other)
}

/// A token reply claiming an absurd lifetime (i64::MAX seconds, or a float past it) is
/// bounded, not an overflow panic: the client goes on with the token.
#[tokio::test]
async fn absurd_token_lifetimes_are_bounded() {
    for token in [
        r#"{"access_token":"tok","expires_in":9223372036854775807}"#,
        r#"{"access_token":"tok","expires_in":1e300}"#,
        r#"{"access_token":"tok","expires_in":-5}"#,
    ] {
        let server = garbage_server(
            token,
            r#"{"code":0,"msg":"ok","data":{"id":"r","name":"Acme","parent_id":"0"}}"#,
        );
        let base = server.url.clone();
        let c = client(&profile(&base));
        let root = c.root().await.unwrap_or_else(|e| panic!("{token}: {e}"));
        assert_eq!(root.id, "r");
        let probe = c.probe().await.unwrap().unwrap();
        assert!(
            probe.token_lifetime <= Duration::from_secs(7 * 24 * 3600),
            "{token}"
        );
    }
}

#[tokio::test]
async fn malformed_json_is_a_protocol_error() {
    let server = garbage_server(
        r#"{"access_token":"tok","expires_in":7200,"token_type":"bearer"}"#,
        "<html>this is not json",
    );
    let base = server.url.clone();
    let c = client(&profile(&base));
    for err in [
        c.root().await.unwrap_err(),
        c.members("x", None).await.map(|_| ()).unwrap_err(),
    ] {
        assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    }

    // A JSON envelope whose data has the wrong shape.
    let server = garbage_server(
        r#"{"access_token":"tok","expires_in":7200}"#,
        r#"{"code":0,"msg":"ok","data":{"items":"nope"}}"#,
    );
    let base = server.url.clone();
    let err = client(&profile(&base))
        .children("x", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");

    // The token endpoint itself answering garbage.
    let server = garbage_server("not json at all", "{}");
    let base = server.url.clone();
    let err = client(&profile(&base)).root().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn unreachable_host_is_a_network_error() {
    let addr: SocketAddr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut p = profile(&format!("http://{addr}"));
    p.http.retry = RetryPolicy {
        max_retries: 1,
        max_throttled_retries: 1,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
    };
    p.http.connect_timeout = Duration::from_secs(2);
    let err = client(&p).root().await.unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
    assert_eq!(err.exit_code(), orgtui::error::exit::NETWORK);
}
