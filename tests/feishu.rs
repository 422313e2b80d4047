//! The Feishu/Lark client against the in-process fake server (and, for the failure modes the
//! fake cannot produce, tiny purpose-built servers): the real HTTP stack end to end.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use orgtui::config::Profile;
use orgtui::directory::{Directory, ProviderKind, all_children, all_members};
use orgtui::error::Error;
use orgtui::fake::{self, FakeOptions, FakeServer, Org, OrgFile, OrgUser};
use orgtui::http::{HttpOptions, RetryPolicy};
use orgtui::model::UserStatus;
use orgtui::providers::feishu::FeishuClient;
use orgtui::secret::Secret;
use serde_json::{Value, json};

const APP_ID: &str = "cli_feishu_test";
const SECRET: &str = "s3cr3t-feishu-app";

// ---- fixtures ----

use common::fixtures::dept;
use common::hostile::Hostile;

fn person(id: &str, name: &str, email: &str, depts: &[&str]) -> OrgUser {
    OrgUser {
        id: id.into(),
        name: Some(name.into()),
        email: Some(email.into()),
        mobile: Some(format!("+86 138{:08}", id.len())),
        title: Some("工程师".into()),
        employee_id: Some(format!("E-{id}")),
        status: Some(UserStatus::Active),
        leader_id: Some("u-lead".into()),
        dept_ids: depts.iter().map(|s| s.to_string()).collect(),
        city: Some("杭州".into()),
        work_place: Some("北楼-H34".into()),
        depts: Vec::new(),
    }
}

/// Acme: R&D (with Backend below), 销售部 with 120 members, 区域分公司 with 60 offices.
fn org_file() -> OrgFile {
    let mut depts = vec![
        dept("acme", "Acme", None, 0, &["u-lead"]),
        dept("rd", "R&D", Some("acme"), 1, &["u-lead", "u-dual"]),
        dept("be", "Backend", Some("rd"), 1, &["u-dual"]),
        dept("sales", "销售部", Some("acme"), 2, &[]),
        dept("regions", "区域分公司", Some("acme"), 3, &[]),
    ];
    for i in 0..60 {
        depts.push(dept(
            &format!("office-{i:02}"),
            &format!("办事处 {i:02}"),
            Some("regions"),
            i,
            &[],
        ));
    }
    let mut lead = person("u-lead", "张伟", "zhang.wei@acme.example", &["rd"]);
    lead.leader_id = None;
    lead.title = Some("总监".into());
    let dual = person("u-dual", "Li Na", "Li.Na@Acme.Example", &["rd", "be"]);
    let mut users = vec![lead, dual];
    for i in 0..120 {
        let mut u = person(
            &format!("s{i:03}"),
            &format!("销售{i:03}"),
            &format!("s{i}@acme.example"),
            &["sales"],
        );
        u.status = Some(match i {
            1 => UserStatus::Disabled,
            2 => UserStatus::Dimission,
            3 => UserStatus::Notactive,
            _ => UserStatus::Active,
        });
        users.push(u);
    }
    OrgFile {
        depts,
        users,
        ..OrgFile::default()
    }
}

fn fake_opts(provider: ProviderKind) -> FakeOptions {
    FakeOptions {
        provider,
        app_id: APP_ID.into(),
        app_secret: Secret::new(SECRET),
        ..FakeOptions::default()
    }
}

