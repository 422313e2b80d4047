//! The WPS 365 (v7) side of the fake server.
//!
//! Everything is served under `opts.openapi_prefix` (empty for the public cloud): the token
//! endpoint and the v7 contact reads. Every v7 call is checked like the real gateway would:
//! a live Bearer token, an `X-Kso-Date` within 15 minutes, and an `X-Kso-Authorization` equal
//! to KSO-1 over the request exactly as received (method, raw path and query with the prefix
//! removed, the Content-Type as received, the date, the hash of the raw body bytes). When
//! `opts.graph_prefix` is set, `{graph_prefix}/v7/users/by_emails` is served too and checked
//! with WPS-4 (`Wps-Docs-Date`, `Wps-Docs-Authorization`) instead.
//!
//! Deliberate quirks, so clients are tested against what the real API allows:
//! - Member listings simulate partial detail: the item of every 7th member of a department
//!   (by position in the department, whatever the page) comes without `user_info` even with
//!   `with_user_detail=true`, so clients must fall back to `members/batch_read`.
//! - `users/by_emails` answers the users it found in reverse order of the request.
//! - Page tokens contain `/`, `+` and `=` (see `paging`), so unencoded tokens break.
//!
//! Exactly as strict as the documents (seeds 000–003 and API-NOTES; every rule is listed in
//! `docs/wire-constraints.md`): only documented query parameters and body fields, `status`
//! required with 1 to 3 of `active`, `notactive`, `disabled` (never `dimission`, which a user
//! record can carry but no filter takes), booleans `true`/`false`, `page_size` 1..=50, JSON
//! bodies sent as `application/json`, 1..=50 ids per batch read (the limit is undocumented;
//! 50 is what API-NOTES tells clients to chunk at), 1..=100 emails of 1..=128 characters.
//! A refusal is HTTP 400, code 400000001, with the reason, and is counted as `refused`.
//! With a contact range (`--scope`, see `wps/scope.rs`) anything outside it answers HTTP
//! 403, code 403000001; batch reads and by_emails leave such people out.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::paging::{self, PageError};
use super::rules::{self, Query, Refusal};
use super::state::{FakeOptions, FakeState, Refused};
use crate::model::UserStatus;
use crate::model::{Org, OrgDept, OrgUser};
use crate::providers::wps::config::normalize_prefix;
use crate::providers::wps::sign::{self, SignInput};

mod auth;
mod scope;
use auth::{Checked, Kso1, Wps4, token};
use scope::in_range;

/// The app's credentials were refused at the token endpoint.
pub const CODE_INVALID_CLIENT: i64 = 40_000_001;
/// A malformed request (bad parameter or body).
pub const CODE_BAD_REQUEST: i64 = 400_000_001;
/// The department or user does not exist.
pub const CODE_NOT_FOUND: i64 = 400_000_004;
/// Missing, unknown or expired access token.
pub const CODE_BAD_TOKEN: i64 = 401_000_001;
/// The signature does not match the request.
pub const CODE_BAD_SIGNATURE: i64 = 401_000_002;
/// The signature date is missing, unreadable or more than 15 minutes off.
pub const CODE_BAD_DATE: i64 = 401_000_003;

/// Largest request body read.
const MAX_BODY: usize = 1 << 20;
const MAX_BATCH_IDS: usize = 50;
const MAX_EMAILS: usize = 100;
/// Longest email address by_emails takes (seed 003).
const MAX_EMAIL_CHARS: usize = 128;
/// The only values a `status` filter takes (seeds 001 and 003, API-NOTES).
const FILTER_STATUSES: [&str; 3] = ["active", "notactive", "disabled"];
/// Statuses per filter: 1 to 3 (seed 001).
const MAX_FILTER_STATUSES: usize = 3;
/// Fixed creation time for every record (the org file has none).
const CTIME: i64 = 1_700_000_000;

