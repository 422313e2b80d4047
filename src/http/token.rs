//! An access-token cache shared by all requests of one client: one fetch at a time, refreshed
//! before expiry, and dropped when the server says it is no longer valid.

use std::future::Future;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::error::Result;
use crate::secret::Secret;

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

impl TokenCache {
    pub fn new() -> TokenCache {
        TokenCache::default()
    }

    /// The cached token, or a new one from `fetch`. Concurrent callers wait for one fetch.
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
        // Refresh early: five minutes, or a fifth of the lifetime when that is shorter.
        let margin = (fetched.expires_in / 5).min(Duration::from_secs(300));
        let cached = Cached {
            token: fetched.token.clone(),
            refresh_at: Instant::now() + fetched.expires_in.saturating_sub(margin),
        };
        *current = Some(cached);
        Ok(fetched.token)
    }

    /// Forget `token` if it is still the cached one (the server rejected it).
    pub async fn invalidate(&self, token: &Secret) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|c| &c.token == token) {
            *current = None;
        }
    }
}
