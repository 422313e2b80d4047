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

pub mod lane;
mod limit;
mod options;
mod outcome;
mod token;

pub use lane::{is_urgent, urgent};
pub use limit::RateLimiter;
pub use options::{
    DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT, HttpOptions, RetryPolicy,
};
use outcome::*;
pub use outcome::{redirect_location, reply_from_status};
pub use token::{Credentials, FetchedToken, TokenCache, bounded_lifetime, lifetime_secs};

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::error::{Error, Result};
use crate::secret::{Scrubber, Secret};

/// How many times one call may replace a refused token before it is an authentication
/// failure: enough to outlast tokens expiring under a slow call, few enough that a server
/// refusing every token fails fast.
pub const MAX_TOKEN_REFRESHES: usize = 3;

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
    in_flight: Arc<lane::Gate>,
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
        let permits = opts.concurrency.clamp(1, lane::MAX_PASSES);
        Ok(HttpClient {
            client,
            limiter: Arc::new(RateLimiter::new(opts.rate_limit)),
            in_flight: lane::Gate::new(permits),
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
        // The permit bounds requests in flight; the limiter spaces their starts. Both serve
        // the urgent lane first (`lane`).
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
        match self.retry_wait(idempotent, budget, &outcome) {
            Some(wait) if wait < budget.left => {
                tracing_note(endpoint, budget.retries, wait, &outcome);
                tokio::time::sleep(wait).await;
                budget.spend(wait);
                budget.retries = budget.retries.saturating_add(1);
                if throttled(&outcome).is_some() {
                    budget.throttled = budget.throttled.saturating_add(1);
                }
                None
            }
            _ => Some(finish(endpoint, outcome, budget)),
        }
    }

    /// How long to wait before trying again, or `None` when `outcome` is final. 429s and
    /// the other failures have separate retry counts; the backoff grows with both.
    fn retry_wait(&self, idempotent: bool, budget: &Budget, outcome: &Outcome) -> Option<Duration> {
        if !idempotent {
            return None;
        }
        let retries = budget.retries;
        if let Some(resp) = throttled(outcome) {
            return (budget.throttled < self.retry.max_throttled_retries)
                .then(|| self.retry.after(server_wait(resp), retries));
        }
        if retries.saturating_sub(budget.throttled) >= self.retry.max_retries {
            return None;
        }
        match outcome {
            Ok(resp) if resp.status >= 500 => Some(self.retry.after(server_wait(resp), retries)),
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

#[cfg(test)]
mod tests;
