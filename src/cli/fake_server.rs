//! `orgtui fake-server`: serve an org file over the WPS or Feishu protocol. The first line on
//! stdout is `listening on http://ADDR`, so scripts can start it on port 0 and read the port.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::directory::ProviderKind;
use crate::error::{Error, Result, exit};
use crate::fake::{self, FakeOptions, Org};
use crate::providers::wps::config::normalize_prefix;
use crate::secret::Secret;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = "wps", value_name = "wps|feishu|lark")]
    pub provider: String,
    /// Org file to serve (default: the bundled demo org).
    #[arg(long, value_name = "FILE")]
    pub org: Option<PathBuf>,
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    #[arg(long, default_value = "demo-app")]
    pub app_id: String,
    /// The fake's own secret (not a real credential).
    #[arg(long, default_value = "demo-secret")]
    pub app_secret: String,
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Requests per second before answering 429.
    #[arg(long)]
    pub rate_limit: Option<f64>,
    /// Probability of answering 500.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Answer 500 to every Nth request.
    #[arg(long)]
    pub fail_every: Option<u64>,
    /// Answer 429 (the provider's rate-limit envelope) to every Nth request.
    #[arg(long, value_name = "N")]
    pub throttle_every: Option<u64>,
    /// Answer 503 with an HTML body (a gateway's error page) to every Nth request.
    #[arg(long, value_name = "N")]
    pub unavailable_every: Option<u64>,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 7200)]
    pub token_ttl: u64,
    /// WPS private deployment: serve v7 under this prefix (e.g. /openapi).
    #[arg(long, default_value = "")]
    pub openapi_prefix: String,
    /// WPS private deployment: serve WPS-4 calls under this prefix.
    #[arg(long, default_value = "/graph")]
    pub graph_prefix: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Shift the fake's clock by S seconds (negative: behind): its `Date` header and the
    /// KSO-1 / WPS-4 date check (15-minute window) use the shifted clock.
    #[arg(
        long,
        default_value_t = 0,
        value_name = "S",
        allow_hyphen_values = true
    )]
    pub clock_skew: i64,
    /// Act as if the app lacked the email and phone field scopes: user records carry no
    /// email and no mobile (both protocols).
    #[arg(long)]
    pub no_email_scope: bool,
    /// Limit the app's contact range: department ids (their subtrees) and user ids, comma
    /// separated. Everything else answers the provider's no-authority error.
    #[arg(long, value_name = "ID,ID", value_delimiter = ',')]
    pub scope: Option<Vec<String>>,
    /// Refuse the company-wide listings (WPS `GET /v7/users`, Feishu `fetch_child=true`)
    /// with the provider's no-permission error, as for an app without that grant.
    #[arg(long)]
    pub no_company_listings: bool,
}

pub async fn run(args: &Args) -> Result<i32> {
    let provider = ProviderKind::parse(&args.provider)
        .ok_or_else(|| Error::Usage(format!("--provider: unknown provider {:?}", args.provider)))?;
    if args.clock_skew.unsigned_abs() > fake::clock::MAX_SKEW_SECS.unsigned_abs() {
        return Err(Error::Usage(format!(
            "--clock-skew: at most {} seconds either way",
            fake::clock::MAX_SKEW_SECS
        )));
    }
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err(Error::Usage("--fail-rate: must be between 0 and 1".into()));
    }
    let org = match &args.org {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::Usage(format!("--org {}: {e}", path.display())))?;
            Org::from_json(&text)
                .map_err(|e| Error::Usage(format!("--org {}: {e}", path.display())))?
        }
        None => Org::from_json(fake::DEMO_ORG_JSON)
            .map_err(|e| Error::Io(format!("bundled demo org: {e}")))?,
    };
    if let Some(ids) = &args.scope {
        fake::scope::Scope::new(&org, ids).map_err(|e| Error::Usage(format!("--scope: {e}")))?;
    }
    let opts = FakeOptions {
        provider,
        app_id: args.app_id.clone(),
        app_secret: Secret::new(args.app_secret.clone()),
        latency: Duration::from_millis(args.latency_ms),
        rate_limit: args.rate_limit.filter(|r| *r > 0.0),
        fail_rate: args.fail_rate,
        fail_every: args.fail_every,
        throttle_every: args.throttle_every,
        unavailable_every: args.unavailable_every,
        token_ttl: Duration::from_secs(args.token_ttl.max(1)),
        openapi_prefix: normalize_prefix(&args.openapi_prefix),
        graph_prefix: normalize_prefix(&args.graph_prefix),
        seed: args.seed,
        clock_skew: args.clock_skew,
        no_email_scope: args.no_email_scope,
        scope: args.scope.clone(),
        no_company_listings: args.no_company_listings,
    };
    let server = fake::start(org, opts, args.addr)
        .await
        .map_err(|e| Error::Usage(format!("--addr {}: {e}", args.addr)))?;
    super::output::emit(&format!("listening on {}\n", server.base_url()))?;
    server.wait().await;
    Ok(exit::OK)
}
