//! WPS 365 (API v7) directory client.
//!
//! Every v7 call carries the app's Bearer token and a KSO-1 signature over the request exactly
//! as sent (or WPS-4 for a private deployment's `/graph` calls); the deployment prefixes are
//! part of the URL but not of the signed URI. Each retry attempt is built and signed afresh,
//! since the date header changes, with the token read as it goes out. An answer of HTTP 401
//! is a refused token: the HTTP layer drops it and tries again with a new one.
//!
//! Code 403000001 ("no permission") is `Error::OutOfRange`: outside the app's contact range,
//! which `GET /v7/contacts/permissions_scope?scopes=org` lists.

pub mod config;
mod request;
pub mod sign;
pub mod wire;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use crate::directory::{ContactRange, Directory, ListingNames, Probe, in_order, path_segment};
use crate::error::{Error, Result, ServerReply};
use crate::http::{Credentials, FetchedToken, HttpClient, RawResponse, TokenCache};
use crate::model::{Dept, EmailMatch, Page, User};
use crate::providers::Profile;
use crate::secret::Secret;

use self::config::WpsConfig;
use self::sign::SignInput;
use self::wire::{
    Envelope, ListData, MembersBatchRead, TokenReply, UsersBatchRead, UsersByEmails, WireDept,
    WireMember, WireScope, WireUser,
};

/// Items per listing page (the documented maximum).
pub const PAGE_SIZE: usize = 50;
/// Ids per `users/batch_read` call (the maximum is undocumented).
pub const BATCH_READ_CHUNK: usize = 50;
/// Emails per `users/by_emails` call (documented: 1..=100).
pub const BY_EMAILS_CHUNK: usize = 100;
/// The provider's "not found" code (seen with HTTP 400 and 404).
pub const CODE_NOT_FOUND: i64 = 400_000_004;
/// "No permission": outside the app's contact range (seen with HTTP 403).
pub const CODE_NO_PERMISSION: i64 = 403_000_001;
/// Most ids taken from the contact range: a bound on what a server can make us hold.
const MAX_RANGE_IDS: usize = 100_000;

/// Emails by_emails takes are 1 to 128 characters long (seed 003); a longer one can match
/// nobody, so it is answered as not found without being sent.
pub const MAX_EMAIL_CHARS: usize = 128;
/// The `status` filter of member listings, batch reads and by_emails: the documents allow
/// only these three (at most three values). `dimission` (resigned) appears in user records
/// but is no filter value, so resigned people are not listed by those calls; get-user still
/// shows one whose id is known.
const LISTED_STATUSES: [&str; 3] = ["active", "notactive", "disabled"];
/// Used when the token reply leaves out `expires_in` (the documented public-cloud lifetime).
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(7200);

const JSON: &str = "application/json";
const EP_USERS: &str = "GET /v7/users";
const EP_TOKEN: &str = "POST /oauth2/token";
const FORM: &str = "application/x-www-form-urlencoded";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Kso1,
    Wps4,
}

/// One v7 request, before signing.
struct Call {
    method: Method,
    /// Names the call in errors, e.g. `GET /v7/depts/{id}/children`.
    endpoint: &'static str,
    url: Url,
    /// Path and query as they go on the wire, deployment prefix removed.
    signed_uri: String,
    body: Option<Vec<u8>>,
    scheme: Scheme,
    /// What a "not found" answer is about, e.g. `department "42"`.
    what: String,
}

#[derive(Debug)]
pub struct WpsClient {
    http: HttpClient,
    tokens: TokenCache,
    base_url: String,
    prefixes: WpsConfig,
    app_id: String,
    app_secret: Secret,
    /// The root's id once read: the company-wide user listing is offered below it only.
    root_id: std::sync::OnceLock<String>,
}

