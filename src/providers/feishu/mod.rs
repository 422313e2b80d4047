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
mod map;
mod paths;
mod reply;
mod wire;

use self::map::*;
use self::reply::*;

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
            subtree_depts: "GET /open-apis/contact/v3/departments/{id}/children?fetch_child=true",
            subtree_users: "(no such listing)",
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
        let (items, next_page) = self.departments_below(dept_id, false, page).await?;
        Ok(Page {
            items,
            next_page,
            total: None,
        })
    }

    /// `children?fetch_child=true`: every department below, 50 a page, where the children
    /// listings take a request per department. A server that ignores `fetch_child` answers
    /// with the first level only, which the crawl does not take for the subtree
    /// (`crawl::bulk::departments`).
    async fn subtree_depts(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<Dept>>> {
        let (items, next_page) = self.departments_below(dept_id, true, page).await?;
        Ok(Some(Page {
            items,
            next_page,
            total: None,
        }))
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

#[cfg(test)]
mod tests;
