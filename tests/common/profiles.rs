//! Resolved profiles for clients built in the test process, so that no test spells out
//! every `Profile` field (and a new field is added here once).

use orgtui::config::Profile;
use orgtui::directory::ProviderKind;
use orgtui::http::{HttpOptions, RetryPolicy};
use orgtui::providers::ProviderConfig;
use orgtui::secret::Secret;

/// No rate limit, no retries (tests that want them set `http` themselves, or use
/// `profile_with`).
pub fn profile(provider: ProviderKind, base_url: &str, app_id: &str, secret: &str) -> Profile {
    profile_with(
        provider,
        base_url,
        app_id,
        secret,
        HttpOptions {
            rate_limit: None,
            retry: RetryPolicy {
                max_retries: 0,
                max_throttled_retries: 0,
                ..RetryPolicy::default()
            },
            ..HttpOptions::default()
        },
    )
}

/// A profile with these HTTP options and the provider's settings left at their defaults
/// (no WPS prefixes).
pub fn profile_with(
    provider: ProviderKind,
    base_url: &str,
    app_id: &str,
    secret: &str,
    http: HttpOptions,
) -> Profile {
    Profile {
        name: "test".into(),
        provider,
        base_url: base_url.into(),
        app_id: app_id.into(),
        app_secret: Secret::new(secret),
        provider_config: ProviderConfig::defaults(provider),
        http,
        secret_source: Default::default(),
    }
}