impl WpsClient {
    pub fn new(profile: &Profile) -> Result<WpsClient> {
        let base = profile.base_url.trim_end_matches('/').to_string();
        let parsed = Url::parse(&base)
            .map_err(|e| Error::config("profile", format!("base_url {base:?}: {e}")))?;
        if parsed.cannot_be_a_base() || !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::config(
                "profile",
                format!("base_url {base:?} must be an http or https URL"),
            ));
        }
        Ok(WpsClient {
            http: HttpClient::with_secret(&profile.http, &profile.app_secret)?,
            tokens: TokenCache::new(),
            base_url: base,
            prefixes: profile.provider_config.wps(),
            app_id: profile.app_id.clone(),
            app_secret: profile.app_secret.clone(),
            root_id: std::sync::OnceLock::new(),
        })
    }

    // ---- calls ----

    async fn dept_call(&self, call: Call) -> Result<Dept> {
        let d: WireDept = self.send(&call).await?;
        d.into_dept().ok_or_else(|| Error::Protocol {
            endpoint: call.endpoint.into(),
            msg: "the department has no id".into(),
        })
    }

    /// members/batch_read for `ids` of `dept_id`, in chunks.
    async fn hydrate_members(
        &self,
        dept_id: &str,
        ids: &[String],
    ) -> Result<HashMap<String, User>> {
        let mut found: HashMap<String, User> = HashMap::new();
        for chunk in ids.chunks(BATCH_READ_CHUNK) {
            let body = MembersBatchRead {
                status: &LISTED_STATUSES,
                user_ids: chunk,
                with_user_detail: true,
            };
            const EP: &str = "POST /v7/depts/{id}/members/batch_read";
            let call = self.post(
                EP,
                Scheme::Kso1,
                &[
                    "v7",
                    "depts",
                    path_segment(EP, dept_id)?,
                    "members",
                    "batch_read",
                ],
                &body,
                format!("department {dept_id:?}"),
            )?;
            let data: ListData<WireMember> = self.send(&call).await?;
            for m in data.items {
                let fallback = m.user_id.clone();
                if let Some(u) = m
                    .user_info
                    .and_then(|info| info.into_member(dept_id, fallback.as_deref()))
                {
                    found.entry(u.id.clone()).or_insert(u);
                }
            }
        }
        Ok(found)
    }

    /// A call answering a list of full user records (batch read, by email).
    async fn send_for_users(&self, call: &Call) -> Result<Vec<User>> {
        let data: ListData<WireUser> = self.send(call).await?;
        Ok(data
            .items
            .into_iter()
            .filter_map(|u| u.into_full_user(None))
            .collect())
    }

    /// One batch read of at most `BATCH_READ_CHUNK` ids.
    async fn batch_read_chunk(&self, ids: &[String]) -> Result<Vec<User>> {
        let body = UsersBatchRead {
            status: &LISTED_STATUSES,
            user_ids: ids,
            with_dept: true,
        };
        let call = self.post(
            "POST /v7/users/batch_read",
            Scheme::Kso1,
            &["v7", "users", "batch_read"],
            &body,
            "users".into(),
        )?;
        self.send_for_users(&call).await
    }

    async fn by_emails_chunk(&self, emails: &[String]) -> Result<Vec<User>> {
        let body = UsersByEmails {
            emails,
            status: &LISTED_STATUSES,
            with_dept: true,
        };
        let what = "users by email".to_string();
        let call = match self.prefixes.graph_prefix() {
            Some(_) => self.post(
                "POST /graph/v7/users/by_emails",
                Scheme::Wps4,
                &["v7", "users", "by_emails"],
                &body,
                what,
            )?,
            None => self.post(
                "POST /v7/users/by_emails",
                Scheme::Kso1,
                &["v7", "users", "by_emails"],
                &body,
                what,
            )?,
        };
        self.send_for_users(&call).await
    }
}

impl Credentials for WpsClient {
    fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    fn new_token(&self) -> impl Future<Output = Result<FetchedToken>> + Send {
        self.fetch_token()
    }

    /// WPS refuses a token (invalid, expired, missing) with HTTP 401.
    fn token_rejected(&self, resp: &RawResponse) -> Option<ServerReply> {
        (resp.status == 401).then(|| self.read_envelope(resp).1)
    }
}

#[async_trait]
impl Directory for WpsClient {
    fn listing_names(&self) -> ListingNames {
        ListingNames {
            children: "GET /v7/depts/{id}/children",
            members: "GET /v7/depts/{id}/members",
            subtree_depts: "the department listing below",
            subtree_users: EP_USERS,
        }
    }

