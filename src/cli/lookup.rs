//! `orgtui lookup EMAIL...`: users for emails, in input order; unknown ones and tokens that
//! are no address named on stderr and the exit status 1. `-`, or no argument with standard
//! input not a terminal, reads the addresses from standard input.

use std::io::{IsTerminal, Read};
use std::sync::Arc;

use super::output::{self, UserJson};
use crate::addresses;
use crate::directory::Directory;
use crate::error::{Error, Result, exit};
use crate::text::sanitize_line;

/// The most standard input read: past it, one usage error.
pub const MAX_STDIN_BYTES: u64 = 4 * 1024 * 1024;

/// Stderr lines naming tokens that are no address; the rest are counted in one more line.
const MAX_REJECTED_LINES: usize = 100;

pub async fn run(dir: Arc<dyn Directory>, args: &[String], json: bool) -> Result<i32> {
    let text = input(args).await?;
    let parsed = addresses::parse(&text);
    if parsed.addresses.is_empty() && parsed.rejected.is_empty() {
        return Err(Error::Usage(
            "no email addresses given (as arguments, or `-` to read them from standard input)"
                .into(),
        ));
    }
    let found = if parsed.addresses.is_empty() {
        Vec::new()
    } else {
        dir.users_by_emails(&parsed.addresses).await?
    };
    let missing: Vec<&str> = found
        .iter()
        .filter(|m| m.user.is_none())
        .map(|m| m.email.as_str())
        .collect();
    if json {
        let users: Vec<UserJson> = found
            .iter()
            .filter_map(|m| m.user.as_ref())
            .map(UserJson::from)
            .collect();
        output::emit(&output::to_json(&users)?)?;
    } else {
        let mut text = String::new();
        for m in &found {
            if let Some(u) = &m.user {
                text.push_str(&format!(
                    "{}\t{}\n",
                    sanitize_line(&m.email, addresses::MAX_ADDRESS_CHARS),
                    output::user_line(u)
                ));
            }
        }
        output::emit(&text)?;
    }
    for bad in parsed.rejected.iter().take(MAX_REJECTED_LINES) {
        eprintln!(
            "orgtui: not an email address: {:?}",
            sanitize_line(bad, 200)
        );
    }
    let more = parsed.rejected.len().saturating_sub(MAX_REJECTED_LINES);
    if more > 0 {
        eprintln!("orgtui: and {more} more tokens that are not email addresses");
    }
    for e in &missing {
        eprintln!(
            "orgtui: not found: {}",
            sanitize_line(e, addresses::MAX_ADDRESS_CHARS)
        );
    }
    Ok(if missing.is_empty() && parsed.rejected.is_empty() {
        exit::OK
    } else {
        exit::NOT_FOUND
    })
}

/// The text to read addresses from: the arguments, with `-` standing for standard input,
/// which is also read when there is no argument and it is not a terminal.
async fn input(args: &[String]) -> Result<String> {
    let from_stdin =
        args.iter().any(|a| a == "-") || (args.is_empty() && !std::io::stdin().is_terminal());
    if args.is_empty() && !from_stdin {
        return Err(Error::Usage(
            "give email addresses, or `-` to read them from standard input".into(),
        ));
    }
    let stdin = if from_stdin {
        tokio::task::spawn_blocking(read_stdin)
            .await
            .map_err(|e| Error::Usage(format!("cannot read standard input: {e}")))??
    } else {
        String::new()
    };
    let mut text = String::new();
    if args.is_empty() {
        text = stdin;
    } else {
        let mut stdin = Some(stdin);
        for a in args {
            if a == "-" {
                // Read once: a second `-` has nothing more.
                text.push_str(&stdin.take().unwrap_or_default());
            } else {
                text.push_str(a);
            }
            text.push('\n');
        }
    }
    Ok(text)
}

fn read_stdin() -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_STDIN_BYTES.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Usage(format!("cannot read standard input: {e}")))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_STDIN_BYTES {
        return Err(Error::Usage(format!(
            "standard input holds more than {} MiB of addresses; split it",
            MAX_STDIN_BYTES / (1024 * 1024)
        )));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
