//! Provider clients. Each turns the neutral `Directory` calls into its wire protocol.

pub mod feishu;
pub mod offline;
pub mod pending;
pub mod wps;

use std::sync::Arc;

use crate::config::Profile;
use crate::directory::{Directory, ProviderKind};
use crate::error::Result;

/// The directory client for a resolved profile.
pub fn connect(profile: &Profile) -> Result<Arc<dyn Directory>> {
    Ok(match profile.provider {
        ProviderKind::Wps => Arc::new(wps::WpsClient::new(profile)?),
        ProviderKind::Feishu | ProviderKind::Lark => Arc::new(feishu::FeishuClient::new(profile)?),
    })
}

/// The server's clock from a reply's `Date` header, when it sent a readable one (for
/// `Directory::probe`).
pub(crate) fn server_date(resp: &crate::http::RawResponse) -> Option<std::time::SystemTime> {
    httpdate::parse_http_date(resp.header("date")?.trim()).ok()
}
