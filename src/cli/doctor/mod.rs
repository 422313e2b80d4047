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
//!
//! `report` prints the lines; `local` holds the checks that need no server (config, secret,
//! limits), `connection` the reachability, token and clock checks, `directory` the root or
//! contact range and the email and mobile fields.

mod connection;
mod directory;
mod local;
mod report;

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

use self::connection::*;
use self::directory::*;
use self::local::*;
use self::report::*;

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