    async fn root(&self) -> Result<Dept> {
        let call = self.get(
            "GET /v7/depts/root",
            &["v7", "depts", "root"],
            &[],
            "root department".into(),
        )?;
        let root = self.dept_call(call).await?;
        let _ = self.root_id.set(root.id.clone());
        Ok(root)
    }

    /// Below the root only: `GET /v7/users?with_dept=true`, the company's every user (in the
    /// app's range) as full records, 50 a page, where member listings take a request per
    /// department and a batch read per 50 people to fill in leaders and departments.
    /// Departments have no such listing (`recursive` is documented for members only).
    async fn subtree_users(&self, dept_id: &str, page: Option<&str>) -> Result<Option<Page<User>>> {
        if self.root_id.get().is_none_or(|root| root != dept_id) {
            return Ok(None);
        }
        let size = PAGE_SIZE.to_string();
        let query = listing_query(&size, "with_dept", page);
        let call = self.get(EP_USERS, &["v7", "users"], &query, "users".into())?;
        let data: ListData<WireUser> = self.send(&call).await?;
        Ok(Some(Page {
            items: data
                .items
                .into_iter()
                .filter_map(|u| u.into_full_user(None))
                .collect(),
            next_page: data.next_page_token,
            total: data.total.and_then(|t| u64::try_from(t).ok()),
        }))
    }

    async fn dept(&self, id: &str) -> Result<Dept> {
        const EP: &str = "GET /v7/depts/{id}";
        let call = self.get(
            EP,
            &["v7", "depts", path_segment(EP, id)?],
            &[],
            format!("department {id:?}"),
        )?;
        self.dept_call(call).await
    }

    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>> {
        let size = PAGE_SIZE.to_string();
        // The total lets the paging guard stop a listing that runs past it.
        let mut query = vec![("page_size", size.as_str()), ("with_total", "true")];
        if let Some(t) = page.filter(|t| !t.is_empty()) {
            query.push(("page_token", t));
        }
        const EP: &str = "GET /v7/depts/{id}/children";
        let call = self.get(
            EP,
            &["v7", "depts", path_segment(EP, dept_id)?, "children"],
            &query,
            format!("department {dept_id:?}"),
        )?;
        let data: ListData<WireDept> = self.send(&call).await?;
        Ok(Page {
            items: data
                .items
                .into_iter()
                .filter_map(WireDept::into_dept)
                .collect(),
            next_page: data.next_page_token,
            total: data.total.and_then(|t| u64::try_from(t).ok()),
        })
    }

    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>> {
        let size = PAGE_SIZE.to_string();
        let query = listing_query(&size, "with_user_detail", page);
        const EP: &str = "GET /v7/depts/{id}/members";
        let call = self.get(
            EP,
            &["v7", "depts", path_segment(EP, dept_id)?, "members"],
            &query,
            format!("department {dept_id:?}"),
        )?;
        let data: ListData<WireMember> = self.send(&call).await?;

        // Members listed without user_info are read in one batch, then put back in place.
        let mut seen = HashSet::new();
        let mut listed: Vec<(String, Option<WireUser>)> = Vec::with_capacity(data.items.len());
        for m in data.items {
            let Some(id) = m
                .user_id
                .clone()
                .or_else(|| m.user_info.as_ref().and_then(|u| u.id.clone()))
            else {
                continue;
            };
            if seen.insert(id.clone()) {
                listed.push((id, m.user_info));
            }
        }
        let bare: Vec<String> = listed
            .iter()
            .filter(|(_, info)| info.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        let mut hydrated = if bare.is_empty() {
            HashMap::new()
        } else {
            self.hydrate_members(dept_id, &bare).await?
        };
        let items = listed
            .into_iter()
            .map(|(id, info)| {
                info.and_then(|i| i.into_member(dept_id, Some(&id)))
                    .or_else(|| hydrated.remove(&id))
                    // Listed but unreadable: keep the member rather than lose them.
                    .unwrap_or_else(|| User {
                        id: id.clone(),
                        dept_ids: vec![dept_id.to_string()],
                        ..User::default()
                    })
            })
            .collect();
        Ok(Page {
            items,
            next_page: data.next_page_token,
            total: data.total.and_then(|t| u64::try_from(t).ok()),
        })
    }

    async fn user(&self, id: &str) -> Result<User> {
        const EP: &str = "GET /v7/users/{id}";
        let call = self.get(
            EP,
            &["v7", "users", path_segment(EP, id)?],
            &[("with_dept", "true")],
            format!("user {id:?}"),
        )?;
        let u: WireUser = self.send(&call).await?;
        u.into_full_user(Some(id)).ok_or_else(|| Error::Protocol {
            endpoint: call.endpoint.into(),
            msg: "the user has no id".into(),
        })
    }

    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        let mut seen = HashSet::new();
        let wanted: Vec<String> = ids
            .iter()
            .filter(|id| !id.is_empty() && seen.insert(id.as_str()))
            .cloned()
            .collect();
        let calls: Vec<_> = wanted
            .chunks(BATCH_READ_CHUNK)
            .map(|chunk| self.batch_read_chunk(chunk))
            .collect();
        let mut got: Vec<User> = in_order(calls).await?;
        // In the order asked, whatever order the server answered in; anything the server
        // matched some other way (it accepts user names and emails as ids too) goes last.
        let rank: HashMap<&str, usize> = wanted
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let mut out_ids = HashSet::new();
        got.retain(|u| out_ids.insert(u.id.clone()));
        got.sort_by_key(|u| rank.get(u.id.as_str()).copied().unwrap_or(usize::MAX));
        Ok(got)
    }