pub fn routes(opts: &FakeOptions) -> Router<Arc<FakeState>> {
    let p = normalize_prefix(&opts.openapi_prefix);
    let g = normalize_prefix(&opts.graph_prefix);
    let mut r = Router::new()
        .route(&format!("{p}/oauth2/token"), post(token))
        .route(&format!("{p}/v7/depts/root"), get(root))
        .route(&format!("{p}/v7/depts/{{id}}"), get(dept))
        .route(&format!("{p}/v7/depts/{{id}}/children"), get(children))
        .route(&format!("{p}/v7/depts/{{id}}/members"), get(members))
        .route(
            &format!("{p}/v7/depts/{{id}}/members/batch_read"),
            post(members_batch_read),
        )
        .route(&format!("{p}/v7/users/batch_read"), post(users_batch_read))
        .route(&format!("{p}/v7/users/by_emails"), post(by_emails_kso))
        .route(&format!("{p}/v7/users/{{id}}"), get(user))
        .route(&format!("{p}/v7/users"), get(users_list))
        .route(
            &format!("{p}/v7/contacts/permissions_scope"),
            get(scope::permissions_scope),
        )
        .fallback(no_such_call);
    // With the same prefix for both, the KSO-1 route above is the only one.
    if !g.is_empty() && g != p {
        r = r.route(&format!("{g}/v7/users/by_emails"), post(by_emails_graph));
    }
    r
}

// ---- replies ----

/// An error answer: HTTP status and the provider's `{code, msg}` envelope.
struct Fail {
    status: StatusCode,
    code: i64,
    msg: String,
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let refused = self.code == CODE_BAD_REQUEST;
        let mut resp = (
            self.status,
            axum::Json(json!({"code": self.code, "msg": self.msg})),
        )
            .into_response();
        if refused {
            resp.extensions_mut().insert(Refused);
        }
        resp
    }
}

impl From<Refusal> for Fail {
    fn from(msg: Refusal) -> Fail {
        bad_request(&msg)
    }
}

type Reply = Result<Response, Fail>;

fn ok(data: Value) -> Reply {
    Ok(axum::Json(json!({"code": 0, "msg": "ok", "data": data})).into_response())
}

fn fail(status: StatusCode, code: i64, msg: &str) -> Fail {
    Fail {
        status,
        code,
        msg: msg.to_string(),
    }
}

fn bad_request(msg: &str) -> Fail {
    fail(StatusCode::BAD_REQUEST, CODE_BAD_REQUEST, msg)
}

fn not_found() -> Fail {
    fail(StatusCode::NOT_FOUND, CODE_NOT_FOUND, "not found")
}

// ---- JSON shapes ----

fn put(m: &mut Map<String, Value>, key: &str, v: Option<&str>) {
    if let Some(v) = v {
        m.insert(key.into(), Value::String(v.to_string()));
    }
}

fn abs_path(org: &Org, id: &str) -> String {
    format!("/{}", org.path(id).unwrap_or_default())
}

fn dept_json(org: &Org, d: &OrgDept) -> Value {
    let leaders: Vec<Value> = d
        .leader_ids
        .iter()
        .enumerate()
        .map(|(i, u)| json!({"user_id": u, "order": i}))
        .collect();
    let mut m = Map::new();
    m.insert("id".into(), json!(d.id));
    put(&mut m, "name", d.name.as_deref());
    m.insert(
        "parent_id".into(),
        json!(d.parent_id.as_deref().unwrap_or("0")),
    );
    m.insert("abs_path".into(), json!(abs_path(org, &d.id)));
    if let Some(o) = d.order {
        m.insert("order".into(), json!(o));
    }
    m.insert("leaders".into(), Value::Array(leaders));
    m.insert("ctime".into(), json!(CTIME));
    m.insert("ex_dept_id".into(), json!(""));
    Value::Object(m)
}

/// The reduced user of member items: no `leader_id`, no `depts`.
fn reduced_user_json(u: &OrgUser) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(u.id));
    put(&mut m, "user_name", u.name.as_deref());
    put(&mut m, "email", u.email.as_deref());
    put(&mut m, "phone", u.mobile.as_deref());
    m.insert("telephone".into(), json!(""));
    put(&mut m, "title", u.title.as_deref());
    put(&mut m, "employee_id", u.employee_id.as_deref());
    m.insert("status".into(), json!(u.status_or_active().as_str()));
    put(
        &mut m,
        "def_dept_id",
        u.dept_ids.first().map(String::as_str),
    );
    put(&mut m, "city", u.city.as_deref());
    put(&mut m, "work_place", u.work_place.as_deref());
    m.insert("gender".into(), json!("secrecy"));
    m.insert("role".into(), json!("normal"));
    m.insert("avatar".into(), json!(""));
    m
}

