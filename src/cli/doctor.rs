//! `orgtui doctor [--json]`: check a profile end to end, one line per check, each with what
//! was found and, when something is wrong, how to fix it.
//!
//! The checks run in order (config, secret, base_url, token, clock, root, fields, limits) and
//! each line is printed as soon as its check is done, so a slow network shows where it is
//! slow. A check that needs one that failed is reported as `skip`, not run. Exit status: 0
//! when nothing failed, else the first failure's (2 configuration, 3 authentication, 4
//! network or server, 1 a department the app may not read). `--json` prints one JSON object
//! per line (JSON Lines, also streamed): `{"status","check","detail","fix"}`, `fix` null when
//! there is nothing to do.
//!
//! Nothing here prints the secret: it is never formatted, and every line is scrubbed of it
//! besides, should a server echo it back.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::{Cli, Session};
use crate::config::{self, Profile, SecretSource};
use crate::directory::{ContactRange, Directory, ProviderKind};
use crate::error::{Error, Result, exit};
use crate::model::{Dept, RANGE_ROOT_ID, User};
use crate::secret::Secret;

const CONFIG: &str = "config";
const SECRET: &str = "secret";
const BASE_URL: &str = "base_url";
const TOKEN: &str = "token";
const CLOCK: &str = "clock";
const ROOT: &str = "root";
const FIELDS: &str = "fields";
const LIMITS: &str = "limits";

/// Skew that is worth a warning: signed requests carry this machine's time.
const SKEW_WARN: Duration = Duration::from_secs(60);
/// Past this the server refuses signed requests (WPS signs the date).
const SKEW_REFUSED: Duration = crate::providers::wps::sign::DATE_WINDOW;
/// Departments looked into, at most, for people whose fields to check.
const SAMPLE_DEPTS: usize = 6;
/// Granted departments named on the root line, at most.
const NAMED_ROOTS: usize = 5;
/// Feishu's documented limit for contact calls.
const FEISHU_RATE: f64 = 50.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// One check's outcome, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub status: Status,
    pub check: &'static str,
    pub detail: String,
    pub fix: Option<String>,
    /// The exit status this check asks for when it fails.
    #[serde(skip)]
    exit: i32,
}

impl Check {
    fn ok(check: &'static str, detail: impl Into<String>) -> Check {
        Check::new(Status::Ok, check, detail.into(), None, exit::OK)
    }

    fn warn(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(
            Status::Warn,
            check,
            detail.into(),
            Some(fix.into()),
            exit::OK,
        )
    }

    fn fail(
        check: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
        code: i32,
    ) -> Check {
        Check::new(Status::Fail, check, detail.into(), Some(fix.into()), code)
    }

    fn skip(check: &'static str, why: &str) -> Check {
        Check::new(
            Status::Skip,
            check,
            format!("not run: {why}"),
            None,
            exit::OK,
        )
    }

    fn new(
        status: Status,
        check: &'static str,
        detail: String,
        fix: Option<String>,
        exit: i32,
    ) -> Check {
        Check {
            status,
            check,
            detail,
            fix,
            exit,
        }
    }

    fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}

/// Prints checks as they come and remembers the exit status.
struct Report {
    json: bool,
    /// Cut out of every line, should any text (a server's message) carry it.
    secret: Option<Secret>,
    exit: i32,
}

impl Report {
    fn push(&mut self, mut c: Check) -> Result<bool> {
        c.detail = self.clean(&c.detail);
        c.fix = c.fix.as_deref().map(|f| self.clean(f));
        if c.failed() && self.exit == exit::OK {
            self.exit = c.exit;
        }
        let line = if self.json {
            serde_json::to_string(&c).map_err(|e| Error::Io(format!("cannot encode JSON: {e}")))?
        } else {
            text_line(&c)
        };
        super::output::emit(&format!("{line}\n"))?;
        Ok(!c.failed())
    }

