//! The bounds of every numeric setting, and the one check of a value against them (from
//! the file or from its `ORGTUI_*` variable).

use std::time::Duration;

use super::Env;
use crate::error::{Error, Result};

/// The range a numeric setting may take, for its file key and its environment variable.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub key: &'static str,
    pub env: &'static str,
    pub min: f64,
    pub max: f64,
    /// Whole numbers only.
    pub integer: bool,
    /// Zero is allowed besides `min..=max`, with this meaning.
    pub zero_means: Option<&'static str>,
    pub unit: &'static str,
}

impl Limit {
    fn allows(&self, v: f64) -> bool {
        v.is_finite()
            && (!self.integer || v.fract() == 0.0)
            && ((self.zero_means.is_some() && v == 0.0) || (self.min..=self.max).contains(&v))
    }

    /// `1 to 256`, `0 (no limit) or 0.01 to 10000 requests per second`.
    pub fn range(&self) -> String {
        let zero = self
            .zero_means
            .map(|m| format!("0 ({m}) or "))
            .unwrap_or_default();
        let whole = if self.integer { "whole number " } else { "" };
        format!("{zero}{whole}{} to {} {}", self.min, self.max, self.unit)
    }
}

/// Client-side requests per second. Below 0.01 the wait between requests passes 100 s;
/// above 10000 it is too short to mean anything.
pub const RATE_LIMIT: Limit = Limit {
    key: "rate_limit",
    env: "ORGTUI_RATE_LIMIT",
    min: 0.01,
    max: 10_000.0,
    integer: false,
    zero_means: Some("no limit"),
    unit: "requests per second",
};
/// Requests in flight: the providers allow 10 to 50 a second, 256 is far past any use.
pub const CONCURRENCY: Limit = Limit {
    key: "concurrency",
    env: "ORGTUI_CONCURRENCY",
    min: 1.0,
    max: 256.0,
    integer: true,
    zero_means: None,
    unit: "requests",
};
/// One attempt of one request, its body included.
pub const TIMEOUT: Limit = Limit {
    key: "timeout_secs",
    env: "ORGTUI_TIMEOUT_SECS",
    min: 1.0,
    max: 600.0,
    integer: true,
    zero_means: None,
    unit: "seconds",
};
/// All attempts of one call and the waits between them.
pub const DEADLINE: Limit = Limit {
    key: "deadline_secs",
    env: "ORGTUI_DEADLINE_SECS",
    min: 1.0,
    max: 3600.0,
    integer: true,
    zero_means: None,
    unit: "seconds",
};
/// The largest response body read: 1 KiB to 1 GiB.
pub const MAX_RESPONSE_BYTES: Limit = Limit {
    key: "max_response_bytes",
    env: "ORGTUI_MAX_RESPONSE_BYTES",
    min: 1024.0,
    max: 1_073_741_824.0,
    integer: true,
    zero_means: None,
    unit: "bytes",
};
/// How long `app_secret_cmd` may run before it is killed (a password manager may wait for
/// a passphrase, so not too short).
pub const SECRET_CMD_TIMEOUT: Limit = Limit {
    key: "app_secret_cmd_timeout_secs",
    env: "ORGTUI_APP_SECRET_CMD_TIMEOUT_SECS",
    min: 1.0,
    max: 600.0,
    integer: true,
    zero_means: None,
    unit: "seconds",
};
/// How old the browser's snapshot may be before a start indexes the whole org again in the
/// background (a top-level setting, not a profile's). Up to a year; 0 indexes on every start.
pub const INDEX_MAX_AGE: Limit = Limit {
    key: "index_max_age",
    env: "ORGTUI_INDEX_MAX_AGE",
    min: 0.01,
    max: 8760.0,
    integer: false,
    zero_means: Some("index on every start"),
    unit: "hours",
};
/// Every bounded setting, for documentation and doctor.
pub const LIMITS: [Limit; 7] = [
    RATE_LIMIT,
    CONCURRENCY,
    TIMEOUT,
    DEADLINE,
    MAX_RESPONSE_BYTES,
    SECRET_CMD_TIMEOUT,
    INDEX_MAX_AGE,
];
/// `app_secret_cmd_timeout_secs` when unset.
pub const DEFAULT_SECRET_CMD_TIMEOUT: Duration = Duration::from_secs(30);

/// The setting `limit` from its environment variable, else from the file, checked against
/// its range; `None` when neither sets it.
pub(super) fn bounded(
    limit: &Limit,
    file_value: Option<&toml::Value>,
    env: Env,
    file_name: &str,
    key: &dyn Fn(&str) -> String,
) -> Result<Option<f64>> {
    // What is wrong with `value`, written `shown`: not a number, or out of range.
    let refuse = |value: Option<f64>, shown: String| {
        let what = if value.is_some_and(|v| !v.is_nan()) {
            "is out of range"
        } else {
            "is not a number"
        };
        format!("{shown} {what}; allowed: {}", limit.range())
    };
    if let Some(text) = env(limit.env) {
        let value = text.trim().parse::<f64>().ok();
        return match value.filter(|v| limit.allows(*v)) {
            Some(v) => Ok(Some(v)),
            None => Err(Error::config(
                "environment",
                format!(
                    "{} ({}): {}",
                    limit.env,
                    limit.key,
                    refuse(
                        value,
                        format!("{:?}", crate::text::sanitize_line(&text, 40))
                    )
                ),
            )),
        };
    }
    let Some(raw) = file_value else {
        return Ok(None);
    };
    let (value, shown) = match raw {
        toml::Value::Integer(i) => (Some(*i as f64), i.to_string()),
        // Debug writes 1e-300 as such, where Display spells out three hundred zeros.
        toml::Value::Float(f) => (Some(*f), format!("{f:?}")),
        other => (None, crate::text::sanitize_line(&other.to_string(), 40)),
    };
    match value.filter(|v| limit.allows(*v)) {
        Some(v) => Ok(Some(v)),
        None => Err(Error::config(
            file_name,
            format!("{}: {}", key(limit.key), refuse(value, shown)),
        )),
    }
}

/// A whole number of seconds `bounded` accepted.
pub(super) fn whole_secs(v: f64) -> Duration {
    Duration::from_secs(v as u64)
}
