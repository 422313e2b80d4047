//! The fake server's shared state, which every handler reads: the options (`FakeOptions`), the
//! counters (`FakeStats`), the `Refused` marker a handler puts on a refusal, and `FakeState`:
//! the org, the contact range (`scope.rs`), the issued tokens, the request rate bucket and
//! the failure dice. Also `is_site_root`, the reachability probe both protocols answer.
//! The router and the knobs layer that spends the bucket and the dice are in `server.rs`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::scope::Scope;
use crate::directory::ProviderKind;
use crate::model::Org;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// Which protocol to speak. `Lark` speaks Feishu's.
    pub provider: ProviderKind,
    pub app_id: String,
    pub app_secret: Secret,
    /// Added before every answer.
    pub latency: Duration,
    /// Requests per second before answering 429 (token bucket, burst = rate). `None`: no limit.
    pub rate_limit: Option<f64>,
    /// Probability of answering 500 to any request.
    pub fail_rate: f64,
    /// Deterministic failures: every Nth request gets a 500.
    pub fail_every: Option<u64>,
    /// Every Nth request gets the provider's 429 envelope, whatever the rate.
    pub throttle_every: Option<u64>,
    /// Every Nth request gets a 503 with an HTML body, as a load balancer in front of the
    /// API answers when the backend is down.
    pub unavailable_every: Option<u64>,
    /// Lifetime of issued access tokens.
    pub token_ttl: Duration,
    /// WPS private deployment: the prefix v7 calls are served under (e.g. `/openapi`).
    pub openapi_prefix: String,
    /// WPS private deployment: the prefix WPS-4 signed calls are served under (e.g. `/graph`).
    pub graph_prefix: String,
    /// Seed for the failure dice, so runs repeat.
    pub seed: u64,
    /// Seconds the fake's clock is ahead of the real one (negative: behind): its `Date`
    /// header and the signature date check use the shifted clock (see `clock`).
    pub clock_skew: i64,
    /// The app lacks the email and phone field scopes: user records carry neither.
    pub no_email_scope: bool,
    /// The app's contact range (`--scope`): department ids (with their subtrees) and user
    /// ids. `None`: the whole company (or a contact-range org file's own range).
    pub scope: Option<Vec<String>>,
    /// The app may not use the company-wide listings (`GET /v7/users`; Feishu
    /// `children?fetch_child=true`): they answer the provider's no-permission error (WPS
    /// HTTP 403, 403000001; Feishu HTTP 400, 99991672), as for an app without that grant.
    pub no_company_listings: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            provider: ProviderKind::Wps,
            app_id: "demo-app".into(),
            app_secret: Secret::new("demo-secret"),
            latency: Duration::ZERO,
            rate_limit: None,
            fail_rate: 0.0,
            fail_every: None,
            throttle_every: None,
            unavailable_every: None,
            token_ttl: Duration::from_secs(7200),
            openapi_prefix: String::new(),
            graph_prefix: "/graph".into(),
            seed: 1,
            clock_skew: 0,
            no_email_scope: false,
            scope: None,
            no_company_listings: false,
        }
    }
}

/// What the server has done so far; tests and benchmarks read it.
#[derive(Debug, Default)]
pub struct FakeStats {
    pub requests: AtomicU64,
    pub throttled: AtomicU64,
    pub failed: AtomicU64,
    pub unavailable: AtomicU64,
    pub tokens_issued: AtomicU64,
    pub auth_rejected: AtomicU64,
    /// Requests refused for breaking a documented constraint (an undocumented parameter or
    /// enum value, too many items, a missing required field). A client run that leaves this
    /// at zero sent only what the documents allow.
    pub refused: AtomicU64,
}

/// Marks a response as a refusal of a request the documents do not allow; the knobs layer
/// counts it in `FakeStats::refused`.
#[derive(Debug, Clone, Copy)]
pub struct Refused;

impl FakeStats {
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "throttled": self.throttled.load(Ordering::Relaxed),
            "failed": self.failed.load(Ordering::Relaxed),
            "unavailable": self.unavailable.load(Ordering::Relaxed),
            "tokens_issued": self.tokens_issued.load(Ordering::Relaxed),
            "auth_rejected": self.auth_rejected.load(Ordering::Relaxed),
            "refused": self.refused.load(Ordering::Relaxed),
        })
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug)]
pub struct FakeState {
    pub org: Org,
    pub opts: FakeOptions,
    pub stats: FakeStats,
    /// What the app may read; `None`: everything (see `scope.rs`).
    pub scope: Option<Scope>,
    tokens: Mutex<HashMap<String, Instant>>,
    bucket: Mutex<Bucket>,
    dice: Mutex<fastrand::Rng>,
    token_serial: AtomicU64,
}

impl FakeState {
    pub fn new(org: Org, opts: FakeOptions) -> FakeState {
        let burst = opts.rate_limit.unwrap_or(0.0);
        let seed = opts.seed;
        let org = if opts.no_email_scope {
            org.without_contact_fields()
        } else {
            org
        };
        let scope = Scope::for_options(&org, opts.scope.as_deref());
        FakeState {
            org,
            scope,
            opts,
            stats: FakeStats::default(),
            tokens: Mutex::new(HashMap::new()),
            bucket: Mutex::new(Bucket {
                tokens: burst,
                last: Instant::now(),
            }),
            dice: Mutex::new(fastrand::Rng::with_seed(seed)),
            token_serial: AtomicU64::new(0),
        }
    }

