//! The Feishu / Lark side of the fake server: contact v3 over the org file.
//!
//! Served (ids are the org file's; the org root is presented as department `"0"`, and its
//! children name `"0"` as their parent):
//! - `POST /open-apis/auth/v3/tenant_access_token/internal` `{"app_id","app_secret"}`
//! - `GET  /open-apis/contact/v3/departments/{id}` → `data.department`
//! - `GET  /open-apis/contact/v3/departments/{id}/children?fetch_child&page_size&page_token`
//! - `GET  /open-apis/contact/v3/users/find_by_department?department_id&page_size&page_token`
//! - `GET  /open-apis/contact/v3/users/{id}` → `data.user`
//! - `GET  /open-apis/contact/v3/users/batch?user_ids=a&user_ids=b` (unknown ids dropped)
//! - `POST /open-apis/contact/v3/users/batch_get_id` `{"emails","mobiles","include_resigned"}`
//! - `GET  /open-apis/contact/v3/scopes?page_size&page_token` (the contact range)
//!
//! Users are served with `open_id` = the org id, `union_id` = `on_<id>`, `user_id` =
//! `uid-<id>`; only the default id types (`open_id`, `open_department_id`) are supported.
//! `member_count` is the number of direct members.
//!
//! Exactly as strict as the documents (seed 004 and API-NOTES; every rule is listed in
//! `docs/wire-constraints.md`): only the documented query parameters and body fields, each
//! once; booleans `true`/`false`; the id types from their enums (and only the defaults are
//! served); `page_size` 1..=50; at most 50 `user_ids`, emails and mobiles; JSON bodies sent
//! as `application/json`. Such refusals are counted as `refused`.
//!
//! Failures (HTTP status, code, msg):
//! - token: body not JSON or fields missing: 400, 10003 "invalid param"; wrong app id or
//!   secret: 400, 10014 "app secret invalid".
//! - no `Authorization` header: 401, 99991661; a token not issued here or expired: 401,
//!   99991663.
//! - `page_size` not 1..=50: 400, 40011 "page size is invalid" (seed 004).
//! - an undocumented parameter or field, a missing required one, a bad boolean or id type,
//!   more than 50 `user_ids`, emails or mobiles: 400, 99992402 "field validation failed".
//! - a page token not issued for this listing: 400, 40012 "page token is invalid error".
//! - unknown department: 400, 40015 "department not exist" (Feishu's code for it).
//! - unknown user (`users/{id}`): 400, 41012 "user id invalid error".
//! - outside the app's contact range (`--scope`, see `feishu/scopes.rs`): a department 403,
//!   40004; a person 400, 41050; `users/batch` and `batch_get_id` leave them out.
//!
//! 429 (99991400, with `x-ogw-ratelimit-reset`) and injected 500s come from the shared knobs.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::paging::{self, PageError};
use super::rules::{self, Query};
use super::state::{FakeOptions, FakeState, Refused};
use crate::model::UserStatus;
use crate::model::{Org, OrgDept, OrgUser};

mod scopes;
use scopes::{dept_in_range, user_in_range};

const ROOT_ID: &str = "0";
const MAX_IDS: usize = 50;
/// Field validation failed.
const CODE_INVALID: i64 = 99992402;
/// Page size is invalid (seed 004).
const CODE_BAD_PAGE_SIZE: i64 = 40011;
/// Page token is invalid (seed 004).
const CODE_BAD_PAGE_TOKEN: i64 = 40012;
/// The id-type parameters every contact call takes (API-NOTES).
const ID_TYPE_PARAMS: [&str; 2] = ["user_id_type", "department_id_type"];

/// A failure answer: HTTP status, Feishu code and message.
struct Fail {
    status: StatusCode,
    code: i64,
    msg: String,
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let refused = self.status != StatusCode::NOT_IMPLEMENTED
            && [CODE_INVALID, CODE_BAD_PAGE_SIZE, CODE_BAD_PAGE_TOKEN].contains(&self.code);
        let body = json!({"code": self.code, "msg": self.msg});
        let mut resp = (self.status, axum::Json(body)).into_response();
        if refused {
            resp.extensions_mut().insert(Refused);
        }
        resp
    }
}

type Answer = Result<Response, Fail>;

pub fn routes(_opts: &FakeOptions) -> Router<Arc<FakeState>> {
    Router::new()
        .route(
            "/open-apis/auth/v3/tenant_access_token/internal",
            post(token),
        )
        .route("/open-apis/contact/v3/departments/{id}", get(department))
        .route(
            "/open-apis/contact/v3/departments/{id}/children",
            get(children),
        )
        .route(
            "/open-apis/contact/v3/users/find_by_department",
            get(find_by_department),
        )
        .route("/open-apis/contact/v3/users/batch", get(users_batch))
        .route(
            "/open-apis/contact/v3/users/batch_get_id",
            post(batch_get_id),
        )
        .route("/open-apis/contact/v3/users/{id}", get(user))
        .route("/open-apis/contact/v3/scopes", get(scopes::scopes))
        .fallback(no_such_call)
}

