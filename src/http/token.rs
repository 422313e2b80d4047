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
/// The shortest: a reply saying a token lives a second (or none at all) would otherwise have
/// every request fetch a new one. Should the server really drop it sooner, it refuses the
/// token and the HTTP layer fetches another, so this costs a retry, never correctness.
pub const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(30);

/// A server's token lifetime, bounded to what can be trusted: 30 s to 7 days.
pub fn bounded_lifetime(d: Duration) -> Duration {
    d.clamp(MIN_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME)
}

/// A token reply's lifetime in seconds, read from whatever JSON the server put there: an
/// integer, a float (`1e300`), a numeric string, out-of-range values saturated; anything else
/// (`true`, `"soon"`, an object) is `None`, so the provider's default applies instead of the
/// whole reply failing. The caller bounds the number (`bounded_lifetime`).
pub fn lifetime_secs<'de, D>(d: D) -> std::result::Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    use serde_json::Value;
    let from_f64 = |f: f64| f.is_finite().then_some(f as i64);
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|_| i64::MAX))
            .or_else(|| n.as_f64().and_then(from_f64)),
        Some(Value::String(s)) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(from_f64))
        }
        _ => None,
    })
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
        // Providers clamp what their server says (`bounded_lifetime`); here only the upper
        // bound is applied again, so no lifetime can overflow the clock.
        let lifetime = fetched.expires_in.min(MAX_TOKEN_LIFETIME);
        // Refresh early: five minutes, or a fifth of the lifetime when that is shorter.
        let margin = (lifetime.checked_div(5).unwrap_or_default()).min(Duration::from_secs(300));
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

    #[test]
    fn lifetimes_are_bounded() {
        let day = Duration::from_secs(24 * 3600);
        assert_eq!(bounded_lifetime(Duration::ZERO), MIN_TOKEN_LIFETIME);
        assert_eq!(bounded_lifetime(Duration::from_secs(1)), MIN_TOKEN_LIFETIME);
        assert_eq!(bounded_lifetime(day), day);
        assert_eq!(bounded_lifetime(Duration::MAX), MAX_TOKEN_LIFETIME);
    }

    #[test]
    fn lifetime_secs_reads_anything() {
        #[derive(serde::Deserialize)]
        struct R {
            #[serde(default, deserialize_with = "lifetime_secs")]
            e: Option<i64>,
        }
        let read = |json: &str| serde_json::from_str::<R>(json).unwrap().e;
        assert_eq!(read(r#"{"e": 7200}"#), Some(7200));
        assert_eq!(read(r#"{"e": 9223372036854775807}"#), Some(i64::MAX));
        assert_eq!(read(r#"{"e": 18446744073709551615}"#), Some(i64::MAX));
        assert_eq!(read(r#"{"e": 1e300}"#), Some(i64::MAX));
        assert_eq!(read(r#"{"e": -1e300}"#), Some(i64::MIN));
        assert_eq!(read(r#"{"e": 1.5}"#), Some(1));
        assert_eq!(read(r#"{"e": "60"}"#), Some(60));
        assert_eq!(read(r#"{"e": "soon"}"#), None);
        assert_eq!(read(r#"{"e": true}"#), None);
        assert_eq!(read(r#"{"e": {}}"#), None);
        assert_eq!(read(r#"{"e": null}"#), None);
        assert_eq!(read(r#"{}"#), None);
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
