//! The token lifecycle against a local server whose answers each test scripts by the
//! token a request carries and how many came before it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use axum::http::{HeaderMap as Headers, StatusCode};

use super::*;
use crate::error::ServerReply;

/// The server's rule: the status to answer request number `n` (from 0) carrying `token`.
type Rule = fn(token: &str, n: usize) -> StatusCode;

#[derive(Clone)]
struct Server {
    rule: Rule,
    /// The token each request carried, in arrival order.
    seen: Arc<Mutex<Vec<String>>>,
    /// How long to hold each answer, so concurrent requests overlap.
    delay: Duration,
}

async fn answer(State(s): State<Server>, headers: Headers) -> StatusCode {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let n = {
        let mut seen = s.seen.lock().unwrap();
        seen.push(token.clone());
        seen.len() - 1
    };
    tokio::time::sleep(s.delay).await;
    (s.rule)(&token, n)
}

/// Start the server; its URL and the tokens it saw.
async fn serve(rule: Rule, delay: Duration) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = Server {
        rule,
        seen: seen.clone(),
        delay,
    };
    let app = axum::Router::new()
        .route("/x", axum::routing::get(answer))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/x", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// Credentials handing out `t0`, `t1`, … (or always `same`), refused by HTTP 401.
struct Creds {
    cache: TokenCache,
    fetches: AtomicUsize,
    always_same: bool,
    lifetime: Duration,
}

impl Creds {
    fn new() -> Creds {
        Creds {
            cache: TokenCache::new(),
            fetches: AtomicUsize::new(0),
            always_same: false,
            lifetime: Duration::from_secs(3600),
        }
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl Credentials for Creds {
    fn tokens(&self) -> &TokenCache {
        &self.cache
    }
    async fn new_token(&self) -> Result<FetchedToken> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst);
        let token = match self.always_same {
            true => "same".to_string(),
            false => format!("t{n}"),
        };
        Ok(FetchedToken {
            token: Secret::new(token),
            expires_in: self.lifetime,
        })
    }
    fn token_rejected(&self, resp: &RawResponse) -> Option<ServerReply> {
        (resp.status == 401).then(|| reply_from_status(401))
    }
}

fn client(concurrency: usize) -> HttpClient {
    limited_client(concurrency, None)
}

fn limited_client(concurrency: usize, rate_limit: Option<f64>) -> HttpClient {
    HttpClient::new(&HttpOptions {
        concurrency,
        rate_limit,
        retry: RetryPolicy {
            max_retries: 4,
            max_throttled_retries: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(1),
        },
        ..HttpOptions::default()
    })
    .unwrap()
}

async fn get(http: &HttpClient, creds: &Creds, url: &str) -> Result<RawResponse> {
    http.send_authed("GET /x", true, creds, |c, t| {
        c.get(url).bearer_auth(t.expose())
    })
    .await
}

fn seen(s: &Mutex<Vec<String>>) -> Vec<String> {
    s.lock().unwrap().clone()
}

#[tokio::test]
async fn refreshes_more_than_once_while_tokens_differ() {
    let (url, log) = serve(
        |t, _| match t {
            "t0" | "t1" => StatusCode::UNAUTHORIZED,
            _ => StatusCode::OK,
        },
        Duration::ZERO,
    )
    .await;
    let creds = Creds::new();
    let resp = get(&client(8), &creds, &url).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(seen(&log), ["t0", "t1", "t2"]);
    assert_eq!(creds.fetches(), 3);
}

#[tokio::test]
async fn gives_up_after_three_refreshes() {
    let (url, log) = serve(|_, _| StatusCode::UNAUTHORIZED, Duration::ZERO).await;
    let creds = Creds::new();
    let err = get(&client(8), &creds, &url).await.unwrap_err();
    assert!(
        matches!(&err, Error::Auth { endpoint, reply }
            if endpoint == "GET /x" && reply.status == Some(401)),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), crate::error::exit::AUTH);
    // The first token and three replacements.
    assert_eq!(seen(&log), ["t0", "t1", "t2", "t3"]);
    assert_eq!(creds.fetches(), 1 + MAX_TOKEN_REFRESHES);
}

#[tokio::test]
async fn gives_up_when_a_refresh_brings_back_the_refused_token() {
    let (url, log) = serve(|_, _| StatusCode::UNAUTHORIZED, Duration::ZERO).await;
    let creds = Creds {
        always_same: true,
        ..Creds::new()
    };
    let err = get(&client(8), &creds, &url).await.unwrap_err();
    assert!(matches!(&err, Error::Auth { endpoint, .. } if endpoint == "GET /x"));
    // Sent once; the refresh gave the same token, which is not sent again.
    assert_eq!(seen(&log), ["same"]);
    assert_eq!(creds.fetches(), 2);
}

#[tokio::test]
async fn concurrent_refusals_share_one_fetch() {
    // Every request carrying the first token is refused, after a pause long enough for
    // all eight to be out with it.
    let (url, log) = serve(
        |t, _| match t {
            "t0" => StatusCode::UNAUTHORIZED,
            _ => StatusCode::OK,
        },
        Duration::from_millis(100),
    )
    .await;
    let creds = Creds::new();
    let http = client(8);
    let calls: Vec<_> = (0..8).map(|_| get(&http, &creds, &url)).collect();
    for r in futures_util::future::join_all(calls).await {
        assert_eq!(r.unwrap().status, 200);
    }
    assert_eq!(
        creds.fetches(),
        2,
        "one fetch for t0, one for t1: {:?}",
        seen(&log)
    );
    let log = seen(&log);
    assert!(log.iter().all(|t| t == "t0" || t == "t1"), "{log:?}");
    assert_eq!(log.iter().filter(|t| *t == "t1").count(), 8);
}