    /// Every check in `rest` reported as skipped because of `why`.
    fn skip(&mut self, rest: &[&'static str], why: &str) -> Result<()> {
        for check in rest {
            self.push(Check::skip(check, why))?;
        }
        Ok(())
    }

    fn clean(&self, s: &str) -> String {
        let s = match &self.secret {
            Some(secret) => secret.scrub(s),
            None => s.to_string(),
        };
        crate::text::sanitize_line(&s, 600)
    }
}

/// `ok    token     detail  (fix)`: status and check name in columns.
fn text_line(c: &Check) -> String {
    let mut line = format!("{:<4}  {:<8}  {}", c.status.as_str(), c.check, c.detail);
    if let Some(fix) = &c.fix {
        line.push_str(&format!("  ({fix})"));
    }
    line
}

/// What the checks run against: a resolved profile and its client (and the demo server
/// behind it, kept alive as long as this).
struct Target {
    profile: Profile,
    dir: Arc<dyn Directory>,
    _demo: Option<Session>,
}

pub async fn run(cli: &Cli, json: bool) -> Result<i32> {
    if cli.offline || cli.org_file.is_some() {
        return Err(Error::Usage(
            "doctor checks a live connection: drop --offline and --org-file".into(),
        ));
    }
    let mut report = Report {
        json,
        secret: None,
        exit: exit::OK,
    };
    let after_config = [SECRET, BASE_URL, TOKEN, CLOCK, ROOT, FIELDS, LIMITS];
    let target = match target(cli).await {
        Ok((target, config_line)) => {
            report.push(config_line)?;
            target
        }
        Err(e) => {
            report.push(config_failure(&e))?;
            report.skip(&after_config, "no usable profile")?;
            return Ok(report.exit);
        }
    };
    report.secret = Some(target.profile.app_secret.clone());
    if report.push(secret_check(cli, &target.profile))? {
        online_checks(&mut report, &target).await?;
    } else {
        report.skip(&[BASE_URL, TOKEN, CLOCK, ROOT, FIELDS], "no app secret")?;
    }
    report.push(limits_check(&target.profile))?;
    Ok(report.exit)
}

/// The checks that talk to the server, each skipped when one it needs failed.
async fn online_checks(report: &mut Report, target: &Target) -> Result<()> {
    let (profile, dir) = (&target.profile, target.dir.as_ref());
    if !report.push(base_url_check(profile).await)? {
        return report.skip(&[TOKEN, CLOCK, ROOT, FIELDS], "the base URL is unreachable");
    }
    let before = SystemTime::now();
    let probe = dir.probe().await;
    let after = SystemTime::now();
    let (token_line, server_date) = token_check(profile.provider, probe);
    if !report.push(token_line)? {
        return report.skip(&[CLOCK, ROOT, FIELDS], "no token");
    }
    let local = midpoint(before, after);
    if !report.push(clock_check(profile.provider, server_date, local))? {
        return report.skip(
            &[ROOT, FIELDS],
            "signed requests are refused while the clock is this far off",
        );
    }
    let (root_line, starts) = root_check(dir, profile.provider).await;
    if !report.push(root_line)? {
        return report.skip(&[FIELDS], "no department is readable");
    }
    report.push(fields_check(dir, profile.provider, starts).await)?;
    Ok(())
}

// ---- config and secret ----

/// The profile to check (or the demo's) and the config line describing where it came from.
async fn target(cli: &Cli) -> Result<(Target, Check)> {
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
    let (file, file_name) = super::config_file(cli)?;
    let profile = super::resolve_profile(cli, &file, &file_name)?;
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
fn config_detail(cli: &Cli, profile: &Profile) -> String {
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
fn profile_named_env(path: Option<&std::path::Path>) -> bool {
    path.and_then(|p| config::load_file(Some(p), false).ok())
        .is_some_and(|f| f.profiles.contains_key("env"))
}

/// The override variables that are set, by name (their values may be secret).
fn env_overrides() -> Vec<&'static str> {
    const VARS: [&str; 9] = [
        "ORGTUI_PROFILE",
        "ORGTUI_PROVIDER",
        "ORGTUI_BASE_URL",
        "ORGTUI_APP_ID",
        "ORGTUI_APP_SECRET",
        "ORGTUI_OPENAPI_PREFIX",
        "ORGTUI_GRAPH_PREFIX",
        "ORGTUI_RATE_LIMIT",
        "ORGTUI_CONCURRENCY",
    ];
    VARS.into_iter()
        .filter(|v| config::process_env(v).is_some())
        .collect()
}

fn config_failure(e: &Error) -> Check {
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
fn secret_check(cli: &Cli, profile: &Profile) -> Check {
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
fn others_can_read(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(not(unix))]
fn others_can_read(_path: &std::path::Path) -> bool {
    false
}

// ---- the connection ----

/// The base URL answers at all (any HTTP status will do), over verified TLS; plain http is
/// fine only to this machine.
async fn base_url_check(profile: &Profile) -> Check {
    let url = profile.base_url.as_str();
    let client = reqwest::Client::builder()
        .connect_timeout(profile.http.connect_timeout)
        .timeout(profile.http.request_timeout)
        .user_agent(concat!("orgtui/", env!("CARGO_PKG_VERSION")))
        .build();
    let answer = match client {
        Ok(c) => c.get(url).send().await,
        Err(e) => {
            return Check::fail(
                BASE_URL,
                format!("cannot set up an HTTP client: {}", chain(&e)),
                "see the message",
                exit::NETWORK,
            );
        }
    };
    match answer {
        Ok(resp) => answered(url, resp.status().as_u16()),
        Err(e) => unreachable(url, &e),
    }
}

/// The base URL answered with `status`: fine over https, or over http to this machine.
fn answered(url: &str, status: u16) -> Check {
    let plain = url.starts_with("http://");
    let local = url::Url::parse(url).is_ok_and(|u| is_loopback(&u));
    match (plain, local) {
        (false, _) => Check::ok(
            BASE_URL,
            format!("{url} answers (HTTP {status}) over verified TLS"),
        ),
        (true, true) => Check::ok(
            BASE_URL,
            format!("{url} answers (HTTP {status}); plain http, to this machine only"),
        ),
        (true, false) => Check::warn(
            BASE_URL,
            format!("{url} answers (HTTP {status}), but over plain http"),
            "use an https base_url: over http the app secret and the tokens cross the network unencrypted",
        ),
    }
}

fn unreachable(url: &str, e: &reqwest::Error) -> Check {
    let why = chain(e);
    let lower = why.to_lowercase();
    // rustls speaks of the certificate, the handshake or a "corrupt message" (the other end
    // does not speak TLS at all); its error types are not reachable from here, its words are.
    let tls_words = [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "alert",
    ];
    let fix = if tls_words.iter().any(|w| lower.contains(w)) {
        "TLS failed: check that base_url's host serves https on that port with a certificate this machine trusts (system CA certificates, any intercepting proxy)"
    } else if e.is_timeout() {
        "no answer in time: check base_url, the network, the firewall and any proxy"
    } else {
        "check base_url (host and port), DNS, the network and any proxy; is the server up?"
    };
    Check::fail(BASE_URL, format!("{url}: {why}"), fix, exit::NETWORK)
}

/// A reqwest error and its causes in one line (reqwest's own text names the URL, which the
/// line already does).
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut cur = std::error::Error::source(e);
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    if parts.is_empty() {
        parts.push(e.to_string());
    }
    parts.join(": ")
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// The token line, and the server's clock from the token reply for the clock check.
fn token_check(
    provider: ProviderKind,
    probe: Result<Option<crate::directory::Probe>>,
) -> (Check, Option<SystemTime>) {
    match probe {
        Ok(Some(p)) => (
            Check::ok(
                TOKEN,
                format!("obtained; it lives {}", duration_text(p.token_lifetime)),
            ),
            p.server_date,
        ),
        Ok(None) => (Check::ok(TOKEN, "this directory needs no token"), None),
        Err(e) => (error_check(TOKEN, provider, &e), None),
    }
}

/// A failed call as a check line: the error as it came, the fix by its kind.
fn error_check(check: &'static str, provider: ProviderKind, e: &Error) -> Check {
    let fix = match e {
        Error::Auth { .. } if check == TOKEN => credentials_fix(provider).to_string(),
        Error::Auth { .. } => format!(
            "the server refused the token or the signature: check the app's credentials and this machine's clock; {}",
            credentials_fix(provider)
        ),
        Error::Network { .. } => {
            "check base_url, the network and any proxy; the request got no answer after retries".into()
        }
        Error::Server { .. } | Error::Protocol { .. } => {
            "the server is in trouble, or base_url (or openapi_prefix) does not point at the provider's API".into()
        }
        _ => "see the message".into(),
    };
    Check::fail(check, e.to_string(), fix, e.exit_code())
}

fn credentials_fix(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Wps => {
            "check app_id and app_secret: the app's AK and SK in the WPS 365 developer console"
        }
        ProviderKind::Feishu | ProviderKind::Lark => {
            "check app_id and app_secret: App ID and App Secret under 凭证与基础信息 in the developer console"
        }
    }
}

// ---- the clock ----

fn midpoint(a: SystemTime, b: SystemTime) -> SystemTime {
    a + b.duration_since(a).unwrap_or_default() / 2
}

/// This machine's clock against the server's `Date`. WPS signs the date (KSO-1, WPS-4) and
/// refuses signatures too far off; Feishu signs nothing, but a clock that far off breaks other
/// things too (TLS certificates, logs).
fn clock_check(provider: ProviderKind, server: Option<SystemTime>, local: SystemTime) -> Check {
    let Some(server) = server else {
        return Check::warn(
            CLOCK,
            "the server sent no Date header: the clock cannot be compared",
            "none needed unless signed requests are refused; then sync this machine's clock",
        );
    };
    // `Date` has whole seconds, cut down: half a second puts it back in the middle.
    let server = server + Duration::from_millis(500);
    let (skew, side) = match server.duration_since(local) {
        Ok(d) => (d, "behind"),
        Err(e) => (e.duration(), "ahead of"),
    };
    let secs = skew.as_secs_f64().round() as u64;
    let said = format!(
        "this machine's clock is {} {side} the server's",
        skew_text(secs)
    );
    let signed = provider == ProviderKind::Wps;
    if skew <= SKEW_WARN {
        return Check::ok(CLOCK, format!("within {} of the server's", skew_text(secs)));
    }
    if signed && skew > SKEW_REFUSED {
        return Check::fail(
            CLOCK,
            format!("{said}: WPS refuses KSO-1 / WPS-4 signatures dated more than 15 minutes off"),
            "sync this machine's clock (e.g. `timedatectl set-ntp true`, or your OS's time settings)",
            exit::AUTH,
        );
    }
    let why = if signed {
        "signed requests carry the time and are refused past 15 minutes"
    } else {
        "requests are not signed here, but TLS and token expiry rely on it"
    };
    Check::warn(
        CLOCK,
        said,
        format!("sync this machine's clock (e.g. `timedatectl set-ntp true`): {why}"),
    )
}

/// `300 s (5m 0s)`: the exact figure, and a readable one when it is long.
fn skew_text(secs: u64) -> String {
    if secs < 60 {
        format!("{secs} s")
    } else {
        format!("{secs} s ({})", duration_text(Duration::from_secs(secs)))
    }
}

fn duration_text(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

// ---- the contact range ----

/// Whether the root is readable; when the range is limited, which departments are. Also the
/// departments to look for people in.
async fn root_check(dir: &dyn Directory, provider: ProviderKind) -> (Check, Vec<Dept>) {
    match dir.root().await {
        Ok(root) if root.id == RANGE_ROOT_ID => limited_root(dir, provider, root).await,
        Ok(root) => {
            let line = Check::ok(
                ROOT,
                format!(
                    "the root department {} is readable: the app may read the whole company",
                    dept_name(&root)
                ),
            );
            (line, vec![root])
        }
        Err(e) if is_refusal(&e) => refused_root(dir, provider, &e).await,
        Err(e) => (error_check(ROOT, provider, &e), Vec::new()),
    }
}

/// The contact-range directory's stand-in root: its children are the granted departments.
async fn limited_root(
    dir: &dyn Directory,
    provider: ProviderKind,
    stand_in: Dept,
) -> (Check, Vec<Dept>) {
    let granted = match dir.children(RANGE_ROOT_ID, None).await {
        Ok(page) => page.items,
        Err(e) => return (error_check(ROOT, provider, &e), Vec::new()),
    };
    let what = match granted.is_empty() {
        true => "people granted one by one".to_string(),
        false => named(&granted),
    };
    let line = Check::warn(
        ROOT,
        format!("the contact range is limited to {what}"),
        range_fix(provider),
    );
    // Looked into first for people: its own members are the people granted one by one.
    (line, vec![stand_in])
}

/// The root was refused: the app's range says what it may read, if the provider tells.
async fn refused_root(
    dir: &dyn Directory,
    provider: ProviderKind,
    e: &Error,
) -> (Check, Vec<Dept>) {
    let range = match dir.contact_range().await {
        Ok(Some(r)) if !r.dept_ids.is_empty() || !r.user_ids.is_empty() => r,
        Ok(Some(_)) => {
            let line = Check::fail(
                ROOT,
                format!("the root is refused ({e}) and the app's contact range is empty"),
                range_fix(provider),
                exit::NOT_FOUND,
            );
            return (line, Vec::new());
        }
        Ok(None) | Err(_) => {
            let line = Check::fail(
                ROOT,
                format!("the root is refused: {e}"),
                root_fix(provider),
                exit::NOT_FOUND,
            );
            return (line, Vec::new());
        }
    };
    let depts = granted_depts(dir, &range).await;
    let mut parts = Vec::new();
    if !depts.is_empty() {
        parts.push(named(&depts));
    }
    if !range.user_ids.is_empty() {
        let n = range.user_ids.len();
        let people = if n == 1 { "person" } else { "people" };
        parts.push(format!("{n} {people} granted one by one"));
    }
    let line = Check::warn(
        ROOT,
        format!(
            "the root is refused: the contact range is limited to {}",
            parts.join(" and ")
        ),
        range_fix(provider),
    );
    (line, depts)
}

/// The granted departments with their names where they can be read (the first few; the
/// rest by id).
async fn granted_depts(dir: &dyn Directory, range: &ContactRange) -> Vec<Dept> {
    let mut out = Vec::new();
    for (i, id) in range.dept_ids.iter().enumerate() {
        let named = match i < NAMED_ROOTS {
            true => dir.dept(id).await.ok(),
            false => None,
        };
        out.push(named.unwrap_or_else(|| Dept {
            id: id.clone(),
            ..Dept::default()
        }));
    }
    out
}

/// Refused for lack of range or permission rather than broken: Feishu 40004 (mapped to not
/// found or out of range) and 99991672 (a scope missing), WPS HTTP 403 / 403000001. Reported
/// with exit status 1, as the CLI reports a department outside the range.
fn is_refusal(e: &Error) -> bool {
    match e {
        Error::NotFound { .. } | Error::OutOfRange { .. } => true,
        Error::Server { reply, .. } => {
            reply.status == Some(403)
                || matches!(reply.code, Some(403_000_001 | 40004 | 99_991_672))
        }
        _ => false,
    }
}

/// `2 departments: 研发中心 (d1), 销售部 (d2)`, the first few named.
fn named(depts: &[Dept]) -> String {
    let count = match depts.len() {
        1 => "1 department".to_string(),
        n => format!("{n} departments"),
    };
    if depts.is_empty() {
        return "no department".into();
    }
    let mut names: Vec<String> = depts.iter().take(NAMED_ROOTS).map(dept_name).collect();
    if depts.len() > NAMED_ROOTS {
        names.push(format!("and {} more", depts.len() - NAMED_ROOTS));
    }
    format!("{count}: {}", names.join(", "))
}

fn dept_name(d: &Dept) -> String {
    match d.name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} ({})", d.id),
        None => d.id.clone(),
    }
}

fn range_fix(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Wps => {
            "orgtui shows only the granted departments; to read the whole company set the app's contact range (通讯录权限范围) to the whole organization in the WPS 365 developer console"
        }
        ProviderKind::Feishu | ProviderKind::Lark => {
            "orgtui shows only the granted departments; to read the whole company set the app's contact data range (通讯录权限范围) to all members in the developer console and publish a new version"
        }
    }
}

fn root_fix(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Wps => {
            "grant the app kso.contact.read and set its contact range (通讯录权限范围) to the whole organization in the WPS 365 developer console"
        }
        ProviderKind::Feishu | ProviderKind::Lark => {
            "grant the app the contact read scope (以应用身份读取通讯录) with the data range set to all members, then publish a new version"
        }
    }
}

