// TODO(issue 9 lint pass): remove once this file is fixed
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
//! The one HTTP layer every provider uses: timeouts, a client-side rate limit, a bound on
//! requests in flight, retries with exponential backoff and jitter for idempotent reads, and
//! the access token's lifecycle. Providers build and sign each attempt themselves (the
//! signature date changes per attempt), so `send` and `send_authed` take a closure that
//! builds a fresh request.
//!
//! An authenticated attempt reads the token only once it holds its in-flight permit and its
//! rate-limit slot, right before it goes out: a token cannot expire while the request queues,
//! and every retry (after a 429, a 5xx, a timeout) reads it again. When the server refuses the
//! token (each provider says what a refusal looks like), the token is dropped and the call
//! tried again with a new one, as long as each refresh brings a different token, at most
//! `MAX_TOKEN_REFRESHES` times.

mod limit;
mod token;

pub use limit::RateLimiter;
pub use token::{Credentials, FetchedToken, TokenCache, bounded_lifetime};

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::error::{Error, Result, ServerReply};
use crate::secret::Secret;

/// How many times one call may replace a refused token before it is an authentication
/// failure: enough to outlast tokens expiring under a slow call, few enough that a server
/// refusing every token fails fast.
pub const MAX_TOKEN_REFRESHES: usize = 3;

/// How a client behaves on the wire; one per profile.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Requests per second, client side. `None` or zero: unlimited.
    pub rate_limit: Option<f64>,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub retry: RetryPolicy,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            rate_limit: None,
            concurrency: 8,
            retry: RetryPolicy::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Full-jitter exponential backoff: a random delay up to base * 2^attempt, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let half = ceiling / 2;
        // Half fixed, half random: never zero, so a burst of failures still spreads out.
        half + half.mul_f64(fastrand::f64())
    }
}

