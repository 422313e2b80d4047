//! Configuration: a TOML file of named profiles, with environment overrides on top.
//!
//! ```toml
//! default_profile = "work"
//! [profiles.work]
//! provider = "wps"            # wps | feishu | lark
//! base_url = "https://openapi.wps.cn"
//! app_id = "AK..."
//! app_secret_cmd = "pass show orgtui/work"   # or app_secret = "...", or ORGTUI_APP_SECRET
//! openapi_prefix = "/openapi"  # WPS private deployments
//! graph_prefix = "/graph"      # WPS private deployments: by_emails signed with WPS-4
//! rate_limit = 10              # requests per second
//! concurrency = 8              # requests in flight
//! timeout_secs = 30            # per attempt, the body included
//! deadline_secs = 60           # per call, all its retries together
//! max_response_bytes = 16777216
//! app_secret_cmd_timeout_secs = 30
//! ```
//!
//! Every number is bounded (see `LIMITS`): a value out of range, from the file or from its
//! `ORGTUI_*` variable, is a config error naming the key and the allowed range, never a
//! panic or a hang further on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::directory::ProviderKind;
use crate::error::{Error, Result};
use crate::http::HttpOptions;
use crate::providers::feishu::config::FeishuConfig;
use crate::providers::wps::config::WpsConfig;
pub use crate::providers::{Profile, ProviderConfig, SecretSource};
use crate::providers::{default_base_url, default_rate_limit};
use crate::secret::Secret;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileFile>,
    /// Other sections (the TUI's keys, clipboard) are read by their own modules.
    #[serde(default)]
    pub keys: Option<toml::Table>,
    #[serde(default)]
    pub clipboard: Option<String>,
    /// The browser's background indexing: `auto` or `off` (`browser::index_settings`).
    #[serde(default)]
    pub index: Option<String>,
    /// Hours a snapshot stays fresh enough not to index again (`INDEX_MAX_AGE`).
    #[serde(default)]
    pub index_max_age: Option<toml::Value>,
}

/// One profile as written. Numbers stay raw TOML until `resolve` checks them against
/// `LIMITS`, so that a wrong type and a wrong size get the same one-line error.
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub provider: Option<String>,
    pub base_url: Option<String>,
    pub app_id: Option<String>,
    pub app_secret: Option<Secret>,
    pub app_secret_cmd: Option<String>,
    pub openapi_prefix: Option<String>,
    pub graph_prefix: Option<String>,
    pub rate_limit: Option<toml::Value>,
    pub concurrency: Option<toml::Value>,
    pub timeout_secs: Option<toml::Value>,
    pub deadline_secs: Option<toml::Value>,
    pub max_response_bytes: Option<toml::Value>,
    pub app_secret_cmd_timeout_secs: Option<toml::Value>,
}

/// Written by hand: neither the secret nor the command that prints it (which may hold it, as
/// in `echo …`) is shown.
impl std::fmt::Debug for ProfileFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| o.as_ref().map(|_| "(set)");
        f.debug_struct("ProfileFile")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("app_secret", &self.app_secret)
            .field("app_secret_cmd", &set(&self.app_secret_cmd))
            .field("openapi_prefix", &self.openapi_prefix)
            .field("graph_prefix", &self.graph_prefix)
            .field("rate_limit", &self.rate_limit)
            .field("concurrency", &self.concurrency)
            .field("timeout_secs", &self.timeout_secs)
            .field("deadline_secs", &self.deadline_secs)
            .field("max_response_bytes", &self.max_response_bytes)
            .field(
                "app_secret_cmd_timeout_secs",
                &self.app_secret_cmd_timeout_secs,
            )
            .finish()
    }
}

mod browser;
mod limits;
mod secret_cmd;

pub use self::browser::{DEFAULT_INDEX_MAX_AGE, IndexSettings, index_settings};

pub use self::limits::*;
use self::limits::{bounded, whole_secs};
use self::secret_cmd::SecretCmd;