// ---- field scopes ----

/// Whether people come back with emails and mobiles: a page of members from the first
/// readable department that has any.
async fn fields_check(dir: &dyn Directory, provider: ProviderKind, starts: Vec<Dept>) -> Check {
    let (users, where_) = match sample_people(dir, starts).await {
        Ok(found) => found,
        Err(e) => return error_check(FIELDS, provider, &e),
    };
    let n = users.len();
    if n == 0 {
        return Check::warn(
            FIELDS,
            format!(
                "found nobody in the first {SAMPLE_DEPTS} readable departments to check emails and mobiles on"
            ),
            "check with `orgtui members DEPT_ID` on a department with people",
        );
    }
    let has = |f: fn(&User) -> Option<&str>| {
        users
            .iter()
            .filter(|u| f(u).is_some_and(|v| !v.trim().is_empty()))
            .count()
    };
    let (emails, mobiles) = (has(|u| u.email.as_deref()), has(|u| u.mobile.as_deref()));
    let counts = format!("{emails} of {n} people in {where_} have an email, {mobiles} a mobile");
    let (email_scope, phone_scope) = field_scopes(provider);
    let missing: Vec<&str> = [(emails, email_scope), (mobiles, phone_scope)]
        .into_iter()
        .filter(|(count, _)| *count == 0)
        .map(|(_, scope)| scope)
        .collect();
    if missing.is_empty() {
        return Check::ok(FIELDS, format!("emails and mobiles come back: {counts}"));
    }
    Check::warn(
        FIELDS,
        counts,
        format!(
            "grant the app {}{}",
            missing.join(" and "),
            field_fix_tail(provider)
        ),
    )
}