#[tokio::test]
async fn the_token_is_read_after_the_rate_limit_wait() {
    let (url, log) = serve(|_, _| StatusCode::OK, Duration::ZERO).await;
    // The second call's slot is 500 ms after the first's; the 300 ms token is due for
    // refresh (at 240 ms) by then, so the call must not go out with the token it would
    // have seen before waiting.
    let creds = Creds {
        lifetime: Duration::from_millis(300),
        ..Creds::new()
    };
    let http = limited_client(8, Some(2.0));
    get(&http, &creds, &url).await.unwrap();
    get(&http, &creds, &url).await.unwrap();
    assert_eq!(seen(&log), ["t0", "t1"]);
}

#[tokio::test]
async fn the_token_is_read_after_the_wait_for_a_permit() {
    // One request in flight at a time, each answered after 300 ms: the second call
    // queues for the permit past the first token's refresh time.
    let (url, log) = serve(|_, _| StatusCode::OK, Duration::from_millis(300)).await;
    let creds = Creds {
        lifetime: Duration::from_millis(300),
        ..Creds::new()
    };
    let http = client(1);
    let (a, b) = tokio::join!(get(&http, &creds, &url), get(&http, &creds, &url));
    assert_eq!((a.unwrap().status, b.unwrap().status), (200, 200));
    assert_eq!(seen(&log), ["t0", "t1"]);
}

/// A server at `/big` answering `chunks` chunks of `size` bytes with no Content-Length
/// (chunked), so only counting while reading can stop it.
async fn serve_stream(chunks: usize, size: usize) -> String {
    let app = axum::Router::new().route(
        "/big",
        axum::routing::get(move || async move {
            let parts = (0..chunks)
                .map(move |_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; size])));
            axum::body::Body::from_stream(futures_util::stream::iter(parts))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/big", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn capped_client(max_response_bytes: u64) -> HttpClient {
    HttpClient::new(&HttpOptions {
        max_response_bytes,
        ..HttpOptions::default()
    })
    .unwrap()
}

#[tokio::test]
async fn a_streamed_body_is_cut_off_at_the_cap() {
    let url = serve_stream(100, 1000).await;
    let err = capped_client(10_000)
        .send("GET /big", true, |c| c.get(&url))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Protocol { msg, .. } if msg.contains("larger than 10000 bytes")),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), crate::error::exit::NETWORK);
    // A body at the cap is fine.
    let resp = capped_client(100_000)
        .send("GET /big", true, |c| c.get(&url))
        .await
        .unwrap();
    assert_eq!(resp.body.len(), 100_000);
}

#[tokio::test]
async fn errors_are_scrubbed_of_the_secret_and_the_tokens() {
    let http = HttpClient::with_secret(&HttpOptions::default(), &Secret::new("app-sec")).unwrap();
    http.scrubber().note_token(&Secret::new("tok-1"));
    let e = http.scrub_error(Error::Protocol {
        endpoint: "GET /x".into(),
        msg: "saw app-sec and tok-1".into(),
    });
    assert_eq!(e.to_string(), "bad response from GET /x: saw *** and ***");
}

#[tokio::test]
async fn each_retry_reads_the_token_again() {
    // A 503 first; by the end of the backoff (at least 100 ms) the 100 ms token is due
    // for refresh, so the retry must carry the new one.
    let (url, log) = serve(
        |_, n| match n {
            0 => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::OK,
        },
        Duration::ZERO,
    )
    .await;
    let creds = Creds {
        lifetime: Duration::from_millis(100),
        ..Creds::new()
    };
    let resp = get(&client(8), &creds, &url).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(seen(&log), ["t0", "t1"]);
}

/// A client that retries 5xx twice and 429s six times, quickly.
fn counting_client() -> HttpClient {
    HttpClient::new(&HttpOptions {
        retry: RetryPolicy {
            max_retries: 2,
            max_throttled_retries: 6,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        },
        ..HttpOptions::default()
    })
    .unwrap()
}

#[tokio::test]
async fn throttled_and_failed_attempts_have_their_own_retry_counts() {
    let creds = Creds::new();
    // 429 and 503 alternating, then success: five failed attempts in a row, of which only
    // two are 5xx, so the call succeeds at the sixth.
    let (url, s) = serve(
        |_, n| match n {
            0 | 2 | 4 => StatusCode::TOO_MANY_REQUESTS,
            1 | 3 => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::OK,
        },
        Duration::ZERO,
    )
    .await;
    let http = counting_client();
    assert_eq!(get(&http, &creds, &url).await.unwrap().status, 200);
    assert_eq!(seen(&s).len(), 6);

    // Always 429: the first attempt and six retries, then the 429 is the answer.
    let (url, s) = serve(|_, _| StatusCode::TOO_MANY_REQUESTS, Duration::ZERO).await;
    assert_eq!(get(&http, &creds, &url).await.unwrap().status, 429);
    assert_eq!(seen(&s).len(), 7);

    // Always 503: the first attempt and two retries.
    let (url, s) = serve(|_, _| StatusCode::SERVICE_UNAVAILABLE, Duration::ZERO).await;
    assert_eq!(get(&http, &creds, &url).await.unwrap().status, 503);
    assert_eq!(seen(&s).len(), 3);
}