/// A path no document names: 404 in the envelope, counted as refused; the bare base URL (a
/// reachability check) is a plain 404.
async fn no_such_call(State(st): State<Arc<FakeState>>, uri: axum::http::Uri) -> Response {
    if super::state::is_site_root(uri.path(), &st.opts) {
        return StatusCode::NOT_FOUND.into_response();
    }
    fail(StatusCode::NOT_FOUND, CODE_INVALID, "404 page not found").into_response()
}

// ---- answers ----

fn ok(data: Value) -> Response {
    axum::Json(json!({"code": 0, "msg": "success", "data": data})).into_response()
}

fn fail(status: StatusCode, code: i64, msg: &str) -> Fail {
    Fail {
        status,
        code,
        msg: msg.to_string(),
    }
}

fn invalid(field: &str) -> Fail {
    fail(
        StatusCode::BAD_REQUEST,
        CODE_INVALID,
        &format!("field validation failed: {field}"),
    )
}

fn dept_not_found() -> Fail {
    fail(StatusCode::BAD_REQUEST, 40015, "department not exist")
}

// ---- request pieces ----

/// The decoded query with only the parameters the call documents (`repeatable` may come
/// several times; `single` and the id types once each) and valid id types.
fn params(raw: Option<&str>, repeatable: &[&str], single: &[&str]) -> Result<Query, Fail> {
    let q = Query::parse(raw);
    let single: Vec<&str> = single.iter().chain(&ID_TYPE_PARAMS).copied().collect();
    q.only(repeatable, &single).map_err(|e| invalid(&e))?;
    check_id_types(&q)?;
    Ok(q)
}

/// The id types' enums (API-NOTES); of those, only the defaults are served, since anything
/// else would need a second id space.
fn check_id_types(q: &Query) -> Result<(), Fail> {
    for (key, allowed, default) in [
        (
            "user_id_type",
            &["open_id", "union_id", "user_id"][..],
            "open_id",
        ),
        (
            "department_id_type",
            &["open_department_id", "department_id"][..],
            "open_department_id",
        ),
    ] {
        match q.one_of(key, allowed).map_err(|e| invalid(&e))? {
            // Documented but not implemented here: no refusal of the client's request.
            Some(v) if v != default => {
                return Err(fail(
                    StatusCode::NOT_IMPLEMENTED,
                    CODE_INVALID,
                    &format!("{key} {v:?} is not served by the fake"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn flag(q: &Query, key: &str) -> Result<bool, Fail> {
    q.flag(key).map_err(|e| invalid(&e))
}

fn authorize(state: &FakeState, headers: &HeaderMap) -> Result<(), Fail> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if state.bearer_ok(value) {
        return Ok(());
    }
    Err(match value {
        None => fail(
            StatusCode::UNAUTHORIZED,
            99991661,
            "Missing access token for authorization",
        ),
        Some(_) => fail(
            StatusCode::UNAUTHORIZED,
            99991663,
            "Invalid access token for authorization",
        ),
    })
}

/// One page of `items` for the listing `scope`, by the request's `page_size`/`page_token`,
/// with the listings' sizes (10 by default, at most 50).
fn page_of<'a, T>(
    items: &'a [T],
    scope: &str,
    q: &Query,
) -> Result<(&'a [T], Option<String>), Fail> {
    page_sized(
        items,
        scope,
        q,
        (paging::DEFAULT_PAGE_SIZE, paging::MAX_PAGE_SIZE),
    )
}

/// `page_of` with the call's own page sizes (default, maximum), and seed 004's answers for a
/// bad size (40011) or token (40012).
fn page_sized<'a, T>(
    items: &'a [T],
    scope: &str,
    q: &Query,
    sizes: (usize, usize),
) -> Result<(&'a [T], Option<String>), Fail> {
    let bad_size = || {
        fail(
            StatusCode::BAD_REQUEST,
            CODE_BAD_PAGE_SIZE,
            "page size is invalid",
        )
    };
    let size = q.page_size().map_err(|_| bad_size())?;
    paging::page_within(items, scope, size, q.first("page_token"), sizes).map_err(|e| match e {
        PageError::BadSize => bad_size(),
        PageError::BadToken => fail(
            StatusCode::BAD_REQUEST,
            CODE_BAD_PAGE_TOKEN,
            "page token is invalid error",
        ),
    })
}

fn list(items: Vec<Value>, next: Option<String>) -> Value {
    let mut data = Map::new();
    data.insert("has_more".into(), Value::Bool(next.is_some()));
    if let Some(t) = next {
        data.insert("page_token".into(), Value::String(t));
    }
    data.insert("items".into(), Value::Array(items));
    Value::Object(data)
}

// ---- ids and JSON shapes ----

/// `"0"` is the root, whatever its id in the org file.
fn find_dept<'a>(org: &'a Org, id: &str) -> Option<&'a OrgDept> {
    if id == ROOT_ID {
        Some(org.root())
    } else {
        org.dept(id)
    }
}

/// The id a department is shown with.
fn shown_id(org: &Org, id: &str) -> String {
    if id == org.root().id {
        ROOT_ID.to_string()
    } else {
        id.to_string()
    }
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v.into());
    }
}

