//! The checks of the connection: the base URL answers (over TLS, or plain http to this machine
//! only), a token comes back with its lifetime, and the clocks agree.

use super::*;

// ---- the connection ----

/// The base URL answers at all (any HTTP status will do), over verified TLS; plain http is
/// fine only to this machine. A redirect is not followed, as no call of orgtui follows one:
/// the answer is the redirect itself, with where it pointed.
pub(super) async fn base_url_check(profile: &Profile) -> Check {
    let url = profile.base_url.as_str();
    let client = reqwest::Client::builder()
        .connect_timeout(profile.http.connect_timeout)
        .timeout(profile.http.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
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
        Ok(resp) => {
            let mut check = answered(url, resp.status().as_u16());
            if resp.status().is_redirection() {
                check.detail = format!("{}; {}", check.detail, redirect_note(resp.headers()));
            }
            check
        }
        Err(e) => unreachable(url, &e),
    }
}

/// Where a redirect pointed, named as the HTTP layer names it in its error.
fn redirect_note(headers: &reqwest::header::HeaderMap) -> String {
    match crate::http::redirect_location(headers) {
        Some(loc) => format!("it redirects to {loc:?}, not followed (orgtui follows no redirects)"),
        None => "it redirects without a Location, not followed (orgtui follows no redirects)"
            .to_string(),
    }
}

/// The base URL answered with `status`: fine over https, or over http to this machine.
pub(super) fn answered(url: &str, status: u16) -> Check {
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

pub(super) fn unreachable(url: &str, e: &reqwest::Error) -> Check {
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
pub(super) fn chain(e: &dyn std::error::Error) -> String {
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

pub(super) fn is_loopback(url: &url::Url) -> bool {
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
pub(super) fn token_check(
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
pub(super) fn error_check(check: &'static str, provider: ProviderKind, e: &Error) -> Check {
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

pub(super) fn credentials_fix(provider: ProviderKind) -> &'static str {
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

pub(super) fn midpoint(a: SystemTime, b: SystemTime) -> SystemTime {
    let half = b
        .duration_since(a)
        .unwrap_or_default()
        .checked_div(2)
        .unwrap_or_default();
    a.checked_add(half).unwrap_or(a)
}

/// This machine's clock against the server's `Date`. WPS signs the date (KSO-1, WPS-4) and
/// refuses signatures too far off; Feishu signs nothing, but a clock that far off breaks other
/// things too (TLS certificates, logs).
pub(super) fn clock_check(
    provider: ProviderKind,
    server: Option<SystemTime>,
    local: SystemTime,
) -> Check {
    let Some(server) = server else {
        return Check::warn(
            CLOCK,
            "the server sent no Date header: the clock cannot be compared",
            "none needed unless signed requests are refused; then sync this machine's clock",
        );
    };
    // `Date` has whole seconds, cut down: half a second puts it back in the middle.
    let server = server
        .checked_add(Duration::from_millis(500))
        .unwrap_or(server);
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
pub(super) fn skew_text(secs: u64) -> String {
    if secs < 60 {
        format!("{secs} s")
    } else {
        format!("{secs} s ({})", duration_text(Duration::from_secs(secs)))
    }
}

pub(super) fn duration_text(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn durations_read_well() {
        assert_eq!(duration_text(Duration::from_secs(7200)), "2h 0m");
        assert_eq!(duration_text(Duration::from_secs(90)), "1m 30s");
        assert_eq!(skew_text(5), "5 s");
    }
}
