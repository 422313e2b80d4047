// TODO(issue 9 lint pass): remove once this file is fixed
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
//! An access-token cache shared by all requests of one client: one fetch at a time, refreshed
//! before expiry, and dropped when the server says it is no longer valid.

use std::future::Future;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::RawResponse;
use crate::error::{Result, ServerReply};
use crate::secret::Secret;

/// What the HTTP layer needs from a provider to authenticate its calls: where its token
/// lives, how to get a new one, and how its server says a token is no longer good.
pub trait Credentials: Sync {
    /// The client's token cache, shared by all its calls.
    fn tokens(&self) -> &TokenCache;
    /// Ask the server for a new token.
    fn new_token(&self) -> impl Future<Output = Result<FetchedToken>> + Send;
    /// What the server said, when `resp` refuses the token as invalid, expired or missing.
    fn token_rejected(&self, resp: &RawResponse) -> Option<ServerReply>;
}

#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

#[derive(Debug, Default)]
pub struct TokenCache {
    current: Mutex<Option<Cached>>,
}

/// A freshly fetched token and how long the server says it lives.
pub struct FetchedToken {
    pub token: Secret,
    pub expires_in: Duration,
}

/// The longest a token is trusted, whatever the server says: the providers document two hours
/// (24 on private deployments), and a lifetime from a broken or hostile reply (`i64::MAX`
/// seconds) must not overflow the clock or keep a token forever.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// A server's token lifetime, bounded to what can be trusted. A short one is taken as it is:
/// it costs refreshes, never correctness.
pub fn bounded_lifetime(d: Duration) -> Duration {
    d.min(MAX_TOKEN_LIFETIME)
}

impl TokenCache {
    pub fn new() -> TokenCache {
        TokenCache::default()
    }

    /// The cached token, or a new one from `fetch`. Concurrent callers wait for one fetch and
    /// then all take its token: the lock is held across the fetch.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Secret>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FetchedToken>>,
    {
        let mut current = self.current.lock().await;
        if let Some(c) = current.as_ref()
            && Instant::now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let fetched = fetch().await?;
        let lifetime = bounded_lifetime(fetched.expires_in);
        // Refresh early: five minutes, or a fifth of the lifetime when that is shorter.
        let margin = (lifetime / 5).min(Duration::from_secs(300));
        let now = Instant::now();
        let cached = Cached {
            token: fetched.token.clone(),
            refresh_at: now
                .checked_add(lifetime.saturating_sub(margin))
                .unwrap_or(now),
        };
        *current = Some(cached);
        Ok(fetched.token)
    }

    /// Forget `token` if it is still the cached one (the server rejected it). Requests that
    /// went out with the same token and are refused after another has already replaced it
    /// leave the new token alone, so a burst of refusals costs one fetch.
    pub async fn invalidate(&self, token: &Secret) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|c| &c.token == token) {
            *current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A fetch that takes 100 ms and hands out `t0`, `t1`, … counting itself in `n`.
    async fn slow_fetch(n: &AtomicUsize) -> Result<FetchedToken> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let i = n.fetch_add(1, Ordering::SeqCst);
        Ok(FetchedToken {
            token: Secret::new(format!("t{i}")),
            expires_in: Duration::from_secs(60),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_refusals_of_one_token_cause_one_fetch() {
        let cache = Arc::new(TokenCache::new());
        let fetches = Arc::new(AtomicUsize::new(0));
        let stale = cache.get(|| slow_fetch(&fetches)).await.unwrap();
        // Eight requests that all went out with `t0` are refused: each drops it and asks again.
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, fetches, stale) = (cache.clone(), fetches.clone(), stale.clone());
                tokio::spawn(async move {
                    cache.invalidate(&stale).await;
                    cache.get(|| slow_fetch(&fetches)).await.unwrap()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Secret::new("t1"), "everyone reuses t1");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // A late refusal of the old token leaves the new one alone.
        cache.invalidate(&stale).await;
        assert_eq!(
            cache.get(|| slow_fetch(&fetches)).await.unwrap().expose(),
            "t1"
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshed_before_expiry() {
        let cache = TokenCache::new();
        let fetches = AtomicUsize::new(0);
        assert_eq!(
            cache.get(|| slow_fetch(&fetches)).await.unwrap().expose(),
            "t0"
        );
        // A 60 s token is refreshed a fifth of its life early, at 48 s.
        tokio::time::advance(Duration::from_secs(47)).await;
        assert_eq!(
            cache.get(|| slow_fetch(&fetches)).await.unwrap().expose(),
            "t0"
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(
            cache.get(|| slow_fetch(&fetches)).await.unwrap().expose(),
            "t1"
        );
    }
}