async fn start_fake(opts: FakeOptions) -> FakeServer {
    let org = Org::new(org_file()).expect("fixture org is consistent");
    fake::start(org, opts, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("fake server starts")
}

fn profile(base_url: &str, provider: ProviderKind, secret: &str) -> Profile {
    common::profile_with(
        provider,
        base_url,
        APP_ID,
        secret,
        HttpOptions {
            rate_limit: None,
            retry: RetryPolicy {
                max_retries: 4,
                max_throttled_retries: 4,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(100),
            },
            ..HttpOptions::default()
        },
    )
}

fn client_for(server: &FakeServer) -> FeishuClient {
    let p = profile(&server.base_url(), ProviderKind::Feishu, SECRET);
    FeishuClient::new(&p).expect("client")
}

fn stat(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

// ---- the directory, page by page ----

#[tokio::test]
async fn root_children_and_paths() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let dir = client_for(&server);
    assert!(format!("{dir:?}").contains("kind: Feishu"), "{dir:?}");

    let root = dir.root().await.unwrap();
    assert_eq!(root.id, "0");
    assert_eq!(root.name.as_deref(), Some("Acme"));
    assert_eq!(root.parent_id, None);
    assert_eq!(root.path.as_deref(), Some("Acme"));

    let top = all_children(&dir, "0").await.unwrap();
    let names: Vec<_> = top.iter().map(|d| d.name.clone().unwrap()).collect();
    assert_eq!(names, ["R&D", "销售部", "区域分公司"]);
    let rd = &top[0];
    assert_eq!(rd.id, "rd");
    assert_eq!(rd.parent_id.as_deref(), Some("0"));
    assert_eq!(rd.path.as_deref(), Some("Acme/R&D"));
    assert_eq!(rd.order, Some(1));
    assert_eq!(rd.leader_ids, ["u-lead", "u-dual"]);
    assert_eq!(rd.member_count, Some(2));

    let be = dir.dept("be").await.unwrap();
    assert_eq!(be.path.as_deref(), Some("Acme/R&D/Backend"));
    assert_eq!(be.parent_id.as_deref(), Some("rd"));
    assert_eq!(be.leader_ids, ["u-dual"]);
    assert_eq!(be.member_count, Some(1));
}

#[tokio::test]
async fn sixty_children_over_two_pages() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let dir = client_for(&server);

    let first = dir.children("regions", None).await.unwrap();
    assert_eq!(first.items.len(), 50);
    // The fake's tokens carry `/`, `+` and `=`: the second page only works if they are encoded.
    let token = first.next_page.clone().expect("a second page");
    assert!(token.contains('/') && token.contains('+') && token.contains('='));
    let second = dir.children("regions", Some(&token)).await.unwrap();
    assert_eq!(second.items.len(), 10);
    assert_eq!(second.next_page, None);

    let all = all_children(&dir, "regions").await.unwrap();
    assert_eq!(all.len(), 60);
    for (i, d) in all.iter().enumerate() {
        assert_eq!(d.id, format!("office-{i:02}"));
        assert_eq!(d.order, Some(i as i64));
        assert_eq!(
            d.path.as_deref(),
            Some(format!("Acme/区域分公司/办事处 {i:02}").as_str())
        );
    }
    assert!(all_children(&dir, "office-00").await.unwrap().is_empty());
}

#[tokio::test]
async fn members_over_three_pages_with_statuses() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let dir = client_for(&server);

    let first = dir.members("sales", None).await.unwrap();
    assert_eq!(first.items.len(), 50);
    assert!(first.next_page.is_some());

    let all = all_members(&dir, "sales").await.unwrap();
    assert_eq!(all.len(), 120);
    let ids: Vec<_> = all.iter().map(|u| u.id.clone()).collect();
    let expected: Vec<_> = (0..120).map(|i| format!("s{i:03}")).collect();
    assert_eq!(ids, expected);
    let status: Vec<_> = all[..5].iter().map(|u| u.status).collect();
    assert_eq!(
        status,
        [
            Some(UserStatus::Active),
            Some(UserStatus::Disabled),
            Some(UserStatus::Dimission),
            Some(UserStatus::Notactive),
            Some(UserStatus::Active),
        ]
    );
    let s7 = &all[7];
    assert_eq!(s7.name.as_deref(), Some("销售007"));
    assert_eq!(s7.email.as_deref(), Some("s7@acme.example"));
    assert_eq!(s7.title.as_deref(), Some("工程师"));
    assert_eq!(s7.employee_id.as_deref(), Some("E-s007"));
    assert_eq!(s7.leader_id.as_deref(), Some("u-lead"));
    assert_eq!(s7.city.as_deref(), Some("杭州"));
    assert_eq!(s7.work_place.as_deref(), Some("北楼-H34"));
    assert_eq!(s7.dept_ids, ["sales"]);
    assert_eq!(s7.depts.len(), 1);
    assert_eq!(s7.depts[0].path.as_deref(), Some("Acme/销售部"));

    // Departments are cached: another page costs one request, not one per member.
    let before = stat(&server.state.stats.requests);
    dir.members("sales", None).await.unwrap();
    assert_eq!(stat(&server.state.stats.requests) - before, 1);

    // Nobody sits directly in the root.
    assert!(all_members(&dir, "0").await.unwrap().is_empty());
}

