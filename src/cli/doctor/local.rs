//! The checks that need no server: which config and profile, where the secret came from, and
//! the limits that will be used.

use super::*;

// ---- config and secret ----

/// The profile to check (or the demo's) and the config line describing where it came from.
pub(super) async fn target(cli: &Cli) -> Result<(Target, Check)> {
    if cli.demo {
        let session = Session::demo(&cli.demo_provider, false, false).await?;
        let line = Check::ok(
            CONFIG,
            format!(
                "demo: the bundled demo org served in-process over the {} protocol (no config file read)",
                session.profile.provider.as_str()
            ),
        );
        let target = Target {
            profile: session.profile.clone(),
            dir: session.dir.clone(),
            _demo: Some(session),
        };
        return Ok((target, line));
    }
    let (file, file_name) = super::super::config_file(cli)?;
    let profile = super::super::resolve_profile(cli, &file, &file_name)?;
    let dir = crate::providers::connect(&profile)?;
    let line = Check::ok(CONFIG, config_detail(cli, &profile));
    let target = Target {
        profile,
        dir,
        _demo: None,
    };
    Ok((target, line))
}

/// Which file and profile were used, and which `ORGTUI_*` variables (names only) applied.
pub(super) fn config_detail(cli: &Cli, profile: &Profile) -> String {
    let path = config::config_path(cli.config.as_deref()).filter(|p| p.is_file());
    let file = match &path {
        Some(p) => format!("config file {}", p.display()),
        None => "no config file".to_string(),
    };
    let chosen = if profile.name == "env" && !profile_named_env(path.as_deref()) {
        "no profile: the environment only".to_string()
    } else {
        format!("profile {:?}", profile.name)
    };
    let mut detail = format!(
        "{file}, {chosen} ({}, {})",
        profile.provider.as_str(),
        profile.base_url
    );
    let vars = env_overrides();
    if !vars.is_empty() {
        detail.push_str(&format!("; from the environment: {}", vars.join(", ")));
    }
    detail
}

/// True when the config file really has a profile called `env` (the name `resolve` also
/// gives the environment-only profile).
pub(super) fn profile_named_env(path: Option<&std::path::Path>) -> bool {
    path.and_then(|p| config::load_file(Some(p), false).ok())
        .is_some_and(|f| f.profiles.contains_key("env"))
}

/// The override variables that are set, by name (their values may be secret).
pub(super) fn env_overrides() -> Vec<&'static str> {
    const VARS: [&str; 7] = [
        "ORGTUI_PROFILE",
        "ORGTUI_PROVIDER",
        "ORGTUI_BASE_URL",
        "ORGTUI_APP_ID",
        "ORGTUI_APP_SECRET",
        "ORGTUI_OPENAPI_PREFIX",
        "ORGTUI_GRAPH_PREFIX",
    ];
    // The numeric settings come from the config's own table of limits, so a new one is
    // reported here without a second list to keep in step.
    VARS.into_iter()
        .chain(config::LIMITS.iter().map(|l| l.env))
        .filter(|v| config::process_env(v).is_some())
        .collect()
}

pub(super) fn config_failure(e: &Error) -> Check {
    let fix = match e {
        Error::Config { .. } => {
            "fix the named key in the config file or the ORGTUI_* environment (see the README's Configuration)"
        }
        _ => "see the message",
    };
    Check::fail(CONFIG, e.to_string(), fix, e.exit_code())
}

/// Where the secret came from (never the secret); a plain secret in a file others can read
/// is worth a warning.
pub(super) fn secret_check(cli: &Cli, profile: &Profile) -> Check {
    let key = |k: &str| format!("profiles.{}.{k}", profile.name);
    let detail = match profile.secret_source {
        SecretSource::Env => "from the environment (ORGTUI_APP_SECRET)".to_string(),
        SecretSource::File => format!("from the config file ({})", key("app_secret")),
        SecretSource::Command => format!("from a command ({})", key("app_secret_cmd")),
        SecretSource::Builtin => "the demo server's built-in credential".to_string(),
    };
    if profile.app_secret.is_empty() && profile.secret_source != SecretSource::Builtin {
        return Check::fail(
            SECRET,
            format!("{detail}: it is empty"),
            "set the app's secret (WPS: its SK; Feishu: App Secret)",
            exit::USAGE,
        );
    }
    if profile.secret_source == SecretSource::File
        && let Some(path) = config::config_path(cli.config.as_deref())
        && others_can_read(&path)
    {
        return Check::warn(
            SECRET,
            format!("{detail}, which other users on this machine can read"),
            format!(
                "chmod 600 {}, or move the secret to app_secret_cmd or ORGTUI_APP_SECRET",
                path.display()
            ),
        );
    }
    Check::ok(SECRET, detail)
}

#[cfg(unix)]
pub(super) fn others_can_read(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(not(unix))]
pub(super) fn others_can_read(_path: &std::path::Path) -> bool {
    false
}

// ---- limits ----

/// The client-side rate limit and concurrency this profile will use.
pub(super) fn limits_check(profile: &Profile) -> Check {
    let http = &profile.http;
    let rate = match http.rate_limit {
        Some(r) => format!("{r} requests/s"),
        None => "no client-side rate limit".into(),
    };
    let detail = format!("{rate}, {} requests in flight", http.concurrency.max(1));
    let feishu = profile.provider != ProviderKind::Wps;
    match http.rate_limit {
        Some(r) if feishu && r > FEISHU_RATE => Check::warn(
            LIMITS,
            format!(
                "{detail}: above Feishu's documented {FEISHU_RATE} requests/s for contact calls"
            ),
            "set rate_limit = 50 (or ORGTUI_RATE_LIMIT=50): past the limit the server answers 429 and crawls slow down",
        ),
        _ => Check::ok(LIMITS, detail),
    }
}
