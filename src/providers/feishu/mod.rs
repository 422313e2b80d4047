//! Feishu / Lark contact v3 client (`open.feishu.cn`, `open.larksuite.com`: same protocol,
//! different hosts).
//!
//! - Auth: a tenant access token from `POST /open-apis/auth/v3/tenant_access_token/internal`,
//!   cached in a `TokenCache` and sent as `Authorization: Bearer`, read as each attempt goes
//!   out. When a call says the token is invalid, expired, malformed or missing (`TOKEN_REJECTED`)
//!   the HTTP layer drops it and tries again with a new one, up to
//!   `http::MAX_TOKEN_REFRESHES` times; then it is `Error::Auth`.
//! - Replies are `{code, msg, data}`. Department / user not found (40015, 41012) are
//!   `Error::NotFound`; outside the app's contact range (40004, 41050) `Error::OutOfRange`;
//!   an invalid page token (40012) is `Error::Protocol`; any other non-zero code is
//!   `Error::Server`.
//! - Feishu gives departments no path, so one is built by walking `parent_department_id` up to
//!   the root (`"0"`) through a cache of (name, parent) that every department read and every
//!   children listing fills. For an app whose contact range does not reach the root, the walk
//!   ends below the first ancestor it may not read, so paths start at the granted department
//!   (`Granted/Sub`). A path is `None` when an ancestor does not exist or the parents form a
//!   loop.
//! - The contact range is `GET /open-apis/contact/v3/scopes`, paged like the listings.
//! - Users are identified by `open_id` (the API's default id type); department ids are
//!   `open_department_id`s. Both id types are asked for explicitly on every call.

pub mod config;
mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use crate::dept_path;
use crate::directory::{
    ContactRange, Directory, ListingNames, PageGuard, Probe, ProviderKind, in_order, path_segment,
};
use crate::error::{Error, Result, ServerReply};
use crate::http::{Credentials, FetchedToken, HttpClient, RawResponse, TokenCache};
use crate::model::{Dept, DeptRef, EmailMatch, Page, User, UserStatus};
use crate::providers::Profile;
use crate::secret::{Scrubber, Secret};

/// The root department's id in every Feishu tenant.
pub const ROOT_ID: &str = "0";

const EP_TOKEN: &str = "POST /open-apis/auth/v3/tenant_access_token/internal";
const EP_DEPT: &str = "GET /open-apis/contact/v3/departments/{id}";
const EP_CHILDREN: &str = "GET /open-apis/contact/v3/departments/{id}/children";
const EP_MEMBERS: &str = "GET /open-apis/contact/v3/users/find_by_department";
const EP_USER: &str = "GET /open-apis/contact/v3/users/{id}";
const EP_USERS_BATCH: &str = "GET /open-apis/contact/v3/users/batch";
const EP_BATCH_GET_ID: &str = "POST /open-apis/contact/v3/users/batch_get_id";
const EP_SCOPES: &str = "GET /open-apis/contact/v3/scopes";

/// The API's maximum for `page_size`, ids per `users/batch` and emails per `batch_get_id`.
const MAX_BATCH: usize = 50;
const PAGE_SIZE: &str = "50";
/// Feishu's tree is at most 25 levels deep; anything longer is a loop in the data.
const MAX_DEPTH: usize = 64;
/// Token lifetime assumed when the server does not say (it says at most two hours).
const DEFAULT_TOKEN_SECS: u64 = 600;

/// Tenant token invalid or expired, token missing, (user) token invalid or expired (two
/// codes), token malformed: fetch a new one and retry.
const TOKEN_REJECTED: [i64; 5] = [99991663, 99991661, 99991668, 99991677, 99991671];
/// Department does not exist, user id invalid.
const GONE: [i64; 2] = [40015, 41012];
/// Department, user outside the app's contact range.
const OUT_OF_RANGE: [i64; 2] = [40004, 41050];
/// The range call's largest page (documented: 1..100).
const SCOPES_PAGE_SIZE: &str = "100";
/// Most ids taken from the range call, and most of its pages: a bound on what a server can
/// make us hold or ask for.
const MAX_RANGE_IDS: usize = 100_000;
const MAX_RANGE_PAGES: usize = 2_000;
const BAD_PAGE_TOKEN: i64 = 40012;

/// What the department cache knows: enough to build paths.
#[derive(Debug, Clone)]
struct Known {
    name: Option<String>,
    parent: Option<String>,
}

