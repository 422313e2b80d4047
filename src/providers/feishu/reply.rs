//! Reading a Feishu reply: the token call's, and every other call's JSON envelope, into data
//! or the error it means.

use super::*;

pub(super) fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Statuses that mean "the server is in trouble" rather than "your credentials are wrong".
pub(super) fn is_server_trouble(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The token reply; a message that echoes a secret the client knows has it cut out.
pub(super) fn read_token(resp: &RawResponse, secret: &Scrubber) -> Result<FetchedToken> {
    let parsed: Option<wire::TokenReply> = serde_json::from_slice(&resp.body).ok();
    let reply = ServerReply {
        status: Some(resp.status),
        code: parsed.as_ref().and_then(|r| r.code),
        msg: parsed
            .as_ref()
            .and_then(|r| r.msg.as_deref())
            .map(|m| secret.scrub(m)),
    };
    let failed = !is_success(resp.status) || reply.code.is_some_and(|c| c != 0);
    if failed && is_server_trouble(resp.status) {
        return Err(Error::Server {
            endpoint: EP_TOKEN.into(),
            reply,
        });
    }
    if failed {
        return Err(Error::Auth {
            endpoint: EP_TOKEN.into(),
            reply,
        });
    }
    let Some(parsed) = parsed else {
        return Err(protocol(EP_TOKEN, "the reply is not the expected JSON"));
    };
    let token = nonempty(parsed.tenant_access_token.as_deref())
        .ok_or_else(|| protocol(EP_TOKEN, "the reply has no tenant_access_token"))?;
    let secs = parsed
        .expire
        .and_then(|s| u64::try_from(s).ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_TOKEN_SECS);
    Ok(FetchedToken {
        token: Secret::new(token),
        expires_in: crate::http::bounded_lifetime(Duration::from_secs(secs)),
    })
}

/// The envelope of a reply; a message that echoes a secret the client knows has it cut out.
pub(super) fn read_envelope(
    endpoint: &str,
    resp: &RawResponse,
    secret: &Scrubber,
) -> Result<Reply> {
    let status = resp.status;
    let env = match serde_json::from_slice::<wire::Envelope>(&resp.body) {
        Ok(env) => env,
        Err(e) => return unreadable(endpoint, status, &e),
    };
    let reply = ServerReply {
        status: Some(status),
        code: env.code,
        msg: env.msg.as_deref().map(|m| secret.scrub(m)),
    };
    Ok(match reply.code {
        Some(c) if TOKEN_REJECTED.contains(&c) => Reply::TokenRejected(reply),
        None if status == 401 => Reply::TokenRejected(reply),
        Some(0) if is_success(status) => Reply::Data(env.data.unwrap_or(Value::Null)),
        None if is_success(status) => {
            return Err(protocol(endpoint, "the reply has no code"));
        }
        _ => Reply::Failed(reply),
    })
}

/// A body that is not the JSON envelope: a garbled success is a protocol error, a garbled
/// failure (an HTML error page from a proxy) is reported by its status.
pub(super) fn unreadable(endpoint: &str, status: u16, e: &serde_json::Error) -> Result<Reply> {
    let reply = crate::http::reply_from_status(status);
    if is_success(status) {
        Err(protocol(endpoint, &format!("the reply is not JSON: {e}")))
    } else if status == 401 {
        Ok(Reply::TokenRejected(reply))
    } else {
        Ok(Reply::Failed(reply))
    }
}

pub(super) fn classify(call: &Call, reply: ServerReply) -> Error {
    match reply.code {
        Some(c) if GONE.contains(&c) => Error::not_found(format!("{} ({reply})", call.subject)),
        Some(c) if OUT_OF_RANGE.contains(&c) => Error::OutOfRange {
            what: call.subject.clone(),
            reply,
        },
        Some(BAD_PAGE_TOKEN) => Error::Protocol {
            endpoint: call.endpoint.to_string(),
            msg: format!("the server rejected the page token ({reply}); start the listing again"),
        },
        _ => Error::Server {
            endpoint: call.endpoint.to_string(),
            reply,
        },
    }
}

pub(super) fn decode<T: DeserializeOwned>(endpoint: &str, data: Value) -> Result<T> {
    // A success without `data` reads as an empty object, so every field takes its default.
    let data = match data {
        Value::Null => Value::Object(Default::default()),
        other => other,
    };
    serde_json::from_value(data)
        .map_err(|e| protocol(endpoint, &format!("unexpected data in the reply: {e}")))
}

pub(super) fn protocol(endpoint: &str, msg: &str) -> Error {
    Error::Protocol {
        endpoint: endpoint.to_string(),
        msg: msg.to_string(),
    }
}