    async fn probe(&self) -> Result<Option<Probe>> {
        // A token of its own, not the cached one: doctor wants this server's answer now.
        let resp = self.send_token_request().await?;
        let fetched = self.read_token_reply(&resp)?;
        Ok(Some(Probe {
            token_lifetime: fetched.expires_in,
            server_date: super::server_date(&resp),
        }))
    }

    async fn contact_range(&self) -> Result<Option<ContactRange>> {
        let call = self.get(
            "GET /v7/contacts/permissions_scope",
            &["v7", "contacts", "permissions_scope"],
            &[("scopes", "org")],
            "the contact range".into(),
        )?;
        let data: ListData<WireScope> = self.send(&call).await?;
        let mut range = ContactRange::default();
        let (mut seen_depts, mut seen_users) = (HashSet::new(), HashSet::new());
        for item in data.items {
            for (ids, into, seen) in [
                (&item.dept_ids, &mut range.dept_ids, &mut seen_depts),
                (&item.user_ids, &mut range.user_ids, &mut seen_users),
            ] {
                for id in ids.iter().filter_map(wire::scope_id) {
                    if into.len() < MAX_RANGE_IDS && seen.insert(id.clone()) {
                        into.push(id);
                    }
                }
            }
        }
        Ok(Some(range))
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>> {
        let key = |e: &str| e.trim().to_lowercase();
        let mut seen = HashSet::new();
        let unique: Vec<String> = emails
            .iter()
            .map(|e| e.trim().to_string())
            .filter(|e| sendable_email(e) && seen.insert(key(e)))
            .collect();
        let mut by_email: HashMap<String, User> = HashMap::new();
        let calls: Vec<_> = unique
            .chunks(BY_EMAILS_CHUNK)
            .map(|c| self.by_emails_chunk(c))
            .collect();
        let found = in_order(calls).await?;
        for u in found {
            if let Some(e) = u.email.as_deref().map(key) {
                by_email.entry(e).or_insert(u);
            }
        }
        Ok(emails
            .iter()
            .map(|e| EmailMatch {
                email: e.clone(),
                user: by_email.get(&key(e)).cloned(),
            })
            .collect())
    }
}

/// An address by_emails takes: 1 to 128 characters (seed 003).
fn sendable_email(e: &str) -> bool {
    !e.is_empty() && e.chars().count() <= MAX_EMAIL_CHARS
}

/// The query of a listing of people (members, everyone): every listed status, the largest
/// page, the `detail` flag set, the total (which lets the paging guard stop a listing that
/// runs past it), and the page token after the first page.
fn listing_query<'a>(
    size: &'a str,
    detail: &'a str,
    page: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut query: Vec<(&str, &str)> = LISTED_STATUSES.iter().map(|s| ("status", *s)).collect();
    query.extend([
        ("page_size", size),
        (detail, "true"),
        ("with_total", "true"),
    ]);
    if let Some(t) = page.filter(|t| !t.is_empty()) {
        query.push(("page_token", t));
    }
    query
}