#[tokio::test]
async fn user_in_two_departments() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let dir = client_for(&server);

    let u = dir.user("u-dual").await.unwrap();
    assert_eq!(u.id, "u-dual");
    assert_eq!(u.name.as_deref(), Some("Li Na"));
    assert_eq!(u.leader_id.as_deref(), Some("u-lead"));
    assert_eq!(u.dept_ids, ["rd", "be"]);
    let paths: Vec<_> = u.depts.iter().map(|d| d.path.clone().unwrap()).collect();
    assert_eq!(paths, ["Acme/R&D", "Acme/R&D/Backend"]);
    assert_eq!(u.depts[1].name.as_deref(), Some("Backend"));
    assert_eq!(u.status, Some(UserStatus::Active));

    let lead = dir.user("u-lead").await.unwrap();
    assert_eq!(lead.leader_id, None);
    assert_eq!(lead.title.as_deref(), Some("总监"));
}

#[tokio::test]
async fn users_in_chunks_in_the_order_asked() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let dir = client_for(&server);

    // 120 + 2 known ids backwards, a repeat and an unknown one: three batches of at most 50.
    let mut ids: Vec<String> = (0..120).rev().map(|i| format!("s{i:03}")).collect();
    ids.push("u-dual".into());
    ids.push("nobody".into());
    ids.push("s005".into());
    ids.push("u-lead".into());
    let users = dir.users(&ids).await.unwrap();
    let got: Vec<_> = users.iter().map(|u| u.id.clone()).collect();
    let mut want: Vec<String> = (0..120).rev().map(|i| format!("s{i:03}")).collect();
    want.push("u-dual".into());
    want.push("u-lead".into());
    assert_eq!(got, want);
    let dual = users.iter().find(|u| u.id == "u-dual").unwrap();
    assert_eq!(dual.depts.len(), 2);
    assert_eq!(dual.depts[0].path.as_deref(), Some("Acme/R&D"));

    assert!(dir.users(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn users_by_emails_in_input_order() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let dir = client_for(&server);

    let asked: Vec<String> = [
        "S5@ACME.example",
        "nobody@acme.example",
        "zhang.wei@acme.example",
        "li.na@acme.example",
        "s2@acme.example",
    ]
    .map(String::from)
    .to_vec();
    let matches = dir.users_by_emails(&asked).await.unwrap();
    assert_eq!(matches.len(), 5);
    for (m, email) in matches.iter().zip(&asked) {
        assert_eq!(&m.email, email);
    }
    let ids: Vec<_> = matches
        .iter()
        .map(|m| m.user.as_ref().map(|u| u.id.clone()))
        .collect();
    assert_eq!(
        ids,
        [
            Some("s005".to_string()),
            None,
            Some("u-lead".to_string()),
            Some("u-dual".to_string()),
            Some("s002".to_string()),
        ]
    );
    // Departed users are found too, with their status and departments.
    let departed = matches[4].user.as_ref().unwrap();
    assert_eq!(departed.status, Some(UserStatus::Dimission));
    assert_eq!(departed.depts[0].path.as_deref(), Some("Acme/销售部"));

    // More than one batch of 50.
    let many: Vec<String> = (0..70).map(|i| format!("s{i}@acme.example")).collect();
    let matches = dir.users_by_emails(&many).await.unwrap();
    assert_eq!(matches.len(), 70);
    assert!(matches.iter().enumerate().all(|(i, m)| {
        m.user.as_ref().map(|u| u.id.as_str()) == Some(format!("s{i:03}").as_str())
    }));
}

#[tokio::test]
async fn lark_speaks_the_same_protocol() {
    let server = start_fake(fake_opts(ProviderKind::Lark)).await;
    let p = profile(&server.base_url(), ProviderKind::Lark, SECRET);
    let dir = FeishuClient::new(&p).unwrap();
    assert!(format!("{dir:?}").contains("kind: Lark"), "{dir:?}");
    assert_eq!(dir.root().await.unwrap().name.as_deref(), Some("Acme"));
    assert_eq!(
        dir.user("s010").await.unwrap().name.as_deref(),
        Some("销售010")
    );
}

// ---- tokens ----

#[tokio::test]
async fn token_is_refreshed_after_expiry() {
    let server = start_fake(FakeOptions {
        token_ttl: Duration::from_secs(1),
        ..fake_opts(ProviderKind::Feishu)
    })
    .await;
    let dir = client_for(&server);
    dir.dept("rd").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        dir.dept("be").await.unwrap().name.as_deref(),
        Some("Backend")
    );
    assert!(stat(&server.state.stats.tokens_issued) >= 2);
}