fn user_json(org: &Org, u: &OrgUser, with_dept: bool) -> Value {
    let mut m = reduced_user_json(u);
    put(&mut m, "leader_id", u.leader_id.as_deref());
    m.insert("ex_user_id".into(), json!(u.id));
    m.insert("login_name".into(), json!(u.id));
    m.insert("ctime".into(), json!(CTIME));
    if with_dept {
        let depts: Vec<Value> = u
            .dept_ids
            .iter()
            .filter_map(|id| org.dept(id))
            .map(|d| json!({"id": d.id, "name": d.name, "abs_path": abs_path(org, &d.id)}))
            .collect();
        m.insert("depts".into(), Value::Array(depts));
    }
    Value::Object(m)
}

fn member_json(dept: &OrgDept, position: usize, u: &OrgUser, detail: bool) -> Value {
    let mut m = Map::new();
    m.insert("user_id".into(), json!(u.id));
    m.insert("dept_id".into(), json!(dept.id));
    m.insert("is_leader".into(), json!(dept.leader_ids.contains(&u.id)));
    m.insert("order".into(), json!(position));
    m.insert("ctime".into(), json!(CTIME));
    m.insert("mtime".into(), json!(CTIME));
    if detail {
        m.insert("user_info".into(), Value::Object(reduced_user_json(u)));
    }
    Value::Object(m)
}

/// A `status` filter: required, 1 to 3 values, each `active`, `notactive` or `disabled`.
fn statuses<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Vec<UserStatus>, Fail> {
    let values: Vec<&str> = values.into_iter().collect();
    if values.is_empty() {
        return Err(bad_request("status is required"));
    }
    rules::each_of("status", values.iter().copied(), &FILTER_STATUSES)?;
    if values.len() > MAX_FILTER_STATUSES {
        return Err(bad_request(&format!(
            "status takes 1 to {MAX_FILTER_STATUSES} values, got {}",
            values.len()
        )));
    }
    Ok(values.into_iter().filter_map(UserStatus::parse).collect())
}

/// One page of the listing `all` (page-token scope `scope`) by the request's `page_size` and
/// `page_token`: `items`, `next_page_token` (empty on the last page) and, when asked, `total`.
fn listing<T>(
    all: &[T],
    scope: &str,
    q: &Query,
    with_total: bool,
    item: impl Fn(&T) -> Value,
) -> Reply {
    let (slice, next) =
        paging::page(all, scope, q.page_size()?, q.first("page_token")).map_err(page_error)?;
    let items: Vec<Value> = slice.iter().map(item).collect();
    let mut data = json!({"items": items, "next_page_token": next.unwrap_or_default()});
    if with_total && let Some(data) = data.as_object_mut() {
        data.insert("total".into(), json!(all.len()));
    }
    ok(data)
}

