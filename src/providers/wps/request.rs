//! Building, signing and sending one WPS call, and reading its envelope: what every
//! `Directory` call in `mod.rs` goes through.

use super::*;

impl WpsClient {
    // ---- building requests ----

    /// A request to `{base}{prefix}/{segments…}?{query}`. Segments are percent-encoded one by
    /// one (an id cannot add a path level); the query is form-encoded, repeated keys kept.
    pub(super) fn call(
        &self,
        method: Method,
        endpoint: &'static str,
        scheme: Scheme,
        segments: &[&str],
        query: &[(&str, &str)],
        what: String,
    ) -> Result<Call> {
        let prefix = match scheme {
            Scheme::Kso1 => self.prefixes.openapi_prefix(),
            Scheme::Wps4 => self.prefixes.graph_prefix().unwrap_or_default(),
        };
        let mut url = Url::parse(&format!("{}{prefix}", self.base_url)).map_err(|e| {
            Error::config("profile", format!("cannot build a URL for {endpoint}: {e}"))
        })?;
        // Everything up to here (base path and deployment prefix) is left out of the signature.
        let root_len = url.path().trim_end_matches('/').len();
        url.path_segments_mut()
            .map_err(|_| Error::config("profile", "base_url cannot take a path"))?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut signed_uri = url.path()[root_len..].to_string();
        if let Some(q) = url.query() {
            signed_uri.push('?');
            signed_uri.push_str(q);
        }
        Ok(Call {
            method,
            endpoint,
            url,
            signed_uri,
            body: None,
            scheme,
            what,
        })
    }

    pub(super) fn get(
        &self,
        endpoint: &'static str,
        segments: &[&str],
        query: &[(&str, &str)],
        what: String,
    ) -> Result<Call> {
        self.call(Method::GET, endpoint, Scheme::Kso1, segments, query, what)
    }

    pub(super) fn post(
        &self,
        endpoint: &'static str,
        scheme: Scheme,
        segments: &[&str],
        body: &impl serde::Serialize,
        what: String,
    ) -> Result<Call> {
        let mut call = self.call(Method::POST, endpoint, scheme, segments, &[], what)?;
        // Serialized once: these exact bytes are hashed and sent.
        call.body = Some(serde_json::to_vec(body).map_err(|e| Error::Protocol {
            endpoint: endpoint.to_string(),
            msg: format!("cannot encode the request: {e}"),
        })?);
        Ok(call)
    }