/// The email and mobile field permissions, as each provider's console names them.
fn field_scopes(provider: ProviderKind) -> (&'static str, &'static str) {
    match provider {
        ProviderKind::Wps => ("kso.user_email.read", "kso.user_phone.read"),
        ProviderKind::Feishu | ProviderKind::Lark => (
            "the field permission 获取用户邮箱信息 (contact:user.email:readonly)",
            "the field permission 获取用户手机号 (contact:user.phone:readonly)",
        ),
    }
}

fn field_fix_tail(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Wps => {
            " in the WPS 365 developer console; without them these fields come back empty"
        }
        ProviderKind::Feishu | ProviderKind::Lark => {
            ", then publish a new version; without them these fields come back empty"
        }
    }
}

/// The first page of members of the first department (breadth first from `starts`) that has
/// any, and where they were found; at most `SAMPLE_DEPTS` departments are looked into.
async fn sample_people(dir: &dyn Directory, starts: Vec<Dept>) -> Result<(Vec<User>, String)> {
    let mut queue: VecDeque<Dept> = starts.into();
    for _ in 0..SAMPLE_DEPTS {
        let Some(dept) = queue.pop_front() else {
            break;
        };
        let page = dir.members(&dept.id, None).await?;
        if !page.items.is_empty() {
            let shown = match dept.id.as_str() {
                RANGE_ROOT_ID => "the people granted one by one".to_string(),
                _ => dept_name(&dept),
            };
            return Ok((page.items, shown));
        }
        queue.extend(dir.children(&dept.id, None).await?.items);
    }
    Ok((Vec::new(), String::new()))
}