#[tokio::test]
async fn token_the_server_dropped_is_replaced() {
    // The server forgets its tokens after 0.5 s but announces one second: the client still
    // holds a token the server rejects, and must fetch a new one and carry on. (Whether the
    // rejection happened depends on timing; `rejected_token_is_retried_exactly_once` pins the
    // retry down exactly.)
    let server = start_fake(FakeOptions {
        token_ttl: Duration::from_millis(500),
        ..fake_opts(ProviderKind::Feishu)
    })
    .await;
    let dir = client_for(&server);
    dir.dept("rd").await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        dir.dept("be").await.unwrap().name.as_deref(),
        Some("Backend")
    );
    assert!(stat(&server.state.stats.tokens_issued) >= 2);
}

/// A server that hands out numbered tokens and rejects the first (or every) token with
/// 99991663. Returns its base URL and the count of tokens issued.
async fn token_rejecting_server(reject_all: bool) -> (String, Arc<AtomicU64>) {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let issued = Arc::new(AtomicU64::new(0));
    let counter = issued.clone();
    let app = axum::Router::new()
        .route(
            "/open-apis/auth/v3/tenant_access_token/internal",
            axum::routing::post(move || {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    axum::Json(json!({"code": 0, "msg": "ok",
                        "tenant_access_token": format!("tok-{n}"), "expire": 7200}))
                }
            }),
        )
        .fallback(move |headers: HeaderMap| async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if reject_all || auth == "Bearer tok-1" {
                return (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"code": 99991663, "msg": "Invalid access token"})),
                )
                    .into_response();
            }
            axum::Json(json!({"code": 0, "msg": "success",
                "data": {"department": {"name": "Acme", "open_department_id": "0"}}}))
            .into_response()
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, issued)
}

#[tokio::test]
async fn rejected_token_is_replaced_at_most_three_times() {
    let (base, issued) = token_rejecting_server(false).await;
    let dir = FeishuClient::new(&profile(&base, ProviderKind::Feishu, SECRET)).unwrap();
    assert_eq!(dir.root().await.unwrap().name.as_deref(), Some("Acme"));
    assert_eq!(issued.load(Ordering::SeqCst), 2);

    let (base, issued) = token_rejecting_server(true).await;
    let dir = FeishuClient::new(&profile(&base, ProviderKind::Feishu, SECRET)).unwrap();
    let err = dir.root().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 3);
    // The first token and three replacements, then it gives up.
    assert_eq!(
        issued.load(Ordering::SeqCst),
        1 + orgtui::http::MAX_TOKEN_REFRESHES as u64
    );
    let msg = err.to_string();
    assert!(msg.contains("99991663") && !msg.contains("tok-"), "{msg}");
}

#[tokio::test]
async fn bad_secret_is_an_auth_error_without_secrets() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let wrong = "wr0ng-s3cret-value";
    let dir = FeishuClient::new(&profile(&server.base_url(), ProviderKind::Feishu, wrong)).unwrap();
    let err = dir.root().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 3);
    for text in [err.to_string(), format!("{err:?}"), format!("{dir:?}")] {
        assert!(!text.contains(wrong) && !text.contains(SECRET), "{text}");
        assert!(!text.contains("t-0-"), "a token leaked: {text}");
    }
    assert!(err.to_string().contains("10014"), "{err}");
    assert_eq!(stat(&server.state.stats.tokens_issued), 0);
}

// ---- recovery ----