fn dept_json(org: &Org, d: &OrgDept) -> Value {
    let id = shown_id(org, &d.id);
    let is_root = id == ROOT_ID;
    let mut m = Map::new();
    put(&mut m, "name", d.name.clone());
    m.insert("department_id".into(), id.clone().into());
    m.insert("open_department_id".into(), id.into());
    if !is_root {
        put(
            &mut m,
            "parent_department_id",
            d.parent_id.as_deref().map(|p| shown_id(org, p)),
        );
    }
    put(&mut m, "leader_user_id", d.leader_ids.first().cloned());
    let leaders: Vec<Value> = d
        .leader_ids
        .iter()
        .enumerate()
        .map(|(i, l)| json!({"leaderID": l, "leaderType": if i == 0 { 1 } else { 2 }}))
        .collect();
    m.insert("leaders".into(), Value::Array(leaders));
    put(&mut m, "order", d.order.map(|o| o.to_string()));
    m.insert("member_count".into(), org.members(&d.id).len().into());
    m.insert("status".into(), json!({"is_deleted": false}));
    Value::Object(m)
}

fn status_json(status: UserStatus) -> Value {
    json!({
        "is_frozen": status == UserStatus::Disabled,
        "is_resigned": status == UserStatus::Dimission,
        "is_activated": status != UserStatus::Notactive,
        "is_exited": false,
        "is_unjoin": false,
    })
}

fn user_json(org: &Org, u: &OrgUser) -> Value {
    let mut m = Map::new();
    m.insert("open_id".into(), u.id.clone().into());
    m.insert("union_id".into(), format!("on_{}", u.id).into());
    m.insert("user_id".into(), format!("uid-{}", u.id).into());
    put(&mut m, "name", u.name.clone());
    m.insert("en_name".into(), "".into());
    put(&mut m, "email", u.email.clone());
    put(&mut m, "mobile", u.mobile.clone());
    put(&mut m, "job_title", u.title.clone());
    put(&mut m, "employee_no", u.employee_id.clone());
    m.insert("status".into(), status_json(u.status_or_active()));
    let depts: Vec<Value> = u.dept_ids.iter().map(|d| shown_id(org, d).into()).collect();
    m.insert("department_ids".into(), Value::Array(depts));
    put(&mut m, "leader_user_id", u.leader_id.clone());
    put(&mut m, "city", u.city.clone());
    put(&mut m, "work_station", u.work_place.clone());
    Value::Object(m)
}

// ---- handlers ----

/// A JSON body must be sent as one.
fn json_body(headers: &HeaderMap) -> Result<(), Fail> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    rules::json_content_type(ct).map_err(|e| invalid(&e))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct TokenRequest {
    app_id: Option<String>,
    app_secret: Option<String>,
}

async fn token(State(state): State<Arc<FakeState>>, headers: HeaderMap, body: Bytes) -> Answer {
    json_body(&headers)?;
    let req: TokenRequest = serde_json::from_slice(&body)
        .map_err(|_| fail(StatusCode::BAD_REQUEST, 10003, "invalid param"))?;
    let (Some(id), Some(secret)) = (req.app_id, req.app_secret) else {
        return Err(fail(StatusCode::BAD_REQUEST, 10003, "invalid param"));
    };
    if !state.check_app(&id, &secret) {
        return Err(fail(StatusCode::BAD_REQUEST, 10014, "app secret invalid"));
    }
    let (token, expire) = state.issue_token();
    Ok(axum::Json(json!({
        "code": 0,
        "msg": "ok",
        "tenant_access_token": token,
        "expire": expire,
    }))
    .into_response())
}

async fn department(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    authorize(&state, &headers)?;
    params(raw.as_deref(), &[], &[])?;
    let d = find_dept(&state.org, &id).ok_or_else(dept_not_found)?;
    dept_in_range(&state, &d.id)?;
    Ok(ok(json!({"department": dept_json(&state.org, d)})))
}