/// The status filter as part of a listing's page-token scope, whatever order or repeats the
/// values came in: a token is good only for the listing it was issued for.
fn filter_key(wanted: &[UserStatus]) -> String {
    let mut names: Vec<&str> = wanted.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// A required list of ids (batch reads): 1 to 50 non-empty ids.
fn user_ids(ids: &[String]) -> Result<(), Fail> {
    rules::count("user_ids", ids.len(), 1, MAX_BATCH_IDS)?;
    if ids.iter().any(String::is_empty) {
        return Err(bad_request("user_ids must not hold an empty id"));
    }
    Ok(())
}

fn page_error(e: PageError) -> Fail {
    match e {
        PageError::BadSize => bad_request("page_size must be between 1 and 50"),
        PageError::BadToken => bad_request("invalid page_token"),
    }
}

// ---- handlers ----

async fn root(State(st): State<Arc<FakeState>>, Kso1(req): Kso1) -> Reply {
    req.params(&[], &[])?;
    in_range(st.dept_visible(&st.org.root().id))?;
    ok(dept_json(&st.org, st.org.root()))
}

async fn dept(State(st): State<Arc<FakeState>>, Path(id): Path<String>, Kso1(req): Kso1) -> Reply {
    req.params(&[], &[])?;
    let d = st.org.dept(&id).ok_or_else(not_found)?;
    in_range(st.dept_visible(&id))?;
    ok(dept_json(&st.org, d))
}

async fn children(
    State(st): State<Arc<FakeState>>,
    Path(id): Path<String>,
    Kso1(req): Kso1,
) -> Reply {
    let q = req.params(&[], &["page_size", "page_token", "with_total"])?;
    let with_total = q.flag("with_total")?;
    st.org.dept(&id).ok_or_else(not_found)?;
    in_range(st.dept_visible(&id))?;
    let kids = st.org.children(&id);
    listing(&kids, &format!("children:{id}"), q, with_total, |d| {
        dept_json(&st.org, d)
    })
}

async fn members(
    State(st): State<Arc<FakeState>>,
    Path(id): Path<String>,
    Kso1(req): Kso1,
) -> Reply {
    let q = req.params(
        &["status"],
        &[
            "page_size",
            "page_token",
            "recursive",
            "with_user_detail",
            "with_total",
        ],
    )?;
    let wanted = statuses(q.all("status"))?;
    let (detail, recursive, with_total) = (
        q.flag("with_user_detail")?,
        q.flag("recursive")?,
        q.flag("with_total")?,
    );
    st.org.dept(&id).ok_or_else(not_found)?;
    in_range(st.dept_visible(&id))?;
    // Position in the department, whatever the filter: it decides which items lack detail.
    // Recursive listings give each member of the subtree once, under the first department
    // (in tree order) that holds them.
    let listed: Vec<(usize, &OrgDept, &OrgUser)> = member_rows(&st.org, &id, recursive)
        .into_iter()
        .filter(|(_, _, u)| wanted.contains(&u.status_or_active()))
        .collect();
    let scope = format!("members:{id}:{recursive}:{}", filter_key(&wanted));
    listing(&listed, &scope, q, with_total, |(pos, d, u)| {
        member_json(d, *pos, u, detail && pos % 7 != 6)
    })
}

/// The members of `id` with their position in their department, and with `recursive` those
/// of every department below it too (each person once, departments in tree order).
fn member_rows<'a>(
    org: &'a Org,
    id: &str,
    recursive: bool,
) -> Vec<(usize, &'a OrgDept, &'a OrgUser)> {
    let Some(top) = org.dept(id) else {
        return Vec::new();
    };
    let depts = if recursive {
        org.subtree(id)
    } else {
        vec![top]
    };
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for d in depts {
        for (pos, u) in org.members(&d.id).into_iter().enumerate() {
            if seen.insert(u.id.as_str()) {
                rows.push((pos, d, u));
            }
        }
    }
    rows
}

/// Seed 001: `status` and `user_ids` required, `with_user_detail` optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MembersBatchBody {
    status: Vec<String>,
    user_ids: Vec<String>,
    #[serde(default)]
    with_user_detail: bool,
}

async fn members_batch_read(
    State(st): State<Arc<FakeState>>,
    Path(id): Path<String>,
    Kso1(req): Kso1,
) -> Reply {
    let body: MembersBatchBody = req.json()?;
    let wanted = statuses(body.status.iter().map(String::as_str))?;
    user_ids(&body.user_ids)?;
    let d = st.org.dept(&id).ok_or_else(not_found)?;
    in_range(st.dept_visible(&id))?;
    let all = st.org.members(&id);
    let items: Vec<Value> = body
        .user_ids
        .iter()
        .filter_map(|uid| all.iter().enumerate().find(|(_, u)| &u.id == uid))
        .map(|(p, &u)| (p, u))
        .filter(|(_, u)| wanted.contains(&u.status_or_active()))
        .map(|(pos, u)| member_json(d, pos, u, body.with_user_detail))
        .collect();
    ok(json!({"items": items}))
}