pub struct FeishuClient {
    kind: ProviderKind,
    base: Url,
    app_id: String,
    app_secret: Secret,
    http: HttpClient,
    tokens: TokenCache,
    depts: Mutex<HashMap<String, Known>>,
    /// Departments the server said are outside the app's contact range: where path walks
    /// stop, and not asked for again.
    refused: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for FeishuClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeishuClient")
            .field("kind", &self.kind)
            .field("base", &self.base.as_str())
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// One API call: everything needed to build it again for each attempt.
struct Call {
    endpoint: &'static str,
    url: Url,
    body: Option<Value>,
    /// What a not-found answer is about, e.g. `department "od-1"`.
    subject: String,
}

/// How a reply reads once the envelope is open.
enum Reply {
    Data(Value),
    TokenRejected(ServerReply),
    Failed(ServerReply),
}

impl FeishuClient {
    pub fn new(profile: &Profile) -> Result<FeishuClient> {
        if profile.provider == ProviderKind::Wps {
            return Err(Error::config(
                &profile.name,
                "the Feishu client needs a feishu or lark profile",
            ));
        }
        let base = Url::parse(&profile.base_url)
            .ok()
            .filter(|u| !u.cannot_be_a_base())
            .ok_or_else(|| {
                Error::config(
                    &profile.name,
                    format!("base_url {:?} is not a usable URL", profile.base_url),
                )
            })?;
        Ok(FeishuClient {
            kind: profile.provider,
            base,
            app_id: profile.app_id.clone(),
            app_secret: profile.app_secret.clone(),
            http: HttpClient::with_secret(&profile.http, &profile.app_secret)?,
            tokens: TokenCache::new(),
            depts: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashSet::new()),
        })
    }

    /// `{base}/seg/seg?query`, every piece percent-encoded (page tokens carry `/`, `+`, `=`).
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    // ---- token ----

    async fn fetch_token(&self) -> Result<FetchedToken> {
        read_token(&self.send_token_request().await?, self.http.scrubber())
    }

    /// The token request alone, split from `read_token` so that `probe` can also read the
    /// reply's `Date` header.
    async fn send_token_request(&self) -> Result<RawResponse> {
        let url = self.url(
            &["open-apis", "auth", "v3", "tenant_access_token", "internal"],
            &[],
        );
        let body = json!({"app_id": self.app_id, "app_secret": self.app_secret.expose()});
        self.http
            .send(EP_TOKEN, true, |c| c.post(url.clone()).json(&body))
            .await
    }

    // ---- calls ----

    /// Run a call with the token of the moment (the HTTP layer replaces refused ones).
    async fn call(&self, call: &Call) -> Result<Value> {
        let resp = self
            .http
            .send_authed(call.endpoint, true, self, |c, token| {
                let req = match &call.body {
                    Some(body) => c.post(call.url.clone()).json(body),
                    None => c.get(call.url.clone()),
                };
                req.bearer_auth(token.expose())
            })
            .await?;
        // Any field of the error may quote the server.
        let scrub = |e| self.http.scrub_error(e);
        match read_envelope(call.endpoint, &resp, self.http.scrubber()).map_err(scrub)? {
            Reply::Data(data) => Ok(data),
            Reply::Failed(reply) => Err(scrub(classify(call, reply))),
            // `send_authed` never hands back a refusal; should one slip through, it is one.
            Reply::TokenRejected(reply) => Err(Error::Auth {
                endpoint: call.endpoint.to_string(),
                reply,
            }),
        }
    }

