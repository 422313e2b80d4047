//! The doctor's lines: each check's outcome, and the report that prints them as they come
//! (text or JSON Lines), scrubbed of the secret and sanitized, and keeps the exit status.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
}

impl Status {
    pub(super) fn as_str(self) -> &'static str {
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
    pub(super) exit: i32,
}

impl Check {
    pub(super) fn ok(check: &'static str, detail: impl Into<String>) -> Check {
        Check::new(Status::Ok, check, detail.into(), None, exit::OK)
    }

    pub(super) fn warn(
        check: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check::new(
            Status::Warn,
            check,
            detail.into(),
            Some(fix.into()),
            exit::OK,
        )
    }

    pub(super) fn fail(
        check: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
        code: i32,
    ) -> Check {
        Check::new(Status::Fail, check, detail.into(), Some(fix.into()), code)
    }

    pub(super) fn skip(check: &'static str, why: &str) -> Check {
        Check::new(
            Status::Skip,
            check,
            format!("not run: {why}"),
            None,
            exit::OK,
        )
    }

    pub(super) fn new(
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

    pub(super) fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}

/// Prints checks as they come and remembers the exit status.
pub(super) struct Report {
    pub(super) json: bool,
    /// Cut out of every line, should any text (a server's message) carry it.
    pub(super) secret: Option<Secret>,
    pub(super) exit: i32,
}

impl Report {
    pub(super) fn push(&mut self, mut c: Check) -> Result<bool> {
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
        super::super::output::emit(&format!("{line}\n"))?;
        Ok(!c.failed())
    }

    /// Every check in `rest` reported as skipped because of `why`.
    pub(super) fn skip(&mut self, rest: &[&'static str], why: &str) -> Result<()> {
        for check in rest {
            self.push(Check::skip(check, why))?;
        }
        Ok(())
    }

    pub(super) fn clean(&self, s: &str) -> String {
        let s = match &self.secret {
            Some(secret) => secret.scrub(s),
            None => s.to_string(),
        };
        crate::text::sanitize_line(&s, 600)
    }
}

/// `ok    token     detail  (fix)`: status and check name in columns.
pub(super) fn text_line(c: &Check) -> String {
    let mut line = format!("{:<4}  {:<8}  {}", c.status.as_str(), c.check, c.detail);
    if let Some(fix) = &c.fix {
        line.push_str(&format!("  ({fix})"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