async fn children(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    authorize(&state, &headers)?;
    let q = params(
        raw.as_deref(),
        &[],
        &["fetch_child", "page_size", "page_token"],
    )?;
    let recursive = flag(&q, "fetch_child")?;
    let org = &state.org;
    let parent = find_dept(org, &id).ok_or_else(dept_not_found)?;
    dept_in_range(&state, &parent.id)?;
    if recursive && state.opts.no_company_listings {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            99991672,
            "missing permission",
        ));
    }
    let all = if recursive {
        // Every department below, parents first; not the parent itself.
        org.subtree(&parent.id).split_off(1)
    } else {
        org.children(&parent.id)
    };
    let scope = format!("children/{}/{recursive}", parent.id);
    let (slice, next) = page_of(&all, &scope, &q)?;
    let items = slice.iter().map(|d| dept_json(org, d)).collect();
    Ok(ok(list(items, next)))
}

async fn find_by_department(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Answer {
    authorize(&state, &headers)?;
    let q = params(
        raw.as_deref(),
        &[],
        &["department_id", "page_size", "page_token"],
    )?;
    let org = &state.org;
    let id = q
        .first("department_id")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| invalid("department_id"))?;
    let dept = find_dept(org, id).ok_or_else(dept_not_found)?;
    dept_in_range(&state, &dept.id)?;
    let members = org.members(&dept.id);
    let (slice, next) = page_of(&members, &format!("members/{}", dept.id), &q)?;
    let items = slice.iter().map(|u| user_json(org, u)).collect();
    Ok(ok(list(items, next)))
}

async fn user(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    authorize(&state, &headers)?;
    params(raw.as_deref(), &[], &[])?;
    let u = state
        .org
        .user(&id)
        .ok_or_else(|| fail(StatusCode::BAD_REQUEST, 41012, "user id invalid error"))?;
    user_in_range(&state, &u.id)?;
    Ok(ok(json!({"user": user_json(&state.org, u)})))
}

async fn users_batch(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Answer {
    authorize(&state, &headers)?;
    let q = params(raw.as_deref(), &["user_ids"], &[])?;
    let ids = q.all("user_ids");
    rules::count("user_ids", ids.len(), 1, MAX_IDS).map_err(|e| invalid(&e))?;
    let mut seen = HashSet::new();
    let items: Vec<Value> = ids
        .into_iter()
        .filter(|id| seen.insert(*id))
        .filter_map(|id| state.org.user(id))
        .filter(|u| state.user_visible(&u.id))
        .map(|u| user_json(&state.org, u))
        .collect();
    Ok(ok(json!({"items": items})))
}

/// API-NOTES: `emails` and `mobiles` (at most 50 each, at least one of them), and
/// `include_resigned`; nothing else.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct BatchGetIdRequest {
    emails: Vec<String>,
    mobiles: Vec<String>,
    include_resigned: bool,
}

async fn batch_get_id(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Answer {
    authorize(&state, &headers)?;
    // Only `user_id_type` is documented for this call.
    let q = Query::parse(raw.as_deref());
    q.only(&[], &["user_id_type"]).map_err(|e| invalid(&e))?;
    check_id_types(&q)?;
    json_body(&headers)?;
    let req: BatchGetIdRequest =
        serde_json::from_slice(&body).map_err(|e| invalid(&format!("body: {e}")))?;
    if req.emails.len() > MAX_IDS || req.mobiles.len() > MAX_IDS {
        return Err(invalid("emails/mobiles: at most 50 each"));
    }
    if req.emails.is_empty() && req.mobiles.is_empty() {
        return Err(invalid("emails/mobiles"));
    }
    let org = &state.org;
    // Resigned users are reported as unknown unless asked for.
    let visible = |u: &&OrgUser| {
        (req.include_resigned || u.status_or_active() != UserStatus::Dimission)
            && state.user_visible(&u.id)
    };
    let mut rows: Vec<Value> = Vec::new();
    for email in &req.emails {
        let found = org.user_by_email(email).filter(visible);
        rows.push(id_row("email", email, found));
    }
    for mobile in &req.mobiles {
        let found = org
            .users()
            .iter()
            .find(|u| u.mobile.as_deref() == Some(mobile.as_str()))
            .filter(visible);
        rows.push(id_row("mobile", mobile, found));
    }
    Ok(ok(json!({"user_list": rows})))
}

/// One `user_list` row: what was asked, and the open_id when known.
fn id_row(key: &str, asked: &str, found: Option<&OrgUser>) -> Value {
    let mut m = Map::new();
    m.insert(key.to_string(), asked.into());
    if let Some(u) = found {
        m.insert("user_id".into(), u.id.clone().into());
        m.insert("status".into(), status_json(u.status_or_active()));
    }
    Value::Object(m)
}