// ---- limits ----

/// The client-side rate limit and concurrency this profile will use.
fn limits_check(profile: &Profile) -> Check {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Page;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn clock_thresholds() {
        let local = at(1_000_000) + Duration::from_millis(500);
        let wps = ProviderKind::Wps;
        assert_eq!(
            clock_check(wps, Some(at(1_000_010)), local).status,
            Status::Ok
        );
        let warn = clock_check(wps, Some(at(1_000_300)), local);
        assert_eq!(warn.status, Status::Warn);
        assert!(
            warn.detail.contains("300 s (5m 0s) behind"),
            "{}",
            warn.detail
        );
        let ahead = clock_check(wps, Some(at(999_700)), local);
        assert!(
            ahead.detail.contains("300 s (5m 0s) ahead of"),
            "{}",
            ahead.detail
        );
        let refused = clock_check(wps, Some(at(1_001_000)), local);
        assert_eq!((refused.status, refused.exit), (Status::Fail, exit::AUTH));
        // Feishu signs nothing: far off is a warning only.
        let feishu = clock_check(ProviderKind::Feishu, Some(at(1_001_000)), local);
        assert_eq!(feishu.status, Status::Warn);
        assert_eq!(clock_check(wps, None, local).status, Status::Warn);
    }

    #[test]
    fn plain_http_is_fine_only_to_this_machine() {
        assert_eq!(answered("https://openapi.wps.cn", 404).status, Status::Ok);
        assert_eq!(answered("http://127.0.0.1:8080", 404).status, Status::Ok);
        let far = answered("http://wps.example.corp", 200);
        assert_eq!(far.status, Status::Warn);
        assert!(far.fix.unwrap().contains("https"));
    }

    #[test]
    fn loopback_hosts() {
        let lo = |u: &str| is_loopback(&url::Url::parse(u).unwrap());
        assert!(lo("http://127.0.0.1:8080") && lo("http://[::1]:1") && lo("http://localhost"));
        assert!(!lo("http://10.0.0.1") && !lo("http://example.com"));
    }

    #[test]
    fn report_lines_are_scrubbed_and_sanitized() {
        let report = Report {
            json: false,
            secret: Some(Secret::new("hunter22")),
            exit: exit::OK,
        };
        assert_eq!(report.clean("echo hunter22\x1b[2J"), "echo ***\u{FFFD}[2J");
        let line = text_line(&Check::warn(CLOCK, "off", "sync"));
        assert_eq!(line, "warn  clock     off  (sync)");
    }

    /// A directory whose root is the contact-range stand-in, or refused with a range (or
    /// none) behind it.
    struct Limited {
        stand_in: bool,
        range: Option<ContactRange>,
    }

    fn dept(id: &str, name: &str) -> Dept {
        Dept {
            id: id.into(),
            name: Some(name.into()),
            ..Dept::default()
        }
    }

    #[async_trait::async_trait]
    impl Directory for Limited {
        fn kind(&self) -> ProviderKind {
            ProviderKind::Wps
        }
        async fn root(&self) -> Result<Dept> {
            if self.stand_in {
                return Ok(dept(RANGE_ROOT_ID, "granted"));
            }
            Err(Error::OutOfRange {
                what: "root department".into(),
                reply: crate::error::ServerReply {
                    status: Some(403),
                    code: Some(403_000_001),
                    msg: Some("no permission".into()),
                },
            })
        }
        async fn dept(&self, id: &str) -> Result<Dept> {
            Ok(dept(id, &format!("Dept {id}")))
        }
        async fn children(&self, id: &str, _: Option<&str>) -> Result<Page<Dept>> {
            let items = match id {
                RANGE_ROOT_ID => vec![dept("d1", "研发中心"), dept("d2", "销售部")],
                _ => Vec::new(),
            };
            Ok(Page {
                items,
                next_page: None,
            })
        }
        async fn members(&self, id: &str, _: Option<&str>) -> Result<Page<User>> {
            let items = match id {
                "d1" => vec![User {
                    id: "u1".into(),
                    email: Some("a@x.example".into()),
                    ..User::default()
                }],
                _ => Vec::new(),
            };
            Ok(Page {
                items,
                next_page: None,
            })
        }
        async fn user(&self, id: &str) -> Result<User> {
            Err(Error::not_found(id))
        }
        async fn users(&self, _: &[String]) -> Result<Vec<User>> {
            Ok(Vec::new())
        }
        async fn users_by_emails(&self, _: &[String]) -> Result<Vec<crate::model::EmailMatch>> {
            Ok(Vec::new())
        }
        async fn contact_range(&self) -> Result<Option<ContactRange>> {
            Ok(self.range.clone())
        }
    }

    #[tokio::test]
    async fn stand_in_root_names_the_granted_departments() {
        let dir = Limited {
            stand_in: true,
            range: None,
        };
        let (line, starts) = root_check(&dir, ProviderKind::Wps).await;
        assert_eq!(line.status, Status::Warn);
        assert!(
            line.detail
                .contains("2 departments: 研发中心 (d1), 销售部 (d2)"),
            "{}",
            line.detail
        );
        assert!(line.fix.unwrap().contains("通讯录权限范围"));
        // People are looked for under the granted departments: d1 has an email, no mobile.
        let fields = fields_check(&dir, ProviderKind::Wps, starts).await;
        assert_eq!(fields.status, Status::Warn, "{}", fields.detail);
        let fix = fields.fix.unwrap();
        assert!(fix.contains("kso.user_phone.read") && !fix.contains("kso.user_email.read"));
    }

    #[tokio::test]
    async fn refused_root_names_what_the_range_grants() {
        let dir = Limited {
            stand_in: false,
            range: Some(ContactRange {
                dept_ids: vec!["d1".into()],
                user_ids: vec!["u9".into()],
            }),
        };
        let (line, starts) = root_check(&dir, ProviderKind::Wps).await;
        assert_eq!(line.status, Status::Warn);
        assert!(
            line.detail.contains("1 department: Dept d1 (d1)"),
            "{}",
            line.detail
        );
        assert!(
            line.detail.contains("1 person granted one by one"),
            "{}",
            line.detail
        );
        let ids: Vec<&str> = starts.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["d1"]);
    }

    #[tokio::test]
    async fn refused_root_without_a_range_fails_with_the_fix() {
        let dir = Limited {
            stand_in: false,
            range: None,
        };
        let (line, _) = root_check(&dir, ProviderKind::Wps).await;
        assert_eq!((line.status, line.exit), (Status::Fail, exit::NOT_FOUND));
        assert!(line.detail.contains("403000001"), "{}", line.detail);
        assert!(line.fix.unwrap().contains("kso.contact.read"));
        let (line, _) = root_check(&dir, ProviderKind::Feishu).await;
        assert!(line.fix.unwrap().contains("以应用身份读取通讯录"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_text(Duration::from_secs(7200)), "2h 0m");
        assert_eq!(duration_text(Duration::from_secs(90)), "1m 30s");
        assert_eq!(skew_text(5), "5 s");
    }
}