async fn user(State(st): State<Arc<FakeState>>, Path(id): Path<String>, Kso1(req): Kso1) -> Reply {
    let with_dept = req.params(&[], &["with_dept"])?.flag("with_dept")?;
    // Anyone whose id is known, resigned people included: no status filter here.
    let u = st.org.user(&id).ok_or_else(not_found)?;
    in_range(st.user_visible(&id))?;
    ok(user_json(&st.org, u, with_dept))
}

/// `GET /v7/users`: every user of the company (in the app's range), paged. API-NOTES:
/// `status` required (repeated, the three filter values), `page_size`, `page_token`,
/// `with_dept`, `with_total`.
async fn users_list(State(st): State<Arc<FakeState>>, Kso1(req): Kso1) -> Reply {
    let q = req.params(
        &["status"],
        &["page_size", "page_token", "with_dept", "with_total"],
    )?;
    let wanted = statuses(q.all("status"))?;
    let (with_dept, with_total) = (q.flag("with_dept")?, q.flag("with_total")?);
    in_range(!st.opts.no_company_listings)?;
    let listed: Vec<&OrgUser> = st
        .org
        .users()
        .iter()
        .filter(|u| wanted.contains(&u.status_or_active()) && st.user_visible(&u.id))
        .collect();
    let scope = format!("users:{}", filter_key(&wanted));
    listing(&listed, &scope, q, with_total, |u| {
        user_json(&st.org, u, with_dept)
    })
}

/// A path no document names: refused, in the envelope, and counted like any other request
/// outside the documents. The bare base URL (what a reachability check such as
/// `orgtui doctor`'s asks for) is no API call: a plain 404.
async fn no_such_call(State(st): State<Arc<FakeState>>, uri: axum::http::Uri) -> Response {
    if super::state::is_site_root(uri.path(), &st.opts) {
        return StatusCode::NOT_FOUND.into_response();
    }
    Fail {
        status: StatusCode::NOT_FOUND,
        code: CODE_BAD_REQUEST,
        msg: "no such call".into(),
    }
    .into_response()
}

/// Seed 000 and API-NOTES: `status` and `user_ids` required, `with_dept` optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersBatchBody {
    status: Vec<String>,
    user_ids: Vec<String>,
    #[serde(default)]
    with_dept: bool,
}

async fn users_batch_read(State(st): State<Arc<FakeState>>, Kso1(req): Kso1) -> Reply {
    let body: UsersBatchBody = req.json()?;
    let wanted = statuses(body.status.iter().map(String::as_str))?;
    user_ids(&body.user_ids)?;
    let items: Vec<Value> = body
        .user_ids
        .iter()
        .filter_map(|id| st.org.user(id))
        .filter(|u| st.user_visible(&u.id))
        .filter(|u| wanted.contains(&u.status_or_active()))
        .map(|u| user_json(&st.org, u, body.with_dept))
        .collect();
    ok(json!({"items": items}))
}

/// Seed 003: `emails` and `status` required, `with_dept` optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByEmailsBody {
    emails: Vec<String>,
    status: Vec<String>,
    #[serde(default)]
    with_dept: bool,
}

async fn by_emails_kso(State(st): State<Arc<FakeState>>, Kso1(req): Kso1) -> Reply {
    by_emails(&st, &req)
}

async fn by_emails_graph(State(st): State<Arc<FakeState>>, Wps4(req): Wps4) -> Reply {
    by_emails(&st, &req)
}

fn by_emails(st: &FakeState, req: &Checked) -> Reply {
    let body: ByEmailsBody = req.json()?;
    let wanted = statuses(body.status.iter().map(String::as_str))?;
    rules::count("emails", body.emails.len(), 1, MAX_EMAILS)?;
    rules::lengths(
        "emails",
        body.emails.iter().map(String::as_str),
        1,
        MAX_EMAIL_CHARS,
    )?;
    let mut seen = std::collections::HashSet::new();
    let mut items: Vec<Value> = body
        .emails
        .iter()
        .filter_map(|e| st.org.user_by_email(e))
        .filter(|u| st.user_visible(&u.id))
        .filter(|u| wanted.contains(&u.status_or_active()) && seen.insert(u.id.clone()))
        .map(|u| user_json(&st.org, u, body.with_dept))
        .collect();
    // No particular order, as the real API: clients must match by email.
    items.reverse();
    ok(json!({"items": items}))
}
