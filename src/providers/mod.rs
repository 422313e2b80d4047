//! Provider clients. Each turns the neutral `Directory` calls into its wire protocol.

pub mod feishu;
pub mod profile;
// Moved under `directory` (they answer from memory, not from a provider); kept at their
// old paths for callers outside this crate's lower layers.
pub use crate::directory::{offline, pending};
pub mod range;
pub mod wps;

use std::sync::Arc;

use crate::directory::{Directory, ProviderKind};
use crate::error::Result;

pub use self::profile::{
    Profile, ProviderConfig, SecretSource, default_base_url, default_rate_limit,
};

/// The directory client for a resolved profile, serving an app with a limited contact range
/// from the part it may read (see `range`).
pub fn connect(profile: &Profile) -> Result<Arc<dyn Directory>> {
    let client: Arc<dyn Directory> = match profile.provider {
        ProviderKind::Wps => Arc::new(wps::WpsClient::new(profile)?),
        ProviderKind::Feishu | ProviderKind::Lark => Arc::new(feishu::FeishuClient::new(profile)?),
    };
    Ok(Arc::new(range::RangeDirectory::new(client)))
}

/// The server's clock from a reply's `Date` header, when it sent a readable one (for
/// `Directory::probe`).
pub(crate) fn server_date(resp: &crate::http::RawResponse) -> Option<std::time::SystemTime> {
    httpdate::parse_http_date(resp.header("date")?.trim()).ok()
}
