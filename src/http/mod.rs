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
//!
//! Nothing a server sends is trusted to be small or quick: redirects are never followed (a
//! 3xx is an error naming its Location, so neither the secret of a token call nor a signed
//! request goes to another host), a body is read as a stream and cut off at
//! `max_response_bytes`, each attempt (body included) has `request_timeout`, and all attempts
//! of one call with their waits share one `deadline`. Every secret the client knows (the app
//! secret, the tokens it used) is cut out of the errors it builds from what a server said.

mod limit;
mod token;

pub use limit::RateLimiter;
pub use token::{Credentials, FetchedToken, TokenCache, bounded_lifetime, lifetime_secs};

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::error::{Error, Result, ServerReply};
use crate::secret::{Scrubber, Secret};

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
    /// The largest response body read; a longer one fails the call.
    pub max_response_bytes: u64,
    /// Time one call may spend in its attempts and the waits between them, all retries
    /// together (time queued for an in-flight permit or a rate-limit slot is not counted).
    pub deadline: Duration,
}

/// Defaults of the limits above, which `config` bounds and documents.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            rate_limit: None,
            concurrency: 8,
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            deadline: DEFAULT_DEADLINE,
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
        let half = ceiling.checked_div(2).unwrap_or_default();
        // Half fixed, half random: never zero, so a burst of failures still spreads out.
        half.saturating_add(half.mul_f64(fastrand::f64()))
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
    request_timeout: Duration,
    max_response_bytes: u64,
    deadline: Duration,
    secrets: Arc<Scrubber>,
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
            // A redirect would carry the token call's secret, or a signed call's headers, to
            // wherever the server points: `exchange` reports a 3xx instead.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .user_agent(concat!("orgtui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Io(format!("cannot set up the HTTP client: {e}")))?;
        // The semaphore panics above its maximum; config keeps concurrency far below it.
        let permits = opts
            .concurrency
            .clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        Ok(HttpClient {
            client,
            limiter: Arc::new(RateLimiter::new(opts.rate_limit)),
            in_flight: Arc::new(tokio::sync::Semaphore::new(permits)),
            retry: opts.retry.clone(),
            request_timeout: opts.request_timeout,
            max_response_bytes: opts.max_response_bytes,
            deadline: opts.deadline,
            secrets: Arc::new(Scrubber::new()),
        })
    }

    /// A client that cuts `secret` (the app secret) out of every server message it reports.
    pub fn with_secret(opts: &HttpOptions, secret: &Secret) -> Result<HttpClient> {
        let client = HttpClient::new(opts)?;
        client.secrets.pin(secret);
        Ok(client)
    }

    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// The secrets this client knows, for providers to cut out of what servers say.
    pub fn scrubber(&self) -> &Scrubber {
        &self.secrets
    }

    /// `text` with every secret this client knows cut out.
    pub fn scrub(&self, text: &str) -> String {
        self.secrets.scrub(text)
    }

    /// `e` with every secret this client knows cut out.
    pub fn scrub_error(&self, e: Error) -> Error {
        e.scrubbed(&self.secrets)
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
        let mut budget = Budget::new(self.deadline);
        loop {
            self.limiter.wait().await;
            let outcome = self
                .attempt(endpoint, &mut budget, build(&self.client))
                .await;
            if let Some(done) = self
                .settle(endpoint, idempotent, &mut budget, outcome)
                .await
            {
                return done.map_err(|e| self.scrub_error(e));
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
        let mut budget = Budget::new(self.deadline);
        let mut refusals = Refusals::default();
        loop {
            let attempt = self
                .authed_attempt(endpoint, &mut budget, creds, &refusals, &build)
                .await;
            let (token, outcome) = match attempt.map_err(|e| self.scrub_error(e))? {
                Some(sent) => sent,
                // The refresh brought back a token the server already refused.
                None => return Err(self.scrub_error(refusals.into_error(endpoint))),
            };
            if let Ok(resp) = &outcome
                && let Some(reply) = creds.token_rejected(resp)
            {
                creds.tokens().invalidate(&token).await;
                refusals.add(token, reply);
                if refusals.exhausted() {
                    return Err(self.scrub_error(refusals.into_error(endpoint)));
                }
                crate::log::debug(&format!(
                    "{endpoint}: the server refused the access token, fetching a new one \
                     (refresh {})",
                    refusals.count()
                ));
                continue;
            }
            if let Some(done) = self
                .settle(endpoint, idempotent, &mut budget, outcome)
                .await
            {
                return done.map_err(|e| self.scrub_error(e));
            }
        }
    }

    /// One authenticated attempt: the permit, the rate-limit slot, then the token (fetched
    /// here when the cache has none fresh), then the request. `None`, sending nothing, when
    /// the token is one the server already refused during this call.
    async fn authed_attempt<C, F>(
        &self,
        endpoint: &str,
        budget: &mut Budget,
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
        self.secrets.note_token(&token);
        if refusals.contains(&token) {
            return Ok(None);
        }
        let outcome = self
            .attempt(endpoint, budget, build(&self.client, &token))
            .await;
        Ok(Some((token, outcome)))
    }

    /// After an attempt: `None` once it has waited to try again, else the call's result. A
    /// wait that would outlast the call's deadline is not waited: the call ends with what the
    /// last attempt got.
    async fn settle(
        &self,
        endpoint: &str,
        idempotent: bool,
        budget: &mut Budget,
        outcome: Outcome,
    ) -> Option<Result<RawResponse>> {
        match self.retry_wait(idempotent, budget.retries, &outcome) {
            Some(wait) if wait < budget.left => {
                tracing_note(endpoint, budget.retries, wait, &outcome);
                tokio::time::sleep(wait).await;
                budget.spend(wait);
                budget.retries = budget.retries.saturating_add(1);
                None
            }
            _ => Some(finish(endpoint, outcome, budget)),
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
            Err(Failure::Http(e)) if e.is_timeout() || e.is_connect() || e.is_request() => {
                Some(self.retry.backoff(retries))
            }
            Err(Failure::TimedOut(_)) => Some(self.retry.backoff(retries)),
            Err(_) => None,
        }
    }

    /// One attempt, bounded by the attempt timeout and what is left of the call's deadline.
    async fn attempt(
        &self,
        endpoint: &str,
        budget: &mut Budget,
        req: reqwest::RequestBuilder,
    ) -> Outcome {
        let limit = self.request_timeout.min(budget.left);
        if limit.is_zero() {
            return Err(Failure::TimedOut(limit));
        }
        let started = tokio::time::Instant::now();
        let outcome = tokio::time::timeout(limit, self.exchange(endpoint, req))
            .await
            .unwrap_or(Err(Failure::TimedOut(limit)));
        budget.spend(started.elapsed());
        budget.attempts = budget.attempts.saturating_add(1);
        outcome
    }

    /// Send one request and read its whole answer, as long as it is no redirect and its body
    /// fits `max_response_bytes`.
    async fn exchange(&self, endpoint: &str, req: reqwest::RequestBuilder) -> Outcome {
        let mut resp = req.send().await.map_err(Failure::Http)?;
        let status = resp.status().as_u16();
        if (300..400).contains(&status) {
            return Err(Failure::Fatal(redirected(endpoint, status, resp.headers())));
        }
        let cap = self.max_response_bytes;
        let too_big = || Failure::Fatal(too_big(endpoint, cap));
        // A declared length over the cap fails before a byte of the body is read.
        if resp.content_length().is_some_and(|n| n > cap) {
            return Err(too_big());
        }
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(Failure::Http)? {
            let len = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
            if len > cap {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

/// What is left of one call's deadline, how many attempts it made and how many of them
/// were retries (a token refusal's new attempt is not one).
struct Budget {
    total: Duration,
    left: Duration,
    attempts: u32,
    retries: u32,
}

impl Budget {
    fn new(total: Duration) -> Budget {
        Budget {
            total,
            left: total,
            attempts: 0,
            retries: 0,
        }
    }

    fn spend(&mut self, d: Duration) {
        self.left = self.left.saturating_sub(d);
    }
}

/// Why an attempt got no usable answer.
enum Failure {
    /// The request failed on the wire (connect, TLS, a broken body).
    Http(reqwest::Error),
    /// No complete answer within this long (the attempt timeout, or what was left of the
    /// call's deadline).
    TimedOut(Duration),
    /// An answer that ends the call: a redirect, a body over the cap.
    Fatal(Error),
}

/// One attempt's result, before it is judged.
type Outcome = std::result::Result<RawResponse, Failure>;

fn finish(endpoint: &str, outcome: Outcome, budget: &Budget) -> Result<RawResponse> {
    let failure = match outcome {
        Ok(resp) => return Ok(resp),
        Err(Failure::Fatal(e)) => return Err(e),
        Err(Failure::Http(e)) => describe_reqwest(&e),
        Err(Failure::TimedOut(d)) => format!("no complete answer within {}", secs(d)),
    };
    let msg = if budget.left.is_zero() {
        format!(
            "gave up at the call's deadline of {} (deadline_secs) after {} attempt{}: {failure}",
            secs(budget.total),
            budget.attempts,
            if budget.attempts == 1 { "" } else { "s" },
        )
    } else {
        failure
    };
    Err(Error::Network {
        endpoint: endpoint.to_string(),
        msg,
    })
}

/// `0.9 s`, `30 s`.
fn secs(d: Duration) -> String {
    let tenths = format!("{:.1}", d.as_secs_f64());
    format!("{} s", tenths.strip_suffix(".0").unwrap_or(&tenths))
}

/// A 3xx: never followed, reported with where it pointed.
fn redirected(endpoint: &str, status: u16, headers: &HeaderMap) -> Error {
    let to = match headers
        .get(reqwest::header::LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    {
        Some(loc) => format!("to {:?}", crate::text::sanitize_line(&loc, 200)),
        None => "without a Location".to_string(),
    };
    Error::Protocol {
        endpoint: endpoint.to_string(),
        msg: format!(
            "the server redirected (HTTP {status}) {to}; orgtui follows no redirects, \
             check base_url"
        ),
    }
}

fn too_big(endpoint: &str, cap: u64) -> Error {
    Error::Protocol {
        endpoint: endpoint.to_string(),
        msg: format!(
            "the response is larger than {cap} bytes (max_response_bytes); it was not read"
        ),
    }
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
        Err(Failure::Http(e)) => describe_reqwest(e),
        Err(Failure::TimedOut(d)) => format!("no complete answer within {}", secs(*d)),
        Err(Failure::Fatal(e)) => e.to_string(),
    };
    crate::log::debug(&format!(
        "retrying {endpoint} after {what} (attempt {}, waiting {} ms)",
        attempt.saturating_add(1),
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

    /// A server at `/big` answering `chunks` chunks of `size` bytes with no Content-Length
    /// (chunked), so only counting while reading can stop it.
    async fn serve_stream(chunks: usize, size: usize) -> String {
        let app = axum::Router::new().route(
            "/big",
            axum::routing::get(move || async move {
                let parts = (0..chunks).map(move |_| {
                    Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; size]))
                });
                axum::body::Body::from_stream(futures_util::stream::iter(parts))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/big", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn capped_client(max_response_bytes: u64) -> HttpClient {
        HttpClient::new(&HttpOptions {
            max_response_bytes,
            ..HttpOptions::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_streamed_body_is_cut_off_at_the_cap() {
        let url = serve_stream(100, 1000).await;
        let err = capped_client(10_000)
            .send("GET /big", true, |c| c.get(&url))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Protocol { msg, .. } if msg.contains("larger than 10000 bytes")),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), crate::error::exit::NETWORK);
        // A body at the cap is fine.
        let resp = capped_client(100_000)
            .send("GET /big", true, |c| c.get(&url))
            .await
            .unwrap();
        assert_eq!(resp.body.len(), 100_000);
    }

    #[tokio::test]
    async fn errors_are_scrubbed_of_the_secret_and_the_tokens() {
        let http =
            HttpClient::with_secret(&HttpOptions::default(), &Secret::new("app-sec")).unwrap();
        http.scrubber().note_token(&Secret::new("tok-1"));
        let e = http.scrub_error(Error::Protocol {
            endpoint: "GET /x".into(),
            msg: "saw app-sec and tok-1".into(),
        });
        assert_eq!(e.to_string(), "bad response from GET /x: saw *** and ***");
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