    /// True when `id`/`secret` are this app's credentials.
    pub fn check_app(&self, id: &str, secret: &str) -> bool {
        id == self.opts.app_id && secret == self.opts.app_secret.expose()
    }

    /// Issue a new access token; returns it with its lifetime in seconds.
    pub fn issue_token(&self) -> (String, u64) {
        let n = self.token_serial.fetch_add(1, Ordering::Relaxed);
        let token = format!("t-{n}-{:016x}", fastrand::u64(..));
        let ttl = self.opts.token_ttl;
        let now = Instant::now();
        // A lifetime too long for an Instant (a fake-server option) is as good as forever.
        let expires = now
            .checked_add(ttl)
            .or_else(|| now.checked_add(Duration::from_secs(u64::from(u32::MAX))))
            .unwrap_or(now);
        if let Ok(mut t) = self.tokens.lock() {
            t.insert(token.clone(), expires);
        }
        self.stats.tokens_issued.fetch_add(1, Ordering::Relaxed);
        (token, ttl.as_secs().max(1))
    }

    /// True when `header` is `Bearer <a live token we issued>`.
    pub fn bearer_ok(&self, header: Option<&str>) -> bool {
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
            return false;
        };
        let ok = self
            .tokens
            .lock()
            .map(|t| t.get(token).is_some_and(|exp| Instant::now() < *exp))
            .unwrap_or(false);
        if !ok {
            self.stats.auth_rejected.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Take one request from the rate bucket; false when it is empty.
    pub(super) fn take_rate_token(&self) -> bool {
        let Some(rate) = self.opts.rate_limit.filter(|r| *r > 0.0) else {
            return true;
        };
        let Ok(mut b) = self.bucket.lock() else {
            return true;
        };
        let now = Instant::now();
        let refill = now.duration_since(b.last).as_secs_f64() * rate;
        b.tokens = (b.tokens + refill).min(rate.max(1.0));
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub(super) fn should_fail(&self, serial: u64) -> bool {
        if every(self.opts.fail_every, serial) {
            return true;
        }
        self.opts.fail_rate > 0.0
            && self
                .dice
                .lock()
                .map(|mut d| d.f64() < self.opts.fail_rate)
                .unwrap_or(false)
    }

    /// True when the app may read department `id` (an org id).
    pub fn dept_visible(&self, id: &str) -> bool {
        self.scope.as_ref().is_none_or(|s| s.has_dept(id))
    }

    /// True when the app may read person `id`.
    pub fn user_visible(&self, id: &str) -> bool {
        self.scope.as_ref().is_none_or(|s| s.has_user(id))
    }

    /// What the range endpoints answer (org ids): with no range, the whole company, that
    /// is its root department.
    pub fn granted(&self) -> (Vec<String>, Vec<String>) {
        match &self.scope {
            Some(s) => (s.granted_depts.clone(), s.granted_users.clone()),
            None => (
                self.org
                    .find_root()
                    .map(|r| r.id.clone())
                    .into_iter()
                    .collect(),
                Vec::new(),
            ),
        }
    }
}

/// True when request number `serial` (from 1) is one of every `n`th.
pub(super) fn every(n: Option<u64>, serial: u64) -> bool {
    n.is_some_and(|n| n > 0 && serial.is_multiple_of(n))
}

/// The bare site root (`/`, or a deployment prefix alone such as `/openapi/`): what a
/// reachability check asks for, not an API call.
pub fn is_site_root(path: &str, opts: &FakeOptions) -> bool {
    let p = path.trim_matches('/');
    p.is_empty()
        || [&opts.openapi_prefix, &opts.graph_prefix]
            .iter()
            .any(|prefix| !prefix.trim_matches('/').is_empty() && p == prefix.trim_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(opts: FakeOptions) -> FakeState {
        let org = Org::from_json(super::super::DEMO_ORG_JSON).expect("demo org");
        FakeState::new(org, opts)
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_expire_at_their_lifetime_to_the_millisecond() {
        let st = state(FakeOptions {
            token_ttl: Duration::from_secs(2),
            ..FakeOptions::default()
        });
        let (token, secs) = st.issue_token();
        assert_eq!(secs, 2);
        let header = format!("Bearer {token}");
        assert!(st.bearer_ok(Some(&header)));
        tokio::time::advance(Duration::from_millis(1999)).await;
        assert!(st.bearer_ok(Some(&header)), "still live 1 ms before expiry");
        tokio::time::advance(Duration::from_millis(2)).await;
        assert!(!st.bearer_ok(Some(&header)), "expired 1 ms after");
        assert!(!st.bearer_ok(Some("Bearer not-issued-here")));
        assert!(!st.bearer_ok(None));
    }

    #[test]
    fn every_nth() {
        assert!(every(Some(17), 34));
        assert!(!every(Some(17), 35));
        assert!(!every(Some(0), 10));
        assert!(!every(None, 10));
    }
}
