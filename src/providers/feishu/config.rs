//! What only a Feishu or Lark profile has, and their defaults.

use crate::directory::ProviderKind;

pub const FEISHU_BASE_URL: &str = "https://open.feishu.cn";
pub const LARK_BASE_URL: &str = "https://open.larksuite.com";
/// Requests per second when a profile sets no `rate_limit`.
pub const DEFAULT_RATE_LIMIT: f64 = 50.0;

/// Feishu and Lark need nothing beyond the common settings (yet): the one place to add a
/// Feishu-only key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeishuConfig {}

/// The public endpoint of `kind` (Feishu in China, Lark elsewhere).
pub fn default_base_url(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Lark => LARK_BASE_URL,
        ProviderKind::Feishu | ProviderKind::Wps => FEISHU_BASE_URL,
    }
}
