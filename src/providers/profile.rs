//! A resolved profile: everything a provider client needs. `config` builds it from the file
//! and the environment; the provider-only settings sit behind `ProviderConfig`, so that each
//! provider owns its keys and defaults.

use crate::directory::ProviderKind;
use crate::http::HttpOptions;
use crate::secret::Secret;

use super::feishu::config::{self as feishu_config, FeishuConfig};
use super::wps::config::{self as wps_config, WpsConfig};

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub provider: ProviderKind,
    pub base_url: String,
    pub app_id: String,
    pub app_secret: Secret,
    /// What only this profile's provider reads (WPS's path prefixes).
    pub provider_config: ProviderConfig,
    pub http: HttpOptions,
    /// Where the secret came from, for `orgtui doctor` (never the secret itself).
    pub secret_source: SecretSource,
}

/// Where a profile's app secret came from. `Builtin` is the demo server's own credential.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecretSource {
    /// `ORGTUI_APP_SECRET`.
    Env,
    /// `app_secret` in the config file.
    File,
    /// The first line printed by `app_secret_cmd`.
    Command,
    #[default]
    Builtin,
}

/// One provider's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderConfig {
    Wps(WpsConfig),
    /// Feishu and Lark.
    Feishu(FeishuConfig),
}

impl ProviderConfig {
    /// `kind`'s settings with nothing set.
    pub fn defaults(kind: ProviderKind) -> ProviderConfig {
        match kind {
            ProviderKind::Wps => ProviderConfig::Wps(WpsConfig::default()),
            ProviderKind::Feishu | ProviderKind::Lark => {
                ProviderConfig::Feishu(FeishuConfig::default())
            }
        }
    }

    /// The WPS settings; none set when the profile is not a WPS one.
    pub fn wps(&self) -> WpsConfig {
        match self {
            ProviderConfig::Wps(c) => c.clone(),
            ProviderConfig::Feishu(_) => WpsConfig::default(),
        }
    }
}

/// The provider's public endpoint, when a profile names no `base_url`.
pub fn default_base_url(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Wps => wps_config::DEFAULT_BASE_URL,
        ProviderKind::Feishu | ProviderKind::Lark => feishu_config::default_base_url(kind),
    }
}

/// Requests per second when a profile sets no `rate_limit`.
pub fn default_rate_limit(kind: ProviderKind) -> f64 {
    match kind {
        ProviderKind::Wps => wps_config::DEFAULT_RATE_LIMIT,
        ProviderKind::Feishu | ProviderKind::Lark => feishu_config::DEFAULT_RATE_LIMIT,
    }
}
