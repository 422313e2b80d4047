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
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::directory::ProviderKind;
use crate::error::{Error, Result};
use crate::http::HttpOptions;
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
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub provider: Option<String>,
    pub base_url: Option<String>,
    pub app_id: Option<String>,
    pub app_secret: Option<String>,
    pub app_secret_cmd: Option<String>,
    pub openapi_prefix: Option<String>,
    pub graph_prefix: Option<String>,
    pub rate_limit: Option<f64>,
    pub concurrency: Option<usize>,
    pub timeout_secs: Option<u64>,
}

/// A profile with everything resolved: what a provider client needs.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub provider: ProviderKind,
    pub base_url: String,
    pub app_id: String,
    pub app_secret: Secret,
    /// Path prefix for v7 calls, not signed (WPS private deployments), e.g. `/openapi`.
    pub openapi_prefix: String,
    /// Prefix of WPS-4 signed calls (WPS private deployments), e.g. `/graph`.
    pub graph_prefix: Option<String>,
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

impl Profile {
    pub fn default_base_url(provider: ProviderKind) -> &'static str {
        match provider {
            ProviderKind::Wps => "https://openapi.wps.cn",
            ProviderKind::Feishu => "https://open.feishu.cn",
            ProviderKind::Lark => "https://open.larksuite.com",
        }
    }

    pub fn default_rate_limit(provider: ProviderKind) -> f64 {
        match provider {
            ProviderKind::Wps => 10.0,
            ProviderKind::Feishu | ProviderKind::Lark => 50.0,
        }
    }
}

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

pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "orgtui")
}

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
        .unwrap_or_else(|| Profile::default_base_url(provider).to_string());
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
    let (app_secret, secret_source) = match (
        env("ORGTUI_APP_SECRET"),
        &base.app_secret,
        &base.app_secret_cmd,
    ) {
        (Some(s), _, _) => (Secret::new(s), SecretSource::Env),
        (None, Some(s), _) => (Secret::new(s.clone()), SecretSource::File),
        (None, None, Some(cmd)) => (
            run_secret_cmd(cmd, file_name, &key("app_secret_cmd"))?,
            SecretSource::Command,
        ),
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
    let openapi_prefix =
        normalize_prefix(env("ORGTUI_OPENAPI_PREFIX").or(base.openapi_prefix.clone()));
    let graph_prefix = env("ORGTUI_GRAPH_PREFIX")
        .or(base.graph_prefix.clone())
        .map(|p| normalize_prefix(Some(p)));
    let rate_limit = match env("ORGTUI_RATE_LIMIT") {
        Some(v) => Some(parse_num::<f64>(&v, "ORGTUI_RATE_LIMIT")?),
        None => base.rate_limit,
    }
    .unwrap_or(Profile::default_rate_limit(provider));
    if !(rate_limit.is_finite() && rate_limit >= 0.0) {
        return Err(Error::config(
            file_name,
            format!("{}: must be a number >= 0", key("rate_limit")),
        ));
    }
    let concurrency = match env("ORGTUI_CONCURRENCY") {
        Some(v) => Some(parse_num::<usize>(&v, "ORGTUI_CONCURRENCY")?),
        None => base.concurrency,
    }
    .unwrap_or(8);
    if concurrency == 0 {
        return Err(Error::config(
            file_name,
            format!("{}: must be at least 1", key("concurrency")),
        ));
    }
    let mut http = HttpOptions {
        rate_limit: (rate_limit > 0.0).then_some(rate_limit),
        concurrency,
        ..HttpOptions::default()
    };
    if let Some(t) = base.timeout_secs.filter(|t| *t > 0) {
        http.request_timeout = Duration::from_secs(t);
    }
    Ok(Profile {
        name,
        provider,
        base_url: base_url.trim_end_matches('/').to_string(),
        app_id,
        app_secret,
        openapi_prefix,
        graph_prefix,
        http,
        secret_source,
    })
}

fn parse_num<T: std::str::FromStr>(v: &str, var: &str) -> Result<T> {
    v.trim()
        .parse()
        .map_err(|_| Error::config("environment", format!("{var}: {v:?} is not a valid number")))
}

/// `openapi` / `/openapi/` → `/openapi`; empty → empty.
fn normalize_prefix(p: Option<String>) -> String {
    let p = p.unwrap_or_default();
    let trimmed = p.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// Run `app_secret_cmd` through the shell; its first line of stdout is the secret.
fn run_secret_cmd(cmd: &str, file_name: &str, key: &str) -> Result<Secret> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::config(file_name, format!("{key}: cannot run: {e}")))?;
    if !out.status.success() {
        return Err(Error::config(
            file_name,
            format!("{key}: the command exited with {}", out.status),
        ));
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| Error::config(file_name, format!("{key}: output is not UTF-8")))?;
    let secret = text.lines().next().unwrap_or("").trim().to_string();
    if secret.is_empty() {
        return Err(Error::config(
            file_name,
            format!("{key}: the command printed nothing"),
        ));
    }
    Ok(Secret::new(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(p.openapi_prefix, "/openapi");
        assert_eq!(p.http.rate_limit, Some(5.0));
        assert_eq!(p.http.concurrency, 3);
        assert!(!format!("{p:?}").contains("s3cret"));
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