/// A response as received: status, headers and the raw body bytes.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    limiter: Arc<RateLimiter>,
    in_flight: Arc<tokio::sync::Semaphore>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    pub fn new(opts: &HttpOptions) -> Result<HttpClient> {
        let client = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.request_timeout)
            .user_agent(concat!("orgtui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Io(format!("cannot set up the HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            limiter: Arc::new(RateLimiter::new(opts.rate_limit)),
            in_flight: Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1))),
            retry: opts.retry.clone(),
        })
    }

    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// Send a request built by `build`, once per attempt, without a token (token fetches).
    /// `endpoint` names the call in errors (e.g. `POST /oauth2/token`). Idempotent requests
    /// are retried on 429, 5xx, timeouts and connection failures; any other answer is
    /// returned as is for the provider to interpret.
    ///
    /// It takes a rate-limit slot but no in-flight permit: a token fetch runs while an
    /// authenticated attempt holds its permit waiting for the token, so with every permit
    /// held by such waiters, asking for one more would never get it.
    pub async fn send<F>(&self, endpoint: &str, idempotent: bool, build: F) -> Result<RawResponse>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let mut retries = 0u32;
        loop {
            self.limiter.wait().await;
            let outcome = self.exchange(build(&self.client)).await;
            if let Some(done) = self
                .settle(endpoint, idempotent, &mut retries, outcome)
                .await
            {
                return done;
            }
        }
    }

    /// Like `send`, with `creds`' access token: `build` gets the token each attempt reads
    /// when it goes out. A response `creds` calls a token refusal drops that token and the
    /// call is tried again with a new one (see `MAX_TOKEN_REFRESHES`); it is never returned:
    /// when refreshing stops helping the call fails with `Error::Auth` naming `endpoint`.
    pub async fn send_authed<C, F>(
        &self,
        endpoint: &str,
        idempotent: bool,
        creds: &C,
        build: F,
    ) -> Result<RawResponse>
    where
        C: Credentials,
        F: Fn(&reqwest::Client, &Secret) -> reqwest::RequestBuilder,
    {
        let mut retries = 0u32;
        let mut refusals = Refusals::default();
        loop {
            let (token, outcome) = match self.authed_attempt(creds, &refusals, &build).await? {
                Some(sent) => sent,
                // The refresh brought back a token the server already refused.
                None => return Err(refusals.into_error(endpoint)),
            };
            if let Ok(resp) = &outcome
                && let Some(reply) = creds.token_rejected(resp)
            {
                creds.tokens().invalidate(&token).await;
                refusals.add(token, reply);
                if refusals.exhausted() {
                    return Err(refusals.into_error(endpoint));
                }
                crate::log::debug(&format!(
                    "{endpoint}: the server refused the access token, fetching a new one \
                     (refresh {})",
                    refusals.count()
                ));
                continue;
            }
            if let Some(done) = self
                .settle(endpoint, idempotent, &mut retries, outcome)
                .await
            {
                return done;
            }
        }
    }

    /// One authenticated attempt: the permit, the rate-limit slot, then the token (fetched
    /// here when the cache has none fresh), then the request. `None`, sending nothing, when
    /// the token is one the server already refused during this call.
    async fn authed_attempt<C, F>(
        &self,
        creds: &C,
        refusals: &Refusals,
        build: &F,
    ) -> Result<Option<(Secret, Outcome)>>
    where
        C: Credentials,
        F: Fn(&reqwest::Client, &Secret) -> reqwest::RequestBuilder,
    {
        // The permit bounds requests in flight; the limiter spaces their starts.
        let _permit = self.in_flight.acquire().await;
        self.limiter.wait().await;
        let token = creds.tokens().get(|| creds.new_token()).await?;
        if refusals.contains(&token) {
            return Ok(None);
        }
        let outcome = self.exchange(build(&self.client, &token)).await;
        Ok(Some((token, outcome)))
    }

    /// After an attempt: `None` once it has waited to try again (counted in `retries`), else
    /// the call's result.
    async fn settle(
        &self,
        endpoint: &str,
        idempotent: bool,
        retries: &mut u32,
        outcome: Outcome,
    ) -> Option<Result<RawResponse>> {
        match self.retry_wait(idempotent, *retries, &outcome) {
            Some(wait) => {
                tracing_note(endpoint, *retries, wait, &outcome);
                tokio::time::sleep(wait).await;
                *retries += 1;
                None
            }
            None => Some(finish(endpoint, outcome)),
        }
    }

    /// How long to wait before trying again, or `None` when `outcome` is final.
    fn retry_wait(&self, idempotent: bool, retries: u32, outcome: &Outcome) -> Option<Duration> {
        if !idempotent || retries >= self.retry.max_retries {
            return None;
        }
        match outcome {
            Ok(resp) if resp.status == 429 || resp.status >= 500 => {
                Some(server_wait(resp).unwrap_or_else(|| self.retry.backoff(retries)))
            }
            Ok(_) => None,
            Err(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                Some(self.retry.backoff(retries))
            }
            Err(_) => None,
        }
    }

    /// Send one request and read its whole answer.
    async fn exchange(&self, req: reqwest::RequestBuilder) -> Outcome {
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?.to_vec();
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

/// One attempt's result, before it is judged.
type Outcome = std::result::Result<RawResponse, reqwest::Error>;

fn finish(endpoint: &str, outcome: Outcome) -> Result<RawResponse> {
    outcome.map_err(|e| Error::Network {
        endpoint: endpoint.to_string(),
        msg: describe_reqwest(&e),
    })
}

/// The tokens the server refused during one call, and what it said last.
#[derive(Default)]
struct Refusals {
    tokens: Vec<Secret>,
    last: Option<ServerReply>,
}

impl Refusals {
    fn add(&mut self, token: Secret, reply: ServerReply) {
        self.tokens.push(token);
        self.last = Some(reply);
    }

    fn contains(&self, token: &Secret) -> bool {
        self.tokens.contains(token)
    }

    fn count(&self) -> usize {
        self.tokens.len()
    }

    /// Every refusal but the first was followed by a refresh.
    fn exhausted(&self) -> bool {
        self.tokens.len() > MAX_TOKEN_REFRESHES
    }

    fn into_error(self, endpoint: &str) -> Error {
        Error::Auth {
            endpoint: endpoint.to_string(),
            reply: self.last.unwrap_or_default(),
        }
    }
}

/// How long the server asked us to wait: Feishu's `x-ogw-ratelimit-reset` (seconds), or
/// `Retry-After` (seconds or an HTTP date). Capped at a minute so a bad header cannot hang us.
fn server_wait(resp: &RawResponse) -> Option<Duration> {
    let cap = Duration::from_secs(60);
    if let Some(secs) = resp
        .header("x-ogw-ratelimit-reset")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
    {
        return Some(Duration::from_secs_f64(secs.min(60.0)));
    }
    let value = resp.header("retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(cap));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    let wait = when
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    Some(wait.min(cap))
}

fn tracing_note(endpoint: &str, attempt: u32, wait: Duration, outcome: &Outcome) {
    let what = match outcome {
        Ok(r) => format!("HTTP {}", r.status),
        Err(e) => describe_reqwest(e),
    };
    crate::log::debug(&format!(
        "retrying {endpoint} after {what} (attempt {}, waiting {} ms)",
        attempt + 1,
        wait.as_millis()
    ));
}

/// A reqwest error in one line, without the URL's query (which could in principle carry data
/// we would rather not print) and with the cause chain.
fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "broken response body"
    } else {
        "request failed"
    };
    let mut msg = kind.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    crate::text::sanitize_line(&msg, 300)
}