    async fn call_as<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let data = self.call(call).await?;
        decode(call.endpoint, data).map_err(|e| self.http.scrub_error(e))
    }

    fn get_call(&self, endpoint: &'static str, url: Url, subject: String) -> Call {
        Call {
            endpoint,
            url,
            body: None,
            subject,
        }
    }

    // ---- departments and the path cache ----

    async fn get_department(&self, id: &str) -> Result<wire::Department> {
        require_id("department", id)?;
        let url = self.url(
            &[
                "open-apis",
                "contact",
                "v3",
                "departments",
                path_segment(EP_DEPT, id)?,
            ],
            &ID_TYPES,
        );
        let call = self.get_call(EP_DEPT, url, format!("department {id:?}"));
        let data: wire::DeptData = self.call_as(&call).await?;
        let d = data.department.ok_or_else(|| Error::Protocol {
            endpoint: EP_DEPT.into(),
            msg: "the reply has no department".into(),
        })?;
        self.remember(id, &d, None);
        Ok(d)
    }

    /// Cache what `d` says about department `id`; `listed_under` is the parent it was listed
    /// under, when it came from a children listing that left its parent out.
    fn remember(&self, id: &str, d: &wire::Department, listed_under: Option<&str>) {
        let parent = parent_of(id, d.parent_department_id.as_deref())
            .or_else(|| listed_under.map(str::to_string));
        let known = Known {
            name: nonempty(d.name.as_deref()),
            parent,
        };
        self.cache().insert(id.to_string(), known);
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Known>> {
        // A poisoned lock only means another task panicked mid-insert: the map is still usable.
        self.depts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn refused(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.refused.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached entry for `id`, fetching it once when unknown. `None` when the server will
    /// not show it (not found, or outside the app's contact range: then `is_refused`).
    async fn known(&self, id: &str) -> Result<Option<Known>> {
        if let Some(k) = self.cache().get(id).cloned() {
            return Ok(Some(k));
        }
        if self.is_refused(id) {
            return Ok(None);
        }
        if let Some(why) = crate::directory::unusable_segment(id) {
            // A parent id no request can name: the path ends there, the listing goes on.
            crate::log::warn(&format!("feishu: department id {id:?} is unusable: {why}"));
            return Ok(None);
        }
        match self.get_department(id).await {
            Ok(_) => Ok(self.cache().get(id).cloned()),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(Error::OutOfRange { .. }) => {
                self.refused().insert(id.to_string());
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn is_refused(&self, id: &str) -> bool {
        self.refused().contains(id)
    }

    /// Names from the root down to `id`, joined with `/` and cut to
    /// `dept_path::MAX_PATH_BYTES` (every child of a page shares its parent's path, so an
    /// ancestor's long name would otherwise be copied into each). The root's name is left
    /// out when the tenant gives it none.
    async fn path(&self, id: &str) -> Result<Option<String>> {
        let mut names = Vec::new();
        let mut seen = HashSet::new();
        let mut cur = id.to_string();
        for _ in 0..MAX_DEPTH {
            if !seen.insert(cur.clone()) {
                crate::log::warn(&format!("feishu: department parents loop at {cur:?}"));
                return Ok(None);
            }
            let Some(known) = self.known(&cur).await? else {
                // An ancestor outside the contact range: the path starts below it.
                if cur != id && self.is_refused(&cur) && !names.is_empty() {
                    names.reverse();
                    return Ok(Some(dept_path::cap(names.join("/"))));
                }
                return Ok(None);
            };
            let is_root = cur == ROOT_ID;
            match (known.name, is_root) {
                (Some(name), _) => names.push(name),
                (None, true) => {}
                (None, false) => return Ok(None),
            }
            match known.parent {
                Some(parent) if !is_root => cur = parent,
                _ => {
                    names.reverse();
                    return Ok(Some(dept_path::cap(names.join("/"))));
                }
            }
        }
        crate::log::warn(&format!("feishu: department {id:?} is nested too deep"));
        Ok(None)
    }

    async fn dept_ref(&self, id: &str) -> Result<DeptRef> {
        let name = self.known(id).await?.and_then(|k| k.name);
        Ok(DeptRef {
            id: id.to_string(),
            name,
            path: self.path(id).await?,
        })
    }

    /// Fill each user's `depts` from `dept_ids`: cached departments cost nothing, unknown ones
    /// one request each.
    async fn fill_depts(&self, users: &mut [User]) -> Result<()> {
        let mut refs: HashMap<String, DeptRef> = HashMap::new();
        for u in users.iter() {
            for id in &u.dept_ids {
                if !refs.contains_key(id) {
                    let r = self.dept_ref(id).await?;
                    refs.insert(id.clone(), r);
                }
            }
        }
        for u in users.iter_mut() {
            u.depts = u
                .dept_ids
                .iter()
                .filter_map(|id| refs.get(id).cloned())
                .collect();
        }
        Ok(())
    }

    // ---- users ----

    /// One chunk of `users/batch` (at most 50 ids), departments not filled.
    async fn batch_chunk(&self, ids: &[&str]) -> Result<Vec<User>> {
        let mut query: Vec<(&str, &str)> = ids.iter().map(|id| ("user_ids", *id)).collect();
        query.extend(ID_TYPES);
        let url = self.url(&["open-apis", "contact", "v3", "users", "batch"], &query);
        let call = self.get_call(EP_USERS_BATCH, url, "users".into());
        match self.call_as::<wire::UserList>(&call).await {
            Ok(list) => Ok(map_users(list.items, EP_USERS_BATCH)),
            // Users outside the range are documented as dropped, but should the server reject
            // the whole batch over one id instead, ask one by one and leave that one out.
            Err(Error::NotFound { .. } | Error::OutOfRange { .. }) => self.one_by_one(ids).await,
            Err(e) => Err(e),
        }
    }

    async fn one_by_one(&self, ids: &[&str]) -> Result<Vec<User>> {
        let mut out = Vec::new();
        for id in ids {
            match self.get_user(id).await {
                Ok(u) => out.push(u),
                Err(Error::NotFound { .. } | Error::OutOfRange { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn get_user(&self, id: &str) -> Result<User> {
        require_id("user", id)?;
        let url = self.url(
            &[
                "open-apis",
                "contact",
                "v3",
                "users",
                path_segment(EP_USER, id)?,
            ],
            &ID_TYPES,
        );
        let call = self.get_call(EP_USER, url, format!("user {id:?}"));
        let data: wire::UserData = self.call_as(&call).await?;
        let user = data.user.ok_or_else(|| Error::Protocol {
            endpoint: EP_USER.into(),
            msg: "the reply has no user".into(),
        })?;
        // The id asked for stands in when the server leaves the id fields out.
        map_user(user, Some(id)).ok_or_else(|| Error::not_found(format!("user {id:?}")))
    }

    /// `batch_get_id` for up to 50 emails: lower-cased email → open_id, known ones only.
    async fn ids_for_emails(&self, emails: &[&str]) -> Result<HashMap<String, String>> {
        let url = self.url(
            &["open-apis", "contact", "v3", "users", "batch_get_id"],
            &[("user_id_type", "open_id")],
        );
        let call = Call {
            endpoint: EP_BATCH_GET_ID,
            url,
            body: Some(json!({"emails": emails, "include_resigned": true})),
            subject: "emails".into(),
        };
        let data: wire::BatchGetIdData = self.call_as(&call).await?;
        Ok(data
            .user_list
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let id = nonempty(m.user_id.as_deref())?;
                let email = nonempty(m.email.as_deref())?;
                Some((email.trim().to_lowercase(), id))
            })
            .collect())
    }
}

/// Ask for open ids and open department ids explicitly: they are the defaults today, and the
/// client's ids must not change meaning if a default ever does.
const ID_TYPES: [(&str, &str); 2] = [
    ("user_id_type", "open_id"),
    ("department_id_type", "open_department_id"),
];

#[async_trait]
impl Directory for FeishuClient {
    fn listing_names(&self) -> ListingNames {
        ListingNames {
            children: "GET /open-apis/contact/v3/departments/{id}/children",
            members: "GET /open-apis/contact/v3/users/find_by_department",
        }
    }

    async fn root(&self) -> Result<Dept> {
        self.dept(ROOT_ID).await
    }

    async fn dept(&self, id: &str) -> Result<Dept> {
        let wire = self.get_department(id).await?;
        let mut dept = map_dept(wire, id);
        dept.path = self.path(id).await?;
        Ok(dept)
    }

    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>> {
        require_id("department", dept_id)?;
        let mut query = vec![("fetch_child", "false"), ("page_size", PAGE_SIZE)];
        query.extend(page.filter(|p| !p.is_empty()).map(|p| ("page_token", p)));
        query.extend(ID_TYPES);
        let url = self.url(
            &[
                "open-apis",
                "contact",
                "v3",
                "departments",
                path_segment(EP_CHILDREN, dept_id)?,
                "children",
            ],
            &query,
        );
        let call = self.get_call(EP_CHILDREN, url, format!("department {dept_id:?}"));
        let list: wire::ListData<wire::Department> = self.call_as(&call).await?;
        let next_page = next_page(list.has_more, list.page_token);
        let mut items = Vec::new();
        for d in list.items.unwrap_or_default() {
            let Some(id) = dept_id_of(&d) else {
                crate::log::debug("feishu: skipped a child department without an id");
                continue;
            };
            self.remember(&id, &d, Some(dept_id));
            let mut dept = map_dept(d, &id);
            dept.parent_id = dept.parent_id.or_else(|| Some(dept_id.to_string()));
            items.push(dept);
        }
        // Every child of one page shares the parent's path: compute it once.
        let parent_path = match items.is_empty() {
            true => None,
            false => self.path(dept_id).await?,
        };
        for d in &mut items {
            d.path = match (&parent_path, &d.name) {
                (Some(p), Some(n)) if p.is_empty() => Some(dept_path::child_path(None, n)),
                (Some(p), Some(n)) => Some(dept_path::child_path(Some(p), n)),
                _ => None,
            };
        }
        Ok(Page {
            items,
            next_page,
            total: None,
        })
    }

    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>> {
        require_id("department", dept_id)?;
        let mut query = vec![("department_id", dept_id), ("page_size", PAGE_SIZE)];
        query.extend(page.filter(|p| !p.is_empty()).map(|p| ("page_token", p)));
        query.extend(ID_TYPES);
        let url = self.url(
            &["open-apis", "contact", "v3", "users", "find_by_department"],
            &query,
        );
        let call = self.get_call(EP_MEMBERS, url, format!("department {dept_id:?}"));
        let list: wire::ListData<wire::User> = self.call_as(&call).await?;
        let next_page = next_page(list.has_more, list.page_token);
        let mut items = map_users(list.items, EP_MEMBERS);
        self.fill_depts(&mut items).await?;
        Ok(Page {
            items,
            next_page,
            total: None,
        })
    }

    async fn user(&self, id: &str) -> Result<User> {
        let mut user = self.get_user(id).await?;
        self.fill_depts(std::slice::from_mut(&mut user)).await?;
        Ok(user)
    }

    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        let mut seen = HashSet::new();
        let wanted: Vec<&str> = ids
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && seen.insert(*s))
            .collect();
        let mut found: HashMap<String, User> = HashMap::new();
        let calls: Vec<_> = wanted
            .chunks(MAX_BATCH)
            .map(|c| self.batch_chunk(c))
            .collect();
        for u in in_order(calls).await? {
            found.entry(u.id.clone()).or_insert(u);
        }
        // Answer in the order asked, whatever order the server used.
        let mut out: Vec<User> = wanted.iter().filter_map(|id| found.remove(*id)).collect();
        self.fill_depts(&mut out).await?;
        Ok(out)
    }

    async fn probe(&self) -> Result<Option<Probe>> {
        // A token of its own, not the cached one: doctor wants this server's answer now.
        let resp = self.send_token_request().await?;
        let fetched = read_token(&resp, self.http.scrubber())?;
        Ok(Some(Probe {
            token_lifetime: fetched.expires_in,
            server_date: super::server_date(&resp),
        }))
    }

    async fn contact_range(&self) -> Result<Option<ContactRange>> {
        let mut range = ContactRange::default();
        let mut guard = PageGuard::default();
        let mut token: Option<String> = None;
        let (mut seen_depts, mut seen_users) = (HashSet::new(), HashSet::new());
        for _ in 0..MAX_RANGE_PAGES {
            let mut query = vec![("page_size", SCOPES_PAGE_SIZE)];
            query.extend(token.as_deref().map(|t| ("page_token", t)));
            query.extend(ID_TYPES);
            let url = self.url(&["open-apis", "contact", "v3", "scopes"], &query);
            let call = self.get_call(EP_SCOPES, url, "the contact range".into());
            let data: wire::ScopesData = self.call_as(&call).await?;
            let next = next_page(data.has_more, data.page_token);
            take_ids(&mut range.dept_ids, &mut seen_depts, data.department_ids);
            take_ids(&mut range.user_ids, &mut seen_users, data.user_ids);
            token = guard.next(EP_SCOPES, next)?;
            if token.is_none() {
                return Ok(Some(range));
            }
        }
        Err(protocol(EP_SCOPES, "the contact range did not end"))
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>> {
        let mut seen = HashSet::new();
        let wanted: Vec<&str> = emails
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty() && seen.insert(e.to_lowercase()))
            .collect();
        let mut ids_by_email: HashMap<String, String> = HashMap::new();
        let calls: Vec<_> = wanted
            .chunks(MAX_BATCH)
            .map(|c| async move { Ok(Vec::from_iter(self.ids_for_emails(c).await?)) })
            .collect();
        ids_by_email.extend(in_order(calls).await?);
        let ids: Vec<String> = ids_by_email.values().cloned().collect();
        let users: HashMap<String, User> = self
            .users(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        Ok(emails
            .iter()
            .map(|email| EmailMatch {
                email: email.clone(),
                user: ids_by_email
                    .get(&email.trim().to_lowercase())
                    .and_then(|id| users.get(id))
                    .cloned(),
            })
            .collect())
    }
}

impl Credentials for FeishuClient {
    fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    fn new_token(&self) -> impl Future<Output = Result<FetchedToken>> + Send {
        self.fetch_token()
    }

    /// A `TOKEN_REJECTED` code (Feishu sends them with HTTP 400 or 401), or a 401 without one.
    fn token_rejected(&self, resp: &RawResponse) -> Option<ServerReply> {
        // The endpoint only names protocol errors, and those are not refusals.
        match read_envelope("", resp, self.http.scrubber()) {
            Ok(Reply::TokenRejected(reply)) => Some(reply),
            _ => None,
        }
    }
}

// ---- reading replies ----

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Statuses that mean "the server is in trouble" rather than "your credentials are wrong".
fn is_server_trouble(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The token reply; a message that echoes a secret the client knows has it cut out.
fn read_token(resp: &RawResponse, secret: &Scrubber) -> Result<FetchedToken> {
    let parsed: Option<wire::TokenReply> = serde_json::from_slice(&resp.body).ok();
    let reply = ServerReply {
        status: Some(resp.status),
        code: parsed.as_ref().and_then(|r| r.code),
        msg: parsed
            .as_ref()
            .and_then(|r| r.msg.as_deref())
            .map(|m| secret.scrub(m)),
    };
    let failed = !is_success(resp.status) || reply.code.is_some_and(|c| c != 0);
    if failed && is_server_trouble(resp.status) {
        return Err(Error::Server {
            endpoint: EP_TOKEN.into(),
            reply,
        });
    }
    if failed {
        return Err(Error::Auth {
            endpoint: EP_TOKEN.into(),
            reply,
        });
    }
    let Some(parsed) = parsed else {
        return Err(protocol(EP_TOKEN, "the reply is not the expected JSON"));
    };
    let token = nonempty(parsed.tenant_access_token.as_deref())
        .ok_or_else(|| protocol(EP_TOKEN, "the reply has no tenant_access_token"))?;
    let secs = parsed
        .expire
        .and_then(|s| u64::try_from(s).ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_TOKEN_SECS);
    Ok(FetchedToken {
        token: Secret::new(token),
        expires_in: crate::http::bounded_lifetime(Duration::from_secs(secs)),
    })
}

/// The envelope of a reply; a message that echoes a secret the client knows has it cut out.
fn read_envelope(endpoint: &str, resp: &RawResponse, secret: &Scrubber) -> Result<Reply> {
    let status = resp.status;
    let env = match serde_json::from_slice::<wire::Envelope>(&resp.body) {
        Ok(env) => env,
        Err(e) => return unreadable(endpoint, status, &e),
    };
    let reply = ServerReply {
        status: Some(status),
        code: env.code,
        msg: env.msg.as_deref().map(|m| secret.scrub(m)),
    };
    Ok(match reply.code {
        Some(c) if TOKEN_REJECTED.contains(&c) => Reply::TokenRejected(reply),
        None if status == 401 => Reply::TokenRejected(reply),
        Some(0) if is_success(status) => Reply::Data(env.data.unwrap_or(Value::Null)),
        None if is_success(status) => {
            return Err(protocol(endpoint, "the reply has no code"));
        }
        _ => Reply::Failed(reply),
    })
}

/// A body that is not the JSON envelope: a garbled success is a protocol error, a garbled
/// failure (an HTML error page from a proxy) is reported by its status.
fn unreadable(endpoint: &str, status: u16, e: &serde_json::Error) -> Result<Reply> {
    let reply = crate::http::reply_from_status(status);
    if is_success(status) {
        Err(protocol(endpoint, &format!("the reply is not JSON: {e}")))
    } else if status == 401 {
        Ok(Reply::TokenRejected(reply))
    } else {
        Ok(Reply::Failed(reply))
    }
}

fn classify(call: &Call, reply: ServerReply) -> Error {
    match reply.code {
        Some(c) if GONE.contains(&c) => Error::not_found(format!("{} ({reply})", call.subject)),
        Some(c) if OUT_OF_RANGE.contains(&c) => Error::OutOfRange {
            what: call.subject.clone(),
            reply,
        },
        Some(BAD_PAGE_TOKEN) => Error::Protocol {
            endpoint: call.endpoint.to_string(),
            msg: format!("the server rejected the page token ({reply}); start the listing again"),
        },
        _ => Error::Server {
            endpoint: call.endpoint.to_string(),
            reply,
        },
    }
}

fn decode<T: DeserializeOwned>(endpoint: &str, data: Value) -> Result<T> {
    // A success without `data` reads as an empty object, so every field takes its default.
    let data = match data {
        Value::Null => Value::Object(Default::default()),
        other => other,
    };
    serde_json::from_value(data)
        .map_err(|e| protocol(endpoint, &format!("unexpected data in the reply: {e}")))
}

fn protocol(endpoint: &str, msg: &str) -> Error {
    Error::Protocol {
        endpoint: endpoint.to_string(),
        msg: msg.to_string(),
    }
}

// ---- mapping ----

/// An empty id would address a different endpoint (`users/` is not `users/{id}`): nothing
/// has that id.
fn require_id(what: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::not_found(format!("{what} with an empty id")));
    }
    Ok(())
}

/// Feishu sends `""` for "none".
fn nonempty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty()).map(str::to_string)
}

/// The parent as the model wants it: none for the root itself.
fn parent_of(id: &str, parent: Option<&str>) -> Option<String> {
    if id == ROOT_ID {
        return None;
    }
    nonempty(parent)
}

fn dept_id_of(d: &wire::Department) -> Option<String> {
    nonempty(d.open_department_id.as_deref()).or_else(|| nonempty(d.department_id.as_deref()))
}

/// `id` is the id the department was asked for (or listed with): it is what the caller uses
/// to come back to it, whatever id fields the reply carries.
fn map_dept(d: wire::Department, id: &str) -> Dept {
    Dept {
        id: id.to_string(),
        name: nonempty(d.name.as_deref()),
        parent_id: parent_of(id, d.parent_department_id.as_deref()),
        path: None,
        order: parse_order(d.order.as_ref()),
        leader_ids: leader_ids(d.leader_user_id, d.leaders),
        member_count: d.member_count.and_then(|n| u64::try_from(n).ok()),
    }
}

/// `order` is documented as a string of digits; take a number too.
fn parse_order(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// The main leader first (`leader_user_id`, then `leaders` of type 1), then deputies; once
/// each.
fn leader_ids(main: Option<String>, leaders: Option<Vec<wire::Leader>>) -> Vec<String> {
    let mut leaders = leaders.unwrap_or_default();
    leaders.sort_by_key(|l| l.leader_type != Some(1));
    let candidates = std::iter::once(main).chain(leaders.into_iter().map(|l| l.leader_id));
    crate::model::distinct_ids(candidates.flatten())
}

fn map_status(s: &wire::UserStatus) -> UserStatus {
    // Departure outranks a freeze, a freeze outranks "not yet joined".
    if s.is_resigned == Some(true) || s.is_exited == Some(true) {
        UserStatus::Dimission
    } else if s.is_frozen == Some(true) {
        UserStatus::Disabled
    } else if s.is_activated == Some(false) || s.is_unjoin == Some(true) {
        UserStatus::Notactive
    } else {
        UserStatus::Active
    }
}

/// A wire user in the model; `None` when it has no id at all (and none was asked for).
fn map_user(u: wire::User, fallback_id: Option<&str>) -> Option<User> {
    let id = nonempty(u.open_id.as_deref())
        .or_else(|| nonempty(u.user_id.as_deref()))
        .or_else(|| nonempty(fallback_id))?;
    let dept_ids = crate::model::distinct_ids(u.department_ids.unwrap_or_default());
    Some(User {
        id,
        name: nonempty(u.name.as_deref()),
        email: nonempty(u.email.as_deref()).or_else(|| nonempty(u.enterprise_email.as_deref())),
        mobile: nonempty(u.mobile.as_deref()),
        title: nonempty(u.job_title.as_deref()),
        employee_id: nonempty(u.employee_no.as_deref()),
        status: u.status.as_ref().map(map_status),
        leader_id: nonempty(u.leader_user_id.as_deref()),
        dept_ids,
        depts: Vec::new(),
        city: nonempty(u.city.as_deref()),
        work_place: nonempty(u.work_station.as_deref()),
    })
}

fn map_users(items: Option<Vec<wire::User>>, endpoint: &str) -> Vec<User> {
    let items = items.unwrap_or_default();
    let total = items.len();
    let users: Vec<User> = items
        .into_iter()
        .filter_map(|u| map_user(u, None))
        .collect();
    if users.len() < total {
        crate::log::debug(&format!(
            "feishu: {endpoint}: skipped {} users without an id",
            total.saturating_sub(users.len())
        ));
    }
    users
}

/// Append the non-empty ids of `got` not seen before, up to `MAX_RANGE_IDS` in all.
fn take_ids(into: &mut Vec<String>, seen: &mut HashSet<String>, got: Option<Vec<String>>) {
    for id in got.unwrap_or_default() {
        if into.len() >= MAX_RANGE_IDS {
            crate::log::warn("feishu: the contact range lists too many ids; the rest are left out");
            return;
        }
        if let Some(id) = nonempty(Some(&id))
            && seen.insert(id.clone())
        {
            into.push(id);
        }
    }
}

/// The next page token: none when the server says there is no more, or gives no token.
fn next_page(has_more: Option<bool>, token: Option<String>) -> Option<String> {
    if has_more != Some(true) {
        return None;
    }
    token.filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leader(id: &str, t: i64) -> wire::Leader {
        wire::Leader {
            leader_id: Some(id.into()),
            leader_type: Some(t),
        }
    }

    #[test]
    fn leaders_main_first_without_repeats() {
        let got = leader_ids(
            Some("a".into()),
            Some(vec![
                leader("b", 2),
                leader("a", 1),
                leader("c", 1),
                leader("", 2),
            ]),
        );
        assert_eq!(got, ["a", "c", "b"]);
        let got = leader_ids(
            Some(String::new()),
            Some(vec![leader("d", 2), leader("e", 1)]),
        );
        assert_eq!(got, ["e", "d"]);
    }

    #[test]
    fn status_flags_map_to_one_status() {
        let s = |frozen, resigned, activated| wire::UserStatus {
            is_frozen: Some(frozen),
            is_resigned: Some(resigned),
            is_activated: Some(activated),
            ..Default::default()
        };
        assert_eq!(map_status(&s(false, false, true)), UserStatus::Active);
        assert_eq!(map_status(&s(true, false, true)), UserStatus::Disabled);
        assert_eq!(map_status(&s(true, true, true)), UserStatus::Dimission);
        assert_eq!(map_status(&s(false, false, false)), UserStatus::Notactive);
        assert_eq!(map_status(&wire::UserStatus::default()), UserStatus::Active);
    }

    #[test]
    fn user_ids_and_fallbacks() {
        let u: wire::User = serde_json::from_value(json!({
            "open_id": "", "user_id": "uid", "email": "", "enterprise_email": "e@x",
            "department_ids": ["d1", "d1", ""], "leader_user_id": "", "extra": {"x": 1},
            "status": null
        }))
        .unwrap();
        let u = map_user(u, None).unwrap();
        assert_eq!(u.id, "uid");
        assert_eq!(u.email.as_deref(), Some("e@x"));
        assert_eq!(u.dept_ids, ["d1"]);
        assert_eq!(u.leader_id, None);
        assert_eq!(u.status, None);
        assert!(map_user(wire::User::default(), None).is_none());
    }

    #[test]
    fn order_and_paging() {
        assert_eq!(parse_order(Some(&json!("100"))), Some(100));
        assert_eq!(parse_order(Some(&json!(7))), Some(7));
        assert_eq!(parse_order(Some(&json!("x"))), None);
        assert_eq!(
            next_page(Some(true), Some("a/b+=".into())),
            Some("a/b+=".into())
        );
        assert_eq!(next_page(Some(true), Some(String::new())), None);
        assert_eq!(next_page(Some(false), Some("a".into())), None);
        assert_eq!(next_page(None, Some("a".into())), None);
    }

    #[test]
    fn root_has_no_parent() {
        let d: wire::Department = serde_json::from_value(
            json!({"name": "Acme", "parent_department_id": "", "order": "0"}),
        )
        .unwrap();
        let d = map_dept(d, ROOT_ID);
        assert_eq!(d.parent_id, None);
        assert_eq!(d.order, Some(0));
    }
}
