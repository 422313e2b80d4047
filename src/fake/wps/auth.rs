//! The fake WPS gateway's checks before any handler runs: the token endpoint, and the
//! extractors that accept a v7 call only with a live token, a fresh date and a KSO-1 (or
//! WPS-4, for the graph endpoint) signature over the request exactly as received.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Kso1,
    Wps4,
}

/// A request that passed the token, date and signature checks.
pub(super) struct Checked {
    query: Query,
    content_type: Option<String>,
    body: Bytes,
}

impl Checked {
    /// A call without a body: only the documented query parameters (`repeatable` may come
    /// several times, `single` once), and no body at all.
    pub(super) fn params(&self, repeatable: &[&str], single: &[&str]) -> Result<&Query, Fail> {
        if !self.body.is_empty() {
            return Err(bad_request("this call takes no body"));
        }
        self.query.only(repeatable, single)?;
        Ok(&self.query)
    }

    /// A JSON body with only the documented fields (the body types deny unknown ones), sent
    /// as `application/json`, and no query.
    pub(super) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Fail> {
        self.query.only(&[], &[])?;
        rules::json_content_type(self.content_type.as_deref())?;
        serde_json::from_slice(&self.body)
            .map_err(|e| bad_request(&format!("invalid JSON body: {e}")))
    }
}

/// A v7 call signed with KSO-1.
pub(super) struct Kso1(pub(super) Checked);
/// A `/graph` call signed with WPS-4.
pub(super) struct Wps4(pub(super) Checked);

impl FromRequest<Arc<FakeState>> for Kso1 {
    type Rejection = Fail;
    async fn from_request(req: Request, state: &Arc<FakeState>) -> Result<Self, Fail> {
        check(req, state, Scheme::Kso1).await.map(Kso1)
    }
}

impl FromRequest<Arc<FakeState>> for Wps4 {
    type Rejection = Fail;
    async fn from_request(req: Request, state: &Arc<FakeState>) -> Result<Self, Fail> {
        check(req, state, Scheme::Wps4).await.map(Wps4)
    }
}

async fn check(req: Request, state: &FakeState, scheme: Scheme) -> Result<Checked, Fail> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| bad_request("request body too large or unreadable"))?;
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let headers = &parts.headers;
    let unauthorized = |code: i64, msg: &str| {
        state.stats.auth_rejected.fetch_add(1, Ordering::Relaxed);
        fail(StatusCode::UNAUTHORIZED, code, msg)
    };

    // bearer_ok counts its own rejections.
    if !state.bearer_ok(header(headers, "authorization")) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            CODE_BAD_TOKEN,
            "access token invalid or expired",
        ));
    }

    let (date_name, auth_name, prefix) = match scheme {
        Scheme::Kso1 => (
            "x-kso-date",
            "x-kso-authorization",
            &state.opts.openapi_prefix,
        ),
        Scheme::Wps4 => (
            "wps-docs-date",
            "wps-docs-authorization",
            &state.opts.graph_prefix,
        ),
    };
    let Some(date) = header(headers, date_name) else {
        return Err(unauthorized(CODE_BAD_DATE, "missing date header"));
    };
    // RFC 1123 only (the documents' format): httpdate also reads RFC 850 and asctime dates,
    // so the date must be exactly what formatting it back gives.
    let rfc1123 = httpdate::parse_http_date(date)
        .ok()
        .filter(|t| httpdate::fmt_http_date(*t) == date);
    let fresh = rfc1123.is_some_and(|t| {
        let now = crate::fake::clock::now(&state.opts);
        let skew = now
            .duration_since(t)
            .or_else(|_| t.duration_since(now))
            .unwrap_or_default();
        skew <= sign::DATE_WINDOW
    });
    if !fresh {
        return Err(unauthorized(
            CODE_BAD_DATE,
            "date missing, malformed or stale",
        ));
    }

    let prefix = normalize_prefix(prefix);
    let mut request_uri = sign::strip_prefix(uri.path(), &prefix).to_string();
    if let Some(q) = uri.query() {
        request_uri.push('?');
        request_uri.push_str(q);
    }
    let input = SignInput {
        method: parts.method.as_str(),
        request_uri: &request_uri,
        content_type: header(headers, "content-type").unwrap_or(""),
        date,
        body: &body,
    };
    let (app_id, secret) = (&state.opts.app_id, state.opts.app_secret.expose());
    let expected = match scheme {
        Scheme::Kso1 => sign::kso1(&input, app_id, secret),
        Scheme::Wps4 => sign::wps4(&input, app_id, secret),
    };
    let given = header(headers, auth_name).unwrap_or("");
    if !sign::same_signature(given, &expected) {
        return Err(unauthorized(CODE_BAD_SIGNATURE, "signature mismatch"));
    }

    // The optional identity-type header (seed 000) takes two values.
    if let Some(v) = header(headers, "x-kso-id-type")
        && !["internal", "external"].contains(&v)
    {
        return Err(bad_request(&format!("invalid X-Kso-Id-Type {v:?}")));
    }
    Ok(Checked {
        query: Query::parse(uri.query()),
        content_type: header(headers, "content-type").map(str::to_string),
        body,
    })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[derive(Default)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// API-NOTES: a form body with `grant_type=client_credentials`, `client_id` and
/// `client_secret`, all three required.
pub(super) async fn token(
    State(st): State<Arc<FakeState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    rules::content_type(
        header(&headers, "content-type"),
        "application/x-www-form-urlencoded",
    )?;
    let form = parse_token_form(&body).ok_or_else(|| bad_request("invalid form body"))?;
    if form.grant_type.as_deref() != Some("client_credentials") {
        return Err(bad_request("unsupported grant_type"));
    }
    let (Some(id), Some(secret)) = (form.client_id, form.client_secret) else {
        return Err(bad_request("client_id and client_secret are required"));
    };
    if !st.check_app(&id, &secret) {
        st.stats.auth_rejected.fetch_add(1, Ordering::Relaxed);
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            CODE_INVALID_CLIENT,
            "invalid client",
        ));
    }
    let (token, expires_in) = st.issue_token();
    Ok(axum::Json(json!({
        "access_token": token,
        "expires_in": expires_in,
        "token_type": "bearer",
    }))
    .into_response())
}

/// A form body into `TokenForm` (first value of each key wins).
fn parse_token_form(body: &[u8]) -> Option<TokenForm> {
    std::str::from_utf8(body).ok()?;
    let mut f = TokenForm::default();
    for (k, v) in url::form_urlencoded::parse(body) {
        let slot = match k.as_ref() {
            "grant_type" => &mut f.grant_type,
            "client_id" => &mut f.client_id,
            "client_secret" => &mut f.client_secret,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v.into_owned());
        }
    }
    Some(f)
}