    /// One attempt's request, signed with the current date.
    pub(super) fn build(
        &self,
        client: &reqwest::Client,
        call: &Call,
        token: &Secret,
    ) -> reqwest::RequestBuilder {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let body: &[u8] = call.body.as_deref().unwrap_or_default();
        let content_type = if call.body.is_some() { JSON } else { "" };
        let input = SignInput {
            method: call.method.as_str(),
            request_uri: &call.signed_uri,
            content_type,
            date: &date,
            body,
        };
        let secret = self.app_secret.expose();
        let (date_header, auth_header, signature) = match call.scheme {
            Scheme::Kso1 => (
                "X-Kso-Date",
                "X-Kso-Authorization",
                sign::kso1(&input, &self.app_id, secret),
            ),
            Scheme::Wps4 => (
                "Wps-Docs-Date",
                "Wps-Docs-Authorization",
                sign::wps4(&input, &self.app_id, secret),
            ),
        };
        let mut req = client
            .request(call.method.clone(), call.url.clone())
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", token.expose()),
            )
            .header(date_header, date)
            .header(auth_header, signature);
        if let Some(b) = &call.body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(b.clone());
        }
        req
    }

    // ---- sending ----

    pub(super) async fn fetch_token(&self) -> Result<FetchedToken> {
        let resp = self.send_token_request().await?;
        self.read_token_reply(&resp)
    }

    /// The token request alone, split from reading its reply so that `probe` can also read
    /// the reply's `Date` header.
    pub(super) async fn send_token_request(&self) -> Result<RawResponse> {
        let url = format!(
            "{}{}/oauth2/token",
            self.base_url,
            self.prefixes.openapi_prefix()
        );
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.app_id)
            .append_pair("client_secret", self.app_secret.expose())
            .finish();
        // Asking for a token again is harmless, so it is retried like a read.
        self.http
            .send(EP_TOKEN, true, |c| {
                c.post(&url)
                    .header(reqwest::header::CONTENT_TYPE, FORM)
                    .body(body.clone())
            })
            .await
    }

    /// The token reply: refused credentials are `Error::Auth`, server trouble `Error::Server`.
    pub(super) fn read_token_reply(&self, resp: &RawResponse) -> Result<FetchedToken> {
        // The local name the reading below has always used, so the split left it unchanged.
        const ENDPOINT: &str = EP_TOKEN;
        let parsed: Option<TokenReply> = serde_json::from_slice(&resp.body).ok();
        let reply = |r: Option<&TokenReply>| ServerReply {
            status: Some(resp.status),
            code: r.and_then(|r| r.code).filter(|c| *c != 0),
            msg: r.and_then(|r| self.said(&r.msg, &r.error_description, &r.error)),
        };
        let auth = |r: Option<&TokenReply>| Error::Auth {
            endpoint: ENDPOINT.into(),
            reply: reply(r),
        };
        if (400..500).contains(&resp.status) && resp.status != 429 {
            return Err(auth(parsed.as_ref()));
        }
        if !(200..300).contains(&resp.status) {
            return Err(Error::Server {
                endpoint: ENDPOINT.into(),
                reply: reply(parsed.as_ref()),
            });
        }
        let Some(r) = parsed else {
            return Err(Error::Protocol {
                endpoint: ENDPOINT.into(),
                msg: "the token reply is not JSON".into(),
            });
        };
        if r.code.is_some_and(|c| c != 0) || r.error.is_some() || r.error_description.is_some() {
            return Err(auth(Some(&r)));
        }
        let Some(token) = r.access_token.clone() else {
            return Err(auth(Some(&r)));
        };
        let expires_in = r
            .expires_in
            .and_then(|s| u64::try_from(s).ok())
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_TTL);
        Ok(FetchedToken {
            token: Secret::new(token),
            expires_in: crate::http::bounded_lifetime(expires_in),
        })
    }

    /// Send `call` and return its `data`.
    pub(super) async fn send<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let resp = self
            .http
            .send_authed(call.endpoint, true, self, |c, token| {
                self.build(c, call, token)
            })
            .await?;
        // Any field of the error may quote the server (a decoding error quotes its value).
        self.interpret(call, resp)
            .map_err(|e| self.http.scrub_error(e))
    }

    /// What a reply says went wrong: its `msg`, else OAuth's `error_description`, else
    /// `error`, with our secrets cut out.
    fn said(
        &self,
        msg: &Option<String>,
        description: &Option<String>,
        error: &Option<String>,
    ) -> Option<String> {
        let said = msg.as_ref().or(description.as_ref()).or(error.as_ref())?;
        Some(self.scrub(said))
    }

    /// The envelope (if the body is one) and the reply to report when it is a failure.
    pub(super) fn read_envelope(&self, resp: &RawResponse) -> (Option<Envelope>, ServerReply) {
        let env: Option<Envelope> = serde_json::from_slice(&resp.body).ok();
        let reply = ServerReply {
            status: Some(resp.status),
            code: env.as_ref().and_then(|e| e.code),
            msg: env
                .as_ref()
                .and_then(|e| self.said(&e.msg, &e.error_description, &e.error)),
        };
        (env, reply)
    }

    pub(super) fn interpret<T: DeserializeOwned>(
        &self,
        call: &Call,
        resp: RawResponse,
    ) -> Result<T> {
        let (env, reply) = self.read_envelope(&resp);
        let ok_status = (200..300).contains(&resp.status);
        if resp.status == 404 || reply.code == Some(CODE_NOT_FOUND) {
            return Err(Error::not_found(call.what.clone()));
        }
        if reply.code == Some(CODE_NO_PERMISSION) {
            return Err(Error::OutOfRange {
                what: call.what.clone(),
                reply,
            });
        }
        let protocol = |msg: String| Error::Protocol {
            endpoint: call.endpoint.into(),
            msg,
        };
        let Some(env) = env else {
            return Err(if ok_status {
                protocol(describe_bad_json(&resp.body))
            } else {
                Error::Server {
                    endpoint: call.endpoint.into(),
                    reply,
                }
            });
        };
        if !ok_status || env.code.is_some_and(|c| c != 0) {
            return Err(Error::Server {
                endpoint: call.endpoint.into(),
                reply,
            });
        }
        if env.code.is_none() && env.data.is_none() {
            return Err(protocol("the reply has neither code nor data".into()));
        }
        let data = env.data.unwrap_or(serde_json::Value::Null);
        serde_json::from_value(data).map_err(|e| protocol(format!("unexpected data: {e}")))
    }

    /// A server message with our secret and tokens cut out, should a gateway echo them back.
    pub(super) fn scrub(&self, msg: &str) -> String {
        self.http.scrub(msg)
    }
}

/// Why a 2xx body is not a JSON envelope, without echoing the body itself at length.
fn describe_bad_json(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Err(e) => format!("the reply is not JSON ({e})"),
        Ok(v) => format!(
            "the reply is not a JSON envelope (found {})",
            super::wire::json_kind(&v)
        ),
    }
}