/// Turn an HTTP status into a `ServerReply` when there is nothing better.
pub fn reply_from_status(status: u16) -> ServerReply {
    ServerReply {
        status: Some(status),
        code: None,
        msg: None,
    }
}

#[cfg(test)]
mod tests {
    //! The token lifecycle against a local server whose answers each test scripts by the
    //! token a request carries and how many came before it.

    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::extract::State;
    use axum::http::{HeaderMap as Headers, StatusCode};

    use super::*;

    /// The server's rule: the status to answer request number `n` (from 0) carrying `token`.
    type Rule = fn(token: &str, n: usize) -> StatusCode;

    #[derive(Clone)]
    struct Server {
        rule: Rule,
        /// The token each request carried, in arrival order.
        seen: Arc<Mutex<Vec<String>>>,
        /// How long to hold each answer, so concurrent requests overlap.
        delay: Duration,
    }

    async fn answer(State(s): State<Server>, headers: Headers) -> StatusCode {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_string();
        let n = {
            let mut seen = s.seen.lock().unwrap();
            seen.push(token.clone());
            seen.len() - 1
        };
        tokio::time::sleep(s.delay).await;
        (s.rule)(&token, n)
    }

    /// Start the server; its URL and the tokens it saw.
    async fn serve(rule: Rule, delay: Duration) -> (String, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = Server {
            rule,
            seen: seen.clone(),
            delay,
        };
        let app = axum::Router::new()
            .route("/x", axum::routing::get(answer))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, seen)
    }

    /// Credentials handing out `t0`, `t1`, … (or always `same`), refused by HTTP 401.
    struct Creds {
        cache: TokenCache,
        fetches: AtomicUsize,
        always_same: bool,
        lifetime: Duration,
    }

    impl Creds {
        fn new() -> Creds {
            Creds {
                cache: TokenCache::new(),
                fetches: AtomicUsize::new(0),
                always_same: false,
                lifetime: Duration::from_secs(3600),
            }
        }
        fn fetches(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    impl Credentials for Creds {
        fn tokens(&self) -> &TokenCache {
            &self.cache
        }
        async fn new_token(&self) -> Result<FetchedToken> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            let token = match self.always_same {
                true => "same".to_string(),
                false => format!("t{n}"),
            };
            Ok(FetchedToken {
                token: Secret::new(token),
                expires_in: self.lifetime,
            })
        }
        fn token_rejected(&self, resp: &RawResponse) -> Option<ServerReply> {
            (resp.status == 401).then(|| reply_from_status(401))
        }
    }

    fn client(concurrency: usize) -> HttpClient {
        limited_client(concurrency, None)
    }

    fn limited_client(concurrency: usize, rate_limit: Option<f64>) -> HttpClient {
        HttpClient::new(&HttpOptions {
            concurrency,
            rate_limit,
            retry: RetryPolicy {
                max_retries: 4,
                base_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(1),
            },
            ..HttpOptions::default()
        })
        .unwrap()
    }

    async fn get(http: &HttpClient, creds: &Creds, url: &str) -> Result<RawResponse> {
        http.send_authed("GET /x", true, creds, |c, t| {
            c.get(url).bearer_auth(t.expose())
        })
        .await
    }

    fn seen(s: &Mutex<Vec<String>>) -> Vec<String> {
        s.lock().unwrap().clone()
    }

    #[tokio::test]
    async fn refreshes_more_than_once_while_tokens_differ() {
        let (url, log) = serve(
            |t, _| match t {
                "t0" | "t1" => StatusCode::UNAUTHORIZED,
                _ => StatusCode::OK,
            },
            Duration::ZERO,
        )
        .await;
        let creds = Creds::new();
        let resp = get(&client(8), &creds, &url).await.unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(seen(&log), ["t0", "t1", "t2"]);
        assert_eq!(creds.fetches(), 3);
    }

    #[tokio::test]
    async fn gives_up_after_three_refreshes() {
        let (url, log) = serve(|_, _| StatusCode::UNAUTHORIZED, Duration::ZERO).await;
        let creds = Creds::new();
        let err = get(&client(8), &creds, &url).await.unwrap_err();
        assert!(
            matches!(&err, Error::Auth { endpoint, reply }
                if endpoint == "GET /x" && reply.status == Some(401)),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), crate::error::exit::AUTH);
        // The first token and three replacements.
        assert_eq!(seen(&log), ["t0", "t1", "t2", "t3"]);
        assert_eq!(creds.fetches(), 1 + MAX_TOKEN_REFRESHES);
    }

    #[tokio::test]
    async fn gives_up_when_a_refresh_brings_back_the_refused_token() {
        let (url, log) = serve(|_, _| StatusCode::UNAUTHORIZED, Duration::ZERO).await;
        let creds = Creds {
            always_same: true,
            ..Creds::new()
        };
        let err = get(&client(8), &creds, &url).await.unwrap_err();
        assert!(matches!(&err, Error::Auth { endpoint, .. } if endpoint == "GET /x"));
        // Sent once; the refresh gave the same token, which is not sent again.
        assert_eq!(seen(&log), ["same"]);
        assert_eq!(creds.fetches(), 2);
    }

    #[tokio::test]
    async fn concurrent_refusals_share_one_fetch() {
        // Every request carrying the first token is refused, after a pause long enough for
        // all eight to be out with it.
        let (url, log) = serve(
            |t, _| match t {
                "t0" => StatusCode::UNAUTHORIZED,
                _ => StatusCode::OK,
            },
            Duration::from_millis(100),
        )
        .await;
        let creds = Creds::new();
        let http = client(8);
        let calls: Vec<_> = (0..8).map(|_| get(&http, &creds, &url)).collect();
        for r in futures_util::future::join_all(calls).await {
            assert_eq!(r.unwrap().status, 200);
        }
        assert_eq!(
            creds.fetches(),
            2,
            "one fetch for t0, one for t1: {:?}",
            seen(&log)
        );
        let log = seen(&log);
        assert!(log.iter().all(|t| t == "t0" || t == "t1"), "{log:?}");
        assert_eq!(log.iter().filter(|t| *t == "t1").count(), 8);
    }

    #[tokio::test]
    async fn the_token_is_read_after_the_rate_limit_wait() {
        let (url, log) = serve(|_, _| StatusCode::OK, Duration::ZERO).await;
        // The second call's slot is 500 ms after the first's; the 300 ms token is due for
        // refresh (at 240 ms) by then, so the call must not go out with the token it would
        // have seen before waiting.
        let creds = Creds {
            lifetime: Duration::from_millis(300),
            ..Creds::new()
        };
        let http = limited_client(8, Some(2.0));
        get(&http, &creds, &url).await.unwrap();
        get(&http, &creds, &url).await.unwrap();
        assert_eq!(seen(&log), ["t0", "t1"]);
    }

    #[tokio::test]
    async fn the_token_is_read_after_the_wait_for_a_permit() {
        // One request in flight at a time, each answered after 300 ms: the second call
        // queues for the permit past the first token's refresh time.
        let (url, log) = serve(|_, _| StatusCode::OK, Duration::from_millis(300)).await;
        let creds = Creds {
            lifetime: Duration::from_millis(300),
            ..Creds::new()
        };
        let http = client(1);
        let (a, b) = tokio::join!(get(&http, &creds, &url), get(&http, &creds, &url));
        assert_eq!((a.unwrap().status, b.unwrap().status), (200, 200));
        assert_eq!(seen(&log), ["t0", "t1"]);
    }

    #[tokio::test]
    async fn each_retry_reads_the_token_again() {
        // A 503 first; by the end of the backoff (at least 100 ms) the 100 ms token is due
        // for refresh, so the retry must carry the new one.
        let (url, log) = serve(
            |_, n| match n {
                0 => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::OK,
            },
            Duration::ZERO,
        )
        .await;
        let creds = Creds {
            lifetime: Duration::from_millis(100),
            ..Creds::new()
        };
        let resp = get(&client(8), &creds, &url).await.unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(seen(&log), ["t0", "t1"]);
    }
}