/// Where the config file is: `--config`, else `ORGTUI_CONFIG`, else the platform config dir.
pub fn config_path(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("ORGTUI_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

pub use crate::paths::project_dirs;

/// Read the config file. A missing file is an empty config unless it was named explicitly.
pub fn load_file(path: Option<&Path>, explicit: bool) -> Result<ConfigFile> {
    let Some(path) = path else {
        return Ok(ConfigFile::default());
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(ConfigFile::default());
        }
        Err(e) => return Err(Error::config(path.display(), format!("cannot read: {e}"))),
    };
    toml::from_str(&text).map_err(|e| {
        let msg = e.message().trim().to_string();
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        match line {
            Some(l) => Error::config(format!("{}:{l}", path.display()), msg),
            None => Error::config(path.display(), msg),
        }
    })
}

/// The environment, as a lookup function so tests can supply their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// Resolve the profile to use: `--profile`, else `default_profile`, else the only profile,
/// else none (environment only); then apply the `ORGTUI_*` overrides.
pub fn resolve(
    file: &ConfigFile,
    file_name: &str,
    profile_flag: Option<&str>,
    env: Env,
) -> Result<Profile> {
    let chosen = profile_flag
        .map(str::to_string)
        .or_else(|| env("ORGTUI_PROFILE"))
        .or_else(|| file.default_profile.clone())
        .or_else(|| {
            (file.profiles.len() == 1)
                .then(|| file.profiles.keys().next().cloned())
                .flatten()
        });
    let (name, base) = match chosen {
        Some(name) => match file.profiles.get(&name) {
            Some(p) => (name, p.clone()),
            None => {
                return Err(Error::config(
                    file_name,
                    format!("no profile named {name:?} (section [profiles.{name}])"),
                ));
            }
        },
        None => ("env".to_string(), ProfileFile::default()),
    };
    let key = |k: &str| format!("profiles.{name}.{k}");

    let provider_text = env("ORGTUI_PROVIDER").or(base.provider.clone());
    let provider = match provider_text {
        None => {
            return Err(Error::config(
                file_name,
                format!(
                    "no provider: set {} (wps, feishu or lark) or ORGTUI_PROVIDER, or try --demo",
                    key("provider")
                ),
            ));
        }
        Some(p) => ProviderKind::parse(&p).ok_or_else(|| {
            Error::config(
                file_name,
                format!(
                    "{}: unknown provider {p:?} (wps, feishu or lark)",
                    key("provider")
                ),
            )
        })?,
    };
    let base_url = env("ORGTUI_BASE_URL")
        .or(base.base_url.clone())
        .unwrap_or_else(|| default_base_url(provider).to_string());
    let parsed = url::Url::parse(&base_url).map_err(|e| {
        Error::config(
            file_name,
            format!("{}: {base_url:?} is not a URL: {e}", key("base_url")),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::config(
            file_name,
            format!("{}: {base_url:?} must be http or https", key("base_url")),
        ));
    }
    let app_id = env("ORGTUI_APP_ID")
        .or(base.app_id.clone())
        .ok_or_else(|| {
            Error::config(
                file_name,
                format!("no app id: set {} or ORGTUI_APP_ID", key("app_id")),
            )
        })?;
    // Numbers first: a bad one is reported before a secret command asks for a passphrase.
    let num = |limit: &Limit, file_value: &Option<toml::Value>| {
        bounded(limit, file_value.as_ref(), env, file_name, &key)
    };
    let rate_limit = num(&RATE_LIMIT, &base.rate_limit)?.unwrap_or(default_rate_limit(provider));
    let defaults = HttpOptions::default();
    let http = HttpOptions {
        rate_limit: (rate_limit > 0.0).then_some(rate_limit),
        // Bounded to 1..=256 and whole by `num`, so the casts are exact.
        concurrency: num(&CONCURRENCY, &base.concurrency)?.map_or(8, |v| v as usize),
        request_timeout: num(&TIMEOUT, &base.timeout_secs)?
            .map_or(defaults.request_timeout, whole_secs),
        deadline: num(&DEADLINE, &base.deadline_secs)?.map_or(defaults.deadline, whole_secs),
        max_response_bytes: num(&MAX_RESPONSE_BYTES, &base.max_response_bytes)?
            .map_or(defaults.max_response_bytes, |v| v as u64),
        ..defaults
    };
    // Checked whether or not the command runs, so a bad value never waits to surface.
    let timeout = num(&SECRET_CMD_TIMEOUT, &base.app_secret_cmd_timeout_secs)?
        .map_or(DEFAULT_SECRET_CMD_TIMEOUT, whole_secs);
    let (app_secret, secret_source) = match (
        env("ORGTUI_APP_SECRET"),
        &base.app_secret,
        &base.app_secret_cmd,
    ) {
        (Some(s), _, _) => (Secret::new(s), SecretSource::Env),
        (None, Some(s), _) => (s.clone(), SecretSource::File),
        (None, None, Some(cmd)) => {
            let cmd_key = key("app_secret_cmd");
            let run = SecretCmd {
                cmd,
                file_name,
                key: &cmd_key,
                timeout,
            };
            (run.run()?, SecretSource::Command)
        }
        (None, None, None) => {
            return Err(Error::config(
                file_name,
                format!(
                    "no app secret: set ORGTUI_APP_SECRET, {} or {}",
                    key("app_secret"),
                    key("app_secret_cmd")
                ),
            ));
        }
    };
    let provider_config = match provider {
        ProviderKind::Wps => ProviderConfig::Wps(WpsConfig::new(
            env("ORGTUI_OPENAPI_PREFIX")
                .or(base.openapi_prefix.clone())
                .as_deref(),
            env("ORGTUI_GRAPH_PREFIX")
                .or(base.graph_prefix.clone())
                .as_deref(),
        )),
        ProviderKind::Feishu | ProviderKind::Lark => ProviderConfig::Feishu(FeishuConfig {}),
    };
    Ok(Profile {
        name,
        provider,
        base_url: base_url.trim_end_matches('/').to_string(),
        app_id,
        app_secret,
        provider_config,
        http,
        secret_source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn profile_from_file_with_env_override() {
        let file: ConfigFile = toml::from_str(
            r#"
            default_profile = "a"
            [profiles.a]
            provider = "wps"
            app_id = "AK"
            app_secret_cmd = "echo s3cret"
            openapi_prefix = "openapi/"
            rate_limit = 5
            "#,
        )
        .unwrap();
        let env = env_of(&[("ORGTUI_CONCURRENCY", "3")]);
        let p = resolve(&file, "c.toml", None, &env).unwrap();
        assert_eq!(p.provider, ProviderKind::Wps);
        assert_eq!(p.base_url, "https://openapi.wps.cn");
        assert_eq!(p.app_secret.expose(), "s3cret");
        assert_eq!(p.secret_source, SecretSource::Command);
        assert_eq!(p.provider_config.wps().openapi_prefix(), "/openapi");
        assert_eq!(p.http.rate_limit, Some(5.0));
        assert_eq!(p.http.concurrency, 3);
        assert!(!format!("{p:?}").contains("s3cret"));
    }

    #[test]
    fn no_debug_of_a_config_shows_a_secret() {
        let file: ConfigFile = toml::from_str(
            r#"
            [profiles.a]
            provider = "wps"
            app_id = "AK"
            app_secret = "hunter2-in-file"
            app_secret_cmd = "echo hunter2-in-cmd"
            "#,
        )
        .unwrap();
        let shown = format!("{file:?} {:?}", file.profiles["a"]);
        assert!(!shown.contains("hunter2"), "{shown}");
        let p = resolve(&file, "c.toml", None, &env_of(&[])).unwrap();
        assert_eq!(p.app_secret.expose(), "hunter2-in-file");
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn new_limits_reach_the_http_options() {
        let file: ConfigFile = toml::from_str(
            "[profiles.a]\nprovider = \"wps\"\napp_id = \"AK\"\napp_secret = \"s\"\n\
             timeout_secs = 5\ndeadline_secs = 20\nmax_response_bytes = 2048\n",
        )
        .unwrap();
        let p = resolve(
            &file,
            "c.toml",
            None,
            &env_of(&[("ORGTUI_DEADLINE_SECS", "7")]),
        )
        .unwrap();
        assert_eq!(p.http.request_timeout, Duration::from_secs(5));
        assert_eq!(p.http.deadline, Duration::from_secs(7), "the variable wins");
        assert_eq!(p.http.max_response_bytes, 2048);
        let p = resolve(
            &ConfigFile::default(),
            "c.toml",
            None,
            &env_of(&[
                ("ORGTUI_PROVIDER", "feishu"),
                ("ORGTUI_APP_ID", "a"),
                ("ORGTUI_APP_SECRET", "s"),
            ]),
        )
        .unwrap();
        assert_eq!(p.http.deadline, Duration::from_secs(60));
        assert_eq!(p.http.max_response_bytes, 16 * 1024 * 1024);
        assert_eq!(p.http.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn errors_name_file_and_key() {
        let file: ConfigFile =
            toml::from_str("[profiles.x]\nprovider = \"nope\"\napp_id=\"a\"\n").unwrap();
        let err = resolve(&file, "c.toml", None, &env_of(&[])).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("c.toml") && msg.contains("profiles.x.provider"),
            "{msg}"
        );
        let err = resolve(&file, "c.toml", Some("y"), &env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("\"y\""));
    }
}
