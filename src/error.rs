//! One error type for the engine, with the CLI's exit status attached to each kind.
//! Messages name the endpoint, HTTP status, provider code and message; they never contain
//! a secret or a token: those are `Secret`s and are not formatted anywhere, and whatever a
//! server echoes back is cut out by the HTTP client's `Scrubber` (`Error::scrubbed`).

use std::fmt;

use crate::secret::Scrubber;

pub type Result<T> = std::result::Result<T, Error>;

/// Exit statuses of the CLI contract.
pub mod exit {
    pub const OK: i32 = 0;
    pub const NOT_FOUND: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const AUTH: i32 = 3;
    pub const NETWORK: i32 = 4;
}

/// What the server said, as far as it said it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerReply {
    pub status: Option<u16>,
    pub code: Option<i64>,
    pub msg: Option<String>,
}

impl fmt::Display for ServerReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(s) = self.status {
            write!(f, "HTTP {s}")?;
            sep = ", ";
        }
        if let Some(c) = self.code {
            write!(f, "{sep}code {c}")?;
            sep = ", ";
        }
        if let Some(m) = &self.msg {
            write!(f, "{sep}{:?}", crate::text::sanitize_line(m, 200))?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or is outside the app's scope).
    #[error("not found: {what}")]
    NotFound { what: String },
    /// The app may not read it: outside its contact range (Feishu 40004 / 41050, WPS
    /// 403000001). Reported like not found (exit 1), with the server's reply.
    #[error("outside the app's contact range: {what} ({reply})")]
    OutOfRange { what: String, reply: ServerReply },
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
    /// A missing or malformed configuration; `file` names where, `key` what.
    #[error("config {file}: {msg}")]
    Config { file: String, msg: String },
    /// The server refused our credentials.
    #[error("authentication failed at {endpoint}: {reply}")]
    Auth {
        endpoint: String,
        reply: ServerReply,
    },
    /// The server answered with an error (after retries, where retrying made sense).
    #[error("server error at {endpoint}: {reply}")]
    Server {
        endpoint: String,
        reply: ServerReply,
    },
    /// The request did not get an answer (connect, timeout, TLS) after retries.
    #[error("network error at {endpoint}: {msg}")]
    Network { endpoint: String, msg: String },
    /// The server answered something we cannot read (malformed JSON, a repeating page token).
    #[error("bad response from {endpoint}: {msg}")]
    Protocol { endpoint: String, msg: String },
    /// A local I/O problem (writing output, reading an org file).
    #[error("{0}")]
    Io(String),
    /// The user stopped it (a crawl cancelled with Esc).
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NotFound { .. } | Error::OutOfRange { .. } => exit::NOT_FOUND,
            Error::Usage(_) | Error::Config { .. } => exit::USAGE,
            Error::Auth { .. } => exit::AUTH,
            Error::Server { .. }
            | Error::Network { .. }
            | Error::Protocol { .. }
            | Error::Io(_)
            | Error::Cancelled => exit::NETWORK,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Error {
        Error::NotFound { what: what.into() }
    }

    pub fn config(file: impl fmt::Display, msg: impl Into<String>) -> Error {
        Error::Config {
            file: file.to_string(),
            msg: msg.into(),
        }
    }

    /// This error with every secret `scrubber` knows cut out of all its text: what a server
    /// says can reach any field (a message, a quoted value in a decoding error, a Location).
    pub fn scrubbed(self, scrubber: &Scrubber) -> Error {
        let s = |t: String| scrubber.scrub(&t);
        let reply = |r: ServerReply| ServerReply {
            msg: r.msg.map(s),
            ..r
        };
        match self {
            Error::NotFound { what } => Error::NotFound { what: s(what) },
            Error::OutOfRange { what, reply: r } => Error::OutOfRange {
                what: s(what),
                reply: reply(r),
            },
            Error::Usage(m) => Error::Usage(s(m)),
            Error::Config { file, msg } => Error::Config { file, msg: s(msg) },
            Error::Auth { endpoint, reply: r } => Error::Auth {
                endpoint,
                reply: reply(r),
            },
            Error::Server { endpoint, reply: r } => Error::Server {
                endpoint,
                reply: reply(r),
            },
            Error::Network { endpoint, msg } => Error::Network {
                endpoint,
                msg: s(msg),
            },
            Error::Protocol { endpoint, msg } => Error::Protocol {
                endpoint,
                msg: s(msg),
            },
            Error::Io(m) => Error::Io(s(m)),
            Error::Cancelled => Error::Cancelled,
        }
    }
}