#[tokio::test]
async fn recovers_from_injected_500s() {
    let server = start_fake(FakeOptions {
        fail_every: Some(3),
        ..fake_opts(ProviderKind::Feishu)
    })
    .await;
    let dir = client_for(&server);
    assert_eq!(all_children(&dir, "regions").await.unwrap().len(), 60);
    assert_eq!(all_members(&dir, "sales").await.unwrap().len(), 120);
    let ids: Vec<String> = (0..120).map(|i| format!("s{i:03}")).collect();
    assert_eq!(dir.users(&ids).await.unwrap().len(), 120);
    let found = dir
        .users_by_emails(&["s9@acme.example".to_string()])
        .await
        .unwrap();
    assert_eq!(found[0].user.as_ref().unwrap().id, "s009");
    assert!(stat(&server.state.stats.failed) >= 3);
}

#[tokio::test]
async fn recovers_from_rate_limiting() {
    let server = start_fake(FakeOptions {
        rate_limit: Some(5.0),
        ..fake_opts(ProviderKind::Feishu)
    })
    .await;
    // The client's own limiter is off (the test profile sets none): the server's 429s and
    // their `x-ogw-ratelimit-reset` are what keep it in line.
    let dir = client_for(&server);
    for i in 0..12 {
        let id = format!("s{i:03}");
        assert_eq!(dir.user(&id).await.unwrap().id, id);
    }
    assert!(stat(&server.state.stats.throttled) >= 1);
}

// ---- failures ----

#[tokio::test]
async fn unknown_department_or_user_is_not_found() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let dir = client_for(&server);
    let errors = [
        dir.dept("no-such-dept").await.unwrap_err(),
        dir.children("no-such-dept", None).await.unwrap_err(),
        dir.members("no-such-dept", None).await.unwrap_err(),
        dir.user("no-such-user").await.unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains("no-such-"), "{err}");
    }
    let err = dir.user("").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn bad_page_token_is_a_protocol_error() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let dir = client_for(&server);
    let err = dir
        .children("regions", Some("not-a-token"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("40012"), "{err}");
    // A token from another listing is no good either.
    let token = dir.members("sales", None).await.unwrap().next_page.unwrap();
    let err = dir.children("regions", Some(&token)).await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
}

/// `Bearer <a tenant token>` fetched by hand from the fake at `base`.
async fn raw_bearer(base: &str) -> String {
    format!(
        "Bearer {}",
        common::feishu_token(base, APP_ID, SECRET).await
    )
}

/// The fake's own error answers, by raw requests.
#[tokio::test]
async fn fake_answers_feishu_errors() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let base = server.base_url();
    let http = reqwest::Client::new();
    let bearer = raw_bearer(&base).await;
    let children = format!("{base}/open-apis/contact/v3/departments/regions/children");

    let get = |url: String, query: Vec<(&'static str, String)>, auth: Option<String>| {
        let mut req = http.get(url).query(&query);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };

    let (status, first) = get(
        children.clone(),
        vec![("page_size", "50".into())],
        Some(bearer.clone()),
    )
    .await;
    assert_eq!((status, first["code"].as_i64()), (200, Some(0)));
    assert_eq!(first["data"]["has_more"], true);
    assert_eq!(first["data"]["items"][0]["parent_department_id"], "regions");
    let page_token = first["data"]["page_token"].as_str().unwrap().to_string();

    // Mangled: the `+` turned into a space, as an unencoded token would arrive.
    let mangled = page_token.replace('+', " ");
    let (status, body) = get(
        children.clone(),
        vec![("page_size", "50".into()), ("page_token", mangled)],
        Some(bearer.clone()),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(40012)));

    let (status, body) = get(
        children.clone(),
        vec![("page_size", "51".into())],
        Some(bearer.clone()),
    )
    .await;
    // Seed 004: 40011 "page size is invalid".
    assert_eq!((status, body["code"].as_i64()), (400, Some(40011)));

    let (status, body) = get(children.clone(), vec![], None).await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(99991661)));
    let (status, body) = get(children, vec![], Some("Bearer t-forged".into())).await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(99991663)));

    // Root children name "0" as their parent; the root has none.
    let (_, root) = get(
        format!("{base}/open-apis/contact/v3/departments/0"),
        vec![],
        Some(bearer.clone()),
    )
    .await;
    assert_eq!(root["data"]["department"]["open_department_id"], "0");
    assert!(
        root["data"]["department"]
            .get("parent_department_id")
            .is_none()
    );

    // More than 50 ids in one batch.
    let ids: Vec<(&'static str, String)> =
        (0..51).map(|i| ("user_ids", format!("s{i:03}"))).collect();
    let (status, body) = get(
        format!("{base}/open-apis/contact/v3/users/batch"),
        ids,
        Some(bearer.clone()),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(99992402)));
}

