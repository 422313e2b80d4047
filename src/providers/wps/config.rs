//! What only a WPS profile has: private deployments serve the API under path prefixes.

/// The public cloud, when a profile names no `base_url`.
pub const DEFAULT_BASE_URL: &str = "https://openapi.wps.cn";
/// Requests per second when a profile sets no `rate_limit`: the open platform's quota.
pub const DEFAULT_RATE_LIMIT: f64 = 10.0;

/// The WPS path prefixes, normalized once here (`openapi/` → `/openapi`) so that the client
/// joins them to paths as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WpsConfig {
    openapi_prefix: String,
    graph_prefix: Option<String>,
}

impl WpsConfig {
    /// `openapi_prefix` (`/openapi`) is put before every v7 call, not signed; `graph_prefix`
    /// (`/graph`), when set and not empty, routes `by_emails` through WPS-4 signed calls.
    pub fn new(openapi_prefix: Option<&str>, graph_prefix: Option<&str>) -> WpsConfig {
        WpsConfig {
            openapi_prefix: openapi_prefix.map(normalize_prefix).unwrap_or_default(),
            graph_prefix: graph_prefix.map(normalize_prefix).filter(|p| !p.is_empty()),
        }
    }

    pub fn openapi_prefix(&self) -> &str {
        &self.openapi_prefix
    }

    pub fn graph_prefix(&self) -> Option<&str> {
        self.graph_prefix.as_deref()
    }
}

/// `openapi` / `/openapi/` → `/openapi`; empty → empty.
pub fn normalize_prefix(p: &str) -> String {
    let trimmed = p.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalized_and_an_empty_graph_prefix_is_none() {
        let c = WpsConfig::new(Some(" openapi/ "), Some("/"));
        assert_eq!(c.openapi_prefix(), "/openapi");
        assert_eq!(c.graph_prefix(), None);
        let c = WpsConfig::new(None, Some("graph"));
        assert_eq!(c.openapi_prefix(), "");
        assert_eq!(c.graph_prefix(), Some("/graph"));
    }
}