/// Every constraint of docs/wire-constraints.md (Feishu rows): a request breaking it is
/// refused with HTTP 400 and the documented code, while the same call within the documents
/// is answered; each refusal is counted in the fake's `refused` statistic.
#[tokio::test]
async fn the_fake_refuses_what_the_documents_do_not_allow() {
    let server = start_fake(fake_opts(ProviderKind::Feishu)).await;
    let base = server.base_url();
    let http = reqwest::Client::new();
    let bearer = raw_bearer(&base).await;
    let api = |path: &str| format!("{base}/open-apis/contact/v3/{path}");
    let ids = |n: usize| -> String {
        (0..n)
            .map(|i| format!("user_ids=s{i:03}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    const OK: i64 = 0;
    const INVALID: i64 = 99992402;
    const PAGE_SIZE: i64 = 40011;
    let gets: Vec<(String, i64)> = vec![
        (
            api("departments/regions/children?page_size=50&fetch_child=false"),
            OK,
        ),
        (api("departments/regions/children?fetch_child=yes"), INVALID),
        // The whole-tree listing the crawl uses: the same parameters and limits.
        (
            api(
                "departments/0/children?fetch_child=true&page_size=50&user_id_type=open_id&department_id_type=open_department_id",
            ),
            OK,
        ),
        (
            api("departments/0/children?fetch_child=true&page_size=51"),
            PAGE_SIZE,
        ),
        (api("departments/0/children?fetch_child=True"), INVALID),
        (
            api("departments/0/children?fetch_child=true&fetch_child=false"),
            INVALID,
        ),
        (
            api("departments/0/children?fetch_child=true&page_token="),
            40012,
        ),
        (
            api("departments/0/children?fetch_child=true&with_total=true"),
            INVALID,
        ),
        (api("departments/regions/children?page_size=0"), PAGE_SIZE),
        (api("departments/regions/children?page_size=x"), PAGE_SIZE),
        (api("departments/regions/children?recursive=true"), INVALID),
        (
            api("departments/regions/children?page_size=5&page_size=6"),
            INVALID,
        ),
        (
            api("departments/regions?user_id_type=open_id&department_id_type=open_department_id"),
            OK,
        ),
        (
            api("departments/regions?department_id_type=dept_id"),
            INVALID,
        ),
        (api("departments/regions?user_id_type=email"), INVALID),
        (api("departments/no/such/call"), INVALID),
        (api("departments/regions?page_size=10"), INVALID),
        (
            api("users/find_by_department?department_id=sales&page_size=50"),
            OK,
        ),
        (api("users/find_by_department?page_size=50"), INVALID),
        (
            api("users/find_by_department?department_id=sales&page_size=51"),
            PAGE_SIZE,
        ),
        (
            api("users/find_by_department?department_id=sales&fetch_child=true"),
            INVALID,
        ),
        (api("users/s001?user_id_type=open_id"), OK),
        (api("users/s001?with_dept=true"), INVALID),
        (api(&format!("users/batch?{}", ids(50))), OK),
        (api(&format!("users/batch?{}", ids(51))), INVALID),
        (api("users/batch"), INVALID),
        (
            api(&format!("users/batch?{}&page_size=10", ids(2))),
            INVALID,
        ),
    ];
    let mut refusals = 0;
    for (url, want) in &gets {
        let resp = http
            .get(url)
            .header("authorization", &bearer)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        let want_status = match (*want, url.contains("no/such")) {
            (OK, _) => 200,
            (_, true) => 404,
            _ => 400,
        };
        assert_eq!(
            (status, body["code"].as_i64()),
            (want_status, Some(*want)),
            "{url}: {body}"
        );
        refusals += usize::from(*want != OK);
    }
    let batch_get_id = api("users/batch_get_id?user_id_type=open_id");
    let emails = |n: usize| -> Vec<String> { (0..n).map(|i| format!("e{i}@x.example")).collect() };
    let posts: Vec<(String, Value, Option<&str>, i64)> = vec![
        (
            batch_get_id.clone(),
            json!({"emails": emails(50), "include_resigned": true}),
            None,
            OK,
        ),
        (
            batch_get_id.clone(),
            json!({"emails": emails(51)}),
            None,
            INVALID,
        ),
        (
            batch_get_id.clone(),
            json!({"mobiles": emails(51)}),
            None,
            INVALID,
        ),
        (batch_get_id.clone(), json!({}), None, INVALID),
        (
            batch_get_id.clone(),
            json!({"emails": ["a@x"], "include_resigned": "yes"}),
            None,
            INVALID,
        ),
        (
            batch_get_id.clone(),
            json!({"emails": ["a@x"], "user_ids": ["s001"]}),
            None,
            INVALID,
        ),
        (
            batch_get_id.clone(),
            json!({"emails": ["a@x"]}),
            Some("text/plain"),
            INVALID,
        ),
        (
            api("users/batch_get_id?department_id_type=open_department_id"),
            json!({"emails": ["a@x"]}),
            None,
            INVALID,
        ),
    ];
    for (url, body, ct, want) in &posts {
        let resp = http
            .post(url)
            .header("authorization", &bearer)
            .header("content-type", ct.unwrap_or("application/json"))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let answer: Value = resp.json().await.unwrap();
        let want_status = if *want == OK { 200 } else { 400 };
        assert_eq!(
            (status, answer["code"].as_i64()),
            (want_status, Some(*want)),
            "{url} {body}: {answer}"
        );
        refusals += usize::from(*want != OK);
    }
    // A documented id type the fake does not serve is no refusal of the client: 501.
    let resp = http
        .get(api("departments/regions?user_id_type=union_id"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 501);
    // The token call takes a JSON body with both fields.
    let resp = http
        .post(format!(
            "{base}/open-apis/auth/v3/tenant_access_token/internal"
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("app_id={APP_ID}&app_secret={SECRET}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    refusals += 1;
    assert_eq!(
        server
            .state
            .stats
            .refused
            .load(std::sync::atomic::Ordering::Relaxed),
        refusals as u64
    );
}

/// A server that answers 200 with a body that is not JSON; with `token_ok` the token endpoint
/// answers properly, so the garbage comes from a contact call.
fn garbage_server(token_ok: bool) -> Hostile {
    let token = if token_ok {
        r#"{"code":0,"expire":7200,"tenant_access_token":"tok"}"#
    } else {
        "<html>hello</html>"
    };
    common::fixtures::garbage_server(
        "/open-apis/auth/v3/tenant_access_token/internal",
        token,
        "{\"code\": 0, \"data\": {\"department\": [1, 2",
    )
}

#[tokio::test]
async fn malformed_json_is_a_protocol_error() {
    let server = garbage_server(false);
    let base = server.url.clone();
    let dir = FeishuClient::new(&profile(&base, ProviderKind::Feishu, SECRET)).unwrap();
    let err = dir.root().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("tenant_access_token"), "{err}");

    let server = garbage_server(true);
    let base = server.url.clone();
    let dir = FeishuClient::new(&profile(&base, ProviderKind::Feishu, SECRET)).unwrap();
    let err = dir.dept("rd").await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("/open-apis/contact/v3/departments/"),
        "{err}"
    );
    assert_eq!(err.exit_code(), 4);
}

#[tokio::test]
async fn unreachable_host_is_a_network_error() {
    // Bind a port, then free it: nothing listens there any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut p = profile(&format!("http://{addr}"), ProviderKind::Feishu, SECRET);
    p.http.retry = RetryPolicy {
        max_retries: 1,
        max_throttled_retries: 1,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(10),
    };
    p.http.connect_timeout = Duration::from_secs(2);
    let dir = FeishuClient::new(&p).unwrap();
    let err = dir.root().await.unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 4);
}
